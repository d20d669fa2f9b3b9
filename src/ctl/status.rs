//! A failed call to privacyd as the operator reads it: which call, the gRPC code, the message,
//! and the stable reason (with its metadata) from the `google.rpc.ErrorInfo` privacyd puts in
//! every error, since that is what scripts and runbooks switch on.

use std::fmt;

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// The canonical name of a gRPC code, as the protocol documents and other languages print it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A call to privacyd that failed.
#[derive(Debug, thiserror::Error)]
pub struct RpcError {
    pub rpc: &'static str,
    pub status: Status,
}

impl RpcError {
    /// The ErrorInfo reason, when privacyd sent one.
    pub fn reason(&self) -> Option<String> {
        self.status.get_details_error_info().map(|info| info.reason)
    }
}

impl fmt::Display for RpcError {
    /// `GetPrivacyRequest: NOT_FOUND: no privacy request ... (reason NOT_FOUND)`, with the
    /// ErrorInfo metadata after the reason (`existing_id 0193...`), sorted so output is stable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.rpc, code_name(self.status.code()), self.status.message())?;
        if let Some(info) = self.status.get_details_error_info() {
            let mut metadata: Vec<_> = info.metadata.iter().collect();
            metadata.sort();
            write!(f, " (reason {}", info.reason)?;
            for (key, value) in metadata {
                write!(f, ", {key} {value}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// Names the call a result came from, and unwraps the response.
pub trait Rpc<T> {
    fn rpc(self, name: &'static str) -> Result<T, RpcError>;
}

impl<T> Rpc<T> for Result<tonic::Response<T>, Status> {
    fn rpc(self, name: &'static str) -> Result<T, RpcError> {
        self.map(tonic::Response::into_inner).map_err(|status| RpcError { rpc: name, status })
    }
}

/// For errors that arrive in a stream: `stream.message().await.map_err(failed("WatchPrivacyRequest"))`.
pub fn failed(rpc: &'static str) -> impl FnOnce(Status) -> RpcError {
    move |status| RpcError { rpc, status }
}
