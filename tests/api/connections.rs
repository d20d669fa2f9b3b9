//! Connections (issue 10, items 2 and 18): one that sends nothing, only the HTTP/2 preface, or
//! half an HTTP/1 request is closed after the handshake timeout; an idle one after the idle
//! timeout; a client making calls is never cut; the connection caps refuse at once and do not
//! lock anyone out for long; every accepted socket has TCP_NODELAY.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use privacyd::config::Config;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::helpers::{Backend, TestApp, within_time_limit};

const HANDSHAKE: Duration = Duration::from_millis(800);
const IDLE: Duration = Duration::from_millis(1500);
/// Well above the bounds, well below the 30 s hyper applies on its own to HTTP/1 headers.
const CLOSED_WITHIN: Duration = Duration::from_secs(6);

fn short_timeouts(config: &mut Config) {
    config.handshake_timeout = HANDSHAKE;
    config.idle_timeout = IDLE;
}

/// Reads until the server closes the connection (EOF or reset); returns how long it took, or
/// None if it was still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

async fn assert_closed_by_handshake_timeout(app: &TestApp, send: &[u8], what: &str) {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(send).await.unwrap();
    let took = closed_within(&mut stream, CLOSED_WITHIN).await;
    let took = took.unwrap_or_else(|| panic!("a connection that sent {what} was still open after {CLOSED_WITHIN:?}"));
    assert!(took >= HANDSHAKE - Duration::from_millis(100), "{what}: closed too early ({took:?})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_a_request_is_closed() {
    within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, short_timeouts).await;
        assert_closed_by_handshake_timeout(&app, b"", "nothing").await;
        assert_closed_by_handshake_timeout(&app, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "only the HTTP/2 preface").await;
        assert_closed_by_handshake_timeout(
            &app,
            b"GET /confirm?id=x&token=y HTTP/1.1\r\nHost: privacyd\r\nX-Slow: ",
            "half an HTTP/1 request head",
        )
        .await;
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, short_timeouts).await;
        // HTTP/1.1 keeps the connection open after the response unless told otherwise.
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(b"GET /no-such-page HTTP/1.1\r\nHost: privacyd\r\n\r\n").await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "the server answered before closing");
            head.extend_from_slice(&buf[..n]);
        }
        assert!(head.starts_with(b"HTTP/1.1 404"), "{}", String::from_utf8_lossy(&head));
        let took = closed_within(&mut stream, CLOSED_WITHIN).await;
        assert!(took.is_some(), "an idle HTTP/1.1 keep-alive connection was still open after {CLOSED_WITHIN:?}");

        // The same for HTTP/2: after one call and nothing more, the connection goes away.
        let tcp = TcpStream::connect(app.addr).await.unwrap();
        let (mut client, connection) = h2::client::handshake(tcp).await.unwrap();
        let connection = tokio::spawn(connection);
        let request = http::Request::get(format!("http://{}/", app.addr)).body(()).unwrap();
        let (response, _) = client.send_request(request, true).unwrap();
        let response = response.await.unwrap();
        assert_eq!(response.status(), 404);
        drop(response);
        let started = Instant::now();
        let ended = tokio::time::timeout(CLOSED_WITHIN, connection).await;
        assert!(ended.is_ok(), "an idle HTTP/2 connection was still open after {CLOSED_WITHIN:?}");
        assert!(started.elapsed() >= IDLE - Duration::from_millis(300), "closed before the idle timeout");
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_making_calls_is_not_cut() {
    within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, short_timeouts).await;
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{}", app.addr)).unwrap().connect().await.unwrap();
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
        let started = Instant::now();
        let mut calls = 0;
        // Calls more often than the handshake timeout, for several idle timeouts.
        while started.elapsed() < 3 * IDLE {
            health.check(tonic_health::pb::HealthCheckRequest::default()).await.expect("a call on a live connection");
            calls += 1;
            tokio::time::sleep(HANDSHAKE / 3).await;
        }
        // A long call is not idleness either: a watch open across several idle timeouts.
        let request =
            app.create(&crate::helpers::unique_email(), privacyd::proto::privacy::v1::Action::Export, false).await;
        let mut watch = app
            .client
            .clone()
            .watch_privacy_request(privacyd::proto::privacy::v1::WatchPrivacyRequestRequest { id: request.id.clone() })
            .await
            .unwrap()
            .into_inner();
        let deadline = tokio::time::Instant::now() + 3 * IDLE;
        loop {
            match tokio::time::timeout_at(deadline, watch.message()).await {
                Err(_) => break,
                Ok(Ok(Some(_))) => continue,
                Ok(other) => panic!("the watch was cut while it was open: {other:?}"),
            }
        }
        assert!(calls >= 10);
        app.stop().await;
    })
    .await
}

async fn connect_from(local_ip: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local_ip}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Whether the server closed the connection at once (within a moment) rather than waiting.
async fn refused_at_once(stream: &mut TcpStream) -> bool {
    closed_within(stream, Duration::from_millis(300)).await.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_caps_refuse_at_once_and_lock_nobody_out_for_long() {
    within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, |config| {
            short_timeouts(config);
            config.max_connections = 4;
            config.max_connections_per_ip = 3;
        })
        .await;
        // The test app's own channel holds a connection until the handshake timeout closes it
        // (it makes no call; tonic reconnects only for the next one). The counts below are
        // exact once it is gone.
        tokio::time::sleep(HANDSHAKE + HANDSHAKE).await;

        // Per address: three silent connections from one address, the fourth is closed at once...
        let mut silent = Vec::new();
        for _ in 0..3 {
            silent.push(connect_from("127.0.0.5", app.addr).await);
        }
        let mut fourth = connect_from("127.0.0.5", app.addr).await;
        assert!(refused_at_once(&mut fourth).await, "a fourth connection from one address was kept");
        // ...while another address still gets in, up to the total of four.
        let mut other = connect_from("127.0.0.6", app.addr).await;
        assert!(!refused_at_once(&mut other).await, "another address was refused");
        let mut fifth = connect_from("127.0.0.7", app.addr).await;
        assert!(refused_at_once(&mut fifth).await, "a connection beyond the total was kept");

        // The silent ones are closed by the handshake timeout, and then callers get in again.
        for stream in silent.iter_mut() {
            assert!(closed_within(stream, CLOSED_WITHIN).await.is_some());
        }
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{}", app.addr)).unwrap().connect().await.unwrap();
        tonic_health::pb::health_client::HealthClient::new(channel)
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .expect("a caller gets in once the silent connections are gone");
        app.stop().await;
    })
    .await
}

/// Finds privacyd's end of a connection (same process) and reads TCP_NODELAY from it.
fn server_side_nodelay(server: SocketAddr, client: SocketAddr) -> Option<bool> {
    use std::os::fd::{BorrowedFd, RawFd};
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<RawFd>() else { continue };
        // SAFETY: the fd is only borrowed for the calls below, in a process that keeps it open
        // (the connection under test is held open by this test).
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&borrowed);
        let (Ok(local), Ok(peer)) = (socket.local_addr(), socket.peer_addr()) else { continue };
        if local.as_socket() == Some(server) && peer.as_socket() == Some(client) {
            return Some(socket.tcp_nodelay().unwrap());
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_socket_has_tcp_nodelay() {
    within_time_limit(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let app = TestApp::spawn(Backend::Sqlite).await;
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let client = stream.local_addr().unwrap();
        // privacyd sets the option right after its accept, before it serves the connection:
        // once it has answered the HTTP/2 preface with its SETTINGS, the option is final (read
        // before that, the socket could be caught between the two, as CI once did).
        stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await.unwrap();
        let mut answer = [0u8; 9];
        stream.read_exact(&mut answer).await.expect("privacyd answers the preface");
        assert_eq!(answer[3], 0x04, "its first frame is SETTINGS");
        let deadline = Instant::now() + Duration::from_secs(10);
        let nodelay = loop {
            if let Some(nodelay) = server_side_nodelay(app.addr, client) {
                break nodelay;
            }
            assert!(Instant::now() < deadline, "privacyd did not accept the connection");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(nodelay, "privacyd's accepted socket has Nagle's algorithm on (TCP_NODELAY unset)");
        drop(stream);
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_call_that_never_finishes_sending_is_ended() {
    within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, short_timeouts).await;
        let tcp = TcpStream::connect(app.addr).await.unwrap();
        let (mut client, connection) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(connection);
        let request =
            http::Request::post(format!("http://{}/privacy.v1.PrivacyRequestService/ConfirmPrivacyRequest", app.addr))
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                .body(())
                .unwrap();
        let (response, mut send) = client.send_request(request, false).unwrap();
        // A prefix announcing 100 bytes, then only 10 of them, and the stream never ends.
        let mut partial = vec![0u8, 0, 0, 0, 100];
        partial.extend_from_slice(&[0u8; 10]);
        send.send_data(partial.into(), false).unwrap();
        let started = Instant::now();
        let status = tokio::time::timeout(CLOSED_WITHIN, async {
            let response = response.await.unwrap();
            if let Some(status) = response.headers().get("grpc-status") {
                return status.to_str().unwrap().to_owned();
            }
            let mut body = response.into_body();
            while body.data().await.is_some() {}
            let trailers = body.trailers().await.unwrap().expect("trailers");
            trailers.get("grpc-status").unwrap().to_str().unwrap().to_owned()
        })
        .await
        .unwrap_or_else(|_| panic!("a half-sent public call was still open after {CLOSED_WITHIN:?}"));
        assert_eq!(status, (tonic::Code::DeadlineExceeded as i32).to_string());
        assert!(started.elapsed() >= HANDSHAKE - Duration::from_millis(100));
        drop(send);
        app.stop().await;
    })
    .await
}

/// A client socket that can be frozen, like a peer whose host vanished: from then on nothing
/// passes either way, but the test still notices when the server closes it.
struct Freezable {
    inner: TcpStream,
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
    closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl tokio::io::AsyncRead for Freezable {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::sync::atomic::Ordering;
        if !self.frozen.load(Ordering::SeqCst) {
            return std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        }
        let mut scratch = [0u8; 4096];
        loop {
            let mut discard = tokio::io::ReadBuf::new(&mut scratch);
            match std::pin::Pin::new(&mut self.inner).poll_read(cx, &mut discard) {
                std::task::Poll::Ready(Ok(())) if !discard.filled().is_empty() => continue,
                std::task::Poll::Ready(_) => {
                    self.closed.store(true, Ordering::SeqCst);
                    return std::task::Poll::Pending;
                }
                std::task::Poll::Pending => return std::task::Poll::Pending,
            }
        }
    }
}

impl tokio::io::AsyncWrite for Freezable {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        // Frozen, what the client sends is lost on the way (its pong among it).
        if self.frozen.load(std::sync::atomic::Ordering::SeqCst) {
            return std::task::Poll::Ready(Ok(buf.len()));
        }
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.frozen.load(std::sync::atomic::Ordering::SeqCst) {
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_peer_with_a_call_open_is_found_by_keepalive_pings() {
    use prost::Message;
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };
    within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, |config| {
            config.keepalive_interval = Duration::from_millis(500);
            config.keepalive_timeout = Duration::from_millis(500);
        })
        .await;
        let request =
            app.create(&crate::helpers::unique_email(), privacyd::proto::privacy::v1::Action::Export, false).await;
        let frozen = Arc::new(AtomicBool::new(false));
        let closed = Arc::new(AtomicBool::new(false));
        let socket = Freezable {
            inner: TcpStream::connect(app.addr).await.unwrap(),
            frozen: frozen.clone(),
            closed: closed.clone(),
        };
        let (mut client, connection) = h2::client::handshake(socket).await.unwrap();
        tokio::spawn(connection);
        // A watch: a call that stays open, so the connection is never idle.
        let call =
            http::Request::post(format!("http://{}/privacy.v1.PrivacyRequestService/WatchPrivacyRequest", app.addr))
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                .header("authorization", format!("Bearer {}", app.admin_token))
                .body(())
                .unwrap();
        let (response, mut send) = client.send_request(call, false).unwrap();
        let message =
            privacyd::proto::privacy::v1::WatchPrivacyRequestRequest { id: request.id.clone() }.encode_to_vec();
        let mut framed = vec![0u8];
        framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
        framed.extend_from_slice(&message);
        send.send_data(framed.into(), true).unwrap();
        let response = response.await.unwrap();
        assert_eq!(response.status(), 200);

        // The peer goes silent: pings go unanswered, and privacyd closes the connection.
        frozen.store(true, Ordering::SeqCst);
        let started = Instant::now();
        while !closed.load(Ordering::SeqCst) {
            assert!(
                started.elapsed() < CLOSED_WITHIN,
                "a dead peer's connection was still open after {CLOSED_WITHIN:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(response);
        app.stop().await;
    })
    .await
}
