//! The link in the email, opened in a real browser (headless Chromium), shows the request and
//! changes nothing; pressing the page's button confirms it and shows a page saying so. For an
//! erasure in its cooling-off period, pressing the next page's button withdraws it.

use std::process::{Command, Output};

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

/// Runs tests/support/confirm_in_browser.py on `link` (headless Chromium driven by
/// chromedriver): what it printed, after checking it succeeded.
async fn press_the_buttons(link: String, withdraw: bool) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/confirm_in_browser.py");
    let run = tokio::task::spawn_blocking(move || {
        let mut command = Command::new("python3");
        command.arg(script).arg(&link);
        if withdraw {
            command.arg("--withdraw");
        }
        command.output()
    });
    let output: Output = tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("the browser run finished within two minutes")
        .unwrap()
        .expect("python3 runs");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the browser run failed (needs chromium-driver and selenium):\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    printed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emailed_link_shows_the_request_and_its_button_confirms_it() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.organization = "Acme GmbH".into()).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    let link = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap().confirm_link();

    // Opening the link, as a browser (or a mail scanner, or a link preview) does, confirms
    // nothing.
    let page = tokio::task::spawn_blocking({
        let link = link.clone();
        move || open_in_browser(&link)
    })
    .await
    .unwrap();
    assert!(page.contains(r#"data-outcome="confirm""#), "{page}");
    assert!(page.contains("Acme GmbH"));
    assert_eq!(state(&app.get(&created.id).await), pb::State::Pending);

    // A person presses the button.
    let printed = press_the_buttons(link.clone(), false).await;
    assert!(printed.contains("link page: confirm"), "{printed}");
    assert!(printed.contains("Confirm my request"), "{printed}");
    assert!(printed.contains("confirm page: confirmed"), "{printed}");
    assert!(printed.contains("Your request is confirmed"), "{printed}");
    assert_eq!(state(&app.get(&created.id).await), pb::State::Confirmed);
    let event =
        app.audit(&created.id).await.into_iter().find(|e| e.r#type == pb::AuditEventType::Confirmed as i32).unwrap();
    assert_eq!(event.actor.unwrap().kind, pb::ActorKind::Subject as i32);

    // Opening the link again says so.
    let again = tokio::task::spawn_blocking(move || open_in_browser(&link)).await.unwrap();
    assert!(again.contains(r#"data-outcome="already_confirmed""#), "{again}");

    let forged = format!("http://{}/confirm?id={}&token=forged", app.addr, created.id);
    let page = tokio::task::spawn_blocking(move || open_in_browser(&forged)).await.unwrap();
    assert!(page.contains(r#"data-outcome="invalid""#), "{page}");
}

/// An erasure with a cooling-off period: the link's page says what confirming does, the page
/// after confirming says when it will run and has a button to withdraw it; a person presses
/// both in a real browser (headless Chromium driven by chromedriver) and nothing is erased.
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

    let printed = press_the_buttons(link, true).await;
    assert!(printed.contains("link page: confirm"), "{printed}");
    assert!(printed.contains("Erasure starts automatically 1 hour later"), "{printed}");
    assert!(printed.contains("confirm page: confirmed"), "{printed}");
    assert!(printed.contains("We will erase your data after"), "{printed}");
    assert!(printed.contains("after click: withdrawn"), "{printed}");
    let withdrawn = app.get(&created.id).await;
    assert_eq!(state(&withdrawn), pb::State::Cancelled);
    let event = app.last_transition(&created.id).await;
    assert_eq!(event.r#type, pb::AuditEventType::Cancelled as i32);
    assert_eq!(event.actor.unwrap().kind, pb::ActorKind::Subject as i32);
}
