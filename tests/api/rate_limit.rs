//! The rate limit on what anyone can reach without an admin token (issue 10, item 4): per
//! client address, over the subject's gRPC calls and every HTTP page; HTTP 429 with
//! Retry-After, gRPC RESOURCE_EXHAUSTED with RATE_LIMITED and RetryInfo; admins, health checks
//! and other addresses are not held back.

use std::net::{IpAddr, SocketAddr};

use privacyd::{config::Config, proto::privacy::v1 as pb};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpSocket,
};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{Backend, TestApp, reason, within_time_limit};

const BURST: u32 = 3;

fn strict(config: &mut Config) {
    // One request every 10 s once the burst is spent: the test never waits for a refill.
    config.public_rate_limit = 6;
    config.public_rate_burst = BURST;
}

/// A plain HTTP/1.1 GET from `local_ip`: (status, response head, body).
async fn get_from(local_ip: &str, addr: SocketAddr, path: &str) -> (u16, String, String) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local_ip}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    (head.split_whitespace().nth(1).unwrap().parse().unwrap(), head.to_owned(), body.to_owned())
}

fn retry_after(head: &str) -> Option<u64> {
    head.lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("retry-after")))
        .map(|(_, v)| v.trim().parse().unwrap_or_else(|_| panic!("Retry-After is whole seconds: {v}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_limited_per_address_with_429_and_retry_after() {
    within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, strict).await;
        // Any page counts, including ones that do not exist: the limit is by who is asking,
        // not by which handler answers.
        let paths = ["/confirm?id=x&token=y", "/download?id=x&token=y", "/no-such-page"];
        for path in paths.iter().take(BURST as usize) {
            let (status, head, _) = get_from("127.0.0.2", app.addr, path).await;
            assert_ne!(status, 429, "GET {path} within the burst: {head}");
        }
        let (status, head, body) = get_from("127.0.0.2", app.addr, "/confirm?id=x&token=y").await;
        assert_eq!(status, 429, "{head}");
        let wait = retry_after(&head).expect("a Retry-After header");
        assert!((1..=10).contains(&wait), "Retry-After {wait}");
        assert!(body.contains("try again"), "{body}");
        assert!(
            head.to_lowercase().contains("cache-control: no-store"),
            "the 429 page carries the page headers: {head}"
        );

        // Another address has its own allowance.
        let (status, head, _) = get_from("127.0.0.3", app.addr, "/confirm?id=x&token=y").await;
        assert_ne!(status, 429, "{head}");
        app.stop().await;
    })
    .await
}

async fn public_client_from(
    ip: &str,
    addr: SocketAddr,
) -> pb::privacy_request_service_client::PrivacyRequestServiceClient<tonic::transport::Channel> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .local_address(Some(ip.parse::<IpAddr>().unwrap()))
        .connect()
        .await
        .unwrap();
    pb::privacy_request_service_client::PrivacyRequestServiceClient::new(channel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_grpc_calls_are_limited_but_admins_and_health_checks_are_not() {
    within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, strict).await;
        let request = app.create(&crate::helpers::unique_email(), pb::Action::Erase, true).await;
        let mut public = public_client_from("127.0.0.4", app.addr).await;
        let guess = || pb::ConfirmPrivacyRequestRequest { id: request.id.clone(), token: "a-wrong-guess".into() };
        for _ in 0..BURST {
            let err = public.confirm_privacy_request(guess()).await.unwrap_err();
            assert_ne!(err.code(), Code::ResourceExhausted, "within the burst: {err:?}");
        }
        let err = public.confirm_privacy_request(guess()).await.unwrap_err();
        assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
        assert_eq!(reason(&err), "RATE_LIMITED");
        let retry = err.get_details_retry_info().expect("a RetryInfo detail").retry_delay.expect("a delay");
        assert!(retry.as_secs() >= 1 && retry.as_secs() <= 10, "{retry:?}");
        // The subject's download with a token is public too, and shares the allowance.
        let err = public
            .download_export(pb::DownloadExportRequest {
                id: request.id.clone(),
                token: "x".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");

        // From the same address, an admin and a health check are not limited.
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", app.addr))
            .unwrap()
            .local_address(Some("127.0.0.4".parse().unwrap()))
            .connect()
            .await
            .unwrap();
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
        let token: tonic::metadata::MetadataValue<_> = format!("Bearer {}", app.admin_token).parse().unwrap();
        let mut admin = pb::privacy_request_service_client::PrivacyRequestServiceClient::with_interceptor(
            channel,
            move |mut r: tonic::Request<()>| {
                r.metadata_mut().insert("authorization", token.clone());
                Ok(r)
            },
        );
        for _ in 0..3 * BURST {
            health.check(tonic_health::pb::HealthCheckRequest::default()).await.expect("health is not limited");
            admin
                .get_privacy_request(pb::GetPrivacyRequestRequest { id: request.id.clone() })
                .await
                .expect("admins are not limited");
        }
        // And another address can still confirm.
        let mut other = public_client_from("127.0.0.5", app.addr).await;
        let err = other.confirm_privacy_request(guess()).await.unwrap_err();
        assert_ne!(err.code(), Code::ResourceExhausted, "{err:?}");
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_configuration_has_a_real_limit() {
    within_time_limit(async {
        let app = TestApp::spawn(Backend::Sqlite).await;
        let mut limited = false;
        for _ in 0..100 {
            let (status, _, _) = get_from("127.0.0.6", app.addr, "/confirm?id=x&token=y").await;
            if status == 429 {
                limited = true;
                break;
            }
        }
        assert!(limited, "100 guesses in a row from one address were all answered");
        app.stop().await;
    })
    .await
}
