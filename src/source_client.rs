//! The client side of the plugin protocol: how privacyd reaches a data source (TLS, a custom
//! CA, a bearer token, a deadline on every call) and turns what it answers into validated
//! domain values. Everything privacyd asks of a source goes through here.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use tonic::{
    Code, Request,
    metadata::{Ascii, MetadataValue},
    service::interceptor::InterceptedService,
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint},
};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tracing::Instrument;

use crate::{
    domain::{
        Capability, DataCategory, Error, LegalBasis, Retention, SourceConnection, SourceDescription, SourceErasure,
        SourceTimeouts,
    },
    proto::privacy::datasource::v1::{self as pb, data_source_service_client::DataSourceServiceClient},
};

/// The service name sources report health for.
pub const HEALTH_SERVICE: &str = "privacy.datasource.v1.DataSourceService";

/// A failed call to a source: the gRPC code and message it ended with. When the failure was
/// privacyd's side of the connection (connecting, a broken connection), the message names the
/// endpoint and the whole chain of causes, e.g. "connecting to http://127.0.0.1:1: tcp
/// connect error: Connection refused (os error 111)": "tcp connect error" alone says neither
/// where nor why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct CallError {
    pub code: Code,
    pub message: String,
}

impl CallError {
    /// The codes the protocol says privacyd retries.
    pub fn is_retryable(&self) -> bool {
        matches!(self.code, Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted)
    }

    /// Whether the source's answer could not be read as the protocol's messages: a message over
    /// the protocol's size limit (which gRPC reports as OUT_OF_RANGE, "decoded message length
    /// too large"), or bytes that are not the message they should be. The same source sends the
    /// same bytes again, so no call that failed so is retried, not even an export's.
    pub fn breaks_protocol(&self) -> bool {
        self.code == Code::OutOfRange
            || (self.code == Code::Internal && self.message.contains("failed to decode Protobuf message"))
    }

    /// privacyd's own deadline passed: `what` did not finish within `limit`.
    fn deadline(what: &str, limit: Duration) -> Self {
        CallError {
            code: Code::DeadlineExceeded,
            message: format!("{what}: no answer within {} (privacyd's deadline)", humantime::format_duration(limit)),
        }
    }
}

impl From<tonic::Status> for CallError {
    fn from(status: tonic::Status) -> Self {
        CallError { code: status.code(), message: status.message().to_owned() }
    }
}

/// The errors in `status`'s chain of causes, outermost first (`Status` keeps the error it was
/// made from when the failure was on privacyd's side).
fn causes(status: &tonic::Status) -> Vec<&(dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = std::error::Error::source(status);
    while let Some(err) = next {
        out.push(err);
        // `io::Error::source` skips the error it wraps; step into it.
        next = match err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner),
            None => err.source(),
        };
    }
    out
}

/// Why an `Erase` call did not give a usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EraseFailure {
    /// The call failed (or ran out of time) with this code.
    #[error("{0}")]
    Call(CallError),
    /// The source answered, but against the protocol; asking again will not help.
    #[error("protocol violation: {0}")]
    Protocol(String),
}

impl EraseFailure {
    pub fn is_retryable(&self) -> bool {
        matches!(self, EraseFailure::Call(call) if call.is_retryable())
    }
}

/// What the source's health service says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Serving,
    NotServing,
    Unreachable,
}

/// What every call to a source carries besides its message: the bearer token, and the W3C
/// trace context of privacyd's span for the call (`traceparent`, `tracestate`), so the source
/// can continue the trace (docs/plugin-guide.md, "Traces").
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, tonic::Status> {
        if let Some(token) = &self.0 {
            request.metadata_mut().insert("authorization", token.clone());
        }
        // Interceptors run as the call is first polled, inside the call's span.
        crate::traces::inject_into(request.metadata_mut());
        Ok(request)
    }
}

/// The protocol's service, as spans name it.
const SERVICE: &str = "privacy.datasource.v1.DataSourceService";

/// A span for one call privacyd makes to a source, named as the OpenTelemetry semantic
/// conventions for RPC clients say. `source` is the registered name ("" for a source not yet
/// registered, or the conformance kit's).
fn call_span(source: &str, service: &str, method: &'static str) -> tracing::Span {
    tracing::info_span!(
        "source call",
        otel.name = format!("{service}/{method}"),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = tracing::field::Empty,
        source,
    )
}

/// Records how a source call ended; any failure marks the span as an error (for a client
/// every code but OK is one, in the semantic conventions).
fn record_code(span: &tracing::Span, code: Code) {
    span.record("rpc.grpc.status_code", code as i64);
    if code != Code::Ok {
        span.record("otel.status_code", "ERROR");
    }
}

/// A connection to one data source.
#[derive(Clone)]
pub struct SourceClient {
    channel: Channel,
    bearer: Bearer,
    endpoint: String,
    call_timeout: Duration,
    timeouts: SourceTimeouts,
    /// Set while the latest connection attempt got no answer (see `connect::FirstAnswer`).
    unanswered: Arc<AtomicBool>,
    /// The source's registered name, for spans; empty when there is none.
    name: String,
    /// Where each call's latency and failure are counted, under the source's name.
    observer: Option<Observer>,
}

/// Counts a client's calls in the metrics, under the source's registered name (names are
/// chosen by operators and bounded, never personal data).
#[derive(Clone)]
struct Observer {
    metrics: crate::metrics::Metrics,
    source: String,
}

impl Observer {
    fn record(observer: &Option<Observer>, method: &'static str, started: Instant, failed: Option<Code>) {
        if let Some(o) = observer {
            o.metrics.source_call(&o.source, method, started.elapsed(), failed);
        }
    }
}

impl SourceClient {
    /// Prepares a connection; it is made on the first call, so an unreachable source shows up
    /// as that call's UNAVAILABLE, with the reason.
    pub fn new(connection: &SourceConnection) -> Result<Self, Error> {
        let endpoint = connection.endpoint.as_str();
        let https = endpoint.starts_with("https://");
        if connection.tls != https {
            return Err(Error::invalid(
                "tls",
                if connection.tls { "needs an https:// endpoint" } else { "is off, so the endpoint must be http://" },
            ));
        }
        let connect_timeout = connection.timeouts.connect;
        let mut builder = Endpoint::from_shared(endpoint.to_owned())
            .map_err(|e| Error::invalid("endpoint", e.to_string()))?
            .connect_timeout(connect_timeout)
            .tcp_nodelay(true)
            .initial_stream_window_size(RECEIVE_WINDOW_BYTES)
            .initial_connection_window_size(RECEIVE_WINDOW_BYTES);
        if connection.tls {
            let tls = match &connection.ca_cert_pem {
                Some(pem) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
                None => ClientTlsConfig::new().with_native_roots(),
            };
            builder = builder.tls_config(tls).map_err(|e| Error::invalid("ca_cert_pem", e.to_string()))?;
        }
        let bearer = match &connection.auth_token {
            Some(token) => Some(
                format!("Bearer {token}")
                    .parse()
                    .map_err(|_| Error::invalid("auth_token", "must be printable ASCII"))?,
            ),
            None => None,
        };
        let unanswered = Arc::new(AtomicBool::new(false));
        let connector = connect::FirstAnswer { within: connect_timeout, unanswered: unanswered.clone() };
        Ok(SourceClient {
            channel: builder.connect_with_connector_lazy(connector),
            unanswered,
            bearer: Bearer(bearer),
            endpoint: endpoint.to_owned(),
            call_timeout: connection.call_timeout,
            timeouts: connection.timeouts,
            name: String::new(),
            observer: None,
        })
    }

    /// A connection to a registered source, named in its calls' spans.
    pub fn for_source(source: &crate::domain::DataSource) -> Result<Self, Error> {
        Ok(SourceClient::new(&source.connection())?.named(&source.name))
    }

    /// This client with the source's name in its calls' spans.
    pub fn named(mut self, name: &crate::domain::SourceName) -> Self {
        self.name = name.as_str().to_owned();
        self
    }

    /// The same client, counting its calls in `metrics` under `source`
    /// (`privacyd_source_call_*`).
    pub fn observed(mut self, metrics: &crate::metrics::Metrics, source: &str) -> Self {
        self.observer = Some(Observer { metrics: metrics.clone(), source: source.to_owned() });
        self
    }

    /// The generated client, with the bearer token and the protocol's message size limit; for
    /// callers that need the source's answers as sent (the conformance kit).
    pub fn client(&self) -> DataSourceServiceClient<InterceptedService<Channel, Bearer>> {
        // Sources may stream files in chunks of up to 1 MiB plus framing; allow 4 MiB, the
        // protocol's limit.
        DataSourceServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
    }

    /// A request carrying the deadline, so the source knows when privacyd gives up.
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.set_timeout(self.call_timeout);
        request
    }

    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// What a failed call of `what` (started at `started`, under `deadline`) comes to.
    ///
    /// A deadline privacyd set is a deadline whichever layer notices it first (issue 9, item
    /// 14): tonic enforces the `grpc-timeout` privacyd sends with its own timer, which races
    /// privacyd's and, when it wins, ends the call CANCELLED "Timeout expired"; a tonic source
    /// ends a call whose `grpc-timeout` passed the same way. So a `TimeoutExpired` anywhere in
    /// the causes, or a CANCELLED once the deadline has passed (privacyd itself never cancels a
    /// call it still waits for), is DEADLINE_EXCEEDED, which is retried.
    pub fn call_error(&self, what: &str, status: tonic::Status, started: Instant, deadline: Duration) -> CallError {
        let causes = causes(&status);
        let timed_out = causes.iter().any(|e| e.is::<tonic::TimeoutExpired>())
            || (status.code() == Code::Cancelled && started.elapsed() >= deadline);
        if timed_out {
            return CallError::deadline(what, deadline);
        }
        if causes.is_empty() {
            // The source's own status, or one tonic made from what it sent.
            return status.into();
        }
        // privacyd's side of the connection failed: say where, and every cause (each layer's
        // message once; some repeat their source's).
        // (A `NoAnswer` reaches here as text only: h2 keeps an I/O error's kind and message, not
        // the error, hence the flag.)
        let connecting = causes.iter().any(|e| e.is::<tonic::ConnectError>()) || self.unanswered.load(Ordering::SeqCst);
        let mut message = format!("{} {}", if connecting { "connecting to" } else { "calling" }, self.endpoint);
        let mut said: Vec<String> = Vec::new();
        for text in std::iter::once(status.message().to_owned()).chain(causes.iter().map(|e| e.to_string())) {
            if text.is_empty() || said.iter().any(|s| s.contains(&text)) {
                continue;
            }
            message.push_str(": ");
            message.push_str(&text);
            said.push(text);
        }
        // A connection that never came up or broke is worth another try, whatever code the
        // layers chose for it.
        let code = if connecting { Code::Unavailable } else { status.code() };
        CallError { code, message }
    }

    /// Calls `Describe` and validates the answer. Also returns how long the call took.
    pub async fn describe(&self, source_name: &str) -> Result<(SourceDescription, Duration), Error> {
        let started = Instant::now();
        let span = call_span(source_name, SERVICE, "Describe");
        let mut client = self.client();
        let call = client.describe(self.request(pb::DescribeRequest {}));
        let unreachable = |message: String| Error::SourceUnreachable { source_name: source_name.to_owned(), message };
        let answer = match tokio::time::timeout(self.call_timeout, call).instrument(span.clone()).await {
            Ok(Ok(response)) => response.into_inner(),
            Ok(Err(status)) => {
                let error = self.call_error("Describe", status, started, self.call_timeout);
                record_code(&span, error.code);
                Observer::record(&self.observer, "Describe", started, Some(error.code));
                return Err(unreachable(error.to_string()));
            }
            Err(_) => {
                record_code(&span, Code::DeadlineExceeded);
                Observer::record(&self.observer, "Describe", started, Some(Code::DeadlineExceeded));
                return Err(unreachable(CallError::deadline("Describe", self.call_timeout).to_string()));
            }
        };
        record_code(&span, Code::Ok);
        Observer::record(&self.observer, "Describe", started, None);
        Ok((validate_description(source_name, answer)?, started.elapsed()))
    }

    /// Opens the source's export stream for a subject, as sent: the call carries the deadline.
    /// For the conformance kit; privacyd's own exports use [`SourceClient::export_stream`].
    pub async fn export(
        &self,
        message: pb::ExportRequest,
    ) -> Result<tonic::Streaming<pb::ExportResponse>, tonic::Status> {
        Ok(self.client().export(self.request(message)).await?.into_inner())
    }

    /// Opens the source's export stream for a subject under the source's stream limits (see
    /// [`ExportStream`]).
    pub async fn export_stream(&self, message: pb::ExportRequest) -> Result<ExportStream, CallError> {
        let started = Instant::now();
        let span = call_span(&self.name, SERVICE, "Export");
        let limits = self.timeouts;
        let mut request = Request::new(message);
        // The source learns the overall limit; the idle timeout is privacyd's to watch.
        request.set_timeout(limits.stream_max);
        let mut client = self.client();
        // Waiting on the source holds no executor slot (see `executor::without_slot`).
        let opened = crate::executor::without_slot(
            tokio::time::timeout(limits.stream_idle.min(limits.stream_max), client.export(request))
                .instrument(span.clone()),
        )
        .await;
        let failed = |error: CallError| {
            record_code(&span, error.code);
            Err(error)
        };
        let inner = match opened {
            Ok(Ok(response)) => response.into_inner(),
            Ok(Err(status)) => {
                let error = self.call_error("Export", status, started, limits.stream_max);
                Observer::record(&self.observer, "Export", started, Some(error.code));
                return failed(error);
            }
            Err(_) => {
                Observer::record(&self.observer, "Export", started, Some(Code::DeadlineExceeded));
                return failed(ExportStream::idle_error(limits.stream_idle, 0));
            }
        };
        Ok(ExportStream {
            client: self.clone(),
            inner,
            started,
            deadline: tokio::time::Instant::from_std(started) + limits.stream_max,
            received: 0,
            span: Some(span),
            ended: false,
        })
    }

    /// Calls `Erase` (idempotent per `privacy_request_id`) under the deadline and validates
    /// the answer.
    pub async fn erase(&self, message: pb::EraseRequest) -> Result<SourceErasure, EraseFailure> {
        let started = Instant::now();
        let span = call_span(&self.name, SERVICE, "Erase");
        let mut client = self.client();
        let call = client.erase(self.request(message));
        // Waiting on the source holds no executor slot (see `executor::without_slot`).
        let answer =
            match crate::executor::without_slot(tokio::time::timeout(self.call_timeout, call).instrument(span.clone()))
                .await
            {
                Ok(Ok(response)) => response.into_inner(),
                Ok(Err(status)) => {
                    let error = self.call_error("Erase", status, started, self.call_timeout);
                    record_code(&span, error.code);
                    Observer::record(&self.observer, "Erase", started, Some(error.code));
                    return Err(EraseFailure::Call(error));
                }
                Err(_) => {
                    record_code(&span, Code::DeadlineExceeded);
                    Observer::record(&self.observer, "Erase", started, Some(Code::DeadlineExceeded));
                    return Err(EraseFailure::Call(CallError::deadline("Erase", self.call_timeout)));
                }
            };
        record_code(&span, Code::Ok);
        Observer::record(&self.observer, "Erase", started, None);
        let retentions = answer
            .retentions
            .into_iter()
            .map(|r| Retention {
                group_id: r.group_id,
                items: r.items,
                reason: r.reason,
                legal_basis: legal_basis_from_message(r.legal_basis),
                retention_period: r.retention_period,
            })
            .collect();
        SourceErasure::parse(
            answer.items_removed,
            answer.items_retained,
            retentions,
            answer.messages,
            crate::domain::now(),
        )
        .map_err(EraseFailure::Protocol)
    }

    /// The source's grpc.health.v1 status for the plugin service.
    pub async fn health(&self) -> (Health, Option<String>) {
        let started = Instant::now();
        let span = call_span(&self.name, "grpc.health.v1.Health", "Check");
        let mut client = HealthClient::with_interceptor(self.channel.clone(), self.bearer.clone());
        let call = client.check(self.request(HealthCheckRequest { service: HEALTH_SERVICE.to_owned() }));
        let answered = tokio::time::timeout(self.call_timeout, call).instrument(span.clone()).await;
        let code = match &answered {
            Ok(Ok(_)) => Code::Ok,
            Ok(Err(status)) => status.code(),
            Err(_) => Code::DeadlineExceeded,
        };
        record_code(&span, code);
        // Counted as grpc.health.v1's method, `Check`.
        Observer::record(&self.observer, "Check", started, (code != Code::Ok).then_some(code));
        match answered {
            Ok(Ok(response)) => match response.into_inner().status() {
                ServingStatus::Serving => (Health::Serving, None),
                other => (Health::NotServing, Some(format!("health reports {}", other.as_str_name()))),
            },
            Ok(Err(status)) => (
                Health::Unreachable,
                Some(self.call_error("health check", status, started, self.call_timeout).to_string()),
            ),
            Err(_) => (Health::Unreachable, Some(CallError::deadline("health check", self.call_timeout).to_string())),
        }
    }
}

/// The protocol's limit on one message (docs/plugin-guide.md): file chunks of up to 1 MiB plus
/// framing fit with room to spare.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// How much a source may send before privacyd has taken it (HTTP/2 flow control, RFC 9113
/// section 5.2), per stream and per connection: what privacyd holds in memory for a source it
/// has not written to its spool yet. hyper's defaults (2 MiB a stream, 5 MiB a connection, or
/// up to 16 MiB with its adaptive window) let eight sources streaming 1 GiB hold 70 - 100 MiB
/// at peak; 512 KiB gives 47 - 53 MiB at 4% less throughput over loopback (256 KiB cost 12%;
/// issue 14, section 5). It caps one stream at 512 KiB per round trip: 500 MB/s at a 1 ms round
/// trip within a data centre, 10 MB/s across 50 ms.
const RECEIVE_WINDOW_BYTES: u32 = 512 * 1024;

/// An `Export` stream under the source's two limits (issue 9, item 18): no message for
/// `stream_idle_timeout` ends it (a stalled source), and so does `stream_max_duration` in all
/// (a source that never ends); a stream that keeps sending is not cut off by `call_timeout`,
/// which is sized for one answer. Both end it as DEADLINE_EXCEEDED, which is retried.
pub struct ExportStream {
    client: SourceClient,
    inner: tonic::Streaming<pb::ExportResponse>,
    started: Instant,
    deadline: tokio::time::Instant,
    received: u64,
    /// The call's span, open while the stream is; taken when its end is recorded.
    span: Option<tracing::Span>,
    /// Whether the call's end has been counted (see `Drop`).
    ended: bool,
}

impl ExportStream {
    /// The next message; `None` at the stream's end. Dropping the stream cancels the call.
    pub async fn next(&mut self) -> Option<Result<pb::ExportResponse, CallError>> {
        let limits = self.client.timeouts;
        let now = tokio::time::Instant::now();
        // Checked here too: a timer only fires while no message is ready, and a source that
        // sends faster than privacyd takes always has one ready.
        if now >= self.deadline {
            let overrun = self.overrun();
            self.end(overrun.code);
            return Some(Err(overrun));
        }
        let idle_until = now + limits.stream_idle;
        let span = self.span.clone().unwrap_or_else(tracing::Span::none);
        // Waiting for the source's next message holds no executor slot (see
        // `executor::without_slot`); the job takes one again to handle the message.
        let next = crate::executor::without_slot(
            tokio::time::timeout_at(idle_until.min(self.deadline), self.inner.message()).instrument(span),
        )
        .await;
        let next = match next {
            Ok(Ok(Some(message))) => {
                self.received += 1;
                return Some(Ok(message));
            }
            Ok(Ok(None)) => None,
            Ok(Err(status)) => Some(Err(self.client.call_error("Export", status, self.started, limits.stream_max))),
            Err(_) if idle_until < self.deadline => Some(Err(Self::idle_error(limits.stream_idle, self.received))),
            Err(_) => Some(Err(self.overrun())),
        };
        self.end(next.as_ref().map_or(Code::Ok, |e| e.as_ref().map_or_else(|e| e.code, |_| Code::Ok)));
        next
    }

    /// Records how the call ended, once: on its span, and in the metrics (see `Drop`).
    fn end(&mut self, code: Code) {
        if let Some(span) = self.span.take() {
            record_code(&span, code);
        }
        if !std::mem::replace(&mut self.ended, true) {
            Observer::record(&self.client.observer, "Export", self.started, (code != Code::Ok).then_some(code));
        }
    }

    fn overrun(&self) -> CallError {
        CallError {
            code: Code::DeadlineExceeded,
            message: format!(
                "Export: the stream did not end within {} (stream_max_duration; {} messages received)",
                humantime::format_duration(self.client.timeouts.stream_max),
                self.received
            ),
        }
    }

    fn idle_error(idle: Duration, received: u64) -> CallError {
        CallError {
            code: Code::DeadlineExceeded,
            message: format!(
                "Export: no message for {} (stream_idle_timeout; {received} messages received before)",
                humantime::format_duration(idle)
            ),
        }
    }
}

impl Drop for ExportStream {
    fn drop(&mut self) {
        // Dropped before its end: privacyd stopped reading (a quota, a cancelled request),
        // which cancels the call.
        self.end(Code::Cancelled);
    }
}

/// Connecting to a source, bounded by its `connect_timeout` from the first TCP packet to the
/// source's first bytes.
mod connect {
    use std::{
        pin::Pin,
        sync::{
            Arc,
            atomic::{AtomicBool, Ordering},
        },
        task::{Context, Poll},
        time::Duration,
    };

    use hyper_util::rt::TokioIo;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    /// A tower connector: TCP to the endpoint's host and port, the stream wrapped in
    /// [`AnswerWithin`]. (tonic adds TLS on top for https:// endpoints, and bounds the whole of
    /// its connector by `connect_timeout` too.)
    #[derive(Clone)]
    pub struct FirstAnswer {
        pub within: Duration,
        /// Set when a connection got no answer in time, cleared when one does.
        pub unanswered: Arc<AtomicBool>,
    }

    impl tower::Service<http::Uri> for FirstAnswer {
        type Response = TokioIo<AnswerWithin>;
        type Error = std::io::Error;
        type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, uri: http::Uri) -> Self::Future {
            let (within, unanswered) = (self.within, self.unanswered.clone());
            Box::pin(async move {
                let until = tokio::time::Instant::now() + within;
                let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
                let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
                let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
                stream.set_nodelay(true)?;
                let waiting = Some(Box::pin(tokio::time::sleep_until(until)));
                Ok(TokioIo::new(AnswerWithin { stream, waiting, within, unanswered }))
            })
        }
    }

    /// The source sent nothing within `connect_timeout` of privacyd starting to connect.
    #[derive(Debug, thiserror::Error)]
    #[error("no answer within {} of connecting (connect_timeout): the address accepts connections but nothing there speaks gRPC", humantime::format_duration(*.0))]
    pub struct NoAnswer(pub Duration);

    /// A TCP stream that fails its reads with [`NoAnswer`] unless the peer's first bytes
    /// arrive by a deadline. A gRPC server answers a new connection at once (the TLS handshake,
    /// or the HTTP/2 SETTINGS frame that must open every server's side of a connection, RFC
    /// 9113 §3.4), so only a peer that is not a working server waits that long. After the first
    /// bytes nothing is timed here: slow answers are the call deadlines' business.
    pub struct AnswerWithin {
        stream: tokio::net::TcpStream,
        waiting: Option<Pin<Box<tokio::time::Sleep>>>,
        within: Duration,
        unanswered: Arc<AtomicBool>,
    }

    impl AsyncRead for AnswerWithin {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let this = &mut *self;
            match Pin::new(&mut this.stream).poll_read(cx, buf) {
                Poll::Ready(result) => {
                    if this.waiting.take().is_some() {
                        this.unanswered.store(false, Ordering::SeqCst);
                    }
                    Poll::Ready(result)
                }
                Poll::Pending => match this.waiting.as_mut().map(|sleep| sleep.as_mut().poll(cx)) {
                    Some(Poll::Ready(())) => {
                        this.unanswered.store(true, Ordering::SeqCst);
                        Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, NoAnswer(this.within))))
                    }
                    _ => Poll::Pending,
                },
            }
        }
    }

    impl AsyncWrite for AnswerWithin {
        fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
            Pin::new(&mut self.stream).poll_write(cx, data)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.stream).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.stream).poll_shutdown(cx)
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> Poll<std::io::Result<usize>> {
            Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
        }

        fn is_write_vectored(&self) -> bool {
            self.stream.is_write_vectored()
        }
    }
}

fn validate_description(source_name: &str, d: pb::DescribeResponse) -> Result<SourceDescription, Error> {
    let invalid = |message: String| Error::InvalidDescription { source_name: source_name.to_owned(), message };
    if d.protocol_version != SourceDescription::PROTOCOL_VERSION {
        return Err(Error::UnsupportedProtocolVersion {
            source_name: source_name.to_owned(),
            version: d.protocol_version,
        });
    }
    let mut capabilities = Vec::new();
    for raw in &d.capabilities {
        let capability = match pb::Capability::try_from(*raw) {
            Ok(pb::Capability::Export) => Capability::Export,
            Ok(pb::Capability::Erase) => Capability::Erase,
            _ => return Err(invalid(format!("capability {raw} is not one this protocol defines"))),
        };
        if !capabilities.contains(&capability) {
            capabilities.push(capability);
        }
    }
    if capabilities.is_empty() {
        return Err(invalid("it declares no capabilities".into()));
    }
    let mut categories = Vec::new();
    for c in d.categories {
        if c.group_id.trim().is_empty() || c.label.trim().is_empty() {
            return Err(invalid("every data category needs a group_id and a label".into()));
        }
        // Items of a reserved group break the Export protocol, so a category of one is a mistake.
        if crate::export::rules::is_reserved_group(&c.group_id) {
            return Err(invalid(format!(
                "data category {:?} uses a group id privacyd reserves for its own groups (\"about\", \"privacyd-*\")",
                c.group_id
            )));
        }
        if categories.iter().any(|k: &DataCategory| k.group_id == c.group_id) {
            return Err(invalid(format!("data category {:?} is declared twice", c.group_id)));
        }
        let legal_basis = legal_basis_from_message(c.legal_basis);
        categories.push(DataCategory {
            group_id: c.group_id,
            label: c.label,
            description: c.description,
            purposes: c.purposes,
            legal_basis,
            recipients: c.recipients,
            retention_period: c.retention_period,
            origin: c.origin,
        });
    }
    Ok(SourceDescription {
        name: d.name,
        version: d.version,
        protocol_version: d.protocol_version,
        capabilities,
        categories,
    })
}

/// The description as the protocol message, for privacyd's own API.
pub fn description_message(d: &SourceDescription) -> pb::DescribeResponse {
    pb::DescribeResponse {
        name: d.name.clone(),
        version: d.version.clone(),
        protocol_version: d.protocol_version,
        capabilities: d
            .capabilities
            .iter()
            .map(|c| match c {
                Capability::Export => pb::Capability::Export as i32,
                Capability::Erase => pb::Capability::Erase as i32,
            })
            .collect(),
        categories: d
            .categories
            .iter()
            .map(|c| pb::DataCategory {
                group_id: c.group_id.clone(),
                label: c.label.clone(),
                description: c.description.clone(),
                purposes: c.purposes.clone(),
                legal_basis: legal_basis_message(c.legal_basis),
                recipients: c.recipients.clone(),
                retention_period: c.retention_period.clone(),
                origin: c.origin.clone(),
            })
            .collect(),
    }
}

/// A legal basis from the wire; values this version does not know count as not stated.
pub fn legal_basis_from_message(raw: i32) -> LegalBasis {
    match pb::LegalBasis::try_from(raw) {
        Ok(pb::LegalBasis::Unspecified) | Err(_) => LegalBasis::Unspecified,
        Ok(pb::LegalBasis::Consent) => LegalBasis::Consent,
        Ok(pb::LegalBasis::Contract) => LegalBasis::Contract,
        Ok(pb::LegalBasis::LegalObligation) => LegalBasis::LegalObligation,
        Ok(pb::LegalBasis::VitalInterests) => LegalBasis::VitalInterests,
        Ok(pb::LegalBasis::PublicTask) => LegalBasis::PublicTask,
        Ok(pb::LegalBasis::LegitimateInterests) => LegalBasis::LegitimateInterests,
    }
}

pub fn legal_basis_message(basis: LegalBasis) -> i32 {
    (match basis {
        LegalBasis::Unspecified => pb::LegalBasis::Unspecified,
        LegalBasis::Consent => pb::LegalBasis::Consent,
        LegalBasis::Contract => pb::LegalBasis::Contract,
        LegalBasis::LegalObligation => pb::LegalBasis::LegalObligation,
        LegalBasis::VitalInterests => pb::LegalBasis::VitalInterests,
        LegalBasis::PublicTask => pb::LegalBasis::PublicTask,
        LegalBasis::LegitimateInterests => pb::LegalBasis::LegitimateInterests,
    }) as i32
}

/// The subject as data sources are given it: the email in its canonical form
/// (`SubjectEmail::canonical`), so that every source is asked with the same form.
pub fn subject_message(subject: &crate::domain::Subject) -> pb::Subject {
    subject_message_as(subject, &subject.email.canonical())
}

/// The subject with the email in a given form: a verification export asks with each of the
/// address's forms (`SubjectEmail::verification_forms`).
pub fn subject_message_as(subject: &crate::domain::Subject, email: &str) -> pb::Subject {
    pb::Subject {
        email: email.to_owned(),
        user_id: subject.user_id.as_ref().map(|u| u.as_str().to_owned()).unwrap_or_default(),
    }
}
