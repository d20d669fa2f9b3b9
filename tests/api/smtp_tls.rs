//! SMTP credentials never travel in clear: privacyd uses STARTTLS whenever the server offers
//! it (verifying the server's certificate, here against a test CA given with
//! `--smtp-ca-file`), authenticates only after it, and with `?tls=required` sends nothing to a
//! server without it. Plaintext AUTH is allowed to loopback only (the refusal for other hosts
//! is unit-tested in `mail::smtp`: no test can reach a non-loopback server).

use std::{path::Path, process::Command};

use privacyd::{proto::privacy::v1 as pb, testing::free_port};

use crate::helpers::{Backend, SmtpSink, TestApp, unique_email, within_time_limit};

/// A throwaway CA and a certificate it signed for localhost and 127.0.0.1: (ca.pem, tls.pem,
/// tls.key) in `dir`.
fn certificates(dir: &Path) -> (String, String, String) {
    let run = |args: &[&str]| {
        let output = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
        assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=privacyd-test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "tls.key", "-out", "tls.csr"]);
    std::fs::write(dir.join("ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "tls.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext",
        "-out",
        "tls.pem",
    ]);
    let path = |name: &str| dir.join(name).display().to_string();
    (path("ca.pem"), path("tls.pem"), path("tls.key"))
}

/// Has privacyd email a confirmation link to a fresh address: the address.
async fn send_one(app: &TestApp) -> (String, pb::PrivacyRequest) {
    let email = unique_email();
    let request = app.create(&email, pb::Action::Export, true).await;
    (email, request)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_sent_only_after_starttls_when_the_server_offers_it() {
    within_time_limit(async {
        let dir = tempfile::tempdir().unwrap();
        let (ca, cert, key) = certificates(dir.path());
        let sink = SmtpSink::start_with(free_port().unwrap(), &["--starttls", &cert, &key, "--auth"]);
        // Plain smtp://, no tls parameter: what an operator writes, and what sent the password
        // in clear before.
        let app = TestApp::spawn_with(Backend::Sqlite, |c| {
            c.smtp_url = Some(format!("smtp://mailer:pw-never-in-clear@127.0.0.1:{}", sink.port()));
            c.smtp_ca_file = Some(ca.clone().into());
        })
        .await;
        let (email, _) = send_one(&app).await;
        let mail = sink.wait_for(&email, 1).await.pop().unwrap();
        assert_eq!(mail.header("X-Sink-Tls").as_deref(), Some("yes"), "the message went in clear");
        assert_eq!(mail.header("X-Sink-Auth").as_deref(), Some("after-tls mailer"));
        assert!(mail.confirm_link().contains("/confirm?"));
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_starttls_plain_auth_is_allowed_to_loopback_and_tls_required_sends_nothing() {
    within_time_limit(async {
        let sink = SmtpSink::start_with(free_port().unwrap(), &["--auth"]);

        // Loopback: the password does not leave the machine, so plaintext AUTH is allowed.
        let app = TestApp::spawn_with(Backend::Sqlite, |c| {
            c.smtp_url = Some(format!("smtp://mailer:pw@127.0.0.1:{}", sink.port()));
        })
        .await;
        let (email, _) = send_one(&app).await;
        let mail = sink.wait_for(&email, 1).await.pop().unwrap();
        assert_eq!(mail.header("X-Sink-Tls").as_deref(), Some("no"));
        assert_eq!(mail.header("X-Sink-Auth").as_deref(), Some("before-tls mailer"));
        app.stop().await;

        // ?tls=required: a server without STARTTLS gets neither the password nor the message;
        // the delivery fails (and is retried) with an error that says why.
        let app = TestApp::spawn_with(Backend::Sqlite, |c| {
            c.smtp_url = Some(format!("smtp://mailer:pw@127.0.0.1:{}?tls=required", sink.port()));
        })
        .await;
        let (email, request) = send_one(&app).await;
        let tried = app
            .wait_for(&request.id, "a failed delivery attempt", |r| {
                r.emails.iter().any(|e| e.attempts >= 1 && !e.last_error.is_empty())
            })
            .await;
        let error = &tried.emails[0].last_error;
        assert!(error.to_lowercase().contains("tls"), "{error}");
        assert!(!error.contains("pw"), "{error}");
        assert!(sink.messages_to(&email).is_empty());
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_smtp_url_stops_the_start_without_printing_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = privacyd::config::Config::defaults();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.data_dir = dir.path().to_owned();
    config.smtp_url = Some("smtp://mailer:hunter22-secret@mail.example.com?tls=requried".into());
    let err = privacyd::startup::Application::build(config, privacyd::shutdown::channel().1).await.err().unwrap();
    let message = format!("{err:#}");
    assert!(message.contains("tls must be"), "{message}");
    assert!(!message.contains("hunter22"), "{message}");
}
