//! The request workflow: each public operation on privacy requests, as the gRPC and HTTP
//! layers call it. It turns validated input into domain calls and store transactions, and
//! decides which emails go out; it knows nothing of transports.

use std::{sync::Arc, time::Duration};

use sha2::{Digest, Sha256};
use tokio::sync::Notify;

mod batch;
mod erasure;
mod files;
mod listing;
mod next_step;
mod processing;
mod request_page;
mod retention;
mod self_service;
mod watch;
mod watchers;

pub use batch::{BatchOperation, BatchOutcome, MAX_BATCH};
pub use next_step::NextStep;
pub use processing::{Download, DownloadCredential};
pub use request_page::RequestPage;
pub use retention::{RetentionPolicy, RetentionSweep};
pub use self_service::{RetainedData, SELF_SERVICE_WINDOW, SelfServiceOutcome, SubjectStatus};
pub use watch::Watch;
pub use watchers::WatchLimits;

use crate::{
    domain::{
        Action, Actor, AuditEvent, AuditEventType, ConfirmOutcome, Credential, EmailKind, Error, IdempotencyKey,
        NewAuditEvent, PageSize, PrivacyRequest, Reason, RegistryEvent, RequestId, SecretToken, SourceName, State,
        Subject, Timestamp, TokenHash, Transition,
    },
    erasure::ErasureSettings,
    export::ExportSettings,
    page_token,
    shutdown::Shutdown,
    store::{Change, CreateOutcome, NewJob, Store},
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
    /// Cooling-off, verification and attempts for erasures.
    pub erasure: Arc<ErasureSettings>,
    /// The outbox folder, when emails go there rather than to SMTP: a deleted request's
    /// emails are removed from it.
    pub outbox: Option<std::path::PathBuf>,
    /// The executor's job lease: the longest a cancelled job can go on running somewhere
    /// before its lease lapses.
    pub job_lease: Duration,
}

/// What the page behind an emailed confirmation link shows; see
/// [`Workflow::preview_confirmation`].
#[derive(Debug)]
pub struct ConfirmationPreview {
    pub request: PrivacyRequest,
    /// What pressing the button would answer: `Ok` if it confirms, otherwise the error it
    /// would give (`TokenUsed`, `TokenExpired`, `IllegalTransition`).
    pub would: Result<(), Error>,
    /// Whether confirming starts the work at once (`--auto-process`).
    pub auto_process: bool,
    /// For an erasure: the cooling-off period it waits after confirmation, if there is one.
    pub erase_delay: Option<chrono::Duration>,
    /// For a confirmed erasure in its cooling-off period: when it ends, the last moment it can
    /// be withdrawn.
    pub withdraw_until: Option<Timestamp>,
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
    watchers: watchers::Watchers,
}

impl Workflow {
    /// A workflow whose watches have the default [`WatchLimits`].
    pub fn new(store: Store, settings: WorkflowSettings, executor: Arc<Notify>, shutdown: Shutdown) -> Self {
        let watchers =
            watchers::Watchers::new(store.clone(), settings.watch_poll, shutdown.clone(), WatchLimits::default());
        Workflow { store, settings: Arc::new(settings), executor, shutdown, watchers }
    }

    /// The same workflow with other limits on its watches. Call before serving: watches
    /// already open are forgotten by the new limits.
    pub fn with_watch_limits(mut self, limits: WatchLimits) -> Self {
        self.watchers =
            watchers::Watchers::new(self.store.clone(), self.settings.watch_poll, self.shutdown.clone(), limits);
        self
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
                    return self.process_automatically(Actor::system("auto-process"), created.id).await;
                }
                Ok(created)
            }
            CreateOutcome::Replayed(existing) => Ok(existing),
        }
    }

    pub async fn get(&self, id: RequestId) -> Result<PrivacyRequest, Error> {
        self.store.get_request(id).await?.ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// Checks a presented confirmation token before anything else about the request is read
    /// or locked. An unknown id and a wrong token take the same path (one primary-key lookup
    /// that takes no lock, one constant-time comparison) and get the same error,
    /// `InvalidToken`, so neither the answer nor its timing says whether an id exists; and a
    /// guess never waits for, or holds, a request's write lock.
    pub(super) async fn check_confirmation_token(&self, id: RequestId, raw: &str) -> Result<SecretToken, Error> {
        let token = SecretToken::from_presented(raw).ok_or(Error::InvalidToken(Credential::ConfirmationToken))?;
        let stored = self.store.confirmation_token(id).await?;
        if !TokenHash::verify(stored, &token) {
            return Err(Error::InvalidToken(Credential::ConfirmationToken));
        }
        Ok(token)
    }

    /// What the page behind the emailed link shows before the subject presses its button: the
    /// request, and what confirming would do. Changes nothing (a GET of the link, which mail
    /// scanners and link previews send, must not confirm: RFC 9110 §9.2.1).
    pub async fn preview_confirmation(&self, id: RequestId, token: &str) -> Result<ConfirmationPreview, Error> {
        let token = self.check_confirmation_token(id, token).await?;
        // Deleted since the check: as unknown.
        let request = self.store.get_request(id).await?.ok_or(Error::InvalidToken(Credential::ConfirmationToken))?;
        let would = match request.check_confirmation(&token, crate::domain::now()) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::TokenExpired),
            Err(err) => Err(err),
        };
        let delay = self.settings.erasure.delay;
        Ok(ConfirmationPreview {
            withdraw_until: self.withdrawable_until(&request),
            would,
            auto_process: self.settings.auto_process,
            erase_delay: (request.action == Action::Erase && delay > chrono::Duration::zero()).then_some(delay),
            request,
        })
    }

    /// The subject confirms with the emailed token.
    pub async fn confirm(&self, id: RequestId, token: &str) -> Result<PrivacyRequest, Error> {
        let token = self.check_confirmation_token(id, token).await?;
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
                    return self.process_automatically(Actor::system("auto-process"), request.id).await;
                }
                Ok(request)
            }
            Ok((_, Err(err))) => Err(err),
            // The public endpoint does not say whether an id exists.
            Err(Error::NotFound(_)) => Err(Error::InvalidToken(Credential::ConfirmationToken)),
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
        let (request, stopped) = self
            .store
            .modify(id, |request| {
                let now = crate::domain::now();
                // Cancelling (or denying) a request in PROCESSING stops its running work. The
                // sources' end comes first in the log: a watch ends at the request's own event.
                let stopping = request.state == State::Processing
                    && matches!(transition, Transition::Cancel | Transition::Deny)
                    && transition.apply(request.state).is_some();
                let mut change = Change::new(stopping);
                if stopping {
                    for event in request.stop_sources(&actor, now) {
                        change = change.event(event);
                    }
                    change = change.stop_work();
                }
                change = change.event(request.apply(transition, actor, reason.as_ref(), now)?);
                // GDPR Art. 12(4): the subject is told why, by email as every other step.
                Ok(match transition {
                    Transition::Deny => change.job(self.email(request, EmailKind::RequestDenied)),
                    _ => change,
                })
            })
            .await?;
        if transition == Transition::Deny {
            self.executor.notify_one();
        }
        if stopped {
            // Its jobs may still be writing spools, here or on another replica, until they
            // notice (within a poll interval): remove the files once they have let go.
            let this = self.clone();
            tokio::spawn(async move {
                this.await_stopped_jobs(id).await;
                this.remove_export_files(id, "sources").await;
            });
        } else if request.state.is_final() {
            // Spooled source data is only kept for processing; a finished request needs none.
            self.remove_export_files(id, "sources").await;
        }
        Ok(request)
    }

    /// Waits until no cancelled job of `id` is still running on any replica, polling the
    /// database; at most a lease (60 s by default), after which a job that has not let go
    /// belongs to a replica that died, and its lease lapses.
    async fn await_stopped_jobs(&self, id: RequestId) {
        let until = tokio::time::Instant::now() + self.settings.job_lease;
        while tokio::time::Instant::now() < until {
            match self.store.cancelled_jobs_running(id, crate::domain::now()).await {
                Ok(0) => return,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(request_id = %id, error = %err, "checking a cancelled request's jobs failed")
                }
            }
            tokio::time::sleep(self.settings.watch_poll.min(Duration::from_millis(200))).await;
        }
    }

    /// Deletes a finished request with the personal data it holds, in the database (with
    /// SQLite's `secure_delete` and a truncating checkpoint, so the rows do not linger in freed
    /// pages or the write-ahead log) and on disk (spools, archive, and its emails in the
    /// outbox).
    pub async fn delete(&self, actor: Actor, id: RequestId) -> Result<(), Error> {
        self.store.delete_request(id, actor, crate::domain::now()).await?;
        self.remove_export_files(id, "").await;
        self.remove_outbox_emails(id).await;
        Ok(())
    }

    /// Removes a request's emails from the outbox folder, when emails go there: they hold the
    /// subject's address. A failure is logged; the files are the operator's to remove then.
    async fn remove_outbox_emails(&self, id: RequestId) {
        if let Some(outbox) = self.settings.outbox.clone() {
            let removed = tokio::task::spawn_blocking(move || crate::mail::remove_outbox_files(&outbox, id)).await;
            if let Ok(Err(err)) | Err(err) = removed.map_err(std::io::Error::other) {
                tracing::warn!(request_id = %id, error = %err, "removing the request's emails from the outbox failed");
            }
        }
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

    /// A page of data source registry events, oldest first, optionally for one source.
    pub async fn registry_events(
        &self,
        source: Option<SourceName>,
        page_size: PageSize,
        page_token: &str,
    ) -> Result<(Vec<RegistryEvent>, String), Error> {
        // The subject is part of the digest, so a request events token is refused here.
        let filter = source.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default();
        let digest = page_token::filter_digest(&["data_source", &filter]);
        let after = page_token::decode::<i64>(page_token, &digest)?;
        let mut events = self.store.list_registry_events(source.as_ref(), after, page_size.get() + 1).await?;
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
