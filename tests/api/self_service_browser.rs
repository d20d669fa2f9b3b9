//! The subject's pages end to end in a real browser (headless Chromium driven by Selenium,
//! tests/support/self_service_in_browser.py), with axe-core finding no WCAG 2.1 A or AA
//! violation on any of them: a person asks on /request, the email arrives, its link confirms,
//! the status link shows the request waiting and then ready, and its button downloads the
//! data. Also the form with a mistake, the not-found page of a bad status link, and the page
//! of a form that is turned off.

use std::process::Command;

use privacyd::proto::privacy::v1 as pb;

use crate::helpers::{Backend, SmtpSink, TestApp, unique_email};

/// Runs the browser script: what it printed, after checking it succeeded and that axe found
/// nothing on any page it opened.
async fn in_browser(args: Vec<String>) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/self_service_in_browser.py");
    let run = tokio::task::spawn_blocking(move || Command::new("python3").arg(script).args(&args).output());
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("the browser run finished within two minutes")
        .unwrap()
        .expect("python3 runs");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the browser run failed (needs chromium-driver, selenium and axe-core):\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let checked: Vec<&str> = printed.lines().filter(|l| l.contains(" axe: ")).collect();
    assert!(!checked.is_empty(), "axe ran on no page:\n{printed}");
    for line in checked {
        assert!(line.ends_with(" axe: clean"), "accessibility violations: {line}\n{printed}");
    }
    printed
}

fn link_in(raw: &str, path: &str) -> String {
    raw.split_whitespace().find(|w| w.starts_with("http") && w.contains(path)).expect("the link").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_asks_confirms_follows_and_downloads_in_a_browser() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.auto_process = true;
        c.organization = "Acme GmbH".into();
    })
    .await;
    app.register_empty_source().await;
    let base = format!("http://{}", app.addr);
    let email = unique_email();

    // A mistake first: the form comes back saying what is wrong.
    let printed = in_browser(vec!["ask".into(), base.clone(), "jane at example".into(), "export".into()]).await;
    assert!(printed.contains("form page: form"), "{printed}");
    assert!(printed.contains("answer page: form_problem"), "{printed}");
    assert!(printed.contains("The email address is not a valid email address."), "{printed}");

    let printed = in_browser(vec!["ask".into(), base.clone(), email.clone(), "export".into()]).await;
    assert!(printed.contains("answer page: sent"), "{printed}");
    assert!(printed.contains("Check your email"), "{printed}");

    let confirmation = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    let status = link_in(&confirmation.raw, "/status?");
    let printed = in_browser(vec!["status".into(), status.clone(), std::env::temp_dir().display().to_string()]).await;
    assert!(printed.contains("status page: pending"), "{printed}");
    assert!(!printed.contains("downloaded:"), "{printed}");

    let printed = in_browser(vec!["confirm".into(), confirmation.confirm_link()]).await;
    assert!(printed.contains("confirm page: confirmed"), "{printed}");

    let ready = SmtpSink::global().wait_for(&email, 2).await.pop().unwrap();
    assert!(ready.subject().contains("ready"), "{}", ready.subject());
    let downloads = tempfile::tempdir().unwrap();
    // The link from the first email: it still works, and now shows the download.
    let printed = in_browser(vec!["status".into(), status, downloads.path().display().to_string()]).await;
    assert!(printed.contains("status page: completed"), "{printed}");
    assert!(printed.contains("Your data is ready"), "{printed}");
    assert!(printed.contains("downloaded: "), "{printed}");
    assert!(!printed.contains("nothing within"), "{printed}");
    let zip = std::fs::read_dir(downloads.path()).unwrap().next().unwrap().unwrap().path();
    assert_eq!(&std::fs::read(&zip).unwrap()[..2], b"PK");
    let id = confirmation.confirmation().0;
    let downloaded =
        app.audit(&id).await.into_iter().find(|e| e.r#type == pb::AuditEventType::ArchiveDownloaded as i32);
    assert_eq!(downloaded.expect("the download is audited").actor.unwrap().kind, pb::ActorKind::Subject as i32);

    // A bad status link: the not-found page, accessible too.
    let printed = in_browser(vec!["page".into(), format!("{base}/status?id={id}&token=forged")]).await;
    assert!(printed.contains("page: invalid"), "{printed}");
    app.stop().await;

    let closed = TestApp::spawn_with(Backend::Sqlite, |c| c.self_service = false).await;
    let printed = in_browser(vec!["page".into(), format!("http://{}/request", closed.addr)]).await;
    assert!(printed.contains("page: closed"), "{printed}");
    closed.stop().await;
}
