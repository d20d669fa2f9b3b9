//! The link in the email, opened in a real browser (headless Chromium), confirms the request
//! and shows a page saying so.

use std::process::Command;

use privacyd::proto::privacy::v1 as pb;

use crate::helpers::{Backend, SmtpSink, TestApp, state, unique_email};

/// The page Chromium renders for `url`, after scripts ran.
fn open_in_browser(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .expect("Chromium must be installed for this test (apt-get install chromium)");
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_the_emailed_link_confirms_the_request() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.organization = "Acme GmbH".into()).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    let link = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap().confirm_link();

    let page = tokio::task::spawn_blocking({
        let link = link.clone();
        move || open_in_browser(&link)
    })
    .await
    .unwrap();
    assert!(page.contains(r#"data-outcome="confirmed""#), "{page}");
    assert!(page.contains("Your request is confirmed"));
    assert!(page.contains("Acme GmbH"));
    assert_eq!(state(&app.get(&created.id).await), pb::State::Confirmed);
    let event =
        app.audit(&created.id).await.into_iter().find(|e| e.r#type == pb::AuditEventType::Confirmed as i32).unwrap();
    assert_eq!(event.actor.unwrap().kind, pb::ActorKind::Subject as i32);

    // A second click (or a mail scanner that got there first) is harmless.
    let again = tokio::task::spawn_blocking(move || open_in_browser(&link)).await.unwrap();
    assert!(again.contains(r#"data-outcome="already_confirmed""#), "{again}");

    let forged = format!("http://{}/confirm?id={}&token=forged", app.addr, created.id);
    let page = tokio::task::spawn_blocking(move || open_in_browser(&forged)).await.unwrap();
    assert!(page.contains(r#"data-outcome="invalid""#), "{page}");
}
