//! The request workflow: each public operation on privacy requests, as the gRPC and HTTP
//! layers call it. It turns validated input into domain calls and store transactions, and
//! decides which emails go out; it knows nothing of transports.

use std::{sync::Arc, time::Duration};

use sha2::{Digest, Sha256};
use tokio::sync::{Notify, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use crate::{
    domain::{
        Action, Actor, AuditEvent, AuditEventType, Capability, ConfirmOutcome, EmailKind, Error, ExportArchive,
        IdempotencyKey, NewAuditEvent, PageSize, PrivacyRequest, Reason, RequestId, SecretToken, SourceName, State,
        Subject, Transition,
    },
    export::ExportSettings,
    page_token,
    shutdown::Shutdown,
    store::{Change, CreateOutcome, JobKind, ListFilter, NewJob, RequestCursor, Store},
};

/// Settings the workflow needs.
#[derive(Debug, Clone)]
pub struct WorkflowSettings {
    /// How many times an email is tried before it is marked failed.
    pub mail_max_attempts: i32,
    /// Whether an admin address is configured for "the subject confirmed" emails.
    pub notify_admin: bool,
    /// How often a watch looks for changes made by other replicas.
    pub watch_poll: Duration,
    /// Start processing as soon as a request is confirmed.
    pub auto_process: bool,
    /// Where exports live, and how many calls a source gets.
    pub export: Arc<ExportSettings>,
}

/// Who asks for an export archive.
pub enum DownloadCredential {
    /// An operator, already authenticated.
    Admin(Actor),
    /// The subject, with the token from the "export ready" email.
    Token(String),
}

/// An archive ready to be read.
pub struct Download {
    pub archive: ExportArchive,
    pub path: std::path::PathBuf,
}

/// A create request, validated.
#[derive(Debug, Clone)]
pub struct CreateInput {
    pub subject: Subject,
    pub action: Action,
    pub send_confirmation: bool,
    pub idempotency_key: Option<IdempotencyKey>,
}

/// One message of a watch: the request after an event (no event for the first message), or
/// `None` for the request once it has been deleted.
pub type WatchItem = Result<(Option<PrivacyRequest>, Option<AuditEvent>), Error>;

#[derive(Clone)]
pub struct Workflow {
    store: Store,
    settings: Arc<WorkflowSettings>,
    executor: Arc<Notify>,
    shutdown: Shutdown,
}

impl Workflow {
    pub fn new(store: Store, settings: WorkflowSettings, executor: Arc<Notify>, shutdown: Shutdown) -> Self {
        Workflow { store, settings: Arc::new(settings), executor, shutdown }
    }

    fn email(&self, request: &PrivacyRequest, kind: EmailKind) -> NewJob {
        NewJob::email(request.id, kind, self.settings.mail_max_attempts)
    }

    pub async fn create(&self, actor: Actor, input: CreateInput) -> Result<PrivacyRequest, Error> {
        let now = crate::domain::now();
        let (request, event) =
            PrivacyRequest::new(input.subject.clone(), input.action, input.send_confirmation, actor, now);
        let jobs: Vec<NewJob> = if input.send_confirmation {
            vec![self.email(&request, EmailKind::ConfirmationRequest)]
        } else {
            Vec::new()
        };
        let digest = create_digest(&input);
        let idempotency = input.idempotency_key.as_ref().map(|k| (k, digest.as_str()));
        match self.store.create_request(&request, &event, &jobs, idempotency).await? {
            CreateOutcome::Created(created) => {
                self.executor.notify_one();
                if created.state == State::Confirmed && self.settings.auto_process {
                    return self.process(Actor::system("auto-process"), created.id).await;
                }
                Ok(created)
            }
            CreateOutcome::Replayed(existing) => Ok(existing),
        }
    }

    pub async fn get(&self, id: RequestId) -> Result<PrivacyRequest, Error> {
        self.store.get_request(id).await?.ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// A page of requests, newest first, and the token for the next page (empty at the end).
    pub async fn list(
        &self,
        filter: ListFilter,
        page_size: PageSize,
        page_token: &str,
    ) -> Result<(Vec<PrivacyRequest>, String), Error> {
        let digest = page_token::filter_digest(&[
            filter.action.map(Action::as_str).unwrap_or(""),
            filter.state.map(State::as_str).unwrap_or(""),
            filter.subject_email_key.as_deref().unwrap_or(""),
        ]);
        let cursor = page_token::decode::<(i64, String)>(page_token, &digest)?
            .map(|(create_time, id)| {
                RequestId::parse("page_token", &id)
                    .map(|id| RequestCursor { create_time, id })
                    .map_err(|_| Error::InvalidPageToken("it is not a token this server issued"))
            })
            .transpose()?;
        // One extra row says whether there is a next page without a second query.
        let mut requests = self.store.list_requests(&filter, cursor, page_size.get() + 1).await?;
        let next = if requests.len() > page_size.get() as usize {
            requests.truncate(page_size.get() as usize);
            let last = requests.last().expect("page is not empty");
            page_token::encode(&(last.create_time.timestamp_micros(), last.id.to_string()), &digest)
        } else {
            String::new()
        };
        Ok((requests, next))
    }

    /// The subject confirms with the emailed token.
    pub async fn confirm(&self, id: RequestId, token: &str) -> Result<PrivacyRequest, Error> {
        let token = SecretToken::from_presented(token).ok_or(Error::InvalidToken)?;
        let notify_admin = self.settings.notify_admin;
        let result = self
            .store
            .modify(id, |request| {
                let now = crate::domain::now();
                match request.confirm_with(&token, now) {
                    ConfirmOutcome::Confirmed(event) => {
                        let mut change = Change::new(Ok(())).event(event);
                        if notify_admin {
                            change = change.job(self.email(request, EmailKind::AdminConfirmed));
                        }
                        Ok(change)
                    }
                    // Record the expiry, then tell the caller.
                    ConfirmOutcome::Expired(event) => Ok(Change::new(Err(Error::TokenExpired)).event(event)),
                    ConfirmOutcome::Rejected(err) => Err(err),
                }
            })
            .await;
        match result {
            Ok((request, Ok(()))) => {
                self.executor.notify_one();
                if self.settings.auto_process {
                    return self.process(Actor::system("auto-process"), request.id).await;
                }
                Ok(request)
            }
            Ok((_, Err(err))) => Err(err),
            // The public endpoint does not say whether an id exists.
            Err(Error::NotFound(_)) => Err(Error::InvalidToken),
            Err(err) => Err(err),
        }
    }

    /// Emails a new confirmation link; the old one stops working at once.
    pub async fn resend_confirmation(&self, actor: Actor, id: RequestId) -> Result<PrivacyRequest, Error> {
        let (request, ()) = self
            .store
            .modify(id, |request| {
                if request.state != State::Pending {
                    return Err(Error::IllegalTransition {
                        state: request.state,
                        attempted: "resend the confirmation of",
                    });
                }
                let now = crate::domain::now();
                request.token_hash = None;
                request.token_expire_time = None;
                request.update_time = now;
                let event = NewAuditEvent::new(request.id, actor, AuditEventType::ConfirmationResent, now)
                    .with_email(EmailKind::ConfirmationRequest);
                Ok(Change::new(()).event(event).job(self.email(request, EmailKind::ConfirmationRequest)))
            })
            .await?;
        self.executor.notify_one();
        Ok(request)
    }

    /// Process, complete, deny or cancel.
    pub async fn transition(
        &self,
        actor: Actor,
        id: RequestId,
        transition: Transition,
        reason: Option<Reason>,
    ) -> Result<PrivacyRequest, Error> {
        let (request, ()) = self
            .store
            .modify(id, |request| {
                let event = request.apply(transition, actor, reason.as_ref(), crate::domain::now())?;
                Ok(Change::new(()).event(event))
            })
            .await?;
        if request.state.is_final() {
            // Spooled source data is only kept for processing; a finished request needs none.
            self.remove_export_files(id, "sources").await;
        }
        Ok(request)
    }

    /// Removes a request's files under the export folder (`part` of it, or all with "").
    async fn remove_export_files(&self, id: RequestId, part: &str) {
        let path = self.settings.export.request_dir(id).join(part);
        match tokio::fs::remove_dir_all(&path).await {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => tracing::warn!(request_id = %id, error = %err, "removing export files failed"),
        }
    }

    /// CONFIRMED or FAILED -> PROCESSING, and the work it starts: for an export, one job per
    /// enabled, export-capable source (only those that did not succeed, when processing
    /// again), then the archive.
    pub async fn process(&self, actor: Actor, id: RequestId) -> Result<PrivacyRequest, Error> {
        let request = self.get(id).await?;
        if request.action != Action::Export {
            // Erasures are driven by their own pipeline (not yet built): processing records
            // that work has started, and an operator completes the request.
            return self.transition(actor, id, Transition::Process, None).await;
        }
        let available: Vec<SourceName> = self
            .store
            .all_sources()
            .await?
            .into_iter()
            .filter(|s| s.enabled && s.description.supports(Capability::Export))
            .map(|s| s.name)
            .collect();
        let attempts = self.settings.export.source_max_attempts;
        let (request, ()) = self
            .store
            .modify(id, |request| {
                let (event, to_run) = request.start_processing(actor, available, crate::domain::now())?;
                let mut change = Change::new(()).event(event);
                for source in &to_run {
                    change = change.job(NewJob::for_source(JobKind::ExportSource, request.id, source, attempts));
                }
                if to_run.is_empty() {
                    // Nothing (left) to export: build the archive from what there is.
                    change = change.job(NewJob::assemble_export(request.id));
                }
                Ok(change)
            })
            .await?;
        self.executor.notify_one();
        Ok(request)
    }

    /// Opens a completed export's archive for download, and records the download.
    pub async fn open_download(&self, id: RequestId, credential: DownloadCredential) -> Result<Download, Error> {
        let actor = match credential {
            DownloadCredential::Admin(actor) => actor,
            DownloadCredential::Token(raw) => {
                let token = SecretToken::from_presented(&raw).ok_or(Error::InvalidToken)?;
                let hash = self.store.download_token(id).await?.ok_or(Error::InvalidToken)?;
                if !hash.matches(&token) {
                    return Err(Error::InvalidToken);
                }
                Actor::Subject
            }
        };
        let (_, archive) = self
            .store
            .modify(id, |request| {
                let now = crate::domain::now();
                let state = request.state;
                let archive = request.archive.as_mut().ok_or(Error::ArchiveNotReady(state))?;
                if archive.delete_time.is_some() || archive.expire_time <= now {
                    return Err(Error::ArchiveExpired);
                }
                archive.download_count += 1;
                let archive = archive.clone();
                let event = NewAuditEvent::new(request.id, actor, AuditEventType::ArchiveDownloaded, now)
                    .with_detail(format!("download {}", archive.download_count));
                Ok(Change::new(archive).event(event))
            })
            .await?;
        Ok(Download { archive, path: self.settings.export.archive_path(id) })
    }

    /// Deletes archives whose time ran out; the request keeps the record. Returns how many.
    pub async fn delete_expired_archives(&self) -> Result<usize, Error> {
        let mut deleted = 0;
        loop {
            let ids = self.store.expired_archives(crate::domain::now(), 100).await?;
            for &id in &ids {
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
                if let Ok((_, true)) = result {
                    // After the commit: a crash in between leaves a file to delete by hand,
                    // never a record of a deletion that did not happen.
                    self.remove_export_files(id, "").await;
                    deleted += 1;
                }
            }
            if ids.len() < 100 {
                return Ok(deleted);
            }
        }
    }

    /// Deletes a finished request with the personal data it holds, in the database and on
    /// disk (spools and archive).
    pub async fn delete(&self, actor: Actor, id: RequestId) -> Result<(), Error> {
        self.store.delete_request(id, actor, crate::domain::now()).await?;
        self.remove_export_files(id, "").await;
        Ok(())
    }

    pub async fn extend_deadline(
        &self,
        actor: Actor,
        id: RequestId,
        days: i32,
        reason: Reason,
    ) -> Result<PrivacyRequest, Error> {
        let (request, ()) = self
            .store
            .modify(id, |request| {
                let event = request.extend_deadline(days, &reason, actor, crate::domain::now())?;
                Ok(Change::new(()).event(event).job(self.email(request, EmailKind::DeadlineExtended)))
            })
            .await?;
        self.executor.notify_one();
        Ok(request)
    }

    /// A page of audit events, oldest first.
    pub async fn audit_events(
        &self,
        request_id: Option<RequestId>,
        page_size: PageSize,
        page_token: &str,
    ) -> Result<(Vec<AuditEvent>, String), Error> {
        let filter = request_id.map(|id| id.to_string()).unwrap_or_default();
        let digest = page_token::filter_digest(&[&filter]);
        let after = page_token::decode::<i64>(page_token, &digest)?;
        let mut events = self.store.list_audit_events(request_id, after, page_size.get() + 1).await?;
        let next = if events.len() > page_size.get() as usize {
            events.truncate(page_size.get() as usize);
            page_token::encode(&events.last().expect("page is not empty").sequence, &digest)
        } else {
            String::new()
        };
        Ok((events, next))
    }

    /// Moves PENDING requests whose confirmation expired to EXPIRED. Returns how many.
    pub async fn expire_overdue(&self) -> Result<usize, Error> {
        const BATCH: u32 = 100;
        let reason = Reason::parse("reason", "the subject did not confirm before the link expired").expect("valid");
        let mut expired = 0;
        loop {
            let now = crate::domain::now();
            let ids = self.store.pending_expired(now, BATCH).await?;
            for &id in &ids {
                let result = self
                    .store
                    .modify(id, |request| {
                        let event = request.apply(Transition::Expire, Actor::system("sweeper"), Some(&reason), now)?;
                        Ok(Change::new(()).event(event))
                    })
                    .await;
                match result {
                    Ok(_) => expired += 1,
                    // Confirmed, cancelled or expired by someone else meanwhile.
                    Err(Error::IllegalTransition { .. } | Error::NotFound(_)) => {}
                    Err(err) => return Err(err),
                }
            }
            if ids.len() < BATCH as usize {
                return Ok(expired);
            }
        }
    }

    /// Streams the request now, then after every audit event, until it is final, deleted, the
    /// receiver goes away, or privacyd shuts down.
    pub async fn watch(&self, id: RequestId) -> Result<ReceiverStream<WatchItem>, Error> {
        // Sequence first, snapshot second: an event between the two is sent again rather than
        // lost.
        let mut last = self.store.last_audit_sequence(id).await?;
        let request = self.get(id).await?;
        let (tx, rx) = mpsc::channel(16);
        let store = self.store.clone();
        let poll = self.settings.watch_poll;
        let mut shutdown = self.shutdown.clone();
        let mut changes = store.subscribe();
        tokio::spawn(async move {
            let mut finished = request.state.is_final();
            let mut seen_update = request.update_time;
            if tx.send(Ok((Some(request), None))).await.is_err() {
                return;
            }
            while !finished {
                tokio::select! {
                    _ = tx.closed() => return,
                    _ = shutdown.wait() => return,
                    _ = tokio::time::sleep(poll) => {}
                    changed = changes.recv() => match changed {
                        Ok(changed) if changed != id => continue,
                        _ => {}
                    },
                }
                let events = match store.list_audit_events(Some(id), Some(last), 100).await {
                    Ok(events) => events,
                    Err(err) => {
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                };
                if events.is_empty() {
                    // No event, but the request may have changed (progress of a running
                    // source): send a snapshot when it did.
                    match store.get_request(id).await {
                        Ok(Some(current)) if current.update_time > seen_update => {
                            seen_update = current.update_time;
                            if tx.send(Ok((Some(current), None))).await.is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        Err(err) => {
                            let _ = tx.send(Err(err)).await;
                            return;
                        }
                    }
                    continue;
                }
                for event in events {
                    last = event.sequence;
                    let current = match store.get_request(id).await {
                        Ok(current) => current,
                        Err(err) => {
                            let _ = tx.send(Err(err)).await;
                            return;
                        }
                    };
                    // Decided by the events, not the snapshot: the snapshot may already show
                    // a final state whose events this loop has not sent yet.
                    finished = event.event.to_state.is_some_and(State::is_final)
                        || event.event.event_type == AuditEventType::Deleted;
                    if let Some(current) = &current {
                        seen_update = current.update_time;
                    }
                    if tx.send(Ok((current, Some(event)))).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(ReceiverStream::new(rx))
    }
}

/// What makes two creates with one `request_id` "the same request" (AIP-155).
fn create_digest(input: &CreateInput) -> String {
    let mut hasher = Sha256::new();
    for part in [
        input.subject.email.key().as_str(),
        input.subject.user_id.as_ref().map(|u| u.as_str()).unwrap_or(""),
        input.action.as_str(),
        if input.send_confirmation { "confirm" } else { "confirmed" },
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}
