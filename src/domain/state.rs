use std::fmt;

/// What the subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Export,
    Erase,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Export => "EXPORT",
            Action::Erase => "ERASE",
        }
    }

    /// The verb, for sentences: "export", "erase".
    pub fn verb(self) -> &'static str {
        match self {
            Action::Export => "export",
            Action::Erase => "erase",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "EXPORT" => Some(Action::Export),
            "ERASE" => Some(Action::Erase),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Pending,
    Confirmed,
    Processing,
    Completed,
    Failed,
    Denied,
    Cancelled,
    Expired,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Pending,
        State::Confirmed,
        State::Processing,
        State::Completed,
        State::Failed,
        State::Denied,
        State::Cancelled,
        State::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "PENDING",
            State::Confirmed => "CONFIRMED",
            State::Processing => "PROCESSING",
            State::Completed => "COMPLETED",
            State::Failed => "FAILED",
            State::Denied => "DENIED",
            State::Cancelled => "CANCELLED",
            State::Expired => "EXPIRED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        State::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Final states never change again.
    pub fn is_final(self) -> bool {
        matches!(self, State::Completed | State::Denied | State::Cancelled | State::Expired)
    }

    /// Unfinished requests block a second request of the same action for the same subject
    /// (the database enforces this with a partial unique index over these states).
    pub fn is_open(self) -> bool {
        !self.is_final()
    }

    /// Requests that may be deleted: nothing is in flight for them any more.
    pub fn is_deletable(self) -> bool {
        self.is_final() || self == State::Failed
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that changes a request's state. Each has exactly one set of states it may start
/// from; [`Transition::apply`] is the whole state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Confirm,
    Process,
    Complete,
    Fail,
    Deny,
    Cancel,
    Expire,
}

impl Transition {
    pub const ALL: [Transition; 7] = [
        Transition::Confirm,
        Transition::Process,
        Transition::Complete,
        Transition::Fail,
        Transition::Deny,
        Transition::Cancel,
        Transition::Expire,
    ];

    /// The verb used in error messages ("cannot process a request that is PENDING").
    pub fn verb(self) -> &'static str {
        match self {
            Transition::Confirm => "confirm",
            Transition::Process => "process",
            Transition::Complete => "complete",
            Transition::Fail => "fail",
            Transition::Deny => "deny",
            Transition::Cancel => "cancel",
            Transition::Expire => "expire",
        }
    }

    /// The state this transition leads to from `from`, or `None` if it is not allowed there.
    pub fn apply(self, from: State) -> Option<State> {
        use State::*;
        let to = match (self, from) {
            (Transition::Confirm, Pending) => Confirmed,
            (Transition::Process, Confirmed | Failed) => Processing,
            (Transition::Complete, Processing) => Completed,
            (Transition::Fail, Processing) => Failed,
            (Transition::Deny, Pending | Confirmed | Processing | Failed) => Denied,
            (Transition::Cancel, Pending | Confirmed | Processing | Failed) => Cancelled,
            (Transition::Expire, Pending) => Expired,
            _ => return None,
        };
        Some(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in State::ALL {
            assert_eq!(State::parse(state.as_str()), Some(state));
        }
        for action in [Action::Export, Action::Erase] {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(State::parse("pending"), None);
    }

    /// The full table: every (transition, state) pair, so a change to the machine is a
    /// deliberate change to this test too.
    #[test]
    fn transition_table() {
        use State::*;
        use Transition::*;
        let allowed: &[(Transition, State, State)] = &[
            (Confirm, Pending, Confirmed),
            (Process, Confirmed, Processing),
            (Process, Failed, Processing),
            (Complete, Processing, Completed),
            (Fail, Processing, Failed),
            (Deny, Pending, Denied),
            (Deny, Confirmed, Denied),
            (Deny, Processing, Denied),
            (Deny, Failed, Denied),
            (Cancel, Pending, Cancelled),
            (Cancel, Confirmed, Cancelled),
            (Cancel, Processing, Cancelled),
            (Cancel, Failed, Cancelled),
            (Expire, Pending, Expired),
        ];
        for t in Transition::ALL {
            for from in State::ALL {
                let expected = allowed.iter().find(|(tt, f, _)| *tt == t && *f == from).map(|(_, _, to)| *to);
                assert_eq!(t.apply(from), expected, "{t:?} from {from:?}");
            }
        }
    }

    #[test]
    fn final_states_allow_nothing() {
        for state in State::ALL.into_iter().filter(|s| s.is_final()) {
            for t in Transition::ALL {
                assert_eq!(t.apply(state), None, "{t:?} from final {state:?}");
            }
        }
    }
}
