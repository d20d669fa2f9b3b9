//! The link in the email, opened in a real browser (headless Chromium), confirms the request
//! and shows a page saying so; for an erasure in its cooling-off period, pressing the page's
//! button withdraws it.

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

/// An erasure with a cooling-off period: the confirmation page says when it will run and has a
/// button to withdraw it; a person presses it in a real browser (headless Chromium driven by
/// chromedriver) and nothing is erased.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subject_withdraws_an_erasure_by_pressing_the_button() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.erase_delay = std::time::Duration::from_secs(3600);
        c.auto_process = true;
    })
    .await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Erase, true).await;
    let link = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap().confirm_link();
    app.wait_for(&created.id, "the confirmation email to be recorded", |r| {
        r.emails.iter().any(|e| e.state == pb::DeliveryState::Sent as i32)
    })
    .await;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/withdraw_in_browser.py");
    let output = tokio::task::spawn_blocking(move || Command::new("python3").arg(script).arg(&link).output())
        .await
        .unwrap()
        .expect("python3 runs");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the browser run failed (needs chromium-driver and selenium):\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("confirm page: confirmed"), "{printed}");
    assert!(printed.contains("We will erase your data after"), "{printed}");
    assert!(printed.contains("after click: withdrawn"), "{printed}");
    let withdrawn = app.get(&created.id).await;
    assert_eq!(state(&withdrawn), pb::State::Cancelled);
    let event = app.last_transition(&created.id).await;
    assert_eq!(event.r#type, pb::AuditEventType::Cancelled as i32);
    assert_eq!(event.actor.unwrap().kind, pb::ActorKind::Subject as i32);
}
