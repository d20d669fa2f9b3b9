//! Issue 10, item 1: what one client can make the real privacyd binary hold over HTTP/2.
//! Ten connections each try to open 1,000 ConfirmPrivacyRequest calls, each announcing a
//! 1 MiB message and then sending as much of it as flow control lets them, never finishing.
//! privacyd must stay small and keep serving everyone else.

use std::{
    future::poll_fn,
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use privacyd::{
    proto::privacy::v1::{self as pb, privacy_request_service_client::PrivacyRequestServiceClient},
    testing::free_port,
};
use tokio::net::TcpStream;

const CONNECTIONS: usize = 10;
const STREAMS_PER_CONNECTION: usize = 1_000;
const ANNOUNCED_BYTES: usize = 1024 * 1024;
const RSS_LIMIT_BYTES: u64 = 100 * 1024 * 1024;
/// How long the attack runs while privacyd's memory is watched: long enough for flow control
/// to have let every stream send what it may (a few MiB a second on a loaded runner).
const WATCH_FOR: Duration = Duration::from_secs(15);

struct Privacyd(Child);

impl Drop for Privacyd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("privacyd is running");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    kib * 1024
}

/// Waits for privacyd to listen; fails at once, with what it printed, if it exited instead
/// (a refused configuration must not read as a slow start).
async fn wait_until_serving(privacyd: &mut Privacyd, addr: SocketAddr, stderr: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if TcpStream::connect(addr).await.is_ok() {
            return;
        }
        if let Some(status) = privacyd.0.try_wait().unwrap() {
            panic!("privacyd exited ({status}): {}", std::fs::read_to_string(stderr).unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "privacyd did not start listening");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One attacking connection: opens streams until it has tried `STREAMS_PER_CONNECTION`, each
/// sending a 5-byte gRPC prefix announcing 1 MiB and then data while the windows allow it.
/// Returns the tasks that hold the streams open.
async fn attack(addr: SocketAddr) -> Vec<tokio::task::JoinHandle<()>> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, connection) = h2::client::Builder::new().handshake::<_, hyper::body::Bytes>(tcp).await.unwrap();
    let mut held = vec![tokio::spawn(async move {
        let _ = connection.await;
    })];
    let uri = format!("http://{addr}/privacy.v1.PrivacyRequestService/ConfirmPrivacyRequest");
    for _ in 0..STREAMS_PER_CONNECTION {
        let request = http::Request::post(&uri)
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .unwrap();
        // No waiting for the server's stream limit: h2 queues what the server will not take yet,
        // as an attacker's client would keep pushing.
        let mut client = client.clone();
        let Ok((response, mut send)) = client.send_request(request, false) else { break };
        held.push(tokio::spawn(async move {
            let mut prefix = vec![0u8];
            prefix.extend_from_slice(&(ANNOUNCED_BYTES as u32).to_be_bytes());
            if send.send_data(prefix.into(), false).is_err() {
                return;
            }
            let mut left = ANNOUNCED_BYTES;
            while left > 0 {
                send.reserve_capacity(left.min(64 * 1024));
                match poll_fn(|cx| send.poll_capacity(cx)).await {
                    Some(Ok(n)) if n > 0 => {
                        let n = n.min(left);
                        if send.send_data(vec![0u8; n].into(), false).is_err() {
                            break;
                        }
                        left -= n;
                    }
                    Some(Ok(_)) => continue,
                    _ => break,
                }
            }
            // Never end the stream; keep the response pending until the test drops us.
            let _ = response.await;
            std::future::pending::<()>().await;
        }));
    }
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_half_sent_calls_leaves_privacyd_small_and_serving() {
    let dir = tempfile::tempdir().unwrap();
    // Generated, as an operator's would be: privacyd refuses weak admin tokens at start.
    let admin_token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let port = free_port().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_privacyd"))
        .current_dir(dir.path())
        .args(["--listen", &addr.to_string(), "--log", "warn"])
        // The memory bounds must hold on their own, not because the rate limit refused the
        // calls before they were read.
        .env("PRIVACYD_PUBLIC_RATE_LIMIT", "0")
        .env("PRIVACYD_ADMIN_TOKENS", &admin_token)
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(dir.path().join("stderr.log")).unwrap()))
        .spawn()
        .unwrap();
    let mut privacyd = Privacyd(child);
    let pid = privacyd.0.id();
    wait_until_serving(&mut privacyd, addr, &dir.path().join("stderr.log")).await;
    let before = rss_bytes(pid);

    let mut held = Vec::new();
    for _ in 0..CONNECTIONS {
        held.push(tokio::spawn(attack(addr)));
    }
    let started = Instant::now();
    let mut peak = before;
    while started.elapsed() < WATCH_FOR {
        peak = peak.max(rss_bytes(pid));
        if peak > RSS_LIMIT_BYTES {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("privacyd VmRSS: {} MiB before, {} MiB at peak under the flood", before >> 20, peak >> 20);
    assert!(peak <= RSS_LIMIT_BYTES, "privacyd grew to {} MiB under the flood (limit 100 MiB)", peak >> 20);

    // With every attacking connection still open, privacyd still answers others, in time.
    let answered = tokio::time::timeout(Duration::from_secs(20), async {
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
        let status = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.unwrap();
        assert_eq!(status.into_inner().status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
        let mut admin = PrivacyRequestServiceClient::new(channel);
        let mut request = tonic::Request::new(pb::ListPrivacyRequestsRequest::default());
        request.metadata_mut().insert("authorization", format!("Bearer {admin_token}").parse().unwrap());
        admin.list_privacy_requests(request).await.unwrap();
    })
    .await;
    assert!(answered.is_ok(), "privacyd did not answer a health check and an admin call during the flood");
    for connection in held {
        if let Ok(tasks) = connection.await {
            for task in tasks {
                task.abort();
            }
        }
    }
    drop(privacyd);
}
