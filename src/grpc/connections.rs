//! The accept loop: what one client can make privacyd hold, per connection and in total.
//!
//! privacyd serves its own connections with hyper-util's `auto` builder rather than tonic's
//! `Server`, because tonic exposes neither a deadline for a connection's first request (a
//! socket that sends nothing, or only the HTTP/2 preface, stays open for ever: issue 10,
//! item 2), nor HTTP/1's header-read timeout, nor a cap on connections, nor `TCP_NODELAY` on
//! a listener we bound ourselves. Every bound a client can push against is set here, in one
//! place:
//!
//! | bound | value | stops |
//! |---|---|---|
//! | connections, in total and per client IP | [`ConnectionLimits`] | running privacyd out of file descriptors |
//! | TLS handshake and first request within `handshake_timeout`, together | default 10 s | sockets that never speak |
//! | HTTP/1 headers within `handshake_timeout`, also between keep-alive requests | | slowloris, idle keep-alive |
//! | no open call for `idle_timeout` | default 5 min | idle HTTP/2 connections |
//! | HTTP/2 keepalive pings | interval and timeout | dead peers |
//! | concurrent streams per HTTP/2 connection | 100 | a thousand half-sent calls on one connection |
//! | stream / connection flow-control windows | 64 KiB / 256 KiB | bytes buffered before the handler reads them |
//! | header list | 16 KiB | huge headers (HPACK bombs) |
//! | streams reset before they are accepted | 20 | rapid reset (CVE-2023-44487) |
//!
//! Message sizes are per method, set where the services are built and in
//! [`super::public_limits`].
//!
//! With TLS ([`super::tls`]) the handshake runs in the connection's own task, after the
//! connection has taken its places under both caps and on the same clock as its first request,
//! so a client that starts a handshake and stalls is bounded like one that never speaks.

use std::{
    collections::HashMap,
    convert::Infallible,
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::{TcpListener, TcpStream},
    sync::Semaphore,
};
use tonic::{body::Body, transport::server::TcpConnectInfo};
use tower::{ServiceExt, util::BoxCloneService};
use tracing::Instrument;

use super::tls::{ClientCertificate, Tls};
use crate::shutdown::Shutdown;

/// What privacyd's HTTP stack answers with, boxed so the accept loop does not depend on the
/// layers in front of the routes.
pub type HttpService = BoxCloneService<http::Request<Body>, http::Response<Body>, Infallible>;

/// Initial HTTP/2 window of one stream (RFC 9113 section 6.9.2; also the protocol's default):
/// the bytes a client may send on a call before privacyd reads them.
const STREAM_WINDOW_BYTES: u32 = 64 * 1024;
/// Initial HTTP/2 window of a whole connection: the bytes a client may have in flight across
/// all its calls before privacyd reads them.
const CONNECTION_WINDOW_BYTES: u32 = 256 * 1024;
/// Most bytes of decoded request headers (RFC 9113 SETTINGS_MAX_HEADER_LIST_SIZE). gRPC
/// metadata here is an authorization header and a few short values.
const MAX_HEADER_LIST_BYTES: u32 = 16 * 1024;
/// Most bytes HTTP/1 buffers while reading a request head.
const MAX_HTTP1_BUFFER_BYTES: usize = 64 * 1024;
/// Streams a client may open and reset before privacyd has accepted them (the "rapid reset"
/// attack, CVE-2023-44487).
const MAX_PENDING_RESET_STREAMS: usize = 20;

/// How long a connection that never made a call has to close after privacyd's GOAWAY.
const SILENT_PEER_GRACE: Duration = Duration::from_secs(1);

/// The bounds on connections; see the module documentation for what each one stops.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Connections open at once, in total. Beyond it a new connection is closed at once.
    pub max_connections: usize,
    /// Connections open at once from one client IP address; 0 for no such limit.
    pub max_connections_per_ip: usize,
    /// Time a new connection has to send its first request, and HTTP/1 to send each request's
    /// headers.
    pub handshake_timeout: Duration,
    /// Time a connection may stay open without any call in progress.
    pub idle_timeout: Duration,
    /// How often an HTTP/2 connection with nothing to send is pinged.
    pub keepalive_interval: Duration,
    /// How long a ping may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// Concurrent streams (calls) per HTTP/2 connection.
    pub max_streams: u32,
}

/// Accepts connections until `shutdown`, then closes them gracefully (HTTP/2 GOAWAY, HTTP/1
/// close after the current response) and returns once every one has closed. With `tls`, every
/// connection is TLS.
pub async fn serve(
    listener: TcpListener,
    service: HttpService,
    limits: ConnectionLimits,
    tls: Option<Tls>,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    let limits = Arc::new(limits);
    let builder = Arc::new(builder(&limits));
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let per_ip = PerIp::new(limits.max_connections_per_ip);
    let local_addr = listener.local_addr().ok();
    let mut refusals = Refusals::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // neither ends serving. Back off a little so EMFILE does not spin.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.wait() => break,
        };
        let accepted = Instant::now();
        // Unary calls are one small write each way; without this, Nagle's algorithm holds the
        // response until the client's delayed ACK (about 40 ms on Linux) – issue 10, item 18.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "setting TCP_NODELAY failed");
        }
        // At a cap the connection is closed at once rather than left in the backlog: the client
        // learns now, and the slots held by silent connections free up within the handshake
        // timeout, so nobody is locked out for longer than that.
        let Ok(permit) = open.clone().try_acquire_owned() else {
            refusals.note("connection limit reached (--max-connections); closing new connections");
            continue;
        };
        let Some(ip_slot) = per_ip.try_take(peer.ip()) else {
            refusals.note(
                "an address reached its connection limit (--max-connections-per-ip); closing its new connections",
            );
            continue;
        };
        let info = TcpConnectInfo { local_addr, remote_addr: Some(peer) };
        let connection = Connection {
            builder: builder.clone(),
            limits: limits.clone(),
            service: service.clone(),
            info,
            client_certificate: None,
            accepted,
        };
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => connection.run(stream, shutdown).await,
                Some(tls) => connection.run_tls(stream, &tls, shutdown).await,
            }
            drop((permit, ip_slot));
        });
    }
    // Stop listening now, so new clients are refused by the kernel instead of waiting in the
    // backlog while open connections drain.
    drop(listener);
    // Every connection holds a permit until it is closed.
    let _all = open.acquire_many(limits.max_connections as u32).await;
    Ok(())
}

/// Logs connections refused at a cap at most once every [`Refusals::EVERY`], with how many,
/// so a flood of connection attempts cannot flood the log too.
#[derive(Default)]
struct Refusals {
    since: u64,
    last: Option<Instant>,
}

impl Refusals {
    const EVERY: Duration = Duration::from_secs(10);

    fn note(&mut self, what: &'static str) {
        self.since += 1;
        if self.last.is_none_or(|last| last.elapsed() >= Self::EVERY) {
            tracing::warn!(refused = self.since, "{what}");
            self.since = 0;
            self.last = Some(Instant::now());
        }
    }
}

fn builder(limits: &ConnectionLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        // hyper starts this timer whenever it waits for a request head, so it bounds both a
        // request's headers and the idle time between keep-alive requests.
        .header_read_timeout(limits.handshake_timeout)
        .max_buf_size(MAX_HTTP1_BUFFER_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_streams)
        .initial_stream_window_size(STREAM_WINDOW_BYTES)
        .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
        .adaptive_window(false)
        .max_header_list_size(MAX_HEADER_LIST_BYTES)
        .max_pending_accept_reset_streams(MAX_PENDING_RESET_STREAMS)
        .keep_alive_interval(limits.keepalive_interval)
        .keep_alive_timeout(limits.keepalive_timeout);
    builder
}

struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    limits: Arc<ConnectionLimits>,
    service: HttpService,
    info: TcpConnectInfo,
    /// The verified client certificate a TLS connection presented.
    client_certificate: Option<ClientCertificate>,
    /// When the connection was accepted: the handshake timeout counts from here, through a
    /// TLS handshake to the first request.
    accepted: Instant,
}

impl Connection {
    /// Completes the TLS handshake within the handshake timeout (or drops the connection: a
    /// certificate not from `--tls-client-ca`, a client that speaks no TLS, a stalled
    /// handshake), then serves it.
    async fn run_tls(mut self, stream: TcpStream, tls: &Tls, mut shutdown: Shutdown) {
        let remaining = self.limits.handshake_timeout.saturating_sub(self.accepted.elapsed());
        let handshake = tokio::select! {
            handshake = tokio::time::timeout(remaining, tls.acceptor.accept(stream)) => handshake,
            _ = shutdown.wait() => return,
        };
        let stream = match handshake {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => {
                // Routine on a public port (scanners, plaintext clients, a refused client
                // certificate): not worth more than debug.
                tracing::debug!(error = %err, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!("TLS handshake did not finish within the handshake timeout");
                return;
            }
        };
        self.client_certificate = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|der| ClientCertificate::of(der));
        self.run(stream, shutdown).await;
    }

    async fn run<I>(self, stream: I, mut shutdown: Shutdown)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::new(self.accepted));
        let service = {
            let activity = activity.clone();
            let info = self.info.clone();
            let client_certificate = self.client_certificate.clone();
            hyper::service::service_fn(move |request: http::Request<Incoming>| {
                let guard = activity.call_started();
                let mut request = request.map(Body::new);
                // `tonic::Request::remote_addr` reads this, as it would under tonic's server.
                request.extensions_mut().insert(info.clone());
                if let Some(certificate) = &client_certificate {
                    request.extensions_mut().insert(certificate.clone());
                }
                let span = tracing::info_span!("call", path = %request.uri().path());
                let call = self.service.clone().oneshot(request).instrument(span);
                async move {
                    let response = call.await?;
                    // The call is open until its response body is finished or dropped.
                    Ok::<_, Infallible>(response.map(|body| Body::new(Tracked { body, _guard: guard })))
                }
            })
        };
        let connection = self.builder.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        let idle = activity.clone().idle(self.limits.handshake_timeout, self.limits.idle_timeout);
        tokio::pin!(idle);
        let mut closing = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                    return;
                }
                served_any = &mut idle, if !closing => {
                    // GOAWAY first, so an HTTP/2 client whose first call is on its way moves it
                    // to a new connection instead of seeing this one reset under it. A peer
                    // that does not close in return is dropped: soon if it never made a call
                    // (it is owed nothing, and holds a connection slot), after one more
                    // handshake timeout if it did.
                    connection.as_mut().graceful_shutdown();
                    let grace = if served_any { self.limits.handshake_timeout } else { SILENT_PEER_GRACE };
                    if tokio::time::timeout(grace, connection.as_mut()).await.is_err() {
                        tracing::debug!(served_any, "a connection closed for idleness did not close in time; dropping it");
                    }
                    return;
                }
                _ = shutdown.wait(), if !closing => {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Calls open on one connection, and when the last one started or ended.
struct Activity {
    open: AtomicUsize,
    /// (calls ever started, when the connection last became idle).
    state: Mutex<(u64, Instant)>,
}

impl Activity {
    /// Starts the first-request clock at `since` (when the connection was accepted).
    fn new(since: Instant) -> Self {
        Activity { open: AtomicUsize::new(0), state: Mutex::new((0, since)) }
    }

    fn call_started(self: &Arc<Self>) -> CallGuard {
        self.open.fetch_add(1, Ordering::SeqCst);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 += 1;
        state.1 = Instant::now();
        CallGuard(self.clone())
    }

    /// Completes when the connection has had no open call for the time it is allowed:
    /// `handshake` before its first call, `idle` after. Returns whether any call was made.
    async fn idle(self: Arc<Self>, handshake: Duration, idle: Duration) -> bool {
        loop {
            let (calls, since) = *self.state.lock().unwrap_or_else(|e| e.into_inner());
            let allowed = if calls == 0 { handshake } else { idle };
            let open = self.open.load(Ordering::SeqCst);
            let waited = since.elapsed();
            if open == 0 && waited >= allowed {
                return calls > 0;
            }
            // With calls open, look again after a whole period: one of them may end at any
            // time and restart the clock.
            let wait = if open == 0 { allowed - waited } else { allowed };
            tokio::time::sleep(wait).await;
        }
    }
}

struct CallGuard(Arc<Activity>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(|e| e.into_inner());
        state.1 = Instant::now();
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its call counted as open until it is finished or dropped, so a
/// long server stream (WatchPrivacyRequest) is not taken for idleness.
struct Tracked {
    body: Body,
    _guard: CallGuard,
}

impl http_body::Body for Tracked {
    type Data = hyper::body::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Connections open per client address.
#[derive(Clone)]
struct PerIp {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerIp {
    fn new(max: usize) -> Self {
        PerIp { max, open: Arc::default() }
    }

    fn try_take(&self, ip: IpAddr) -> Option<IpSlot> {
        if self.max == 0 {
            return Some(IpSlot(None));
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(IpSlot(Some((self.clone(), ip))))
    }
}

/// One connection's place in [`PerIp`]; given back on drop. The map only holds addresses
/// with a connection open, so it cannot grow past the connection limit.
struct IpSlot(Option<(PerIp, IpAddr)>);

impl Drop for IpSlot {
    fn drop(&mut self) {
        if let Some((per_ip, ip)) = self.0.take() {
            let mut open = per_ip.open.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(count) = open.get_mut(&ip) {
                *count -= 1;
                if *count == 0 {
                    open.remove(&ip);
                }
            }
        }
    }
}

/// The address a connection came from, for code below the HTTP stack.
pub fn client_ip<B>(request: &http::Request<B>) -> Option<IpAddr> {
    request.extensions().get::<TcpConnectInfo>().and_then(|info| info.remote_addr).map(|addr: SocketAddr| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ip_slots_are_given_back() {
        let per_ip = PerIp::new(2);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let a = per_ip.try_take(ip).unwrap();
        let _b = per_ip.try_take(ip).unwrap();
        assert!(per_ip.try_take(ip).is_none(), "a third connection from one address is refused");
        assert!(per_ip.try_take("127.0.0.2".parse().unwrap()).is_some(), "another address is not");
        drop(a);
        assert!(per_ip.try_take(ip).is_some());
    }
}
