//! What happens next to a request the subject has just confirmed, as privacyd will actually
//! do it. The confirmation page and the email to the admin say this, so that neither promises
//! work that waits for an operator (issue 9, item 28): GDPR Art. 12(1) asks for "concise,
//! transparent" information, and a page that says "we are working on it" while the request
//! sits until someone acts is neither.

use crate::domain::{Action, PrivacyRequest, State, Timestamp};

use super::Workflow;

/// The next step of a confirmed request, decided from its stored state (not from what the
/// configuration suggests would happen), so the page cannot say more than is true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Processing has started on its own (`--auto-process`): its jobs are queued.
    Working,
    /// An erasure that starts on its own at this time, when its cooling-off period ends
    /// (`--auto-process` with `--erase-delay`); until then the subject may withdraw it.
    StartsAt(Timestamp),
    /// Nothing starts until an operator processes the request. For an erasure with a
    /// cooling-off period, `not_before` is when it ends: even an operator cannot start the
    /// erasure earlier, and until then the subject may withdraw it.
    OperatorMustAct { not_before: Option<Timestamp> },
    /// The request is past confirming in another way (finished, failed, refused): the page
    /// says its state.
    Other(State),
}

impl Workflow {
    /// What happens next to `request`, right after it was confirmed.
    pub fn next_step(&self, request: &PrivacyRequest) -> NextStep {
        match request.state {
            State::Processing => NextStep::Working,
            State::Confirmed => match request.scheduled_process_time {
                Some(at) => NextStep::StartsAt(at),
                None => NextStep::OperatorMustAct {
                    not_before: self
                        .erase_not_before(request)
                        .filter(|at| request.action == Action::Erase && *at > crate::domain::now()),
                },
            },
            other => NextStep::Other(other),
        }
    }
}
