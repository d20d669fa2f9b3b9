//! What a data subject does without an operator (issue 12): asks through the public
//! `/request` form, and reads where a request stands through the status link in each email.

use crate::domain::{
    Action, Actor, Credential, Error, PrivacyRequest, RequestId, SecretToken, State, Subject, SubjectEmail, TokenHash,
};

use super::{CreateInput, Workflow};

/// How long an address's self-service requests count against its limit: GDPR Art. 12(5)
/// lets a controller refuse requests "manifestly unfounded or excessive, in particular because
/// of their repetitive character"; a year is the period the EDPB's guidelines on the right of
/// access (01/2022, §187-188) discuss for repeated requests. 365 days.
pub const SELF_SERVICE_WINDOW: chrono::Duration = chrono::Duration::days(365);

/// What became of a self-service submission. The subject is told the same in every case
/// (no enumeration); only the log and the metrics tell them apart, without the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfServiceOutcome {
    /// A PENDING request was made and its confirmation email queued.
    Created,
    /// An open request for the same address and action exists: nothing was made or sent.
    Duplicate,
    /// The address reached the per-address limit: nothing was made or sent.
    Limited,
}

impl SelfServiceOutcome {
    /// The `outcome` label of `privacyd_self_service_requests_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            SelfServiceOutcome::Created => "created",
            SelfServiceOutcome::Duplicate => "duplicate",
            SelfServiceOutcome::Limited => "limited",
        }
    }
}

/// What the status page shows: the request, and for a completed erasure what was kept.
#[derive(Debug)]
pub struct SubjectStatus {
    pub request: PrivacyRequest,
    /// Sources done (succeeded, failed, skipped or stopped) and in all, while processing.
    pub sources_done: usize,
    pub sources_total: usize,
    /// For a completed erasure: what was kept and why, by category label.
    pub retained: Vec<RetainedData>,
    /// For a confirmed erasure in its cooling-off period: until when it can be withdrawn.
    pub withdraw_until: Option<crate::domain::Timestamp>,
}

/// Data an erasure kept, as the subject is told (the category's label as its source
/// describes it, never the source's internal name; see [`Workflow::subject_status`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RetainedData {
    pub label: String,
    pub items: i64,
    pub reason: String,
    pub legal_basis: &'static str,
    pub retention_period: String,
}

impl Workflow {
    /// A request made by the subject through the public form: counted against the address's
    /// limit (`limit` per [`SELF_SERVICE_WINDOW`], 0 for none; kept in the database as a keyed
    /// hash, so it holds across replicas), then created PENDING by [`Actor::Subject`] with a
    /// confirmation email, so the emailed link is the identity check. An open request for the
    /// same address and action is [`SelfServiceOutcome::Duplicate`], not an error: the form
    /// must not tell a visitor that someone else asked.
    pub async fn request_by_subject(
        &self,
        email: SubjectEmail,
        action: Action,
        limit: u32,
    ) -> Result<SelfServiceOutcome, Error> {
        let outcome = self.request_by_subject_uncounted(email, action, limit).await;
        let label = outcome.as_ref().map_or("failed", |outcome| outcome.as_str());
        self.store.metrics().self_service_request(label);
        outcome
    }

    async fn request_by_subject_uncounted(
        &self,
        email: SubjectEmail,
        action: Action,
        limit: u32,
    ) -> Result<SelfServiceOutcome, Error> {
        let now = crate::domain::now();
        if limit > 0 && !self.store.count_self_service_submission(&email, limit, now - SELF_SERVICE_WINDOW, now).await?
        {
            return Ok(SelfServiceOutcome::Limited);
        }
        let input = CreateInput {
            subject: Subject { email, user_id: None },
            action,
            send_confirmation: true,
            idempotency_key: None,
        };
        match self.create(Actor::Subject, input).await {
            Ok(_) => Ok(SelfServiceOutcome::Created),
            Err(Error::DuplicateRequest { .. }) => Ok(SelfServiceOutcome::Duplicate),
            Err(err) => Err(err),
        }
    }

    /// Forgets self-service submissions older than [`SELF_SERVICE_WINDOW`]: they no longer
    /// count. Returns how many. Run by the sweeper.
    pub async fn sweep_self_service_limits(&self) -> Result<u64, Error> {
        self.store.sweep_self_service_submissions(crate::domain::now() - SELF_SERVICE_WINDOW).await
    }

    /// Where request `id` stands, for the holder of one of its status links. An unknown id, a
    /// malformed token and a wrong one are the same `InvalidToken`, after the same lookup.
    /// Reads only.
    pub async fn subject_status(&self, id: RequestId, raw_token: &str) -> Result<SubjectStatus, Error> {
        let request = self.status_link_request(id, raw_token).await?;
        let counted: Vec<_> = request.sources.iter().filter(|run| !run.state.is_skipped()).collect();
        let sources_done = counted.iter().filter(|run| run.state.is_terminal()).count();
        let mut retained = Vec::new();
        if request.action == Action::Erase && request.state == State::Completed {
            for (_, retention, label) in self.store.labelled_retentions(&request).await? {
                retained.push(RetainedData {
                    // A category the source no longer describes is named generically rather
                    // than by an internal id.
                    label: label.unwrap_or_else(|| "Other records".to_owned()),
                    items: retention.items,
                    reason: retention.reason.clone(),
                    legal_basis: retention.legal_basis.describe(),
                    retention_period: retention.retention_period.clone(),
                });
            }
        }
        let withdraw_until = self.withdrawable_until(&request);
        Ok(SubjectStatus { sources_done, sources_total: counted.len(), retained, withdraw_until, request })
    }

    /// For the holder of a status link of a completed export whose archive can still be
    /// downloaded: a new download token (only its hash is stored), which replaces the one
    /// the "export ready" email carried, as sending that email again would.
    pub async fn download_link_by_status(&self, id: RequestId, raw_token: &str) -> Result<SecretToken, Error> {
        let request = self.status_link_request(id, raw_token).await?;
        let archive = request.archive.as_ref().ok_or(Error::ArchiveNotReady(request.state))?;
        if request.state != State::Completed {
            return Err(Error::ArchiveNotReady(request.state));
        }
        if archive.delete_time.is_some() || archive.expire_time <= crate::domain::now() {
            return Err(Error::ArchiveExpired);
        }
        let token = SecretToken::generate();
        self.store.set_download_token(id, token.hash()).await?;
        Ok(token)
    }

    /// The request a status link is for, once its token is checked.
    async fn status_link_request(&self, id: RequestId, raw_token: &str) -> Result<PrivacyRequest, Error> {
        let invalid = || Error::InvalidToken(Credential::StatusToken);
        // A token that could not have been made is refused after hashing a valid-looking one,
        // so it costs the same lookup as a wrong one.
        let hash = match SecretToken::from_presented(raw_token) {
            Some(token) => token.hash(),
            None => TokenHash::of(raw_token),
        };
        if !self.store.is_status_link(id, &hash).await? || SecretToken::from_presented(raw_token).is_none() {
            return Err(invalid());
        }
        let request = self.store.get_request(id).await?.ok_or_else(invalid)?;
        // Purging the subject deletes its links; a request read between the two must not show.
        if request.subject.known().is_err() {
            return Err(invalid());
        }
        Ok(request)
    }
}
