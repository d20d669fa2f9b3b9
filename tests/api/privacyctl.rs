//! privacyctl, the operators' command line, as they run it: the built binary against a real
//! privacyd and real data sources. Registering a source, a request from creation to a
//! downloaded, verified (and resumed) archive, every state change, and errors that say the
//! code, the message and privacyd's reason.
//!
//! privacyctl adds no storage behaviour of its own, so only the end-to-end test runs on both
//! backends; the rest run on SQLite.

use std::{path::Path, process::Stdio, sync::atomic::Ordering};

use privacyd::{proto::privacy::v1 as pb, testing::free_port};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::{
    fake_source::{Misbehaving, serve},
    helpers::{Backend, ExampleSource, SmtpSink, TestApp, state, unique_email},
    on_both_backends,
};

on_both_backends!(an_operator_registers_a_source_and_exports_a_request_end_to_end);

/// What a run of privacyctl did.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    #[track_caller]
    pub fn ok(self) -> Ran {
        assert_eq!(self.code, 0, "privacyctl failed: {self:#?}");
        self
    }

    #[track_caller]
    pub fn failed(self) -> Ran {
        assert_eq!(self.code, 1, "privacyctl should have failed: {self:#?}");
        self
    }
}

/// The built privacyctl with `args` and `env`, and nothing from the test's own environment that
/// could change what it does.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_privacyctl"));
    command.args(args).env_remove("PRIVACYD_ADDR").env_remove("PRIVACYD_ADMIN_TOKEN");
    for (key, value) in env {
        command.env(key, value);
    }
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command
}

pub async fn finish(command: &mut tokio::process::Command) -> Ran {
    let output = command.output().await.expect("privacyctl runs");
    Ran {
        code: output.status.code().expect("privacyctl exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// privacyctl run without privacyd (the conformance kit needs none).
pub async fn privacyctl(args: &[&str]) -> Ran {
    finish(&mut command(args, &[])).await
}

/// privacyctl pointed at `app` through the environment, as an operator would set it up.
pub(crate) fn against(app: &TestApp, args: &[&str]) -> tokio::process::Command {
    let addr = app.addr.to_string();
    command(args, &[("PRIVACYD_ADDR", &addr), ("PRIVACYD_ADMIN_TOKEN", &app.admin_token)])
}

pub(crate) async fn ctl(app: &TestApp, args: &[&str]) -> Ran {
    finish(&mut against(app, args)).await
}

fn json(ran: &Ran) -> serde_json::Value {
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}: {}", ran.stdout))
}

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

async fn an_operator_registers_a_source_and_exports_a_request_end_to_end(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let source = ExampleSource::start(&[&email], None);

    let registered =
        ctl(&app, &["sources", "register", "example", "--endpoint", &source.endpoint, "--timeout", "20s"]).await.ok();
    assert!(registered.stdout.contains("call timeout: 20s"), "{}", registered.stdout);
    assert!(registered.stdout.contains("capabilities: EXPORT, ERASE"), "{}", registered.stdout);
    assert!(registered.stdout.contains("category \"uploads\" (Uploaded files):"), "{}", registered.stdout);
    let listed = ctl(&app, &["sources", "list"]).await.ok();
    assert!(
        listed.stdout.lines().any(|l| l.starts_with("example ") && l.contains("EXPORT,ERASE")),
        "{}",
        listed.stdout
    );
    let checked = ctl(&app, &["sources", "check", "example"]).await.ok();
    assert!(checked.stdout.starts_with("health:  SERVING\n"), "{}", checked.stdout);

    let created = ctl(&app, &["requests", "create", "--email", &email, "--action", "export", "--json"]).await.ok();
    // The response, as grpcurl prints it: the request is its privacyRequest.
    let created = json(&created)["privacyRequest"].clone();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (created["state"].as_str(), created["action"].as_str()),
        (Some("STATE_CONFIRMED"), Some("ACTION_EXPORT"))
    );
    let listed = ctl(&app, &["requests", "list", "--email", &email]).await.ok();
    let row = listed.stdout.lines().nth(1).unwrap_or_default();
    assert!(row.starts_with(&format!("{id}  export  CONFIRMED ")) && row.ends_with(&email), "{}", listed.stdout);
    let got = ctl(&app, &["requests", "get", &id]).await.ok();
    assert!(
        got.stdout.starts_with(&format!("id:        {id}\naction:    export\nstate:     CONFIRMED\n")),
        "{}",
        got.stdout
    );

    // Watch from before processing starts (its first line says it is watching) to the end.
    let mut watching = against(&app, &["requests", "watch", &id]).spawn().unwrap();
    let mut stdout = BufReader::new(watching.stdout.take().unwrap());
    let mut out = String::new();
    stdout.read_line(&mut out).await.unwrap();
    assert_eq!(out, format!("request {id} (export): CONFIRMED\n"));
    ctl(&app, &["requests", "process", &id]).await.ok();
    stdout.read_to_string(&mut out).await.unwrap();
    let watched = watching.wait_with_output().await.unwrap();
    assert!(watched.status.success(), "{out}\n{}", String::from_utf8_lossy(&watched.stderr));
    assert!(out.contains(" PROCESSING_STARTED CONFIRMED -> PROCESSING by admin "), "{out}");
    assert!(out.contains("source example  SUCCEEDED  4 items  "), "{out}");
    assert!(out.contains(" COMPLETED PROCESSING -> COMPLETED by system executor"), "{out}");
    assert!(out.contains(&format!("request {id} COMPLETED\n")), "{out}");

    // The archive, verified against what privacyd recorded.
    let archive = app.get(&id).await.archive.expect("the export completed");
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("export.zip");
    let saved = ctl(&app, &["requests", "download", &id, "--out", whole.to_str().unwrap()]).await.ok();
    assert_eq!(sha256(&whole), archive.sha256);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&whole).unwrap().permissions().mode() & 0o777, 0o600, "personal data, private");
    assert_eq!(
        saved.stdout,
        format!("saved {} ({} bytes, sha256 {} verified)\n", whole.display(), archive.size_bytes, archive.sha256)
    );
    assert!(!dir.path().join("export.zip.part").exists());
    let again = ctl(&app, &["requests", "download", &id, "--out", whole.to_str().unwrap()]).await.failed();
    assert!(again.stderr.contains("exists; pass --force to replace it"), "{}", again.stderr);

    // An interrupted download (its first kilobyte left in .part) resumes from there.
    let bytes = std::fs::read(&whole).unwrap();
    let resumed = dir.path().join("resumed.zip");
    std::fs::write(dir.path().join("resumed.zip.part"), &bytes[..1000]).unwrap();
    let saved = ctl(&app, &["requests", "download", &id, "--out", resumed.to_str().unwrap()]).await.ok();
    assert!(saved.stdout.contains("verified, resumed at byte 1000)"), "{}", saved.stdout);
    assert_eq!(std::fs::read(&resumed).unwrap(), bytes);

    // A .part that is not the archive's beginning fails the check, and is not kept.
    let corrupt = dir.path().join("corrupt.zip");
    std::fs::write(dir.path().join("corrupt.zip.part"), vec![0u8; 1000]).unwrap();
    let refused = ctl(&app, &["requests", "download", &id, "--out", corrupt.to_str().unwrap()]).await.failed();
    assert!(
        refused
            .stderr
            .starts_with(&format!("privacyctl: SHA-256 mismatch: privacyd says the archive is {}", archive.sha256)),
        "{}",
        refused.stderr
    );
    assert!(!corrupt.exists() && !dir.path().join("corrupt.zip.part").exists());

    let audit = ctl(&app, &["requests", "audit", &id]).await.ok();
    let types: Vec<&str> = audit.stdout.lines().map(|l| l.split(' ').nth(2).unwrap()).collect();
    let lifecycle: Vec<&str> =
        types.iter().copied().filter(|t| !t.starts_with("EMAIL_") && *t != "ARCHIVE_DOWNLOADED").collect();
    assert_eq!(
        lifecycle,
        ["CREATED", "PROCESSING_STARTED", "SOURCE_SUCCEEDED", "ARCHIVE_CREATED", "COMPLETED"],
        "{}",
        audit.stdout
    );
    assert_eq!(types.iter().filter(|t| **t == "ARCHIVE_DOWNLOADED").count(), 3, "{}", audit.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_move_a_request_through_every_state() {
    let app = TestApp::spawn(Backend::Sqlite).await;

    // PENDING, confirmed with the token from the subject's email, then cancelled.
    let email = unique_email();
    let pending =
        ctl(&app, &["requests", "create", "--email", &email, "--action", "export", "--confirm", "--json"]).await.ok();
    let pending = json(&pending)["privacyRequest"].clone();
    assert_eq!(pending["state"], "STATE_PENDING");
    let (id, token) = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap().confirmation();
    app.wait_for(&id, "the confirmation email to be sent", |r| {
        r.emails.iter().any(|e| e.state == pb::DeliveryState::Sent as i32)
    })
    .await;
    let confirmed = ctl(&app, &["requests", "confirm", &id, &token]).await.ok();
    assert!(confirmed.stdout.contains("state:     CONFIRMED\n"), "{}", confirmed.stdout);
    let cancelled = ctl(&app, &["requests", "cancel", &id, "--reason", "asked twice"]).await.ok();
    assert!(cancelled.stdout.contains("state:     CANCELLED\nreason:    asked twice\n"), "{}", cancelled.stdout);

    // Handled by hand: processing starts (its one source never answers), the operator completes it.
    let hanging = Misbehaving { hang_first: usize::MAX, ..Default::default() };
    ctl(&app, &["sources", "register", "hanging", "--endpoint", &serve(hanging).await, "--timeout", "60s"]).await.ok();
    let by_hand =
        json(&ctl(&app, &["requests", "create", "--email", &email, "--action", "export", "--json"]).await.ok());
    let by_hand = by_hand["privacyRequest"]["id"].as_str().unwrap();
    let processing = ctl(&app, &["requests", "process", by_hand]).await.ok();
    assert!(processing.stdout.contains("state:     PROCESSING\n"), "{}", processing.stdout);
    let completed = ctl(&app, &["requests", "complete", by_hand]).await.ok();
    assert!(completed.stdout.contains("state:     COMPLETED\n"), "{}", completed.stdout);
    ctl(&app, &["sources", "delete", "hanging"]).await.ok();
    let erase = json(&ctl(&app, &["requests", "create", "--email", &email, "--action", "erase", "--json"]).await.ok());
    let erase_id = erase["privacyRequest"]["id"].as_str().unwrap();

    // Denied, with the reason the subject is told; creation is idempotent by --request-id.
    let other = unique_email();
    let args = ["requests", "create", "--email", &other, "--action", "export", "--request-id", "retry-1", "--json"];
    let first = json(&ctl(&app, &args).await.ok());
    let retried = json(&ctl(&app, &args).await.ok());
    assert_eq!(first["privacyRequest"]["id"], retried["privacyRequest"]["id"]);
    let denied_id = first["privacyRequest"]["id"].as_str().unwrap();
    let denied = ctl(&app, &["requests", "deny", denied_id, "--reason", "not our customer"]).await.ok();
    assert!(denied.stdout.contains("state:     DENIED\nreason:    not our customer\n"), "{}", denied.stdout);
    let audit = ctl(&app, &["requests", "audit", denied_id]).await.ok();
    // Emails are sent by jobs and may be recorded after the denial.
    let last_transition = audit.stdout.lines().rfind(|line| !line.contains(" EMAIL_")).unwrap();
    assert!(last_transition.contains(" DENIED CONFIRMED -> DENIED by admin "), "{}", audit.stdout);

    // Filters, and pages: one per call, or all of them.
    let denied_list = ctl(&app, &["requests", "list", "--state", "denied"]).await.ok();
    assert_eq!(denied_list.stdout.lines().count(), 2, "a header and one row: {}", denied_list.stdout);
    let page = ctl(&app, &["requests", "list", "--page-size", "1"]).await.ok();
    assert_eq!(page.stdout.lines().count(), 2, "{}", page.stdout);
    assert!(page.stderr.starts_with("more: --page-token "), "{}", page.stderr);
    let all = json(&ctl(&app, &["requests", "list", "--page-size", "1", "--all", "--json"]).await.ok());
    assert_eq!(all["privacyRequests"].as_array().unwrap().len(), 4);
    assert!(all.get("nextPageToken").is_none());
    let erasures = json(&ctl(&app, &["requests", "list", "--action", "erase", "--email", &email, "--json"]).await.ok());
    assert_eq!(erasures["privacyRequests"][0]["id"].as_str(), Some(erase_id));

    // Sources: enabled and disabled, deleted.
    let source = ExampleSource::start(&[], None);
    ctl(&app, &["sources", "register", "shop", "--endpoint", &source.endpoint, "--disabled"]).await.ok();
    let got = json(&ctl(&app, &["sources", "get", "shop", "--json"]).await.ok());
    assert!(got["dataSource"].get("enabled").is_none(), "disabled (false is not printed): {got}");
    let enabled = ctl(&app, &["sources", "enable", "shop"]).await.ok();
    assert!(enabled.stdout.contains("enabled:      yes\n"), "{}", enabled.stdout);
    let disabled = ctl(&app, &["sources", "disable", "shop"]).await.ok();
    assert!(disabled.stdout.contains("enabled:      no\n"), "{}", disabled.stdout);
    assert_eq!(ctl(&app, &["sources", "delete", "shop"]).await.ok().stdout, "deleted source shop\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_a_request_that_fails_stops_with_the_reason() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.source_max_attempts = 1).await;
    let broken = Misbehaving::default();
    broken.failing.store(true, Ordering::SeqCst);
    ctl(&app, &["sources", "register", "broken", "--endpoint", &serve(broken).await]).await.ok();
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    ctl(&app, &["requests", "process", &created.id]).await.ok();
    // FAILED is not final (it may be processed again), so privacyd's stream goes on; the
    // watch stops there itself.
    let watched =
        tokio::time::timeout(std::time::Duration::from_secs(20), ctl(&app, &["requests", "watch", &created.id]))
            .await
            .expect("the watch stops at FAILED")
            .failed();
    assert!(
        watched.stderr.starts_with(&format!("privacyctl: request {} ended FAILED: source broken failed", created.id)),
        "{}",
        watched.stderr
    );
    assert!(
        watched.stdout.contains("source broken  FAILED  0 items  0 B  attempt 1  last error: Internal"),
        "{}",
        watched.stdout
    );
    assert_eq!(state(&app.get(&created.id).await), pb::State::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_say_the_code_the_message_and_privacyds_reason() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let missing = ctl(&app, &["requests", "get", &unknown]).await.failed();
    assert!(missing.stderr.starts_with("privacyctl: GetPrivacyRequest: NOT_FOUND: "), "{}", missing.stderr);
    assert!(missing.stderr.ends_with(" (reason NOT_FOUND)\n"), "{}", missing.stderr);
    assert!(missing.stdout.is_empty());

    let email = unique_email();
    let first = app.create(&email, pb::Action::Export, false).await;
    let duplicate = ctl(&app, &["requests", "create", "--email", &email, "--action", "export"]).await.failed();
    assert!(
        duplicate.stderr.starts_with("privacyctl: CreatePrivacyRequest: ALREADY_EXISTS: ")
            && duplicate.stderr.ends_with(&format!(" (reason DUPLICATE_REQUEST, existing_id {})\n", first.id)),
        "{}",
        duplicate.stderr
    );
    let not_ready = ctl(&app, &["requests", "download", &first.id]).await.failed();
    assert!(not_ready.stderr.contains("DownloadExport: FAILED_PRECONDITION: "), "{}", not_ready.stderr);
    assert!(not_ready.stderr.contains("(reason EXPORT_NOT_READY, state STATE_CONFIRMED)"), "{}", not_ready.stderr);

    let wrong = ctl(&app, &["requests", "get", &first.id, "--admin-token", "not-the-admin-token"]).await.failed();
    assert!(wrong.stderr.starts_with("privacyctl: GetPrivacyRequest: UNAUTHENTICATED: "), "{}", wrong.stderr);
    assert!(wrong.stderr.contains(" (reason UNAUTHENTICATED)"), "{}", wrong.stderr);

    let addr = app.addr.to_string();
    let none = finish(&mut command(&["requests", "get", &first.id], &[("PRIVACYD_ADDR", &addr)])).await.failed();
    assert!(none.stderr.contains("(reason UNAUTHENTICATED)\nprivacyctl: no admin token was given"), "{}", none.stderr);

    // The token from a file, as privacyd writes data/admin-token.
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("admin-token");
    std::fs::write(&token_file, format!("{}\n", app.admin_token)).unwrap();
    let args = ["--token-file", token_file.to_str().unwrap(), "requests", "get", &first.id];
    finish(&mut command(&args, &[("PRIVACYD_ADDR", &addr)])).await.ok();

    let nobody = format!("127.0.0.1:{}", free_port().unwrap());
    let unreachable = finish(&mut command(&["requests", "list"], &[("PRIVACYD_ADDR", &nobody)])).await.failed();
    assert!(
        unreachable.stderr.starts_with(&format!("privacyctl: cannot reach privacyd at http://{nobody}: ")),
        "{}",
        unreachable.stderr
    );

    let refused =
        ctl(&app, &["sources", "register", "ghost", "--endpoint", &format!("http://{nobody}"), "--timeout", "2s"])
            .await
            .failed();
    assert!(refused.stderr.starts_with("privacyctl: RegisterDataSource: FAILED_PRECONDITION: "), "{}", refused.stderr);
    assert!(refused.stderr.ends_with(" (reason SOURCE_UNREACHABLE)\n"), "{}", refused.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_shows_what_was_kept_and_its_receipt_checks_out() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = unique_email();
    let shop = crate::erasing_source::ErasingSource::new(
        "shop",
        crate::erasing_source::Behaviour { retain: vec!["orders"], ..Default::default() },
    );
    shop.hold(&email, "orders", 2).hold(&email, "comments", 1);
    let endpoint = shop.serve().await;
    ctl(&app, &["sources", "register", "shop", "--endpoint", &endpoint]).await.ok();
    let created =
        json(&ctl(&app, &["--json", "requests", "create", "--email", &email, "--action", "erase"]).await.ok());
    let id = created["privacyRequest"]["id"].as_str().unwrap().to_owned();
    ctl(&app, &["requests", "process", &id]).await.ok();
    ctl(&app, &["requests", "watch", &id]).await.ok();

    let shown = ctl(&app, &["requests", "get", &id]).await.ok().stdout;
    assert!(shown.contains("  reported: removed 1, retained 2\n"), "{shown}");
    assert!(
        shown.contains("orders (2 items): Invoices must be kept for 10 years (tax law) [LEGAL_OBLIGATION]"),
        "{shown}"
    );
    assert!(shown.contains("PARTLY_ERASED: removed 1, retained 2, verified"), "{shown}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("receipt.json");
    let ran = ctl(&app, &["requests", "receipt", &id, "--out", file.to_str().unwrap()]).await.ok();
    assert!(ran.stderr.contains("audit chain intact"), "{ran:#?}");
    let receipt: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(receipt["outcome"], "PARTLY_ERASED");
    assert!(ran.stderr.contains(&format!("sha256 {}", sha256(&file))), "the printed digest is the file's: {ran:#?}");
    assert!(ran.stderr.contains("signature ") && ran.stderr.contains("signing key "), "{ran:#?}");

    // An export has no receipt: the error says so, and privacyctl exits 1.
    let export = app.create(&unique_email(), pb::Action::Export, false).await;
    let ran = ctl(&app, &["requests", "receipt", &export.id]).await.failed();
    assert!(ran.stderr.contains("NOT_AN_ERASURE"), "{ran:#?}");
}
