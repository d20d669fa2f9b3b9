//! The `privacyd` binary as an operator runs it: embedded defaults, the generated admin token
//! (never shown), admin tokens re-read on SIGHUP, logs that never hold personal data or
//! tokens, and a clean stop on SIGTERM.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

#[path = "support/pki.rs"]
mod pki;

use privacyd::{
    proto::privacy::v1::{self as pb, privacy_request_service_client::PrivacyRequestServiceClient},
    testing::free_port,
};
use sha2::Digest;
use tonic::Request;

struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    addr: String,
}

/// Starts the binary in `dir` and waits for its "listening" line.
fn start(dir: &Path, args: &[&str]) -> Running {
    start_with_env(dir, args, &[])
}

/// Starts the binary in `dir` with extra environment variables.
fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Running {
    let port = free_port().unwrap();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_privacyd"))
        .current_dir(dir)
        .args(["--listen", &addr])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(dir.join("stderr.log")).unwrap()))
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(30)).expect("privacyd printed where it listens");
    let over = if args.contains(&"--tls-cert") { "gRPC and HTTP over TLS" } else { "gRPC and HTTP" };
    assert_eq!(first, format!("privacyd listening on {addr} ({over})"));
    Running { child, stdout: rx, addr }
}

fn stop(mut running: Running) -> std::process::ExitStatus {
    Command::new("kill").args(["-TERM", &running.child.id().to_string()]).status().unwrap();
    running.child.wait().unwrap()
}

/// The rest of the start-up message, up to its last line (the grpcurl hint).
fn startup_message(running: &Running) -> String {
    let mut message = Vec::new();
    loop {
        let line =
            running.stdout.recv_timeout(Duration::from_secs(10)).expect("privacyd finished its start-up message");
        let last = line.starts_with("  admin calls need the header");
        message.push(line);
        if last {
            return message.join("\n");
        }
    }
}

/// Polls `check` every 50 ms until it holds, failing after 10 s.
async fn eventually<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Lists requests with `token`: the code it answers with.
async fn list_with(addr: &str, token: &str) -> tonic::Code {
    let mut client = PrivacyRequestServiceClient::connect(format!("http://{addr}")).await.unwrap();
    let mut request = Request::new(pb::ListPrivacyRequestsRequest::default());
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    match client.list_privacy_requests(request).await {
        Ok(_) => tonic::Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_generates_a_private_admin_token_without_showing_it_and_later_starts_reuse_it() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), &["--shutdown-grace", "1s"]);
    let printed = startup_message(&running);
    let token_file = dir.path().join("data/admin-token");
    let tokens_file = dir.path().join("data/admin-tokens");
    let token = std::fs::read_to_string(&token_file).unwrap().trim().to_owned();
    assert_eq!(token.len(), 43);
    #[cfg(unix)]
    for file in [&token_file, &tokens_file] {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{}", file.display());
    }
    assert!(printed.contains("admin token: generated into data/admin-token"), "{printed}");
    assert!(printed.contains("1 in data/admin-tokens"), "{printed}");
    // The tokens file names the token by its hash, with every scope.
    let listed = std::fs::read_to_string(&tokens_file).unwrap();
    let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    assert!(listed.contains(&format!("admin read,requests,sources,download sha256:{hash}")), "{listed}");
    assert!(!listed.contains(&token));
    assert!(dir.path().join("data/privacyd.db").exists());

    assert_eq!(list_with(&running.addr, &token).await, tonic::Code::Ok);
    assert!(stop(running).success(), "SIGTERM stops privacyd cleanly");
    // Neither stream shows the token: a terminal's scrollback and a supervisor's log keep them.
    let stderr = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(!printed.contains(&token) && !stderr.contains(&token), "the token was shown:\n{printed}\n{stderr}");

    let again = start(dir.path(), &[]);
    let printed = startup_message(&again);
    assert!(!printed.contains(&token), "{printed}");
    assert!(printed.contains("admin tokens: 1 in data/admin-tokens (re-read on SIGHUP)"), "{printed}");
    assert_eq!(list_with(&again.addr, &token).await, tonic::Code::Ok);
    assert!(stop(again).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_rereads_the_tokens_file_adding_and_revoking_tokens() {
    use privacyd::{admin_tokens::mint, domain::Scopes};
    let dir = tempfile::tempdir().unwrap();
    let read = Scopes::parse("read").unwrap();
    let (old, old_entry) = mint("old", read).unwrap();
    let (new, new_entry) = mint("new", read).unwrap();
    let file = dir.path().join("tokens");
    // Only privacyd's user may write it, whatever the umask (privacyd refuses it otherwise).
    let write_private = |path: &Path, text: String| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    write_private(&file, format!("{}\n", old_entry.line()));
    let running = start(dir.path(), &["--admin-tokens-file", "tokens"]);
    startup_message(&running);
    assert_eq!(list_with(&running.addr, old.expose()).await, tonic::Code::Ok);
    assert_eq!(list_with(&running.addr, new.expose()).await, tonic::Code::Unauthenticated);

    // Rotate: replace the file in one step (as an editor or config manager does), then HUP.
    write_private(&dir.path().join("tokens.new"), format!("{}\n", new_entry.line()));
    std::fs::rename(dir.path().join("tokens.new"), &file).unwrap();
    let hup = || Command::new("kill").args(["-HUP", &running.child.id().to_string()]).status().unwrap();
    assert!(hup().success());
    let addr = running.addr.clone();
    eventually("the new token to be accepted", || {
        let (addr, token) = (addr.clone(), new.expose().to_owned());
        async move { list_with(&addr, &token).await == tonic::Code::Ok }
    })
    .await;
    assert_eq!(list_with(&running.addr, old.expose()).await, tonic::Code::Unauthenticated);

    // A broken file is logged and changes nothing.
    std::fs::write(&file, "new read not-a-hash\n").unwrap();
    assert!(hup().success());
    let log = dir.path().join("stderr.log");
    eventually("the refused reload to be logged", || {
        let log = log.clone();
        async move { std::fs::read_to_string(&log).unwrap().contains("not reloaded") }
    })
    .await;
    assert_eq!(list_with(&running.addr, new.expose()).await, tonic::Code::Ok);
    assert!(stop(running).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_tls_certificate_for_new_connections() {
    use pki::{Usage, connect, peer_fingerprint, pki};
    let pki = pki();
    let (cert, key) = (pki.path("server.pem"), pki.path("server.key"));
    let dir = tempfile::tempdir().unwrap();
    // No polling: only the signal reloads.
    let running = start(
        dir.path(),
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap(), "--tls-reload-interval", "0s"],
    );
    let printed = startup_message(&running);
    let old = pki.fingerprint("server");
    assert!(printed.contains(&format!("TLS certificate: sha256 {old}")), "{printed}");
    assert!(printed.contains("grpcurl -cacert <CA file> -H"), "{printed}");
    let addr: std::net::SocketAddr = running.addr.parse().unwrap();
    assert_eq!(peer_fingerprint(&connect(&pki, addr, "ca", &[b"h2"], None).await.unwrap()), old);

    pki.leaf("renewed", "ca", Usage::Server);
    std::fs::copy(pki.path("renewed.pem"), &cert).unwrap();
    std::fs::copy(pki.path("renewed.key"), &key).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        peer_fingerprint(&connect(&pki, addr, "ca", &[b"h2"], None).await.unwrap()),
        old,
        "without SIGHUP or polling nothing changes"
    );
    assert!(Command::new("kill").args(["-HUP", &running.child.id().to_string()]).status().unwrap().success());
    let new = pki.fingerprint("renewed");
    eventually("the renewed certificate to be served", || {
        let (pki, new) = (&pki, new.clone());
        async move { peer_fingerprint(&connect(pki, addr, "ca", &[b"h2"], None).await.unwrap()) == new }
    })
    .await;
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(log.contains(&new) && log.contains("loaded a new TLS certificate"), "{log}");
    assert!(stop(running).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weak_admin_token_stops_the_start_with_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_privacyd"))
        .current_dir(dir.path())
        .args(["--listen", &format!("127.0.0.1:{}", free_port().unwrap())])
        .env("PRIVACYD_ADMIN_TOKENS", "aaaaaaaaaaaaaaaa")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("admin token 1 of PRIVACYD_ADMIN_TOKENS is refused: the token has only 16 characters"),
        "{stderr}"
    );
    assert!(stderr.contains("at least 32 characters"), "{stderr}");
    assert!(!stderr.contains("aaaaaaaaaaaaaaaa"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_on_the_command_line_still_works_with_a_loud_warning() {
    let dir = tempfile::tempdir().unwrap();
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let running = start(dir.path(), &["--admin-token", &token]);
    startup_message(&running);
    assert_eq!(list_with(&running.addr, &token).await, tonic::Code::Ok);
    assert!(stop(running).success());
    let stderr = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(stderr.contains("WARNING: --admin-token is deprecated"), "{stderr}");
    assert!(!stderr.contains(&token), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_email_addresses_or_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let admin_token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let running = start_with_env(
        dir.path(),
        &["--log-format", "json", "--log", "debug"],
        &[("PRIVACYD_ADMIN_TOKENS", &admin_token)],
    );
    let mut client = PrivacyRequestServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let email = format!("Jane.Private-{}@Example.com", uuid::Uuid::new_v4().simple());
    let mut create = Request::new(pb::CreatePrivacyRequestRequest {
        subject: Some(pb::Subject { email: email.clone(), user_id: "user-secret-42".into() }),
        action: pb::Action::Export as i32,
        send_confirmation: true,
        request_id: String::new(),
    });
    create.metadata_mut().insert("authorization", format!("Bearer {admin_token}").parse().unwrap());
    let id = client.create_privacy_request(create).await.unwrap().into_inner().privacy_request.unwrap().id;

    // The confirmation goes to the outbox; take the token from it and use it.
    let outbox = dir.path().join("data/outbox");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let link = loop {
        let found = std::fs::read_dir(&outbox).ok().into_iter().flatten().find_map(|e| {
            let raw = std::fs::read_to_string(e.ok()?.path()).ok()?;
            raw.split_whitespace().find(|w| w.contains("/confirm?id=")).map(str::to_owned)
        });
        if let Some(link) = found {
            break link;
        }
        assert!(std::time::Instant::now() < deadline, "no confirmation email in the outbox");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let token = link.split("token=").nth(1).unwrap().to_owned();
    client
        .confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id: id.clone(), token: token.clone() })
        .await
        .unwrap();
    // A failing call is logged too.
    let mut bad = Request::new(pb::GetPrivacyRequestRequest { id: "nope".into() });
    bad.metadata_mut().insert("authorization", format!("Bearer {admin_token}").parse().unwrap());
    client.get_privacy_request(bad).await.unwrap_err();
    drop(client);
    assert!(stop(running).success());

    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(log.lines().count() > 5, "debug logging produced output:\n{log}");
    for line in log.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    let lower = log.to_lowercase();
    for secret in [email.to_lowercase(), "user-secret-42".into(), token.to_lowercase(), admin_token.to_lowercase()] {
        assert!(!lower.contains(&secret), "the log contains {secret:?}:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_client_cannot_hold_shutdown_past_the_grace_period() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), &["--shutdown-grace", "1s"]);
    // An HTTP/2 client that says hello and then never reads or writes again.
    let mut stuck = std::net::TcpStream::connect(&running.addr).unwrap();
    stuck.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = std::time::Instant::now();
    assert!(stop(running).success());
    assert!(started.elapsed() < Duration::from_secs(5), "stopped after {:?}", started.elapsed());
    drop(stuck);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_does_not_take_the_server_down() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_privacyd"))
        .current_dir(dir.path())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Nobody reads: the pipe is closed before privacyd writes its first line, so every line it
    // prints fails with EPIPE.
    drop(child.stdout.take());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut served = 0;
    while served < 3 {
        assert!(std::time::Instant::now() < deadline, "privacyd never served");
        assert!(child.try_wait().unwrap().is_none(), "privacyd died with its stdout closed");
        if let Ok(channel) =
            tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}")).unwrap().connect().await
        {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            if health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.is_ok() {
                served += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(child.try_wait().unwrap().is_none(), "privacyd is still running");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
}
