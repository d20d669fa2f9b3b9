//! The email job: renders and sends one email about a request, and reports the outcome for
//! the audit log. Runs on the executor, so sends survive restarts and are retried.

use std::sync::Arc;

use async_trait::async_trait;
use lettre::message::Mailbox;
use minijinja::context;

use crate::{
    domain::{
        Action, Actor, AuditEventType, EmailKind, Error, NewAuditEvent, PrivacyRequest, SecretToken, State, Timestamp,
    },
    executor::{JobError, JobHandler, JobOutcome},
    mail::Mailer,
    store::{Change, ClaimedJob, NewJob, Store},
    templates::Templates,
};

/// What the email job needs besides the store.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// Public base URL of privacyd's HTTP endpoint, for links.
    pub public_url: String,
    /// The organisation's name, for the emails.
    pub organization: String,
    /// How long a confirmation link works.
    pub confirmation_ttl: chrono::Duration,
    /// Where "the subject confirmed" emails go.
    pub admin: Option<Mailbox>,
    /// Whether confirmed requests start on their own (`--auto-process`): the admin's email
    /// may be sent before processing has started, and must still say what will happen.
    pub auto_process: bool,
}

pub struct EmailJob {
    store: Store,
    mailer: Mailer,
    templates: Templates,
    settings: Arc<EmailSettings>,
}

impl EmailJob {
    pub fn new(store: Store, mailer: Mailer, templates: Templates, settings: EmailSettings) -> Self {
        EmailJob { store, mailer, templates, settings: Arc::new(settings) }
    }

    /// The recipient and the template context, or `None` when the email no longer makes sense
    /// (a confirmation for a request that was cancelled meanwhile).
    async fn prepare(&self, job: &ClaimedJob, kind: EmailKind) -> Result<Option<(Mailbox, minijinja::Value)>, Error> {
        let subject_mailbox = |request: &PrivacyRequest| -> Result<Mailbox, Error> {
            request
                .subject
                .known()?
                .email
                .mailbox()
                .map_err(|_| Error::Internal("stored subject email is not a mailbox".into()))
        };
        match kind {
            EmailKind::ConfirmationRequest => {
                // The token is made here, right before sending, and only its hash is written:
                // a retry makes a new one, so no plaintext token is ever stored.
                let ttl = self.settings.confirmation_ttl;
                let (request, token) = self
                    .store
                    .modify(job.request_id, |request| {
                        if request.state != State::Pending {
                            return Ok(Change::new(None));
                        }
                        Ok(Change::new(Some(request.issue_token(ttl, crate::domain::now()))))
                    })
                    .await?;
                let Some(token) = token else { return Ok(None) };
                let url = format!(
                    "{}/confirm?id={}&token={}",
                    self.settings.public_url.trim_end_matches('/'),
                    request.id,
                    token.expose()
                );
                let ctx = context! {
                    confirm_url => url,
                    expire_time => request.token_expire_time.map(format_time),
                    ..self.base_context(&request)
                };
                Ok(Some((subject_mailbox(&request)?, ctx)))
            }
            EmailKind::AdminConfirmed => {
                let Some(admin) = self.settings.admin.clone() else { return Ok(None) };
                let Some(request) = self.store.get_request(job.request_id).await? else { return Ok(None) };
                let ctx = context! {
                    subject_email => request.subject.known()?.email.as_str(),
                    next_step => admin_next_step(&request, self.settings.auto_process),
                    ..self.base_context(&request)
                };
                Ok(Some((admin, ctx)))
            }
            EmailKind::ExportReady => {
                let Some(request) = self.store.get_request(job.request_id).await? else { return Ok(None) };
                // Only a completed export's link goes out: never one of a request cancelled or
                // denied while its archive was being built.
                let Some(archive) =
                    request.archive.clone().filter(|a| a.delete_time.is_none() && request.state == State::Completed)
                else {
                    return Ok(None);
                };
                // As with confirmation links, the token is made right before sending and only
                // its hash is kept; sending again revokes the previous link.
                let token = SecretToken::generate();
                self.store.set_download_token(request.id, token.hash()).await?;
                let url = format!(
                    "{}/download?id={}&token={}",
                    self.settings.public_url.trim_end_matches('/'),
                    request.id,
                    token.expose()
                );
                let ctx = context! {
                    download_url => url,
                    expire_time => format_time(archive.expire_time),
                    ..self.base_context(&request)
                };
                Ok(Some((subject_mailbox(&request)?, ctx)))
            }
            EmailKind::ErasureFulfilled => {
                let Some(request) = self.store.get_request(job.request_id).await? else { return Ok(None) };
                let Some(summary) = request.erasure_summary().filter(|_| request.state == State::Completed) else {
                    return Ok(None);
                };
                let kept = self.kept_data(&request).await?;
                // Systems the erasure did not reach, named as in "What we kept": the subject
                // must not read "nothing found" as "every system was searched".
                let skipped: Vec<&str> =
                    request.sources.iter().filter(|r| r.state.is_skipped()).map(|r| r.source.as_str()).collect();
                let ctx = context! {
                    outcome => summary.outcome.as_str(),
                    outcome_sentence => summary.sentence(),
                    skipped => skipped,
                    items_removed => summary.items_removed,
                    items_retained => summary.items_retained,
                    kept => kept,
                    ..self.base_context(&request)
                };
                Ok(Some((subject_mailbox(&request)?, ctx)))
            }
            EmailKind::RequestDenied => {
                let Some(request) = self.store.get_request(job.request_id).await? else { return Ok(None) };
                if request.state != State::Denied {
                    return Ok(None);
                }
                let ctx = context! {
                    reason => request.state_reason.clone().unwrap_or_default(),
                    ..self.base_context(&request)
                };
                Ok(Some((subject_mailbox(&request)?, ctx)))
            }
            EmailKind::DeadlineExtended => {
                let Some(request) = self.store.get_request(job.request_id).await? else { return Ok(None) };
                let ctx = context! {
                    reason => request.deadline_extension_reason.clone().unwrap_or_default(),
                    ..self.base_context(&request)
                };
                Ok(Some((subject_mailbox(&request)?, ctx)))
            }
        }
    }

    /// What was kept and why, per source and group, named as the source describes its data
    /// (the subject knows "Orders", not "orders").
    async fn kept_data(&self, request: &PrivacyRequest) -> Result<Vec<minijinja::Value>, Error> {
        let retained = self.store.labelled_retentions(request).await?;
        let kept = retained
            .into_iter()
            .map(|(run, retention, label)| {
                context! {
                    source => run.source.as_str(),
                    label => label.unwrap_or_else(|| retention.group_id.clone()),
                    items => retention.items,
                    reason => retention.reason.clone(),
                    legal_basis => retention.legal_basis.describe(),
                    retention_period => retention.retention_period.clone(),
                }
            })
            .collect();
        Ok(kept)
    }

    /// A new link to the request's status page (`/status?id=…&token=…`): a random token
    /// (256 bits), of which only the hash is stored, valid until the request is deleted or its
    /// subject purged. One per email, so no token is ever stored to be put in a later one.
    async fn status_url(&self, id: crate::domain::RequestId) -> Result<String, Error> {
        let token = SecretToken::generate();
        self.store.add_status_link(id, &token.hash(), crate::domain::now()).await?;
        Ok(format!("{}/status?id={id}&token={}", self.settings.public_url.trim_end_matches('/'), token.expose()))
    }

    fn base_context(&self, request: &PrivacyRequest) -> minijinja::Value {
        let (title, description) = match request.action {
            Action::Export => ("Export of personal data", "a copy of the personal data we hold about you"),
            Action::Erase => ("Erasure of personal data", "erasure of the personal data we hold about you"),
        };
        context! {
            organization => self.settings.organization.clone(),
            request_id => request.id.to_string(),
            action_title => title,
            action_description => description,
            due_time => format_time(request.due_time),
        }
    }
}

#[async_trait]
impl JobHandler for EmailJob {
    async fn run(&self, job: &ClaimedJob) -> JobOutcome {
        let Some(kind) = NewJob::email_kind(&job.payload) else {
            return JobOutcome {
                result: Err(JobError { message: "email job without an email kind".into(), retryable: false }),
                events: Vec::new(),
            };
        };
        let event = |event_type: AuditEventType, detail: String| {
            NewAuditEvent::new(job.request_id, Actor::system("mailer"), event_type, crate::domain::now())
                .with_email(kind)
                .with_detail(detail)
        };
        let failure = |message: String, retryable: bool| {
            self.store.metrics().email_failed(kind);
            let next = if job.will_retry(retryable) { "will retry" } else { "giving up" };
            let detail = format!("attempt {} of {}: {message}; {next}", job.attempts, job.max_attempts);
            JobOutcome {
                result: Err(JobError { message, retryable }),
                events: vec![event(AuditEventType::EmailFailed, detail)],
            }
        };
        let (to, ctx) = match self.prepare(job, kind).await {
            Ok(Some(prepared)) => prepared,
            // Nothing to send any more; done, and nothing to audit.
            Ok(None) => return JobOutcome { result: Ok(()), events: Vec::new() },
            Err(err) => {
                let retryable = matches!(err, Error::Unavailable(_));
                return failure(err.to_string(), retryable);
            }
        };
        // Every email to the subject links their status page, through a new link of its own:
        // the token exists only in this email, and only its hash is kept (see
        // [`EmailJob::status_url`]). The admin's email is not the subject's and has none.
        let ctx = match kind {
            EmailKind::AdminConfirmed => ctx,
            _ => match self.status_url(job.request_id).await {
                Ok(url) => context! { status_url => url, ..ctx },
                Err(err) => {
                    let retryable = matches!(err, Error::Unavailable(_));
                    return failure(err.to_string(), retryable);
                }
            },
        };
        let rendered = match self.templates.render_email(kind, &ctx) {
            Ok(rendered) => rendered,
            Err(err) => return failure(format!("rendering the {} template: {err}", kind.as_str()), false),
        };
        match self.mailer.send(job.request_id, to, &rendered).await {
            Ok(()) => {
                self.store.metrics().email_sent(kind);
                JobOutcome {
                    result: Ok(()),
                    events: vec![event(AuditEventType::EmailSent, format!("sent via {}", self.mailer.describe()))],
                }
            }
            Err(err) => failure(err.message, err.retryable),
        }
    }
}

/// What the admin is told happens next to a confirmed request, from its state when the email
/// is sent: the same facts as the subject's confirmation page (issue 9, item 28), so neither
/// says the work started when it waits for an operator.
fn admin_next_step(request: &PrivacyRequest, auto_process: bool) -> String {
    match (request.state, request.scheduled_process_time) {
        (State::Confirmed, Some(at)) => {
            format!("The request is CONFIRMED; its erasure starts automatically at {}.", format_time(at))
        }
        // Sent in the moment between the confirmation and the start it causes.
        (State::Confirmed, None) if auto_process => "The request is CONFIRMED and starts on its own (--auto-process; \
             an erasure after its cooling-off period)."
            .to_owned(),
        (State::Confirmed, None) => format!(
            "The request is CONFIRMED and waits for an operator: nothing starts until it is processed \
             (privacyctl requests process {}).",
            request.id
        ),
        (State::Processing, _) => "The request is being processed (--auto-process).".to_owned(),
        (state, _) => format!("The request is now {state}."),
    }
}

pub fn format_time(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
