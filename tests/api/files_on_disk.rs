//! What privacyd leaves on disk. Every folder it creates is 0700 and every file 0600 whatever
//! the umask (the database and its log, the outbox's emails with their live links, export
//! archives, the generated admin token), and an existing data folder others could read is
//! tightened at start. A deleted request leaves no trace of its subject's address: not in the
//! SQLite file, not in its write-ahead log, not in the outbox.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use privacyd::{config::Config, proto::privacy::v1 as pb, shutdown, startup::Application};

use crate::helpers::{Backend, Email, TestApp, state, unique_email};

/// Every folder and file under `root`, with its permission bits.
fn modes(root: &Path) -> Vec<(PathBuf, u32, bool)> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            }
            found.push((entry.path(), meta.permissions().mode() & 0o777, meta.is_dir()));
        }
    }
    found
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The confirmation link of `email`'s request in the outbox.
async fn from_outbox(outbox: &Path, kind: &str, email: &str) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        for entry in std::fs::read_dir(outbox).into_iter().flatten() {
            let raw = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            if raw.contains(email) && raw.contains(kind) {
                return raw;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "no {kind} email in the outbox");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A request through confirmation to a completed export, with emails to the outbox.
async fn completed_export(app: &TestApp, email: &str) -> pb::PrivacyRequest {
    app.register_empty_source().await;
    let created = app.create(email, pb::Action::Export, true).await;
    let outbox = app.data_dir.path().join("outbox");
    let raw = from_outbox(&outbox, "/confirm?id=", email).await;
    let (id, token) = Email { envelope_to: String::new(), raw }.confirmation();
    app.wait_for(&id, "the confirmation email to be recorded as sent", |r| {
        r.emails.iter().any(|e| e.state == pb::DeliveryState::Sent as i32)
    })
    .await;
    app.public.clone().confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id, token }).await.unwrap();
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    app.wait_for(&created.id, "the export's download email to be sent", |r| {
        r.emails
            .iter()
            .any(|e| e.kind == pb::EmailKind::ExportReady as i32 && e.state == pb::DeliveryState::Sent as i32)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_privacyd_writes_is_private_whatever_the_umask() {
    // The usual umask, under which files are created readable by all. (The privacyd binary
    // sets 077 itself; this is privacyd run in-process, as a library.)
    // SAFETY: umask swaps a process-wide integer.
    unsafe { libc::umask(0o022) };
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.smtp_url = None;
        // A data folder others can read, as `mkdir data` makes one: tightened at start.
        std::fs::set_permissions(&c.data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    })
    .await;
    let done = completed_export(&app, &unique_email()).await;
    assert_eq!(state(&done), pb::State::Completed);

    let data = app.data_dir.path();
    assert_eq!(mode(data), 0o700, "the data folder is tightened");
    let found = modes(data);
    let names: Vec<String> =
        found.iter().map(|(p, _, _)| p.strip_prefix(data).unwrap().display().to_string()).collect();
    for expected in ["privacyd.db", "privacyd.db-wal", "privacyd.db-shm", "outbox", "exports"] {
        assert!(names.iter().any(|n| n == expected), "{expected} in {names:?}");
    }
    assert_eq!(names.iter().filter(|n| n.starts_with("outbox/") && n.ends_with(".eml")).count(), 2, "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(&format!("privacy-export-{}.zip", done.id))), "{names:?}");
    for (path, mode, is_dir) in &found {
        let wanted = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, wanted, "{} is {mode:o}", path.display());
    }
    app.stop().await;

    // The admin token privacyd generates when none is configured.
    let data = tempfile::tempdir().unwrap();
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.data_dir = data.path().join("nested/data");
    let (_trigger, shutdown) = shutdown::channel();
    let started = Application::build(config.clone(), shutdown).await.expect("privacyd starts");
    drop(started);
    assert_eq!(mode(&data.path().join("nested")), 0o700);
    for (path, mode, is_dir) in modes(&config.data_dir) {
        let wanted = if is_dir { 0o700 } else { 0o600 };
        assert_eq!(mode, wanted, "{} is {mode:o}", path.display());
    }
    assert_eq!(mode(&config.data_dir.join("admin-token")), 0o600);
}

/// After DeletePrivacyRequest the subject's address is in no file privacyd keeps: SQLite's
/// `secure_delete` zeroes the deleted rows, a truncating checkpoint empties the log that held
/// them, and the request's emails leave the outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_request_leaves_no_trace_of_the_address_on_disk() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.smtp_url = None).await;
    let email = format!("trace-{}@example.com", uuid::Uuid::new_v4().simple());
    // Another subject's request stays, with its email.
    let kept = unique_email();
    let other = app.create(&kept, pb::Action::Export, true).await;
    let done = completed_export(&app, &email).await;
    let data = app.data_dir.path().to_owned();
    let holding = |needle: &str| -> Vec<PathBuf> {
        modes(&data)
            .into_iter()
            .filter(|(path, _, is_dir)| {
                !is_dir && std::fs::read(path).unwrap_or_default().windows(needle.len()).any(|w| w == needle.as_bytes())
            })
            .map(|(path, _, _)| path)
            .collect()
    };
    assert!(!holding(&email).is_empty(), "the address is on disk before the delete");

    app.client.clone().delete_privacy_request(pb::DeletePrivacyRequestRequest { id: done.id.clone() }).await.unwrap();
    let left = holding(&email);
    assert!(left.is_empty(), "the deleted subject's address is still in {left:?}");
    // The other request is untouched, email and all.
    assert_eq!(app.get(&other.id).await.subject.unwrap().email, kept);
    from_outbox(&data.join("outbox"), "/confirm?id=", &kept).await;
}
