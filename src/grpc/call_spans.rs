//! One span per incoming call, gRPC or HTTP, that continues the caller's trace when the call
//! carries a W3C `traceparent` (see `traces`). A gRPC call's span is named and described as
//! the OpenTelemetry semantic conventions for RPC say (`privacy.v1.PrivacyRequestService/
//! GetPrivacyRequest`; `rpc.system`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code`) and
//! lasts until its response's last byte, so a streamed download's span covers the stream and
//! ends with the code in its trailers.
//!
//! A span holds no text the caller chose: a gRPC path is named only if it is one of
//! privacyd's methods, and an HTTP request is named by its method alone, since the emailed
//! links carry tokens in their query and any path can be typed into a browser.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use futures::future::BoxFuture;
use http_body::{Frame, SizeHint};
use tonic::{Code, body::Body};
use tower::{Layer, Service};
use tracing::{Instrument, field::Empty};

use crate::traces;

/// Methods privacyd serves besides `privacy.v1`'s (see `super::auth::METHODS`).
const INFRASTRUCTURE_METHODS: &[&str] = &[
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

#[derive(Clone, Default)]
pub struct CallSpansLayer;

impl<S> Layer<S> for CallSpansLayer {
    type Service = CallSpans<S>;
    fn layer(&self, inner: S) -> CallSpans<S> {
        CallSpans { inner }
    }
}

#[derive(Clone)]
pub struct CallSpans<S> {
    inner: S,
}

impl<S, B> Service<http::Request<B>> for CallSpans<S>
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
        let grpc = is_grpc(request.headers());
        let span = if grpc { grpc_span(request.uri().path()) } else { http_span(request.method()) };
        if span.is_disabled() {
            // Traces are off: no span, no wrapped body.
            return Box::pin(self.inner.call(request));
        }
        traces::continue_from_headers(&span, request.headers());
        let call = span.in_scope(|| self.inner.call(request)).instrument(span.clone());
        Box::pin(async move {
            let response = call.await?;
            if !grpc {
                span.record("http.response.status_code", i64::from(response.status().as_u16()));
                return Ok(response);
            }
            // A trailers-only response (how tonic answers an error) has its status in the
            // headers; any other has it in the trailers, at the end of the body.
            let code = grpc_status(response.headers());
            if let Some(code) = code {
                record_code(&span, code);
            }
            Ok(response.map(|body| Body::new(TracedBody { inner: body, span, recorded: code.is_some() })))
        })
    }
}

fn is_grpc(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

fn grpc_span(path: &str) -> tracing::Span {
    let known = super::access(path).is_some() || INFRASTRUCTURE_METHODS.contains(&path);
    let name = if known { &path[1..] } else { "unknown method" };
    let (service, method) = name.split_once('/').unwrap_or((name, ""));
    tracing::info_span!(
        "grpc call",
        otel.name = name,
        otel.kind = "server",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = Empty,
    )
}

fn http_span(method: &http::Method) -> tracing::Span {
    tracing::info_span!(
        "http request",
        otel.name = format!("HTTP {method}"),
        otel.kind = "server",
        http.request.method = %method,
        http.response.status_code = Empty,
    )
}

fn grpc_status(headers: &http::HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(Code::from_i32(value))
}

/// Records a call's code; the codes that mean the server failed mark the span as an error, as
/// the semantic conventions for gRPC servers say (a NOT_FOUND is the caller's mistake).
fn record_code(span: &tracing::Span, code: Code) {
    span.record("rpc.grpc.status_code", code as i64);
    if matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    ) {
        span.record("otel.status_code", "ERROR");
    }
}

/// A gRPC response body that records the code in its trailers on its call's span, and keeps
/// the span open until the body ends or is dropped.
struct TracedBody {
    inner: Body,
    span: tracing::Span,
    /// Whether the call's code is on the span.
    recorded: bool,
}

impl http_body::Body for TracedBody {
    type Data = <Body as http_body::Body>::Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame.trailers_ref().and_then(grpc_status),
            Poll::Ready(Some(Err(status))) => Some(status.code()),
            _ => None,
        };
        if let Some(code) = code
            && !self.recorded
        {
            record_code(&self.span, code);
            self.recorded = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for TracedBody {
    fn drop(&mut self) {
        // Dropped before its trailers: the client went away mid-response, which its side sees
        // as CANCELLED.
        if !self.recorded {
            record_code(&self.span, Code::Cancelled);
        }
    }
}
