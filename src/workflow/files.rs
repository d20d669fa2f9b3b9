//! What privacyd keeps for a request (source spools and the export archive, in the archive
//! store; a running job's scratch files on this replica's disk) and when it goes: archives
//! when their time runs out, everything when the request is deleted, and whatever a crash left
//! behind.

use crate::{
    domain::{Actor, AuditEventType, Error, NewAuditEvent, RequestId, State},
    store::Change,
};

use super::Workflow;

impl Workflow {
    /// Deletes archives whose time ran out; the request keeps the record. Returns how many.
    pub async fn delete_expired_archives(&self) -> Result<usize, Error> {
        let mut deleted = 0;
        loop {
            let mut stuck = false;
            let ids = self.store.expired_archives(crate::domain::now(), 100).await?;
            for &id in &ids {
                // The file goes first: a crash before the record is written leaves an expired
                // archive that the next sweep finds again, never a record of a deletion that did
                // not happen. A file that cannot be removed keeps its record live and is retried.
                if !self.remove_export_files(id, "").await {
                    stuck = true;
                    continue;
                }
                let result = self
                    .store
                    .modify(id, |request| {
                        let now = crate::domain::now();
                        let Some(archive) = request.archive.as_mut().filter(|a| a.delete_time.is_none()) else {
                            return Ok(Change::new(false));
                        };
                        archive.delete_time = Some(now);
                        let event = NewAuditEvent::new(
                            request.id,
                            Actor::system("sweeper"),
                            AuditEventType::ArchiveDeleted,
                            now,
                        );
                        Ok(Change::new(true).event(event))
                    })
                    .await;
                match result {
                    Ok((_, true)) => deleted += 1,
                    Ok((_, false)) | Err(Error::NotFound(_)) => {}
                    Err(err) => {
                        tracing::warn!(request_id = %id, error = %err, "recording an archive's deletion failed");
                        stuck = true;
                    }
                }
            }
            // An archive that would not go is asked for again by the next query: leave it (and
            // what is behind it) to the next sweep rather than ask forever.
            if ids.len() < 100 || stuck {
                return Ok(deleted);
            }
        }
    }

    /// Removes a request's objects in the archive store (`part` of them, "sources", or all
    /// with "") and its scratch files on this replica. Returns whether they are gone; a
    /// failure is logged.
    pub(super) async fn remove_export_files(&self, id: RequestId, part: &str) -> bool {
        self.remove_export_files_counted(id, part).await.is_some()
    }

    /// [`Self::remove_export_files`], saying how many objects and folders went.
    async fn remove_export_files_counted(&self, id: RequestId, part: &str) -> Option<usize> {
        let stored = match self.settings.export.store.delete_request(id, part).await {
            Ok(n) => n,
            Err(err) => {
                tracing::warn!(request_id = %id, error = %err, "removing export files from the archive store failed");
                return None;
            }
        };
        let scratch = self.settings.export.scratch_dir(id).join(part);
        match tokio::fs::remove_dir_all(&scratch).await {
            Ok(()) => Some(stored + 1),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Some(stored),
            Err(err) => {
                tracing::warn!(request_id = %id, error = %err, "removing scratch files failed");
                None
            }
        }
    }

    /// Brings the archive store and this replica's scratch folder in line with the database
    /// after a crash: the objects of requests that no longer exist (deleted between the commit
    /// and the removal), the spools of finished and of FAILED requests (processing a failed
    /// export again exports every source afresh, so nothing waits for them), archive builds
    /// that were never recorded, archives whose deletion was recorded, and whatever scratch files a finished request left here. Run
    /// once at start; what belongs to requests still in progress, on this replica or another,
    /// is left alone. Returns how many requests it cleaned.
    pub async fn remove_stray_files(&self) -> Result<usize, Error> {
        let mut ids: std::collections::BTreeSet<RequestId> = self
            .settings
            .export
            .store
            .requests()
            .await
            .map_err(|err| Error::Internal(format!("listing the archive store: {err}")))?
            .into_iter()
            .collect();
        match tokio::fs::read_dir(&self.settings.export.scratch).await {
            Ok(mut entries) => {
                while let Some(entry) = entries
                    .next_entry()
                    .await
                    .map_err(|err| Error::Internal(format!("reading the scratch folder: {err}")))?
                {
                    // Only folders named by a request id are privacyd's.
                    if let Some(id) = entry.file_name().to_str().and_then(|name| RequestId::parse("id", name).ok()) {
                        ids.insert(id);
                    }
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::Internal(format!("reading the scratch folder: {err}"))),
        }
        let mut cleaned = 0;
        for id in ids {
            let part = match self.store.get_request(id).await? {
                None => "",
                Some(request) if request.state == State::Failed => {
                    let reclaimed = crate::export::reclaim_failed_spools(&self.store, &self.settings.export, id).await;
                    // A failed export has no archive; any build is an attempt's leftover.
                    let builds = self.remove_unrecorded_builds(id, None).await;
                    let scratch = self.remove_scratch(id).await;
                    if reclaimed || builds || scratch {
                        cleaned += 1;
                    }
                    continue;
                }
                Some(request) if !request.state.is_final() => continue,
                Some(request) if request.archive.as_ref().is_none_or(|a| a.delete_time.is_some()) => "",
                Some(request) => {
                    // The spools, and any build but the recorded one.
                    let keep = request.archive.as_ref().and_then(|a| a.build);
                    let builds = self.remove_unrecorded_builds(id, keep).await;
                    let scratch = self.remove_scratch(id).await;
                    if matches!(self.remove_export_files_counted(id, "sources").await, Some(n) if n > 0)
                        || builds
                        || scratch
                    {
                        cleaned += 1;
                    }
                    continue;
                }
            };
            let scratch = self.remove_scratch(id).await;
            if matches!(self.remove_export_files_counted(id, part).await, Some(n) if n > 0) || scratch {
                cleaned += 1;
            }
        }
        Ok(cleaned)
    }

    /// Removes the builds of a request's archive other than `keep`; true if there were any.
    async fn remove_unrecorded_builds(&self, id: RequestId, keep: Option<crate::domain::ArchiveBuild>) -> bool {
        match self.settings.export.store.remove_unrecorded_builds(id, keep).await {
            Ok(n) => n > 0,
            Err(err) => {
                tracing::warn!(request_id = %id, error = %err, "removing unrecorded archive builds failed");
                false
            }
        }
    }

    /// Removes a finished request's scratch folder on this replica; true if there was one.
    async fn remove_scratch(&self, id: RequestId) -> bool {
        match tokio::fs::remove_dir_all(self.settings.export.scratch_dir(id)).await {
            Ok(()) => true,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => false,
            Err(err) => {
                tracing::warn!(request_id = %id, error = %err, "removing scratch files failed");
                false
            }
        }
    }
}
