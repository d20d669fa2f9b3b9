use super::{Action, RequestId, State};

/// Everything that can go wrong with a request, in terms a caller can act on. The gRPC layer
/// maps each variant to a status code and a stable `ErrorInfo.reason`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("{field}: {message}")]
    InvalidField { field: &'static str, message: String },
    #[error("page_token is invalid: {0}")]
    InvalidPageToken(&'static str),
    #[error("request_id {0:?} was already used for a different request")]
    RequestIdReused(String),
    #[error("no privacy request with id {0}")]
    NotFound(String),
    #[error("the subject already has an unfinished {action} request: {existing}")]
    DuplicateRequest { existing: RequestId, action: Action },
    #[error("cannot {attempted} a request that is {state}")]
    IllegalTransition { state: State, attempted: &'static str },
    #[error("the deadline may be extended by two months at most: {requested} more days would pass {limit}")]
    DeadlineExtensionExceeded { requested: i32, limit: String },
    /// A subject's token that does not match (or a request id that does not exist: the two
    /// are answered alike). Names the credential, so a subject holding two links knows which
    /// one failed.
    #[error("the {0} is not valid for this request")]
    InvalidToken(Credential),
    #[error("the confirmation link expired; the request is now EXPIRED")]
    TokenExpired,
    #[error("the confirmation link was already used; the request is {0}")]
    TokenUsed(State),
    /// Withdrawal is refused: the message says why (see `PrivacyRequest::check_withdrawal`).
    #[error("the request cannot be withdrawn: {0}")]
    NotWithdrawable(String),
    /// A change of where or how a source is reached (endpoint, TLS, CA) while a token is
    /// stored: the token was given for the old address and must be given again, as curl and
    /// the Fetch standard drop `Authorization` when a request moves to another origin.
    #[error(
        "changing {changed} of a source with a stored auth_token needs the token again in the same call \
         (auth_token: the token for the new address, or \"\" for none); the stored one is never sent to a new address"
    )]
    AuthTokenRequired { changed: String },
    #[error("no data source named {0:?}")]
    SourceNotFound(String),
    #[error("a data source named {0:?} is already registered")]
    SourceExists(String),
    #[error("data source {source_name:?} did not answer Describe: {message}")]
    SourceUnreachable { source_name: String, message: String },
    #[error("data source {source_name:?} speaks protocol version {version}; privacyd speaks version 1")]
    UnsupportedProtocolVersion { source_name: String, version: u32 },
    #[error("data source {source_name:?} described itself invalidly: {message}")]
    InvalidDescription { source_name: String, message: String },
    /// Processing would reach no data source: none is registered, enabled and capable of the
    /// action. `registered` says what each registered source lacks.
    #[error(
        "no enabled data source can {}: {registered}; register or enable one that can, then process the request again",
        action.verb()
    )]
    NoCapableSource { action: Action, registered: String },
    #[error("the export archive is not ready: the request is {0}")]
    ArchiveNotReady(State),
    #[error("the export archive expired and was deleted")]
    ArchiveExpired,
    #[error("the request is an export; only erasures have receipts")]
    NotAnErasure,
    #[error("the erasure has not completed: the request is {0}")]
    ReceiptNotReady(State),
    #[error(
        "{scope} already has {limit} watches open, as many as allowed (--watch-max{}); \
         end one (watches also end when their request is final) and try again",
        scope.flag_suffix()
    )]
    TooManyWatches { limit: usize, scope: WatchScope },
    /// A completed erasure's stored receipt is gone (deleted past the write-once trigger) and
    /// the source runs it is written from were removed after `--job-retention`, so it cannot be
    /// issued again: a new one would list no source.
    #[error(
        "the erasure's receipt is missing from the database and its source runs were removed after \
         --job-retention, so it cannot be issued again; restore the erasure_receipts row from a backup"
    )]
    ReceiptLost,
    /// The request's subject was purged after the retention period (`--request-retention`,
    /// GDPR Art. 5(1)(e)): what needs their identifiers cannot be done any more.
    #[error(
        "the subject's personal data was purged at {} after the request's retention period (--request-retention)",
        purge_time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )]
    SubjectPurged { purge_time: super::Timestamp },
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Which of a subject's credentials an [`Error::InvalidToken`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// The token of the confirmation link (it also withdraws an erasure in its cooling-off
    /// period).
    ConfirmationToken,
    /// The token of the "export ready" email's download link.
    DownloadToken,
    /// The token of a status link, in every email to the subject (it only reads).
    StatusToken,
}

impl Credential {
    /// The name errors use, also the `credential` metadata of the gRPC status.
    pub fn as_str(self) -> &'static str {
        match self {
            Credential::ConfirmationToken => "confirmation token",
            Credential::DownloadToken => "download token",
            Credential::StatusToken => "status token",
        }
    }
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidField { field, message: message.into() }
    }
}

/// Which limit on open watches a new one would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchScope {
    /// The admin token the call came with.
    Token,
    /// This replica, whoever holds them.
    Replica,
}

impl WatchScope {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchScope::Token => "TOKEN",
            WatchScope::Replica => "REPLICA",
        }
    }

    fn flag_suffix(self) -> &'static str {
        match self {
            WatchScope::Token => "-per-token",
            WatchScope::Replica => "",
        }
    }
}

impl std::fmt::Display for WatchScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WatchScope::Token => "this admin token",
            WatchScope::Replica => "this privacyd replica",
        })
    }
}
