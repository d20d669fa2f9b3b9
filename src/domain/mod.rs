//! The domain: what a privacy request is and what may happen to it. Nothing here knows about
//! gRPC, HTTP or SQL; the layers around it translate to and from these types, so an invalid
//! value (a malformed email, an illegal state change) cannot reach the database.

mod admin;
mod audit;
mod erasure;
mod error;
mod fields;
mod listing;
mod operations;
mod progress;
mod request;
mod retention;
mod source;
mod state;
mod subject;
mod token;

pub use admin::{MIN_TOKEN_BITS, MIN_TOKEN_CHARS, Scope, Scopes, WeakToken, check_strength};
pub use audit::{Actor, AuditEvent, AuditEventType, NewAuditEvent, NewRegistryEvent, RegistryChange, RegistryEvent};
pub use erasure::{
    ErasureOutcome, ErasureSummary, Found, Leftover, MAX_COUNT, Retention, SourceErasure, Verification,
    VerificationState, checked_total,
};
pub use error::{Credential, Error, WatchScope};
pub use fields::{IdempotencyKey, PageSize, Reason};
pub use listing::{ActionStatistics, EmailSearch, ListFilter, ListOrder, StatisticsPeriod, TimeRange};
pub use operations::{DeadlineStatus, Operation};
pub use progress::{ArchiveBuild, Candidate, ExportArchive, Next, SkipReason, SourceOutcome, SourceRun, SourceState};
pub use request::{
    ConfirmOutcome, DEADLINE_DAYS, DeliveryState, EmailDelivery, EmailKind, LONGEST_DEADLINE_DAYS, PrivacyRequest,
    RequestId,
};
pub use retention::{RequestSubject, SourcesRemoved};
pub use source::{
    Capability, DataCategory, DataSource, LegalBasis, MaxConcurrentCalls, SourceConnection, SourceDescription,
    SourceEndpoint, SourceName, SourceTimeouts, parse_call_timeout,
};
pub use state::{Action, State, Transition};
pub use subject::{Subject, SubjectEmail, UserId, redact};
pub use token::{SecretToken, TokenHash};

/// Time is carried as UTC microseconds since the epoch: exact, orderable, and stored the same
/// way on SQLite and PostgreSQL.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// The current time at the precision it is stored with, so a value returned before it was
/// stored equals the same value read back.
pub fn now() -> Timestamp {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
