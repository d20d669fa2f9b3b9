//! TLS on privacyd's own port (issue 11, section 2): gRPC and the emailed links over TLS on the
//! same port, ALPN offering HTTP/2 and HTTP/1.1, certificates that reload without a restart
//! (new connections get the new one, open ones keep theirs), and client certificates (mTLS)
//! for admin calls. Certificates are made by `openssl` into a temporary folder; the clients are
//! the real ones operators and subjects use: grpcurl, curl, Python `requests`, tonic.
//!
//! TLS sits below storage, so these run on SQLite only.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use privacyd::{config::Config, proto::privacy::v1 as pb, shutdown, startup::Application};
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_rustls::client::TlsStream;
use tonic::Code;

use crate::{
    helpers::{Backend, ExampleSource, SmtpSink, TestApp, reason, state, unique_email, within_time_limit},
    pki::{Usage, connect, peer_fingerprint, pki},
};

/// One HTTP/1.1 GET on an open connection, leaving it open: (status, body).
async fn get_on(stream: &mut TlsStream<TcpStream>, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes()).await?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let (head_end, length) = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed before a response"));
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .expect("a content-length");
            break (end + 4, length);
        }
    };
    while raw.len() < head_end + length {
        let n = stream.read(&mut buf).await?;
        assert!(n > 0, "closed mid-body");
        raw.extend_from_slice(&buf[..n]);
    }
    let status = String::from_utf8_lossy(&raw[..head_end]).split_whitespace().nth(1).unwrap().parse().unwrap();
    Ok((status, raw[head_end..head_end + length].to_vec()))
}

fn run(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program} runs: {e}"))
}

fn grpcurl(args: &[&str]) -> std::process::Output {
    // scripts/test.sh installs grpcurl into ~/go/bin.
    let path = format!("{}:{}/go/bin", std::env::var("PATH").unwrap_or_default(), std::env::var("HOME").unwrap());
    Command::new("grpcurl").args(args).env("PATH", path).output().expect("grpcurl runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_and_the_emailed_link_work_over_tls_with_http2_and_http1() {
    within_time_limit(async {
        let pki = pki();
        let app = TestApp::spawn_tls(Backend::Sqlite, pki.client_config("ca", None), |c| pki.server(c)).await;
        let addr = app.addr.to_string();
        let ca = pki.path("ca.pem");
        let ca = ca.to_str().unwrap();

        // ALPN: both protocols on offer, each chosen when it is the client's only one; a
        // client offering both gets HTTP/2, which gRPC needs.
        for (offered, chosen) in
            [(&[&b"h2"[..]][..], &b"h2"[..]), (&[b"http/1.1"], b"http/1.1"), (&[b"h2", b"http/1.1"], b"h2")]
        {
            let stream = connect(&pki, app.addr, "ca", offered, None).await.unwrap();
            assert_eq!(stream.get_ref().1.alpn_protocol(), Some(chosen));
        }

        // grpcurl with the CA: reflection, and an admin call.
        let listed = grpcurl(&["-cacert", ca, &addr, "list"]);
        assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
        assert!(String::from_utf8_lossy(&listed.stdout).contains("privacy.v1.PrivacyRequestService"));
        let header = format!("authorization: Bearer {}", app.admin_token);
        let created = grpcurl(&[
            "-cacert",
            ca,
            "-H",
            &header,
            "-d",
            r#"{"subject": {"email": "grpcurl@example.com"}, "action": "ACTION_EXPORT"}"#,
            &addr,
            "privacy.v1.PrivacyRequestService/CreatePrivacyRequest",
        ]);
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        let created = String::from_utf8_lossy(&created.stdout);
        assert!(created.contains("\"privacyRequest\"") && created.contains("grpcurl@example.com"), "{created}");
        // Without the CA, grpcurl does not trust privacyd; in plaintext, it cannot talk to it.
        assert!(!grpcurl(&[&addr, "list"]).status.success());
        assert!(!grpcurl(&["-plaintext", &addr, "list"]).status.success());

        // An export over TLS: the emailed link is https and opens in HTTP/1.1 and HTTP/2
        // clients alike.
        let email = unique_email();
        let shop = ExampleSource::start(&[&email], None);
        app.registry
            .clone()
            .register_data_source(pb::RegisterDataSourceRequest {
                name: "shop".into(),
                endpoint: shop.endpoint.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        let request = app.create(&email, pb::Action::Export, false).await;
        app.client
            .clone()
            .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id.clone() })
            .await
            .unwrap();
        let done = app.wait_for(&request.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
        let archive = done.archive.unwrap();
        let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
        let link = mail.raw.split_whitespace().find(|w| w.contains("/download?id=")).unwrap().replace("=\r\n", "");
        assert!(link.starts_with(&format!("https://{addr}/download?id=")), "{link}");

        let out = pki.path("curl.zip");
        for (flag, version) in [("--http1.1", "1.1"), ("--http2", "2")] {
            let curl = run(
                "curl",
                &["-sS", "--fail", flag, "--cacert", ca, "-o", out.to_str().unwrap(), "-w", "%{http_version}", &link],
            );
            assert!(curl.status.success(), "curl {flag}: {}", String::from_utf8_lossy(&curl.stderr));
            assert_eq!(String::from_utf8_lossy(&curl.stdout), version, "curl {flag}");
            assert_eq!(hex::encode(Sha256::digest(std::fs::read(&out).unwrap())), archive.sha256, "curl {flag}");
        }
        let python = run(
            "python3",
            &[
                "-c",
                "import hashlib, sys, requests\n\
             r = requests.get(sys.argv[1], verify=sys.argv[2], timeout=30)\n\
             r.raise_for_status()\n\
             print(r.raw.version, hashlib.sha256(r.content).hexdigest())",
                &link,
                ca,
            ],
        );
        assert!(python.status.success(), "requests: {}", String::from_utf8_lossy(&python.stderr));
        // urllib3 reports HTTP/1.1 as 11.
        assert_eq!(String::from_utf8_lossy(&python.stdout).trim(), format!("11 {}", archive.sha256));
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_certificate_is_served_to_new_connections_while_open_ones_keep_theirs() {
    within_time_limit(async {
        let pki = pki();
        let old = pki.fingerprint("server");
        let app = TestApp::spawn_tls(Backend::Sqlite, pki.client_config("ca", None), |c| {
            pki.server(c);
            c.tls_reload_interval = Duration::from_millis(100);
        })
        .await;
        let mut open = connect(&pki, app.addr, "ca", &[b"http/1.1"], None).await.unwrap();
        assert_eq!(peer_fingerprint(&open), old);
        assert_eq!(get_on(&mut open, "/no-such-page").await.unwrap().0, 404);

        // A renewal (cert-manager, ACME) writes the files in two steps: between them, the new
        // certificate sits beside the old key. That half-written pair, and a file that is not
        // PEM at all, are refused and the certificate in force kept.
        pki.leaf("renewed", "ca", Usage::Server);
        std::fs::copy(pki.path("renewed.pem"), pki.path("server.pem")).unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await; // five polls
        let stream = connect(&pki, app.addr, "ca", &[b"http/1.1"], None).await.unwrap();
        assert_eq!(peer_fingerprint(&stream), old, "a certificate without its key is not served");

        std::fs::copy(pki.path("renewed.key"), pki.path("server.key")).unwrap();
        let new = pki.fingerprint("renewed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let stream = connect(&pki, app.addr, "ca", &[b"h2", b"http/1.1"], None).await.unwrap();
            if peer_fingerprint(&stream) == new {
                break;
            }
            assert!(Instant::now() < deadline, "the renewed certificate was never served");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The open connection keeps its certificate and keeps working.
        assert_eq!(peer_fingerprint(&open), old);
        assert_eq!(get_on(&mut open, "/no-such-page").await.unwrap().0, 404);
        // gRPC clients reach it too.
        app.client.clone().list_privacy_requests(pb::ListPrivacyRequestsRequest::default()).await.unwrap();

        std::fs::write(pki.path("server.pem"), "not a certificate").unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let stream = connect(&pki, app.addr, "ca", &[b"h2"], None).await.unwrap();
        assert_eq!(peer_fingerprint(&stream), new, "a broken file is not served");
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_client_ca_admin_calls_need_a_client_certificate_from_it() {
    within_time_limit(async {
        let pki = pki();
        pki.ca("clients");
        pki.leaf("operator", "clients", Usage::Client);
        pki.ca("elsewhere");
        pki.leaf("stranger", "elsewhere", Usage::Client);
        let configure = |c: &mut Config| {
            pki.server(c);
            c.tls_client_ca = Some(pki.path("clients.pem"));
        };
        let app = TestApp::spawn_tls(Backend::Sqlite, pki.client_config("ca", Some("operator")), configure).await;
        let addr = app.addr.to_string();
        let ca = pki.path("ca.pem");
        let ca = ca.to_str().unwrap();

        // With a certificate from the CA, the admin token works, over tonic and grpcurl.
        let request = app.create(&unique_email(), pb::Action::Export, false).await;
        let header = format!("authorization: Bearer {}", app.admin_token);
        let (cert, key) = (pki.path("operator.pem"), pki.path("operator.key"));
        let listed = grpcurl(&[
            "-cacert",
            ca,
            "-cert",
            cert.to_str().unwrap(),
            "-key",
            key.to_str().unwrap(),
            "-H",
            &header,
            "-d",
            "{}",
            &addr,
            "privacy.v1.PrivacyRequestService/ListPrivacyRequests",
        ]);
        assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
        assert!(String::from_utf8_lossy(&listed.stdout).contains(&request.id));

        // Without one, the same token is refused, with a reason that says what is missing...
        let bare = tonic::transport::Channel::from_shared(format!("https://{addr}"))
            .unwrap()
            .tls_config(pki.client_config("ca", None))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let bearer = crate::helpers::Bearer(format!("Bearer {}", app.admin_token).parse().unwrap());
        let mut admin_without_certificate =
            pb::privacy_request_service_client::PrivacyRequestServiceClient::with_interceptor(
                bare.clone(),
                bearer.clone(),
            );
        let err = admin_without_certificate
            .get_privacy_request(pb::GetPrivacyRequestRequest { id: request.id.clone() })
            .await
            .unwrap_err();
        assert_eq!((err.code(), reason(&err).as_str()), (Code::Unauthenticated, "CLIENT_CERTIFICATE_REQUIRED"));
        let mut registry = pb::data_source_registry_service_client::DataSourceRegistryServiceClient::with_interceptor(
            bare.clone(),
            bearer.clone(),
        );
        let err = registry.list_data_sources(pb::ListDataSourcesRequest::default()).await.unwrap_err();
        assert_eq!((err.code(), reason(&err).as_str()), (Code::Unauthenticated, "CLIENT_CERTIFICATE_REQUIRED"));
        // ... including where a subject's token would do (the admin token is what is refused).
        let err = admin_without_certificate
            .download_export(pb::DownloadExportRequest { id: request.id.clone(), token: String::new(), offset: 0 })
            .await
            .unwrap_err();
        assert_eq!((err.code(), reason(&err).as_str()), (Code::Unauthenticated, "CLIENT_CERTIFICATE_REQUIRED"));
        let no_cert = grpcurl(&[
            "-cacert",
            ca,
            "-H",
            &header,
            "-d",
            "{}",
            &addr,
            "privacy.v1.PrivacyRequestService/ListPrivacyRequests",
        ]);
        assert!(!no_cert.status.success());
        assert!(
            String::from_utf8_lossy(&no_cert.stderr).contains("CLIENT_CERTIFICATE_REQUIRED"),
            "{}",
            String::from_utf8_lossy(&no_cert.stderr)
        );

        // Subjects need no certificate: public methods, health and pages are served.
        let err = pb::privacy_request_service_client::PrivacyRequestServiceClient::new(bare.clone())
            .confirm_privacy_request(pb::ConfirmPrivacyRequestRequest {
                id: request.id.clone(),
                token: "forged".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "INVALID_TOKEN", "a public method is reached: {err:?}");
        let mut page = connect(&pki, app.addr, "ca", &[b"http/1.1"], None).await.unwrap();
        assert_eq!(get_on(&mut page, "/no-such-page").await.unwrap().0, 404);
        assert!(grpcurl(&["-cacert", ca, &addr, "list"]).status.success());

        // A certificate from another CA is refused at the handshake: no request is served.
        let refused = match connect(&pki, app.addr, "ca", &[b"http/1.1"], Some("stranger")).await {
            // In TLS 1.3 the client finishes first; the refusal comes with the first read.
            Ok(mut stream) => get_on(&mut stream, "/no-such-page").await.is_err(),
            Err(_) => true,
        };
        assert!(refused, "a certificate from another CA is refused");
        let (cert, key) = (pki.path("stranger.pem"), pki.path("stranger.key"));
        let stranger = grpcurl(&[
            "-cacert",
            ca,
            "-cert",
            cert.to_str().unwrap(),
            "-key",
            key.to_str().unwrap(),
            "-H",
            &header,
            "-d",
            "{}",
            &addr,
            "privacy.v1.PrivacyRequestService/ListPrivacyRequests",
        ]);
        assert!(!stranger.status.success(), "grpcurl with a stranger's certificate is refused");
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_handshake_must_finish_within_the_handshake_timeout() {
    within_time_limit(async {
        let pki = pki();
        let app = TestApp::spawn_tls(Backend::Sqlite, pki.client_config("ca", None), |c| {
            pki.server(c);
            c.handshake_timeout = Duration::from_millis(500);
        })
        .await;
        // A client that starts a handshake (a TLS record header) and stalls.
        let mut stalled = TcpStream::connect(app.addr).await.unwrap();
        stalled.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]).await.unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(10), stalled.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the stalled handshake is closed: {read:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "closed after {:?}", started.elapsed());

        // The timeout covers the handshake and the first request together: a client that
        // finishes the handshake and sends nothing is closed on the same clock.
        let mut silent = connect(&pki, app.addr, "ca", &[b"http/1.1"], None).await.unwrap();
        let started = Instant::now();
        let read = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the silent connection is closed: {read:?}");
        assert!(started.elapsed() < Duration::from_secs(3), "closed after {:?}", started.elapsed());
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_does_not_load_stops_the_start_with_the_reason() {
    within_time_limit(async {
        let pki = pki();
        pki.leaf("other", "ca", Usage::Server);
        let start = |configure: &dyn Fn(&mut Config)| {
            let mut config = Config::defaults();
            config.listen = "127.0.0.1:0".parse().unwrap();
            config.data_dir = pki.path("data");
            config.smtp_url = Some(SmtpSink::global().url());
            config.admin_tokens = vec![format!("test-admin-token-{}", uuid::Uuid::new_v4())];
            configure(&mut config);
            let (_trigger, shutdown) = shutdown::channel();
            async move { Application::build(config, shutdown).await.err().map(|e| format!("{e:#}")) }
        };
        let mismatched = start(&|c| {
            pki.server(c);
            c.tls_key = Some(pki.path("other.key"));
        })
        .await
        .expect("a key of another certificate is refused");
        assert!(mismatched.contains("does not belong to --tls-cert"), "{mismatched}");
        let missing = start(&|c| {
            pki.server(c);
            c.tls_cert = Some(pki.path("missing.pem"));
        })
        .await
        .expect("a missing certificate is refused");
        assert!(missing.contains("reading --tls-cert") && missing.contains("missing.pem"), "{missing}");
        let not_pem = start(&|c| {
            pki.server(c);
            c.tls_key = Some(pki.path("server.pem"));
        })
        .await
        .expect("a certificate given as the key is refused");
        assert!(not_pem.contains("--tls-key") && not_pem.contains("no PEM private key"), "{not_pem}");
        let half = start(&|c| c.tls_cert = Some(pki.path("server.pem"))).await.expect("a certificate without a key");
        assert!(half.contains("--tls-cert needs --tls-key"), "{half}");
        let ca_alone = start(&|c| c.tls_client_ca = Some(pki.path("ca.pem"))).await.expect("a client CA without TLS");
        assert!(ca_alone.contains("--tls-client-ca needs --tls-cert"), "{ca_alone}");
        assert_eq!(start(&|c| pki.server(c)).await, None, "the good pair starts");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_token_without_a_client_certificate_does_not_lift_the_public_limits() {
    within_time_limit(async {
        let pki = pki();
        pki.ca("clients");
        pki.leaf("operator", "clients", Usage::Client);
        let app = TestApp::spawn_tls(Backend::Sqlite, pki.client_config("ca", Some("operator")), |c| {
            pki.server(c);
            c.tls_client_ca = Some(pki.path("clients.pem"));
            c.public_rate_limit = 1;
            c.public_rate_burst = 2;
        })
        .await;
        let request = app.create(&unique_email(), pb::Action::Export, false).await;
        let channel = |client: Option<&str>| {
            tonic::transport::Channel::from_shared(format!("https://{}", app.addr))
                .unwrap()
                .tls_config(pki.client_config("ca", client))
                .unwrap()
                .connect_lazy()
        };
        let bearer = crate::helpers::Bearer(format!("Bearer {}", app.admin_token).parse().unwrap());
        let confirm = |channel: tonic::transport::Channel| {
            let (bearer, id) = (bearer.clone(), request.id.clone());
            async move {
                let mut client =
                    pb::privacy_request_service_client::PrivacyRequestServiceClient::with_interceptor(channel, bearer);
                let err = client
                    .confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id, token: "forged".into() })
                    .await
                    .unwrap_err();
                reason(&err)
            }
        };
        // With the certificate the token is an admin's, whom the public limits let through.
        let operator = channel(Some("operator"));
        for _ in 0..4 {
            assert_eq!(confirm(operator.clone()).await, "INVALID_TOKEN");
        }
        // Without it the same token is nobody's: the burst of two, then RATE_LIMITED.
        let bare = channel(None);
        let reasons = [confirm(bare.clone()).await, confirm(bare.clone()).await, confirm(bare.clone()).await];
        assert_eq!(reasons, ["INVALID_TOKEN", "INVALID_TOKEN", "RATE_LIMITED"]);
        app.stop().await;
    })
    .await
}
