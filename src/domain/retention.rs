//! What a finished request keeps as it ages. GDPR Art. 5(1)(e) (storage limitation): personal
//! data is "kept in a form which permits identification of data subjects for no longer than is
//! necessary". A finished request (see [`State::is_final`](super::State::is_final)) loses first
//! its per-source details (`--job-retention`), then its subject (`--request-retention`); its id,
//! action, states, times, outcome, audit events and erasure receipt stay, none of which names
//! the subject (a receipt holds only a keyed hash).

use super::{ErasureSummary, Error, Subject, Timestamp};

/// Whom a request is about, as far as privacyd still knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestSubject {
    /// The subject's identifiers as given.
    Known(Subject),
    /// Removed after `--request-retention`: the request no longer says whom it was about.
    Purged {
        /// When the identifiers were removed.
        purge_time: Timestamp,
    },
}

impl RequestSubject {
    /// The subject, for work that needs it (emails, data source calls, a receipt's subject
    /// hashes). Only finished requests are purged and such work is over by then, so the error
    /// is for a caller that reaches for the subject of an old request (a receipt re-issued
    /// after the stored one went missing, say): FAILED_PRECONDITION, reason SUBJECT_PURGED.
    pub fn known(&self) -> Result<&Subject, Error> {
        match self {
            RequestSubject::Known(subject) => Ok(subject),
            RequestSubject::Purged { purge_time } => Err(Error::SubjectPurged { purge_time: *purge_time }),
        }
    }

    /// `text` with the subject's identifiers redacted (see [`Subject::redact`]); as it is once
    /// they were purged, since privacyd no longer knows what to look for.
    pub fn redact(&self, text: &str) -> String {
        match self {
            RequestSubject::Known(subject) => subject.redact(text),
            RequestSubject::Purged { .. } => text.to_owned(),
        }
    }

    /// When the subject was purged; `None` while it is known.
    pub fn purge_time(&self) -> Option<Timestamp> {
        match self {
            RequestSubject::Known(_) => None,
            RequestSubject::Purged { purge_time } => Some(*purge_time),
        }
    }
}

impl From<Subject> for RequestSubject {
    fn from(subject: Subject) -> Self {
        RequestSubject::Known(subject)
    }
}

/// A finished request whose source runs and jobs were removed after `--job-retention`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcesRemoved {
    /// When they were removed.
    pub remove_time: Timestamp,
    /// A COMPLETED erasure's outcome as it was computed from the runs before they went (see
    /// [`PrivacyRequest::erasure_summary`](super::PrivacyRequest::erasure_summary)); `None` for
    /// any other request.
    pub erasure: Option<ErasureSummary>,
}
