//! What privacyd keeps on disk for a request (source spools and the export archive) and when
//! it goes: archives when their time runs out, everything when the request is deleted, and
//! whatever a crash left behind.

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

    /// Removes a request's files under the export folder (`part` of it, or all with "").
    /// Returns whether they are gone; a failure is logged.
    pub(super) async fn remove_export_files(&self, id: RequestId, part: &str) -> bool {
        let path = self.settings.export.request_dir(id).join(part);
        match tokio::fs::remove_dir_all(&path).await {
            Ok(()) => true,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => true,
            Err(err) => {
                tracing::warn!(request_id = %id, error = %err, "removing export files failed");
                false
            }
        }
    }

    /// Brings the export folder in line with the database after a crash: the files of
    /// requests that no longer exist (deleted between the commit and the removal), the spools of
    /// finished and of FAILED requests (processing a failed export again exports every source
    /// afresh, so nothing waits for them), and archives whose deletion was recorded. Run once
    /// at start; files of requests still in progress, on this replica or another, are left
    /// alone. Returns how many folders it cleaned.
    pub async fn remove_stray_files(&self) -> Result<usize, Error> {
        let mut entries = match tokio::fs::read_dir(&self.settings.export.dir).await {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(err) => return Err(Error::Internal(format!("reading the export folder: {err}"))),
        };
        let mut cleaned = 0;
        while let Some(entry) =
            entries.next_entry().await.map_err(|err| Error::Internal(format!("reading the export folder: {err}")))?
        {
            // Only folders named by a request id are privacyd's; anything else is the operator's.
            let Some(id) = entry.file_name().to_str().and_then(|name| RequestId::parse("id", name).ok()) else {
                continue;
            };
            cleaned += self.remove_set_aside(&entry.path()).await;
            let part = match self.store.get_request(id).await? {
                None => "",
                Some(request) if request.state == State::Failed => {
                    if crate::export::reclaim_failed_spools(&self.store, &self.settings.export, id).await {
                        cleaned += 1;
                    }
                    continue;
                }
                Some(request) if !request.state.is_final() => continue,
                Some(request) if request.archive.as_ref().is_none_or(|a| a.delete_time.is_some()) => "",
                Some(_) => "sources",
            };
            if tokio::fs::try_exists(entry.path().join(part)).await.unwrap_or(false)
                && self.remove_export_files(id, part).await
            {
                cleaned += 1;
            }
        }
        Ok(cleaned)
    }

    /// Removes the spools a crash left set aside for removal in a request's folder (see
    /// `export::reclaim_failed_spools`); they belong to no processing round. Returns how many.
    async fn remove_set_aside(&self, request_dir: &std::path::Path) -> usize {
        let mut removed = 0;
        let Ok(mut entries) = tokio::fs::read_dir(request_dir).await else { return 0 };
        while let Ok(Some(entry)) = entries.next_entry().await {
            if entry.file_name().to_str().is_some_and(|name| name.starts_with(crate::export::RECLAIMING)) {
                match tokio::fs::remove_dir_all(entry.path()).await {
                    Ok(()) => removed += 1,
                    Err(err) => tracing::warn!(error = %err, "removing spools set aside failed"),
                }
            }
        }
        removed
    }
}
