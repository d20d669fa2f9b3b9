use super::{EmailKind, RequestId, SourceName, State, Timestamp};

/// Who did something. Never holds personal data: admins are named by their token's
/// fingerprint, the subject only by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An operator, by admin token fingerprint.
    Admin(String),
    /// The data subject, proven by a token emailed to them.
    Subject,
    /// privacyd itself; the string names the part that acted.
    System(String),
}

impl Actor {
    pub fn system(part: &str) -> Self {
        Actor::System(part.to_owned())
    }

    pub fn kind_str(&self) -> &'static str {
        match self {
            Actor::Admin(_) => "ADMIN",
            Actor::Subject => "SUBJECT",
            Actor::System(_) => "SYSTEM",
        }
    }

    pub fn id_str(&self) -> &str {
        match self {
            Actor::Admin(id) | Actor::System(id) => id,
            Actor::Subject => "",
        }
    }

    pub fn from_parts(kind: &str, id: String) -> Option<Self> {
        match kind {
            "ADMIN" => Some(Actor::Admin(id)),
            "SUBJECT" => Some(Actor::Subject),
            "SYSTEM" => Some(Actor::System(id)),
            _ => None,
        }
    }
}

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEventType {
    Created,
    Confirmed,
    ConfirmationResent,
    ProcessingStarted,
    Completed,
    Failed,
    Denied,
    Cancelled,
    Expired,
    Deleted,
    DeadlineExtended,
    EmailSent,
    EmailFailed,
    SourceSucceeded,
    SourceFailed,
    ArchiveCreated,
    ArchiveDownloaded,
    ArchiveDeleted,
    ErasureScheduled,
    ErasureVerificationFailed,
    DataSourceRegistered,
    DataSourceUpdated,
    DataSourceDeleted,
    /// A source's part was stopped by the cancellation of a request in PROCESSING.
    SourceCancelled,
    /// The subject's identifiers were removed from a finished request after
    /// `--request-retention` (GDPR Art. 5(1)(e)).
    SubjectPurged,
}

impl AuditEventType {
    const ALL: [AuditEventType; 25] = [
        AuditEventType::Created,
        AuditEventType::Confirmed,
        AuditEventType::ConfirmationResent,
        AuditEventType::ProcessingStarted,
        AuditEventType::Completed,
        AuditEventType::Failed,
        AuditEventType::Denied,
        AuditEventType::Cancelled,
        AuditEventType::Expired,
        AuditEventType::Deleted,
        AuditEventType::DeadlineExtended,
        AuditEventType::EmailSent,
        AuditEventType::EmailFailed,
        AuditEventType::SourceSucceeded,
        AuditEventType::SourceFailed,
        AuditEventType::ArchiveCreated,
        AuditEventType::ArchiveDownloaded,
        AuditEventType::ArchiveDeleted,
        AuditEventType::ErasureScheduled,
        AuditEventType::ErasureVerificationFailed,
        AuditEventType::DataSourceRegistered,
        AuditEventType::DataSourceUpdated,
        AuditEventType::DataSourceDeleted,
        AuditEventType::SourceCancelled,
        AuditEventType::SubjectPurged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditEventType::Created => "CREATED",
            AuditEventType::Confirmed => "CONFIRMED",
            AuditEventType::ConfirmationResent => "CONFIRMATION_RESENT",
            AuditEventType::ProcessingStarted => "PROCESSING_STARTED",
            AuditEventType::Completed => "COMPLETED",
            AuditEventType::Failed => "FAILED",
            AuditEventType::Denied => "DENIED",
            AuditEventType::Cancelled => "CANCELLED",
            AuditEventType::Expired => "EXPIRED",
            AuditEventType::Deleted => "DELETED",
            AuditEventType::DeadlineExtended => "DEADLINE_EXTENDED",
            AuditEventType::EmailSent => "EMAIL_SENT",
            AuditEventType::EmailFailed => "EMAIL_FAILED",
            AuditEventType::SourceSucceeded => "SOURCE_SUCCEEDED",
            AuditEventType::SourceFailed => "SOURCE_FAILED",
            AuditEventType::ArchiveCreated => "ARCHIVE_CREATED",
            AuditEventType::ArchiveDownloaded => "ARCHIVE_DOWNLOADED",
            AuditEventType::ArchiveDeleted => "ARCHIVE_DELETED",
            AuditEventType::ErasureScheduled => "ERASURE_SCHEDULED",
            AuditEventType::ErasureVerificationFailed => "ERASURE_VERIFICATION_FAILED",
            AuditEventType::DataSourceRegistered => "DATA_SOURCE_REGISTERED",
            AuditEventType::DataSourceUpdated => "DATA_SOURCE_UPDATED",
            AuditEventType::DataSourceDeleted => "DATA_SOURCE_DELETED",
            AuditEventType::SourceCancelled => "SOURCE_CANCELLED",
            AuditEventType::SubjectPurged => "SUBJECT_PURGED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// An event about to be appended to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub request_id: RequestId,
    pub time: Timestamp,
    pub actor: Actor,
    pub event_type: AuditEventType,
    pub from_state: Option<State>,
    pub to_state: Option<State>,
    pub detail: String,
    pub email_kind: Option<EmailKind>,
}

impl NewAuditEvent {
    pub fn new(request_id: RequestId, actor: Actor, event_type: AuditEventType, time: Timestamp) -> Self {
        NewAuditEvent {
            request_id,
            time,
            actor,
            event_type,
            from_state: None,
            to_state: None,
            detail: String::new(),
            email_kind: None,
        }
    }

    pub fn with_states(mut self, from: Option<State>, to: Option<State>) -> Self {
        self.from_state = from;
        self.to_state = to;
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn with_email(mut self, kind: EmailKind) -> Self {
        self.email_kind = Some(kind);
        self
    }
}

/// An event as stored, with its place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub sequence: i64,
    pub event: NewAuditEvent,
}

/// A change to the data source registry. It goes in the same append-only log as request events
/// (one sequence orders both) but belongs to no request, so no request's history or erasure
/// receipt chain includes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistryEvent {
    pub source: SourceName,
    pub time: Timestamp,
    pub actor: Actor,
    pub change: RegistryChange,
    /// The settings (registered) or the fields that changed (updated), never a credential.
    pub detail: String,
}

/// What happened to a data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryChange {
    Registered,
    Updated,
    Deleted,
}

impl RegistryChange {
    pub fn event_type(self) -> AuditEventType {
        match self {
            RegistryChange::Registered => AuditEventType::DataSourceRegistered,
            RegistryChange::Updated => AuditEventType::DataSourceUpdated,
            RegistryChange::Deleted => AuditEventType::DataSourceDeleted,
        }
    }

    pub fn from_event_type(event_type: AuditEventType) -> Option<Self> {
        match event_type {
            AuditEventType::DataSourceRegistered => Some(RegistryChange::Registered),
            AuditEventType::DataSourceUpdated => Some(RegistryChange::Updated),
            AuditEventType::DataSourceDeleted => Some(RegistryChange::Deleted),
            _ => None,
        }
    }
}

/// A registry event as stored, with its place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEvent {
    pub sequence: i64,
    pub event: NewRegistryEvent,
}
