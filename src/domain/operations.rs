//! What an operator may do to a request in its current state, and where its deadline stands:
//! the console's request page shows a button for each operation the state allows and no
//! other, so a page cannot offer what the workflow would refuse. Derived from the same rules
//! the workflow enforces ([`Transition::apply`], [`State::is_deletable`], and the deadline
//! rule of [`PrivacyRequest::extend_deadline`]), not a second copy of them.

use chrono::Duration;

use super::{PrivacyRequest, State, Timestamp, Transition};

/// An operator's operation on one request, as the `PrivacyRequestService` methods that an
/// admin token with the `requests` scope may call on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `ResendConfirmation`: PENDING only.
    ResendConfirmation,
    /// `ProcessPrivacyRequest`: CONFIRMED or FAILED.
    Process,
    /// `CompletePrivacyRequest`: PROCESSING.
    Complete,
    /// `DenyPrivacyRequest` (with a reason, GDPR Art. 12(4)).
    Deny,
    /// `CancelPrivacyRequest`.
    Cancel,
    /// `ExtendDeadline` (GDPR Art. 12(3)): any unfinished request.
    ExtendDeadline,
    /// `DeletePrivacyRequest`: finished or FAILED requests.
    Delete,
}

impl Operation {
    /// Every operation, in the order a page lists them.
    pub const ALL: [Operation; 7] = [
        Operation::ResendConfirmation,
        Operation::Process,
        Operation::Complete,
        Operation::ExtendDeadline,
        Operation::Deny,
        Operation::Cancel,
        Operation::Delete,
    ];

    /// Whether a request in `state` allows this operation.
    pub fn allowed_in(self, state: State) -> bool {
        match self {
            // `Workflow::resend_confirmation`'s rule.
            Operation::ResendConfirmation => state == State::Pending,
            Operation::Process => Transition::Process.apply(state).is_some(),
            Operation::Complete => Transition::Complete.apply(state).is_some(),
            Operation::Deny => Transition::Deny.apply(state).is_some(),
            Operation::Cancel => Transition::Cancel.apply(state).is_some(),
            // `PrivacyRequest::extend_deadline`'s rule.
            Operation::ExtendDeadline => !state.is_final(),
            Operation::Delete => state.is_deletable(),
        }
    }

    /// The operations a request in `state` allows, in [`Operation::ALL`]'s order.
    pub fn allowed(state: State) -> Vec<Operation> {
        Operation::ALL.into_iter().filter(|op| op.allowed_in(state)).collect()
    }

    /// A stable name, used in URLs (`/console/requests/{id}/{name}`) and templates.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::ResendConfirmation => "resend",
            Operation::Process => "process",
            Operation::Complete => "complete",
            Operation::Deny => "deny",
            Operation::Cancel => "cancel",
            Operation::ExtendDeadline => "extend",
            Operation::Delete => "delete",
        }
    }
}

/// Where a request's deadline stands at one moment (GDPR Art. 12(3): one month, extendable by
/// two further months).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineStatus {
    pub due_time: Timestamp,
    /// Days until `due_time`, counting a day begun as a day: 30 right after creation, 1 on
    /// the last day, and negative once it has passed (-1 within the first day after it).
    pub days_left: i64,
    /// The deadline passed while the request was still unfinished (a finished request is
    /// never overdue, however late it finished).
    pub overdue: bool,
    /// Days added so far, and the last reason given.
    pub extension_days: i32,
    pub extension_reason: Option<String>,
    /// The latest the deadline may be moved to: the original one plus two calendar months.
    pub latest_due_time: Timestamp,
    /// The most days one extension may still add now (0 when none may be: finished, or the
    /// limit reached); the rule's own bound is 62 days per extension.
    pub max_extension_days: i64,
}

impl DeadlineStatus {
    /// Days from `now` to `due`, counting a day begun as a day: 29.5 days left is 30 (the
    /// 30th day has begun), half a day overdue is -1. The one count every page shows.
    pub fn days_until(due: Timestamp, now: Timestamp) -> i64 {
        let day = Duration::days(1).num_seconds();
        let seconds = (due - now).num_seconds();
        if seconds >= 0 { (seconds + day - 1).div_euclid(day) } else { seconds.div_euclid(day) }
    }

    pub fn of(request: &PrivacyRequest, now: Timestamp) -> Self {
        let days_left = Self::days_until(request.due_time, now);
        let latest = request.latest_due_time();
        let max_extension_days =
            if request.state.is_final() { 0 } else { (latest - request.due_time).num_days().clamp(0, 62) };
        DeadlineStatus {
            due_time: request.due_time,
            days_left,
            overdue: !request.state.is_final() && now > request.due_time,
            extension_days: request.deadline_extension_days,
            extension_reason: request.deadline_extension_reason.clone(),
            latest_due_time: latest,
            max_extension_days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Action, Actor, Reason, Subject, SubjectEmail};

    /// The whole table, so a change to what a state allows is a deliberate change here too.
    #[test]
    fn each_state_allows_exactly_its_operations() {
        use Operation::*;
        let table: &[(State, &[Operation])] = &[
            (State::Pending, &[ResendConfirmation, ExtendDeadline, Deny, Cancel]),
            (State::Confirmed, &[Process, ExtendDeadline, Deny, Cancel]),
            (State::Processing, &[Complete, ExtendDeadline, Deny, Cancel]),
            (State::Failed, &[Process, ExtendDeadline, Deny, Cancel, Delete]),
            (State::Completed, &[Delete]),
            (State::Denied, &[Delete]),
            (State::Cancelled, &[Delete]),
            (State::Expired, &[Delete]),
        ];
        for state in State::ALL {
            let expected = table.iter().find(|(s, _)| *s == state).map(|(_, ops)| ops.to_vec()).unwrap();
            assert_eq!(Operation::allowed(state), expected, "{state:?}");
        }
    }

    fn request(state: State, created_days_ago: i64, now: Timestamp) -> PrivacyRequest {
        let subject = Subject { email: SubjectEmail::parse("jane@example.com").unwrap(), user_id: None };
        let mut request =
            PrivacyRequest::new(subject, Action::Export, false, Actor::Subject, now - Duration::days(created_days_ago))
                .0;
        request.state = state;
        request
    }

    #[test]
    fn days_left_round_down_and_overdue_needs_an_unfinished_request() {
        let now = crate::domain::now();
        let fresh = DeadlineStatus::of(&request(State::Confirmed, 0, now), now);
        assert_eq!(fresh.days_left, 30);
        assert!(!fresh.overdue);
        // 29 days and 12 hours: the 30th day has begun.
        let mut half = request(State::Confirmed, 0, now);
        half.due_time = now + Duration::hours(29 * 24 + 12);
        assert_eq!(DeadlineStatus::of(&half, now).days_left, 30);
        half.due_time = now + Duration::hours(1);
        assert_eq!(DeadlineStatus::of(&half, now).days_left, 1);
        let late = DeadlineStatus::of(&request(State::Processing, 31, now), now);
        assert!(late.overdue);
        assert_eq!(late.days_left, -1);
        let finished_late = DeadlineStatus::of(&request(State::Completed, 40, now), now);
        assert!(!finished_late.overdue);
        assert_eq!(finished_late.max_extension_days, 0);
    }

    #[test]
    fn the_extension_left_is_what_extend_deadline_accepts() {
        let now = crate::domain::now();
        let reason = Reason::parse("reason", "complex request").unwrap();
        let mut r = request(State::Confirmed, 0, now);
        let status = DeadlineStatus::of(&r, now);
        assert!((59..=62).contains(&status.max_extension_days), "{status:?}");
        // The most the page offers is accepted; one more day is refused.
        let mut over = r.clone();
        if status.max_extension_days < 62 {
            assert!(over.extend_deadline(status.max_extension_days as i32 + 1, &reason, Actor::Subject, now).is_err());
        }
        r.extend_deadline(status.max_extension_days as i32, &reason, Actor::Subject, now).unwrap();
        let after = DeadlineStatus::of(&r, now);
        assert_eq!(after.max_extension_days, 0);
        assert_eq!(after.extension_reason.as_deref(), Some("complex request"));
        assert_eq!(after.extension_days as i64, status.max_extension_days);
    }
}
