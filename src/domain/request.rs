use std::fmt;

use chrono::{Duration, Months};
use uuid::Uuid;

use super::{
    Action, Actor, AuditEventType, Credential, Error, ExportArchive, NewAuditEvent, Reason, RequestSubject,
    SecretToken, SourceRun, SourcesRemoved, State, Subject, Timestamp, TokenHash, Transition,
};

/// GDPR Art. 12(3): "without undue delay and in any event within one month of receipt".
/// 30 days is the conventional reading (and the shortest month-length reading is never
/// shorter than the deadline we show).
pub const DEADLINE_DAYS: i64 = 30;

/// Art. 12(3) allows extending "by two further months"; calendar months from the original
/// deadline.
const MAX_EXTENSION_MONTHS: u32 = 2;

/// The most days a deadline can be after its request's receipt: [`DEADLINE_DAYS`] and two
/// calendar months, which are at most 62 days (July and August, December and January). With
/// [`DEADLINE_DAYS`] it bounds `due_time` by `create_time` both ways, which lets a list in one
/// of the two orders start where a filter on the other begins (store/requests/listing.rs).
pub const LONGEST_DEADLINE_DAYS: i64 = DEADLINE_DAYS + 62;

/// A request's id: a UUIDv7, so ids sort by creation time and index well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(Uuid);

impl RequestId {
    pub fn new() -> Self {
        RequestId(Uuid::now_v7())
    }

    /// An id from a caller: a malformed one is a bad argument, not an unknown request.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Error> {
        if raw.is_empty() {
            return Err(Error::invalid(field, "is required"));
        }
        Uuid::try_parse(raw).map(RequestId).map_err(|_| Error::invalid(field, "is not a privacy request id (a UUID)"))
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which email a delivery carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailKind {
    ConfirmationRequest,
    AdminConfirmed,
    DeadlineExtended,
    ExportReady,
    ErasureFulfilled,
    RequestDenied,
}

impl EmailKind {
    pub const ALL: [EmailKind; 6] = [
        EmailKind::ConfirmationRequest,
        EmailKind::AdminConfirmed,
        EmailKind::DeadlineExtended,
        EmailKind::ExportReady,
        EmailKind::ErasureFulfilled,
        EmailKind::RequestDenied,
    ];

    /// Also the template name: `templates/email/<name>.{subject.txt,txt,html}`.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::ConfirmationRequest => "confirmation_request",
            EmailKind::AdminConfirmed => "admin_confirmed",
            EmailKind::DeadlineExtended => "deadline_extended",
            EmailKind::ExportReady => "export_ready",
            EmailKind::ErasureFulfilled => "erasure_fulfilled",
            EmailKind::RequestDenied => "request_denied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        EmailKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Whether an email went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Sent,
    Failed,
}

/// One email about a request and its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailDelivery {
    pub kind: EmailKind,
    pub state: DeliveryState,
    pub attempts: i32,
    pub last_error: String,
    pub create_time: Timestamp,
    pub send_time: Option<Timestamp>,
    pub next_attempt_time: Option<Timestamp>,
}

/// A data-subject request, as the domain sees it.
#[derive(Debug, Clone)]
pub struct PrivacyRequest {
    pub id: RequestId,
    pub action: Action,
    /// Known until `--request-retention` after the request finished.
    pub subject: RequestSubject,
    pub state: State,
    pub state_reason: Option<String>,
    pub create_time: Timestamp,
    pub update_time: Timestamp,
    pub confirm_time: Option<Timestamp>,
    pub complete_time: Option<Timestamp>,
    pub due_time: Timestamp,
    pub deadline_extension_days: i32,
    pub deadline_extension_reason: Option<String>,
    /// Hash of the confirmation token last emailed; `None` until the first email is sent.
    pub token_hash: Option<TokenHash>,
    pub token_expire_time: Option<Timestamp>,
    pub token_used_time: Option<Timestamp>,
    /// Filled in by the store when reading; empty on a request being built.
    pub emails: Vec<EmailDelivery>,
    /// One run per data source, once processing started.
    pub sources: Vec<SourceRun>,
    /// The export archive, once built.
    pub archive: Option<ExportArchive>,
    /// An erasure waiting out its cooling-off period starts processing then.
    pub scheduled_process_time: Option<Timestamp>,
    /// Set once `--job-retention` after the request finished: `sources` is empty from then.
    pub sources_removed: Option<SourcesRemoved>,
}

/// What a confirmation attempt did.
#[derive(Debug)]
pub enum ConfirmOutcome {
    /// The request is now CONFIRMED; record the event.
    Confirmed(NewAuditEvent),
    /// The token was right but too late: the request is now EXPIRED (record the event) and the
    /// caller is told TOKEN_EXPIRED.
    Expired(NewAuditEvent),
    /// Nothing changed.
    Rejected(Error),
}

impl PrivacyRequest {
    /// A new request and the audit event that records its creation. Requests an operator
    /// creates without confirmation start CONFIRMED: the operator vouches for the subject.
    pub fn new(
        subject: Subject,
        action: Action,
        send_confirmation: bool,
        actor: Actor,
        now: Timestamp,
    ) -> (Self, NewAuditEvent) {
        let state = if send_confirmation { State::Pending } else { State::Confirmed };
        let request = PrivacyRequest {
            id: RequestId::new(),
            action,
            subject: RequestSubject::Known(subject),
            state,
            state_reason: None,
            create_time: now,
            update_time: now,
            confirm_time: (!send_confirmation).then_some(now),
            complete_time: None,
            due_time: now + Duration::days(DEADLINE_DAYS),
            deadline_extension_days: 0,
            deadline_extension_reason: None,
            token_hash: None,
            token_expire_time: None,
            token_used_time: None,
            emails: Vec::new(),
            sources: Vec::new(),
            archive: None,
            scheduled_process_time: None,
            sources_removed: None,
        };
        let detail = if send_confirmation { "confirmation email queued" } else { "created confirmed by an operator" };
        let event = NewAuditEvent::new(request.id, actor, AuditEventType::Created, now)
            .with_states(None, Some(state))
            .with_detail(detail);
        (request, event)
    }

    /// Applies an operator's or the system's transition.
    pub fn apply(
        &mut self,
        transition: Transition,
        actor: Actor,
        reason: Option<&Reason>,
        now: Timestamp,
    ) -> Result<NewAuditEvent, Error> {
        let from = self.state;
        let to =
            transition.apply(from).ok_or(Error::IllegalTransition { state: from, attempted: transition.verb() })?;
        self.state = to;
        self.update_time = now;
        match transition {
            Transition::Confirm => self.confirm_time = Some(now),
            Transition::Complete => self.complete_time = Some(now),
            Transition::Process => self.state_reason = None,
            Transition::Fail | Transition::Deny | Transition::Cancel | Transition::Expire => {
                self.state_reason = reason.map(|r| r.as_str().to_owned())
            }
        }
        let event_type = match transition {
            Transition::Confirm => AuditEventType::Confirmed,
            Transition::Process => AuditEventType::ProcessingStarted,
            Transition::Complete => AuditEventType::Completed,
            Transition::Fail => AuditEventType::Failed,
            Transition::Deny => AuditEventType::Denied,
            Transition::Cancel => AuditEventType::Cancelled,
            Transition::Expire => AuditEventType::Expired,
        };
        let mut event = NewAuditEvent::new(self.id, actor, event_type, now).with_states(Some(from), Some(to));
        if let Some(reason) = reason {
            event = event.with_detail(reason.as_str());
        }
        Ok(event)
    }

    /// What confirming with `token` at `now` would do, without doing it: the error
    /// [`PrivacyRequest::confirm_with`] would answer, `Ok(true)` if it would confirm, `Ok(false)`
    /// if the token is right but too late (confirming then expires the request). The page a
    /// GET of the emailed link shows is built from this, since a GET must change nothing
    /// (RFC 9110 §9.2.1).
    pub fn check_confirmation(&self, token: &SecretToken, now: Timestamp) -> Result<bool, Error> {
        if !TokenHash::verify(self.token_hash, token) {
            return Err(Error::InvalidToken(Credential::ConfirmationToken));
        }
        if self.token_used_time.is_some() {
            return Err(Error::TokenUsed(self.state));
        }
        if self.state == State::Expired {
            return Err(Error::TokenExpired);
        }
        if self.state != State::Pending {
            return Err(Error::IllegalTransition { state: self.state, attempted: Transition::Confirm.verb() });
        }
        Ok(self.token_expire_time.is_none_or(|expiry| expiry > now))
    }

    /// The subject presents the emailed token.
    pub fn confirm_with(&mut self, token: &SecretToken, now: Timestamp) -> ConfirmOutcome {
        match self.check_confirmation(token, now) {
            Err(err) => ConfirmOutcome::Rejected(err),
            Ok(false) => {
                let reason = Reason::parse("reason", "the confirmation link expired before it was used")
                    .expect("static reason is valid");
                match self.apply(Transition::Expire, Actor::system("confirm"), Some(&reason), now) {
                    Ok(event) => ConfirmOutcome::Expired(event),
                    Err(err) => ConfirmOutcome::Rejected(err),
                }
            }
            Ok(true) => {
                self.token_used_time = Some(now);
                match self.apply(Transition::Confirm, Actor::Subject, None, now) {
                    Ok(event) => ConfirmOutcome::Confirmed(event),
                    Err(err) => ConfirmOutcome::Rejected(err),
                }
            }
        }
    }

    /// Whether the subject may still withdraw: only a confirmed erasure waiting out its
    /// cooling-off period, which ends at `not_before` (`None`: the request has none, as every
    /// export and every erasure without `--erase-delay`). The period is what withdrawal is for
    /// (GDPR Art. 7(3) lets consent be withdrawn, but an erasure that started cannot be undone;
    /// an export the subject no longer wants needs no withdrawing), so the confirmation token,
    /// which never expires once used, opens nothing after it.
    pub fn check_withdrawal(&self, not_before: Option<Timestamp>, now: Timestamp) -> Result<(), Error> {
        if self.state != State::Confirmed {
            return Err(Error::NotWithdrawable(format!(
                "the request is {}; only a confirmed erasure can be withdrawn, before it starts",
                self.state.as_str().to_lowercase()
            )));
        }
        match not_before {
            None => Err(Error::NotWithdrawable(
                "only an erasure in its cooling-off period can be withdrawn, and this request has none".into(),
            )),
            Some(at) if at <= now => Err(Error::NotWithdrawable(format!(
                "its cooling-off period ended at {}",
                at.format("%Y-%m-%d %H:%M UTC")
            ))),
            Some(_) => Ok(()),
        }
    }

    /// The subject withdraws an erasure in its cooling-off period (see
    /// [`PrivacyRequest::check_withdrawal`]), proving who they are with the confirmation token
    /// they used.
    pub fn withdraw_with(
        &mut self,
        token: &SecretToken,
        not_before: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<NewAuditEvent, Error> {
        if !TokenHash::verify(self.token_hash, token) {
            return Err(Error::InvalidToken(Credential::ConfirmationToken));
        }
        self.check_withdrawal(not_before, now)?;
        let reason = Reason::parse("reason", "withdrawn by the subject before processing started")
            .expect("static reason is valid");
        self.apply(Transition::Cancel, Actor::Subject, Some(&reason), now)
    }

    /// Issues a new confirmation token, replacing (and so revoking) any earlier one. Its
    /// lifetime starts now, when the email carrying it is about to be sent, so a mail outage
    /// does not eat into the subject's time to click.
    pub fn issue_token(&mut self, ttl: Duration, now: Timestamp) -> SecretToken {
        let token = SecretToken::generate();
        self.token_hash = Some(token.hash());
        self.token_expire_time = Some(now + ttl);
        self.token_used_time = None;
        self.update_time = now;
        token
    }

    /// The deadline before any extension.
    pub fn original_due_time(&self) -> Timestamp {
        self.create_time + Duration::days(DEADLINE_DAYS)
    }

    /// The latest the deadline may ever be: two calendar months after the original one.
    pub fn latest_due_time(&self) -> Timestamp {
        self.original_due_time()
            .checked_add_months(Months::new(MAX_EXTENSION_MONTHS))
            .expect("deadline within chrono's range")
    }

    /// Extends the deadline by `days` (Art. 12(3)).
    pub fn extend_deadline(
        &mut self,
        days: i32,
        reason: &Reason,
        actor: Actor,
        now: Timestamp,
    ) -> Result<NewAuditEvent, Error> {
        if self.state.is_final() {
            return Err(Error::IllegalTransition { state: self.state, attempted: "extend the deadline of" });
        }
        if !(1..=62).contains(&days) {
            return Err(Error::invalid("extension_days", "must be between 1 and 62"));
        }
        let new_due = self.due_time + Duration::days(i64::from(days));
        let limit = self.latest_due_time();
        if new_due > limit {
            return Err(Error::DeadlineExtensionExceeded { requested: days, limit: limit.to_rfc3339() });
        }
        self.due_time = new_due;
        self.deadline_extension_days += days;
        self.deadline_extension_reason = Some(reason.as_str().to_owned());
        self.update_time = now;
        Ok(NewAuditEvent::new(self.id, actor, AuditEventType::DeadlineExtended, now).with_detail(format!(
            "+{days} days, due {}: {}",
            new_due.to_rfc3339(),
            reason.as_str()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SubjectEmail;

    fn request(send_confirmation: bool) -> PrivacyRequest {
        let subject = Subject { email: SubjectEmail::parse("jane@example.com").unwrap(), user_id: None };
        PrivacyRequest::new(subject, Action::Export, send_confirmation, Actor::Subject, crate::domain::now()).0
    }

    #[test]
    fn due_time_is_thirty_days_after_creation() {
        let r = request(true);
        assert_eq!(r.due_time - r.create_time, Duration::days(30));
        assert_eq!(r.state, State::Pending);
        assert_eq!(request(false).state, State::Confirmed);
    }

    #[test]
    fn confirmation_token_is_single_use_and_expires() {
        let now = crate::domain::now();
        let mut r = request(true);
        let token = r.issue_token(Duration::hours(24), now);
        let wrong = SecretToken::generate();
        assert!(matches!(
            r.confirm_with(&wrong, now),
            ConfirmOutcome::Rejected(Error::InvalidToken(Credential::ConfirmationToken))
        ));
        assert!(matches!(r.confirm_with(&token, now), ConfirmOutcome::Confirmed(_)));
        assert_eq!(r.state, State::Confirmed);
        assert!(matches!(r.confirm_with(&token, now), ConfirmOutcome::Rejected(Error::TokenUsed(_))));

        let mut late = request(true);
        let token = late.issue_token(Duration::hours(24), now);
        let outcome = late.confirm_with(&token, now + Duration::hours(25));
        assert!(matches!(outcome, ConfirmOutcome::Expired(_)));
        assert_eq!(late.state, State::Expired);
    }

    #[test]
    fn checking_a_confirmation_changes_nothing_and_says_what_confirming_would() {
        let now = crate::domain::now();
        let mut r = request(true);
        let token = r.issue_token(Duration::hours(24), now);
        assert!(matches!(
            r.check_confirmation(&SecretToken::generate(), now),
            Err(Error::InvalidToken(Credential::ConfirmationToken))
        ));
        assert!(matches!(r.check_confirmation(&token, now), Ok(true)));
        assert!(matches!(r.check_confirmation(&token, now + Duration::hours(25)), Ok(false)));
        assert_eq!(r.state, State::Pending);
        assert!(r.token_used_time.is_none());
    }

    #[test]
    fn only_an_erasure_in_its_cooling_off_period_can_be_withdrawn() {
        let now = crate::domain::now();
        let mut r = request(true);
        let token = r.issue_token(Duration::hours(24), now);
        assert!(matches!(r.confirm_with(&token, now), ConfirmOutcome::Confirmed(_)));
        let window_end = Some(now + Duration::hours(1));
        // No cooling-off period (every export has none), or one that is over: refused.
        assert!(matches!(r.clone().withdraw_with(&token, None, now), Err(Error::NotWithdrawable(_))));
        let late = now + Duration::hours(2);
        assert!(matches!(r.clone().withdraw_with(&token, window_end, late), Err(Error::NotWithdrawable(_))));
        // A wrong token is told nothing more.
        let wrong = SecretToken::generate();
        assert!(matches!(
            r.clone().withdraw_with(&wrong, window_end, now),
            Err(Error::InvalidToken(Credential::ConfirmationToken))
        ));
        // Started: refused.
        let mut started = r.clone();
        started.apply(Transition::Process, Actor::system("test"), None, now).unwrap();
        assert!(matches!(started.withdraw_with(&token, window_end, now), Err(Error::NotWithdrawable(_))));
        // Inside the window: withdrawn.
        r.withdraw_with(&token, window_end, now).unwrap();
        assert_eq!(r.state, State::Cancelled);
    }

    #[test]
    fn resending_revokes_the_old_token() {
        let now = crate::domain::now();
        let mut r = request(true);
        let old = r.issue_token(Duration::hours(24), now);
        let new = r.issue_token(Duration::hours(24), now);
        assert!(matches!(
            r.confirm_with(&old, now),
            ConfirmOutcome::Rejected(Error::InvalidToken(Credential::ConfirmationToken))
        ));
        assert!(matches!(r.confirm_with(&new, now), ConfirmOutcome::Confirmed(_)));
    }

    #[test]
    fn deadline_extends_by_two_months_at_most() {
        let now = crate::domain::now();
        let mut r = request(false);
        let reason = Reason::parse("reason", "many requests").unwrap();
        r.extend_deadline(31, &reason, Actor::Subject, now).unwrap();
        assert_eq!(r.deadline_extension_days, 31);
        // 31 + 31 days may or may not fit in two calendar months; 31 + 62 never does.
        assert!(matches!(
            r.extend_deadline(62, &reason, Actor::Subject, now),
            Err(Error::DeadlineExtensionExceeded { .. })
        ));
        assert!(r.extend_deadline(0, &reason, Actor::Subject, now).is_err());
        assert!(r.due_time <= r.latest_due_time());
    }

    #[test]
    fn illegal_transition_names_the_state() {
        let mut r = request(true);
        let err = r.apply(Transition::Complete, Actor::Subject, None, crate::domain::now()).unwrap_err();
        assert_eq!(err.to_string(), "cannot complete a request that is PENDING");
    }
}
