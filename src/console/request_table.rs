//! One request as a row of the console's table and of its CSV download: WordPress's
//! columns (Requester, Status, Requested, Next steps) and the deadline as days left, computed
//! once here so that the page and the file cannot disagree.

use serde::Serialize;

use crate::domain::{Action, DeadlineStatus, PrivacyRequest, RequestSubject, State, Timestamp};

/// What a row shows. Times are UTC, written `2026-11-30 19:05 UTC`.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    /// The subject's address; empty once purged (`purged` is then true).
    pub email: String,
    pub user_id: String,
    pub purged: bool,
    /// "Export" or "Erasure".
    pub action: &'static str,
    /// The state in words ("Pending"), and its enum name ("PENDING").
    pub state: &'static str,
    pub state_name: &'static str,
    /// When the request last changed (its state, mostly).
    pub changed: String,
    pub requested: String,
    /// The deadline's date.
    pub due: String,
    /// Whole days to the deadline for an unfinished request (negative when overdue); `None`
    /// for a finished one, whose deadline no longer runs.
    pub days_left: Option<i64>,
    pub overdue: bool,
    /// The deadline in words: "12 days left", "Overdue by 3 days", "Due today"; empty for a
    /// finished request.
    pub due_text: String,
    /// Why the request is DENIED, CANCELLED or FAILED.
    pub state_reason: String,
    pub next: Option<NextStep>,
}

/// The one step that moves a request on, as the table's "Next steps" button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextStep {
    /// The button's text.
    pub label: &'static str,
    /// For a form button: the batch operation it posts (`resend`, `process`, `complete`).
    pub operation: Option<&'static str>,
    /// For a link: where it goes (the archive download).
    pub href: Option<String>,
}

pub fn time(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn action_label(action: Action) -> &'static str {
    match action {
        Action::Export => "Export",
        Action::Erase => "Erasure",
    }
}

pub fn state_label(state: State) -> &'static str {
    match state {
        State::Pending => "Pending",
        State::Confirmed => "Confirmed",
        State::Processing => "Processing",
        State::Completed => "Completed",
        State::Failed => "Failed",
        State::Denied => "Denied",
        State::Cancelled => "Cancelled",
        State::Expired => "Expired",
    }
}

/// The next step of a request in the table: resend the confirmation of a PENDING one,
/// process a CONFIRMED or FAILED one, mark a PROCESSING one complete (for work done by hand),
/// download a completed export's archive while it is kept. Nothing for the others.
pub fn next_step(request: &PrivacyRequest, now: Timestamp) -> Option<NextStep> {
    let button = |label, operation| Some(NextStep { label, operation: Some(operation), href: None });
    match request.state {
        State::Pending => button("Resend confirmation", "resend"),
        State::Confirmed | State::Failed => button("Process", "process"),
        State::Processing => button("Mark complete", "complete"),
        State::Completed => {
            request.archive.as_ref().filter(|a| a.delete_time.is_none() && a.expire_time > now).map(|_| NextStep {
                label: "Download",
                operation: None,
                href: Some(format!("/console/requests/{}/archive", request.id)),
            })
        }
        State::Denied | State::Cancelled | State::Expired => None,
    }
}

/// Days left to `due` from `now` ([`DeadlineStatus::days_until`], as a request's page counts
/// them: a day begun counts as a day), and in words.
pub fn days_left(due: Timestamp, now: Timestamp) -> (i64, String) {
    let days = DeadlineStatus::days_until(due, now);
    let text = match days {
        d if d < 0 => format!("Overdue by {} day{}", -d, if d == -1 { "" } else { "s" }),
        0 | 1 => "1 day left".to_owned(),
        n => format!("{n} days left"),
    };
    (days, text)
}

pub fn row(request: &PrivacyRequest, now: Timestamp) -> Row {
    let (email, user_id, purged) = match &request.subject {
        RequestSubject::Known(subject) => (
            subject.email.as_str().to_owned(),
            subject.user_id.as_ref().map(|u| u.as_str().to_owned()).unwrap_or_default(),
            false,
        ),
        RequestSubject::Purged { .. } => (String::new(), String::new(), true),
    };
    let (days_left, due_text) = if request.state.is_final() {
        (None, String::new())
    } else {
        let (days, text) = days_left(request.due_time, now);
        (Some(days), text)
    };
    Row {
        id: request.id.to_string(),
        email,
        user_id,
        purged,
        action: action_label(request.action),
        state: state_label(request.state),
        state_name: request.state.as_str(),
        changed: time(request.update_time),
        requested: time(request.create_time),
        due: request.due_time.format("%Y-%m-%d").to_string(),
        overdue: days_left.is_some_and(|d| d < 0),
        days_left,
        due_text,
        state_reason: request.state_reason.clone().unwrap_or_default(),
        next: next_step(request, now),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn days_left_count_a_day_begun_as_a_day_as_the_request_page_does() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let h = chrono::Duration::hours;
        assert_eq!(days_left(now + h(24 * 12 + 5), now), (13, "13 days left".into()));
        assert_eq!(days_left(now + h(30), now), (2, "2 days left".into()));
        assert_eq!(days_left(now + h(3), now), (1, "1 day left".into()));
        assert_eq!(days_left(now + chrono::Duration::days(30), now), (30, "30 days left".into()), "a new request");
        assert_eq!(days_left(now - h(1), now), (-1, "Overdue by 1 day".into()));
        assert_eq!(days_left(now - h(49), now), (-3, "Overdue by 3 days".into()));
    }
}
