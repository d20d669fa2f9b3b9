//! The seeds' walkthrough end to end in a real browser (issue 12, "Done means"): what
//! WordPress's Tools > Export / Erase Personal Data screens let an administrator do, done in the
//! console by a privacy team member with an admin token, with the data subject confirming
//! through the emailed link in between. Once for an export (ending with the download from the
//! table) and once for an erasure (ending Completed, with its receipt).
//! tests/support/console/walkthrough.py drives Chromium; axe-core checks the console pages.

use std::time::Duration;

use privacyd::proto::privacy::v1 as pb;

use crate::{
    console_harness::{printed, run_scenario},
    erasing_source::ErasingSource,
    helpers::{Backend, SmtpSink, TestApp, unique_email},
};

/// How long one half of the walkthrough may take in the browser.
const LIMIT: Duration = Duration::from_secs(120);

async fn walkthrough(action: &str) -> (TestApp, String, String) {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let source = ErasingSource::new("shop", Default::default());
    let email = unique_email();
    source.hold(&email, "orders", 3);
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "shop".into(),
            endpoint: source.serve().await,
            ..Default::default()
        })
        .await
        .unwrap();
    let base = format!("http://{}", app.addr);
    let token = app.admin_token.clone();

    let added = run_scenario(
        "walkthrough.py",
        &["add".into(), base.clone(), token.clone(), email.clone(), action.into()],
        LIMIT,
    )
    .await;
    assert_eq!(printed(&added, "send confirmation checked"), "True", "{added}");
    assert!(printed(&added, "created").starts_with("/console/requests/"), "{added}");
    assert_eq!(printed(&added, "table status after adding"), "PENDING", "{added}");
    assert_eq!(printed(&added, "next step after adding"), "Resend confirmation", "{added}");
    assert!(added.contains("axe requests after adding: clean"), "{added}");

    let link = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap().confirm_link();
    let done = run_scenario("walkthrough.py", &["confirm".into(), base, token, email.clone(), link], LIMIT).await;
    assert_eq!(printed(&done, "link page"), "confirm", "{done}");
    assert_eq!(printed(&done, "after the subject's click"), "confirmed", "{done}");
    assert_eq!(printed(&done, "table status after confirming"), "CONFIRMED", "{done}");
    assert_eq!(printed(&done, "next step after confirming"), "Process", "{done}");
    assert_eq!(printed(&done, "table status at the end"), "COMPLETED", "{done}");
    let id = printed(&added, "created").trim_start_matches("/console/requests/").to_owned();
    (app, id, done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_and_the_subject_take_an_export_from_adding_to_downloading() {
    let (app, id, done) = walkthrough("export").await;
    assert_eq!(printed(&done, "next step at the end"), "Download", "{done}");
    assert_eq!(printed(&done, "download status"), "200", "{done}");
    let archive = app.get(&id).await.archive.expect("a completed export has its archive");
    assert_eq!(printed(&done, "download sha256"), archive.sha256, "the downloaded bytes are the recorded archive");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_and_the_subject_take_an_erasure_from_adding_to_its_receipt() {
    let (app, id, done) = walkthrough("erase").await;
    assert_eq!(printed(&done, "next step at the end"), "", "a completed erasure has no next step: {done}");
    assert_eq!(printed(&done, "audit chain intact"), "true", "{done}");
    assert_eq!(printed(&done, "receipt status"), "200", "{done}");
    let events: usize = printed(&done, "receipt audit chain events").parse().unwrap();
    assert!(events >= 3, "the receipt JSON chains the request's audit events: {done}");
    assert!(done.contains("axe the completed erasure's page: clean"), "{done}");
    let request = app.get(&id).await;
    assert_eq!(request.state, pb::State::Completed as i32);
    app.stop().await;
}
