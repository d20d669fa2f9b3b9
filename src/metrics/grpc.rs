//! Per-RPC metrics as go-grpc-prometheus's server interceptors count them: a tower layer
//! around every service, outermost, so that calls refused by the auth, rate and deadline
//! layers are counted with the code they got.
//!
//! An RPC is started when its request arrives and handled when its status is known: in the
//! response headers for a trailers-only answer (every refusal, most errors), otherwise in the
//! trailers after the last message, which for a server stream (`WatchPrivacyRequest`,
//! `DownloadExport`) is when the stream ends. A response body dropped before its trailers
//! (the client went away) counts as `Canceled`, as grpc-go reports it.
//!
//! Only the methods privacyd serves are counted, by the service and method names of the
//! compiled descriptors: a path nobody serves is not a series (cardinality), and HTTP pages
//! are not RPCs.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use http_body::Frame;
use prost::Message;
use tonic::{Code, body::Body};
use tower::{Layer, Service};

use super::{Metrics, RpcLabels};

type Data = <Body as http_body::Body>::Data;

/// Every served method's labels, by path (`/package.Service/Method`).
#[derive(Clone)]
pub struct Methods(Arc<HashMap<String, RpcLabels>>);

/// Read once per process: the names are leaked into `&'static str` labels, a few dozen
/// strings once, not once per server.
static SERVED: std::sync::LazyLock<Methods> = std::sync::LazyLock::new(Methods::read);

impl Methods {
    /// The methods of privacyd's services, health and reflection, from their descriptors.
    pub fn served() -> Self {
        SERVED.clone()
    }

    fn read() -> Self {
        let sets: [&[u8]; 4] = [
            crate::proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ];
        let mut methods = HashMap::new();
        for set in sets {
            // Compiled in; a set that does not decode is a build defect, caught by every test.
            let set = prost_types::FileDescriptorSet::decode(set).expect("compiled-in descriptors decode");
            for file in set.file {
                for service in &file.service {
                    let full = format!("{}.{}", file.package(), service.name());
                    // Only what privacyd serves: its protos also hold the plugin protocol,
                    // which it calls as a client.
                    if !crate::grpc::REFLECTED_SERVICES.contains(&full.as_str()) {
                        continue;
                    }
                    let service_name: &'static str = Box::leak(full.clone().into_boxed_str());
                    for method in &service.method {
                        let grpc_type = match (method.client_streaming(), method.server_streaming()) {
                            (false, false) => "unary",
                            (true, false) => "client_stream",
                            (false, true) => "server_stream",
                            (true, true) => "bidi_stream",
                        };
                        let name: &'static str = Box::leak(method.name().to_owned().into_boxed_str());
                        methods.insert(
                            format!("/{full}/{name}"),
                            RpcLabels { grpc_type, grpc_service: service_name, grpc_method: name },
                        );
                    }
                }
            }
        }
        Methods(Arc::new(methods))
    }
}

#[derive(Clone)]
pub struct RpcMetricsLayer {
    metrics: Metrics,
    methods: Methods,
}

impl RpcMetricsLayer {
    pub fn new(metrics: Metrics) -> Self {
        RpcMetricsLayer { metrics, methods: Methods::served() }
    }
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;
    fn layer(&self, inner: S) -> RpcMetrics<S> {
        RpcMetrics { inner, metrics: self.metrics.clone(), methods: self.methods.clone() }
    }
}

#[derive(Clone)]
pub struct RpcMetrics<S> {
    inner: S,
    metrics: Metrics,
    methods: Methods,
}

impl<S, B> Service<http::Request<B>> for RpcMetrics<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>> + Send,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let labels = is_grpc(&request).then(|| self.methods.0.get(request.uri().path()).cloned()).flatten();
        let future = self.inner.call(request);
        let Some(labels) = labels else {
            return Box::pin(future);
        };
        self.metrics.rpc_started(&labels);
        let call = Call { metrics: self.metrics.clone(), labels, started: Instant::now() };
        Box::pin(async move {
            let response = match future.await {
                Ok(response) => response,
                Err(err) => {
                    // The connection layer turns this into a reset stream, which a client
                    // sees as a failure it did not cause.
                    call.end(Code::Unknown);
                    return Err(err);
                }
            };
            if let Some(code) = grpc_status(response.headers()) {
                call.end(code);
                return Ok(response);
            }
            let (parts, body) = response.into_parts();
            if http_body::Body::is_end_stream(&body) {
                // Neither headers nor trailers will carry a status: not a gRPC answer.
                call.end(Code::Unknown);
                return Ok(http::Response::from_parts(parts, body));
            }
            Ok(http::Response::from_parts(parts, Body::new(Metered { inner: body, call: Some(call) })))
        })
    }
}

fn is_grpc<B>(request: &http::Request<B>) -> bool {
    request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

fn grpc_status(headers: &http::HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(Code::from_i32(value))
}

/// One RPC, until it is counted as handled.
struct Call {
    metrics: Metrics,
    labels: RpcLabels,
    started: Instant,
}

impl Call {
    fn end(self, code: Code) {
        self.metrics.rpc_handled(&self.labels, code, self.started.elapsed());
    }
}

/// A response body that counts its RPC as handled when the trailers pass.
struct Metered {
    inner: Body,
    call: Option<Call>,
}

impl http_body::Body for Metered {
    type Data = Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame.trailers_ref().map(|t| grpc_status(t).unwrap_or(Code::Unknown)),
            Poll::Ready(Some(Err(_))) => Some(Code::Unknown),
            Poll::Ready(None) => Some(Code::Unknown),
            Poll::Pending => None,
        };
        // (Taken only once the status is known: a data frame must leave the call in place.)
        if let Some(code) = code
            && let Some(call) = self.call.take()
        {
            call.end(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.end(Code::Cancelled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every method privacyd serves has labels, with the type its descriptor gives; the plugin
    /// protocol, which privacyd only calls, has none.
    #[test]
    fn the_served_methods_and_their_types_come_from_the_descriptors() {
        let methods = Methods::served();
        let of = |path: &str| methods.0.get(path).unwrap_or_else(|| panic!("{path} is not counted"));
        for (service, method, _) in crate::grpc::METHODS {
            let labels = of(&format!("{service}{method}"));
            let expected =
                if ["WatchPrivacyRequest", "DownloadExport"].contains(method) { "server_stream" } else { "unary" };
            assert_eq!(labels.grpc_type, expected, "{method}");
            assert_eq!(format!("/{}/", labels.grpc_service), *service);
        }
        assert_eq!(of("/grpc.health.v1.Health/Check").grpc_type, "unary");
        assert_eq!(of("/grpc.health.v1.Health/Watch").grpc_type, "server_stream");
        assert_eq!(of("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo").grpc_type, "bidi_stream");
        assert!(methods.0.keys().all(|path| !path.contains("datasource")), "the plugin protocol is not served");
        assert_eq!(methods.0.len(), crate::grpc::METHODS.len() + 4);
    }
}
