//! Exports: each data source's `Export` stream is spooled to disk by a job of its own, and
//! when the last source succeeds one more job builds the archive, records it on the request
//! and emails the subject. All of it runs on the executor, so it is retried, survives
//! restarts, and spreads over replicas.

pub mod archive;
pub mod export_json;
pub mod fields_html;
pub mod file_names;
mod following;
mod item_index;
pub mod legacy_spool;
pub mod quota;
mod repeats;
pub mod rules;
pub mod spool;
pub mod stretches;
pub mod zip_layout;

use std::{path::PathBuf, sync::Arc};

use async_trait::async_trait;

use crate::{
    domain::{EmailKind, Error, ExportArchive, Next, PrivacyRequest, RequestId, SourceName, SourceOutcome, State},
    executor::{JobHandler, JobOutcome},
    objects::Objects,
    proto::privacy::datasource::v1 as pb,
    source_client::{CallError, SourceClient},
    store::{Change, ClaimedJob, JobKind, NewJob, Store},
    templates::Templates,
};

pub use archive::Compression;
pub use quota::ExportQuotas;

/// Export settings.
#[derive(Debug, Clone)]
pub struct ExportSettings {
    /// Spools and archives, once a job is done with them: a request's sources may be exported
    /// on different replicas, and its archive built on yet another ([`crate::objects`]).
    pub store: Objects,
    /// This replica's own scratch space (`<data-dir>/scratch`): a spool while its source
    /// streams, an archive's index while it is built. Never shared.
    pub scratch: PathBuf,
    /// How long an archive can be downloaded.
    pub archive_ttl: chrono::Duration,
    pub compression: Compression,
    pub organization: String,
    /// Attempts per source before the request fails.
    pub source_max_attempts: i32,
    /// Attempts to send an email.
    pub mail_max_attempts: i32,
}

impl ExportSettings {
    /// A request's scratch folder on this replica.
    pub fn scratch_dir(&self, id: RequestId) -> PathBuf {
        self.scratch.join(id.to_string())
    }

    /// How file entries are stored in spools (`--archive-compression`).
    pub fn method(&self) -> zip_layout::Method {
        self.compression.method()
    }

    /// Where a source's spool is written while it streams, before it goes to the store.
    pub fn spool_dir(&self, id: RequestId, source: &SourceName) -> PathBuf {
        self.scratch_dir(id).join("sources").join(source.as_str())
    }
}

pub fn archive_file_name(id: RequestId) -> String {
    format!("privacy-export-{id}.zip")
}

/// How often a running export records its counts.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Why a source's export stream failed.
#[derive(Debug, thiserror::Error)]
enum StreamFailure {
    #[error("{0}")]
    Call(CallError),
    #[error("{0}")]
    Spool(spool::SpoolError),
    /// Says which quota, and names the source.
    #[error("{0}")]
    Quota(String),
}

impl StreamFailure {
    /// An export has no side effects, so any failed call is worth another try; a stream that
    /// breaks the protocol (what it sends, or messages over the size limit), or passes a quota,
    /// will do it again.
    fn retryable(&self) -> bool {
        match self {
            StreamFailure::Call(call) => !call.breaks_protocol(),
            StreamFailure::Spool(spool::SpoolError::Protocol(_)) | StreamFailure::Quota(_) => false,
            StreamFailure::Spool(_) => true,
        }
    }
}

/// Exports one source into its spool.
pub struct ExportSourceJob {
    store: Store,
    settings: Arc<ExportSettings>,
    quotas: ExportQuotas,
    /// The bytes this replica's streams have sent, per request and source.
    ledger: quota::Ledger,
}

impl ExportSourceJob {
    pub fn new(store: Store, settings: Arc<ExportSettings>, quotas: ExportQuotas) -> Self {
        ExportSourceJob { store, settings, quotas, ledger: Default::default() }
    }

    /// Streams the source's export into a fresh spool, counted in `metered`. Errors say
    /// whether a retry may help.
    async fn stream(
        &self,
        request: &PrivacyRequest,
        source: &SourceName,
        metered: &mut quota::Metered,
    ) -> Result<(i64, i64, i64), (String, bool)> {
        let registered = self
            .store
            .get_source(source)
            .await
            .map_err(|e| (e.to_string(), true))?
            .ok_or_else(|| ("the data source was deleted".to_owned(), false))?;
        let client = SourceClient::for_source(&registered)
            .map_err(|e| (e.to_string(), false))?
            .observed(self.store.metrics(), source.as_str());
        let dir = self.settings.spool_dir(request.id, source);
        let method = self.settings.method();
        let modified = archive::zip_time(crate::domain::now()).into();
        let mut spool = spool::Spool::create(&dir, source.as_str(), method, modified)
            .map_err(|e| (format!("creating the spool: {e}"), true))?;
        if !self.settings.store.is_local() {
            spool = spool.without_write_behind();
        }
        let mut recorded = self.store.source_bytes(request.id).await.map_err(|e| (e.to_string(), true))?;
        let message = pb::ExportRequest {
            privacy_request_id: request.id.to_string(),
            subject: Some(crate::source_client::subject_message(
                request.subject.known().map_err(|e| (e.to_string(), false))?,
            )),
        };
        // The stream runs under the source's idle timeout and overall limit (see
        // `ExportStream`): one that stalls half-way is cut off, one that keeps sending is not.
        let streamed = async {
            let mut stream = client.export_stream(message).await.map_err(StreamFailure::Call)?;
            let mut reported = tokio::time::Instant::now();
            while let Some(next) = stream.next().await {
                let next = next.map_err(StreamFailure::Call)?;
                let (room, quota) = metered.room(self.quotas, &recorded);
                spool.limit = room;
                match spool.add(next) {
                    Ok(()) => metered.set(spool.streamed),
                    // Returning drops the stream, which cancels the call: the source stops.
                    Err(spool::SpoolError::OverLimit { .. }) => {
                        return Err(StreamFailure::Quota(quota.failure(source)));
                    }
                    Err(err) => return Err(StreamFailure::Spool(err)),
                }
                // Live progress, at most once a second: enough for a progress bar, cheap for
                // the database. The other sources' counts come back with it, for the quota.
                if reported.elapsed() >= PROGRESS_EVERY {
                    reported = tokio::time::Instant::now();
                    if let Err(err) =
                        self.store.update_source_progress(request.id, source, spool.item_count, spool.byte_count).await
                    {
                        tracing::debug!(error = %err, "recording export progress failed");
                    }
                    match self.store.source_bytes(request.id).await {
                        Ok(now) => recorded = now,
                        Err(err) => tracing::debug!(error = %err, "reading the other sources' counts failed"),
                    }
                }
            }
            Ok::<_, StreamFailure>(spool)
        }
        .await;
        let spool = match streamed {
            Ok(spool) => spool,
            Err(failure @ StreamFailure::Quota(_)) => {
                // What passed a quota must not stay on the disk it protects.
                if let Err(err) = tokio::fs::remove_dir_all(&dir).await {
                    tracing::warn!(error = %err, "removing the spool of a source past its quota failed");
                    metered.keep();
                }
                return Err((failure.to_string(), false));
            }
            Err(failure) => {
                metered.keep();
                return Err((failure.to_string(), failure.retryable()));
            }
        };
        metered.keep();
        let counts = (spool.item_count, spool.byte_count, spool.file_count);
        spool.finish().map_err(|e| (e.to_string(), !matches!(e, spool::SpoolError::Protocol(_))))?;
        // In the store before the source's success is recorded: the archive may be built on
        // another replica, which reads it from there.
        self.settings
            .store
            .put_spool(request.id, source, &dir)
            .await
            .map_err(|e| (format!("storing the spool: {e}"), true))?;
        Ok(counts)
    }
}

#[async_trait]
impl JobHandler for ExportSourceJob {
    async fn panicked(&self, job: &ClaimedJob, message: &str) -> JobOutcome {
        crate::fanout::fail_panicked(&self.store, job, message).await
    }

    async fn run(&self, job: &ClaimedJob) -> JobOutcome {
        let (source, request) = match crate::fanout::begin(&self.store, job).await {
            Ok(started) => started,
            Err(outcome) => return outcome,
        };
        // Counted until its end is recorded: a stream of the request's that starts after that
        // reads it from the database.
        let mut metered = self.ledger.start(request.id, source.clone());
        let streamed = self.stream(&request, &source, &mut metered).await;
        // The local spool is in the store now, or partial: either way this replica is done
        // with it.
        let scratch_gone = remove_dir(&self.settings.spool_dir(request.id, &source)).await;
        let (items, bytes, files) = match streamed {
            Ok(counts) => counts,
            Err((message, retryable)) => {
                // What a failed attempt spooled is partial: no archive reads it, and a retry
                // starts a fresh spool anyway. It goes now, not when a retry (which may never
                // come) replaces it: the local copy above, and whatever an upload cut short
                // left in the store.
                let stored_gone = match self.settings.store.delete_request(request.id, &spool_part(&source)).await {
                    Ok(_) => true,
                    Err(err) => {
                        tracing::warn!(request_id = %request.id, error = %err, "removing a failed spool from the store failed");
                        false
                    }
                };
                if scratch_gone && stored_gone {
                    metered.discard();
                }
                let outcome = crate::fanout::fail(&self.store, job, &request, &source, &message, retryable).await;
                self.reclaim_if_failed(request.id).await;
                return outcome;
            }
        };
        let outcome =
            SourceOutcome::Succeeded { items, bytes, summary: format!("{items} items, {files} files, {bytes} bytes") };
        let recorded = self
            .store
            .modify_run(job.request_id, &source, move |request, source| {
                let (events, next) = request.source_finished(source, outcome, crate::domain::now())?;
                let mut change = Change::new(next == Next::Failed);
                change.events = events;
                if next == Next::Finish {
                    change = change.job(NewJob::assemble_export(request.id));
                }
                Ok(change)
            })
            .await;
        match recorded {
            Ok(request_failed) => {
                if request_failed {
                    self.reclaim_if_failed(job.request_id).await;
                }
                JobOutcome::done()
            }
            Err(Error::NotFound(_)) => {
                // Deleted while this source streamed: its spool must not outlive it.
                let _ = self.settings.store.delete_request(job.request_id, "").await;
                JobOutcome::done()
            }
            Err(err) => {
                // A request that failed meanwhile (another source) reads no spool.
                self.reclaim_if_failed(job.request_id).await;
                JobOutcome::failed(err.to_string(), true)
            }
        }
    }
}

/// A source's spool in the store, as a part of its request (see [`Objects::delete_request`]).
fn spool_part(source: &SourceName) -> String {
    format!("sources/{}", source.as_str())
}

impl ExportSourceJob {
    async fn reclaim_if_failed(&self, id: RequestId) {
        reclaim_failed_spools(&self.store, &self.settings, id).await;
    }
}

/// Removes every spool of a request from the store if it is FAILED: processing it again
/// exports all of its sources afresh (`PrivacyRequest::start_processing`), so nothing stored
/// waits for it. Run when a request fails, and at start for a crash before that. Returns
/// whether it removed any.
///
/// The state is read, then the spools listed and deleted. A request processed again in
/// between is safe in practice: its new round stores a source's spool only once that source
/// has streamed its whole export, long after the few milliseconds this takes; should one be
/// deleted all the same, building the archive fails and is retried, never built without it.
pub async fn reclaim_failed_spools(store: &Store, settings: &ExportSettings, id: RequestId) -> bool {
    if !matches!(store.get_request(id).await, Ok(Some(request)) if request.state == State::Failed) {
        return false;
    }
    match settings.store.delete_request(id, "sources").await {
        Ok(n) => n > 0,
        Err(err) => {
            tracing::warn!(request_id = %id, error = %err, "reclaiming a failed request's spools failed");
            false
        }
    }
}

/// Removes a folder and all in it; true when it is gone (or was never there). A failure is
/// logged: the start-up cleanup tries again.
async fn remove_dir(path: &std::path::Path) -> bool {
    match tokio::fs::remove_dir_all(path).await {
        Ok(()) => true,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => true,
        Err(err) => {
            tracing::warn!(error = %err, "removing a spool failed");
            false
        }
    }
}

/// Builds the archive once every source succeeded, completes the request and queues the
/// "export ready" email.
pub struct AssembleExportJob {
    store: Store,
    templates: Templates,
    settings: Arc<ExportSettings>,
}

impl AssembleExportJob {
    pub fn new(store: Store, templates: Templates, settings: Arc<ExportSettings>) -> Self {
        AssembleExportJob { store, templates, settings }
    }
}

#[async_trait]
impl JobHandler for AssembleExportJob {
    async fn run(&self, job: &ClaimedJob) -> JobOutcome {
        let request = match self.store.get_request(job.request_id).await {
            Ok(Some(request)) if request.state == State::Processing => request,
            Ok(_) => return JobOutcome::done(),
            Err(err) => return JobOutcome::failed(err.to_string(), true),
        };
        // This replica's scratch space for the build: the spools' lists, fetched from the
        // store, and the archive's index. A fresh folder per attempt.
        let work_dir =
            self.settings.scratch_dir(request.id).join(format!("assembly-{}", uuid::Uuid::new_v4().simple()));
        // Each attempt's archive under a key of its own (see `ExportArchive::build`).
        let build = crate::domain::ArchiveBuild::new();
        let built = self.build(&request, &work_dir, build).await;
        let _ = tokio::fs::remove_dir_all(&work_dir).await;
        match built {
            Ok(built) => self.record(&request, build, built).await,
            Err(outcome) => outcome,
        }
    }
}

impl AssembleExportJob {
    /// Records `build`, whole in the store, as `request`'s archive, queues the "export ready"
    /// email, and removes the spools and any other build left unrecorded; or, when the request
    /// moved on while it was built (another attempt recorded its own build first because this
    /// one's job lost its lease, or the request was cancelled, denied or deleted), removes
    /// `build`, which is never served, unless the recorded build drew the same 32 bits.
    async fn record(
        &self,
        request: &PrivacyRequest,
        build: crate::domain::ArchiveBuild,
        built: archive::Built,
    ) -> JobOutcome {
        let now = crate::domain::now();
        let archive = ExportArchive {
            build: Some(build),
            file_name: archive_file_name(request.id),
            size_bytes: built.size_bytes,
            sha256: built.sha256,
            create_time: now,
            expire_time: now + self.settings.archive_ttl,
            delete_time: None,
            download_count: 0,
        };
        let mail_attempts = self.settings.mail_max_attempts;
        let size_bytes = archive.size_bytes;
        let recorded = self
            .store
            .modify(request.id, |request| {
                let events = request.archive_built(archive, now)?;
                let mut change = Change::new(());
                change.events = events;
                Ok(change.job(NewJob::email(request.id, EmailKind::ExportReady, mail_attempts)))
            })
            .await;
        match recorded {
            Ok(_) => {
                self.store.metrics().archive_written(u64::try_from(size_bytes).unwrap_or_default());
                // The archive holds everything now; the spools are copies, and so is any build an
                // earlier attempt left unrecorded.
                if let Err(err) = self.settings.store.delete_request(request.id, "sources").await {
                    tracing::warn!(request_id = %request.id, error = %err, "removing the spools of a built archive failed");
                }
                if let Err(err) = self.settings.store.remove_unrecorded_builds(request.id, Some(build)).await {
                    tracing::warn!(request_id = %request.id, error = %err, "removing unrecorded archive builds failed");
                }
                JobOutcome::done()
            }
            // Not recorded, for good: another attempt recorded its own build first (this one's
            // job lost its lease), or the request was cancelled or deleted meanwhile. This
            // build is never served.
            Err(Error::IllegalTransition { .. } | Error::NotFound(_)) => {
                // Unless the recorded build drew the same 32 bits (then it is this one's bytes).
                let recorded = match self.store.get_request(request.id).await {
                    Ok(found) => found.and_then(|r| r.archive).and_then(|a| a.build),
                    Err(_) => Some(build),
                };
                if recorded != Some(build)
                    && let Err(err) = self.settings.store.delete_archive_build(request.id, build).await
                {
                    tracing::warn!(request_id = %request.id, error = %err, "removing an archive that was not recorded failed");
                }
                JobOutcome::done()
            }
            Err(err) => JobOutcome::failed(err.to_string(), true),
        }
    }

    /// Builds and uploads the archive, from the spools in the store. Returns only once the
    /// archive is whole in the store: recording it is the caller's next step, so a crash at any
    /// point before leaves nothing recorded (and at most an upload that never completed).
    async fn build(
        &self,
        request: &PrivacyRequest,
        work_dir: &std::path::Path,
        build: crate::domain::ArchiveBuild,
    ) -> Result<archive::Built, JobOutcome> {
        let failed = |what: &str, err: &dyn std::fmt::Display| JobOutcome::failed(format!("{what}: {err}"), true);
        crate::private_files::create_dir(work_dir).map_err(|e| failed("creating scratch space", &e))?;
        let mut sources = Vec::new();
        // Skipped sources were not asked and have no spool.
        for (i, run) in request.sources.iter().filter(|r| r.state == crate::domain::SourceState::Succeeded).enumerate()
        {
            let description = match self.store.get_source(&run.source).await {
                Ok(source) => source.map(|s| s.description),
                Err(err) => return Err(failed("reading the source", &err)),
            };
            // Numbered, not named: a folder per source, whatever its name.
            let lists = work_dir.join(format!("spool-{i}"));
            crate::private_files::create_dir(&lists).map_err(|e| failed("creating scratch space", &e))?;
            // A spool an earlier privacyd stored, before an upgrade: made current first.
            let modified = archive::zip_time(crate::domain::now()).into();
            let upgrade = work_dir.join(format!("upgrade-{i}"));
            legacy_spool::upgrade(
                &self.settings.store,
                request.id,
                &run.source,
                &upgrade,
                self.settings.method(),
                modified,
            )
            .await
            .map_err(|e| failed("rewriting a spool of an earlier privacyd", &format!("{e:#}")))?;
            for name in ["items.jsonl", "files.jsonl"] {
                self.settings
                    .store
                    .fetch_spool_list(request.id, &run.source, name, &lists.join(name))
                    .await
                    .map_err(|e| failed("reading a spool", &e))?;
            }
            // Absent from spools an earlier privacyd stored: their items are indexed by reading them.
            self.settings
                .store
                .fetch_optional_spool_list(request.id, &run.source, stretches::INDEX, &lists.join(stretches::INDEX))
                .await
                .map_err(|e| failed("reading a spool", &e))?;
            sources.push(archive::SourcePart {
                name: run.source.to_string(),
                source: run.source.clone(),
                description,
                spool: lists,
            });
        }
        let templates = self.templates.clone();
        let settings = self.settings.clone();
        let building = request.clone();
        let index_dir = work_dir.join("index");
        let built = tokio::task::spawn_blocking(move || {
            archive::build(archive::ArchiveJob {
                request: &building,
                organization: &settings.organization,
                templates: &templates,
                sources,
                work_dir: index_dir,
                build,
                store: &settings.store,
                compression: settings.compression,
            })
        })
        .await;
        match built {
            Ok(Ok(built)) => Ok(built),
            Ok(Err(err)) => Err(JobOutcome::failed(format!("building the archive: {err:#}"), true)),
            Err(err) => Err(JobOutcome::failed(format!("building the archive panicked: {err}"), false)),
        }
    }
}

/// Registers the export jobs on an executor.
pub fn register(
    executor: &mut crate::executor::Executor,
    store: &Store,
    templates: &Templates,
    settings: Arc<ExportSettings>,
    quotas: ExportQuotas,
) {
    executor.register(JobKind::ExportSource, Arc::new(ExportSourceJob::new(store.clone(), settings.clone(), quotas)));
    executor.register(
        JobKind::AssembleExport,
        Arc::new(AssembleExportJob::new(store.clone(), templates.clone(), settings)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{Action, Actor, ArchiveBuild, SourceOutcome, Subject, SubjectEmail, Transition},
        export::rules::tests::{chunk, item},
        export::spool::Spool,
        objects::StoreLocation,
    };

    /// An export whose one source, `shop`, succeeded, its spool in the store: what an assembly
    /// job finds. Returns the job, the request, and the store's folder.
    async fn ready_to_assemble(dir: &std::path::Path) -> (AssembleExportJob, PrivacyRequest, std::path::PathBuf) {
        let store = Store::connect(&format!("sqlite://{}/privacyd.db", dir.display()), 2).await.unwrap();
        let root = dir.join("exports");
        let objects = Objects::open(&StoreLocation::File(root.clone()), &[]).unwrap();
        let settings = Arc::new(ExportSettings {
            store: objects.clone(),
            scratch: dir.join("scratch"),
            archive_ttl: chrono::Duration::hours(1),
            compression: Compression::Stored,
            organization: "Example Org".into(),
            source_max_attempts: 3,
            mail_max_attempts: 3,
        });
        let job = AssembleExportJob::new(store.clone(), Templates::load(None).unwrap(), settings);
        let subject = Subject { email: SubjectEmail::parse("jane@example.com").unwrap(), user_id: None };
        let now = crate::domain::now();
        let (request, event) = PrivacyRequest::new(subject, Action::Export, false, Actor::Subject, now);
        store.create_request(&request, &event, &[], None).await.unwrap();
        let shop = SourceName::parse("shop").unwrap();
        let spool_dir = dir.join("spool");
        let mut spool =
            Spool::create(&spool_dir, "shop", zip_layout::Method::Stored, archive::zip_time(now).into()).unwrap();
        spool.add(item("orders", "order-1")).unwrap();
        spool.add(chunk("receipt.txt", b"a receipt", 0, true)).unwrap();
        spool.finish().unwrap();
        objects.put_spool(request.id, &shop, &spool_dir).await.unwrap();
        let (request, ()) = store
            .modify(request.id, |request| {
                request.start_processing(Actor::Subject, vec![(shop.clone(), None)], now)?;
                request.source_started(&shop, 1, now)?;
                let outcome = SourceOutcome::Succeeded { items: 1, bytes: 9, summary: String::new() };
                let (events, _) = request.source_finished(&shop, outcome, now)?;
                let mut change = Change::new(());
                change.events = events;
                Ok(change)
            })
            .await
            .unwrap();
        (job, request, root)
    }

    /// A build's folder in the file store: `<request id>/<build>/`.
    fn build_dir(root: &std::path::Path, request: &PrivacyRequest, build: ArchiveBuild) -> std::path::PathBuf {
        root.join(request.id.to_string()).join(build.to_string())
    }

    /// An attempt that built its archive and then lost its lease (its replica paused) finds
    /// another attempt's build recorded: its recording is refused, nothing it built stays (the
    /// recorded attempt removed it as unrecorded; that the refused attempt removes its own is
    /// the next test's), and the recorded archive is still the bytes whose SHA-256 was
    /// recorded.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stale_assembly_leaves_the_recorded_build_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (job, request, root) = ready_to_assemble(dir.path()).await;
        let stale = ArchiveBuild::new();
        let Ok(built) = job.build(&request, &dir.path().join("stale"), stale).await else {
            panic!("the stale build failed")
        };
        assert!(build_dir(&root, &request, stale).exists());

        let claimed = ClaimedJob {
            id: "assemble".into(),
            kind: JobKind::AssembleExport,
            request_id: request.id,
            payload: serde_json::Value::Null,
            attempts: 2,
            max_attempts: 3,
            trace_context: None,
        };
        assert!(job.run(&claimed).await.result.is_ok());
        assert!(!build_dir(&root, &request, stale).exists(), "the recorded attempt removed the unrecorded build");
        let completed = job.store.get_request(request.id).await.unwrap().unwrap();
        assert_eq!(completed.state, State::Completed);
        let recorded = completed.archive.expect("an archive recorded");
        let current = recorded.build.expect("a build recorded");
        assert_ne!(current, stale);

        assert!(job.record(&request, stale, built).await.result.is_ok(), "refused for good, not retried");
        assert!(!build_dir(&root, &request, stale).exists(), "the stale build is gone");
        let after = job.store.get_request(request.id).await.unwrap().unwrap().archive.unwrap();
        assert_eq!((after.build, &after.sha256), (Some(current), &recorded.sha256), "the record is unchanged");
        let bytes = job.settings.store.read_archive_bytes(request.id, Some(current), recorded.size_bytes as u64).await;
        assert_eq!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)), recorded.sha256);
        let names: Vec<String> = std::fs::read_dir(root.join(request.id.to_string()))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [current.to_string()], "only the recorded build is kept");

        // A refused attempt that drew the recorded build's 32 bits leaves it alone: it is the
        // archive that is served.
        let same = archive::Built { size_bytes: recorded.size_bytes, sha256: recorded.sha256.clone() };
        assert!(job.record(&request, current, same).await.result.is_ok());
        let bytes = job.settings.store.read_archive_bytes(request.id, Some(current), recorded.size_bytes as u64).await;
        assert_eq!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)), recorded.sha256);
    }

    /// The request is cancelled after its archive is built and before it is recorded: the
    /// recording is refused, and the build that would have been its archive is removed by the
    /// attempt itself.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_assembly_refused_by_a_cancelled_request_removes_its_build() {
        let dir = tempfile::tempdir().unwrap();
        let (job, request, root) = ready_to_assemble(dir.path()).await;
        let build = ArchiveBuild::new();
        let Ok(built) = job.build(&request, &dir.path().join("work"), build).await else { panic!("the build failed") };
        assert!(build_dir(&root, &request, build).exists());
        job.store
            .modify(request.id, |request| {
                let reason = crate::domain::Reason::parse("reason", "withdrawn")?;
                let event = request.apply(Transition::Cancel, Actor::Subject, Some(&reason), crate::domain::now())?;
                let mut change = Change::new(());
                change.events.push(event);
                Ok(change)
            })
            .await
            .unwrap();

        assert!(job.record(&request, build, built).await.result.is_ok(), "refused for good, not retried");
        assert!(!build_dir(&root, &request, build).exists(), "the refused build is removed");
        let cancelled = job.store.get_request(request.id).await.unwrap().unwrap();
        assert_eq!((cancelled.state, cancelled.archive.is_none()), (State::Cancelled, true));
    }
}
