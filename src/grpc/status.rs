//! Domain errors as gRPC statuses: a code, a message that says what was wrong, and a
//! `google.rpc.ErrorInfo` with a stable reason that programs can switch on.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::Error;

pub const DOMAIN: &str = "privacyd";

pub fn status(code: Code, reason: &str, message: impl Into<String>, metadata: HashMap<String, String>) -> Status {
    Status::with_error_details(code, message, ErrorDetails::with_error_info(reason, DOMAIN, metadata))
}

impl From<Error> for Status {
    fn from(err: Error) -> Status {
        let mut metadata = HashMap::new();
        let (code, reason) = match &err {
            Error::InvalidField { field, .. } => {
                metadata.insert("field".to_owned(), (*field).to_owned());
                (Code::InvalidArgument, "INVALID_FIELD")
            }
            Error::InvalidPageToken(_) => (Code::InvalidArgument, "INVALID_PAGE_TOKEN"),
            Error::RequestIdReused(_) => (Code::InvalidArgument, "REQUEST_ID_REUSED"),
            Error::NotFound(_) => (Code::NotFound, "NOT_FOUND"),
            Error::DuplicateRequest { existing, .. } => {
                metadata.insert("existing_id".to_owned(), existing.to_string());
                (Code::AlreadyExists, "DUPLICATE_REQUEST")
            }
            Error::IllegalTransition { state, .. } => {
                metadata.insert("state".to_owned(), format!("STATE_{state}"));
                (Code::FailedPrecondition, "ILLEGAL_TRANSITION")
            }
            Error::DeadlineExtensionExceeded { .. } => (Code::FailedPrecondition, "DEADLINE_EXTENSION_EXCEEDED"),
            Error::InvalidToken(credential) => {
                metadata.insert("credential".to_owned(), credential.as_str().replace(' ', "_"));
                (Code::PermissionDenied, "INVALID_TOKEN")
            }
            Error::TokenExpired => (Code::FailedPrecondition, "TOKEN_EXPIRED"),
            Error::TokenUsed(state) => {
                metadata.insert("state".to_owned(), format!("STATE_{state}"));
                (Code::FailedPrecondition, "TOKEN_USED")
            }
            Error::NotWithdrawable(_) => (Code::FailedPrecondition, "NOT_WITHDRAWABLE"),
            Error::AuthTokenRequired { changed } => {
                metadata.insert("field".to_owned(), "auth_token".to_owned());
                metadata.insert("changed_fields".to_owned(), changed.clone());
                (Code::InvalidArgument, "AUTH_TOKEN_REQUIRED")
            }
            Error::SourceNotFound(_) => (Code::NotFound, "NOT_FOUND"),
            Error::SourceExists(_) => (Code::AlreadyExists, "ALREADY_EXISTS"),
            Error::SourceUnreachable { .. } => (Code::FailedPrecondition, "SOURCE_UNREACHABLE"),
            Error::UnsupportedProtocolVersion { .. } => (Code::FailedPrecondition, "UNSUPPORTED_PROTOCOL_VERSION"),
            Error::InvalidDescription { .. } => (Code::FailedPrecondition, "INVALID_DESCRIPTION"),
            Error::ArchiveNotReady(state) => {
                metadata.insert("state".to_owned(), format!("STATE_{state}"));
                (Code::FailedPrecondition, "EXPORT_NOT_READY")
            }
            Error::NoCapableSource { action, .. } => {
                metadata.insert("action".to_owned(), format!("ACTION_{action}"));
                (Code::FailedPrecondition, "NO_CAPABLE_SOURCE")
            }
            Error::ArchiveExpired => (Code::FailedPrecondition, "ARCHIVE_EXPIRED"),
            Error::NotAnErasure => (Code::FailedPrecondition, "NOT_AN_ERASURE"),
            Error::ReceiptNotReady(state) => {
                metadata.insert("state".to_owned(), format!("STATE_{state}"));
                (Code::FailedPrecondition, "RECEIPT_NOT_READY")
            }
            Error::SubjectPurged { .. } => (Code::FailedPrecondition, "SUBJECT_PURGED"),
            Error::ReceiptLost => (Code::DataLoss, "RECEIPT_LOST"),
            Error::TooManyWatches { limit, scope } => {
                metadata.insert("limit".to_owned(), limit.to_string());
                metadata.insert("scope".to_owned(), scope.as_str().to_owned());
                (Code::ResourceExhausted, "TOO_MANY_WATCHES")
            }
            Error::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                (Code::Unavailable, "UNAVAILABLE")
            }
            Error::Internal(detail) => {
                // The detail is for the log; callers learn only that it was our fault.
                tracing::error!(error = %detail, "internal error");
                return status(Code::Internal, "INTERNAL", "internal error; see privacyd's log", metadata);
            }
        };
        status(code, reason, err.to_string(), metadata)
    }
}
