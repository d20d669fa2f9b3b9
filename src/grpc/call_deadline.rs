//! The caller's deadline, enforced on the server: a gRPC call whose `grpc-timeout` passes
//! before its response is ready is answered DEADLINE_EXCEEDED and its handler dropped, so
//! work nobody waits for stops. tonic's `Server` did this; privacyd serves its own
//! connections (see [`super::connections`]), so it does it here.
//!
//! `grpc-timeout` is "TimeoutValue TimeoutUnit": at most 8 digits, then H, M, S, m, u or n
//! (gRPC over HTTP/2, <https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md>).

use std::{
    task::{Context, Poll},
    time::Duration,
};

use futures::future::BoxFuture;
use tonic::body::Body;
use tower::{Layer, Service};

/// The deadline a `grpc-timeout` header value gives, or None if it is missing or malformed
/// (a malformed one is ignored, as tonic did, rather than failing the call).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if !value.is_ascii() || value.len() < 2 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    if digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[derive(Clone, Default)]
pub struct CallDeadlineLayer;

impl<S> Layer<S> for CallDeadlineLayer {
    type Service = CallDeadline<S>;
    fn layer(&self, inner: S) -> CallDeadline<S> {
        CallDeadline { inner }
    }
}

#[derive(Clone)]
pub struct CallDeadline<S> {
    inner: S,
}

impl<S, B> Service<http::Request<B>> for CallDeadline<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let deadline = request.headers().get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(parse_grpc_timeout);
        let call = self.inner.call(request);
        let Some(deadline) = deadline else { return Box::pin(call) };
        Box::pin(async move {
            match tokio::time::timeout(deadline, call).await {
                Ok(response) => response,
                Err(_) => Ok(tonic::Status::deadline_exceeded("the call's deadline (grpc-timeout) passed").into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_values() {
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout("30S"), Some(Duration::from_secs(30)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("99999999u"), Some(Duration::from_micros(99_999_999)));
        assert_eq!(parse_grpc_timeout("5n"), Some(Duration::from_nanos(5)));
        for bad in ["", "S", "123456789S", "10", "10x", "-1S", "1.5S", "１S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }
}
