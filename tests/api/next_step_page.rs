//! What the subject reads right after confirming (issue 9, item 28): the confirmation page says
//! what will really happen next. "We are now working on your request" only when processing
//! started by itself; when an operator must act (without `--auto-process`), or an erasure waits
//! out its cooling-off period, the page says so, with the time it may start. The admin's
//! "confirmed" email says the same thing.

use std::time::Duration;

use privacyd::proto::privacy::v1 as pb;

use crate::{
    fake_source::{Misbehaving, serve},
    helpers::{Backend, SmtpSink, TestApp, confirm_by_pressing_the_button, state, unique_email},
};

/// Creates a request whose confirmation is emailed, and presses the button of its link.
async fn confirm_on_the_page(app: &TestApp, action: pb::Action) -> (pb::PrivacyRequest, String) {
    let email = unique_email();
    let created = app.create(&email, action, true).await;
    let link = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap().confirm_link();
    let (status, page) = confirm_by_pressing_the_button(app.addr, &link);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"data-outcome="confirmed""#), "{page}");
    (app.get(&created.id).await, page)
}

/// Without `--auto-process`, nothing starts until an operator processes the request: the page
/// must not say the work started, and the admin is told it waits for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_auto_process_the_page_says_an_operator_starts_the_work() {
    let admin = unique_email();
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.auto_process = false;
        c.admin_email = Some(admin.clone());
    })
    .await;
    for action in [pb::Action::Export, pb::Action::Erase] {
        let (request, page) = confirm_on_the_page(&app, action).await;
        assert_eq!(state(&request), pb::State::Confirmed, "nothing started");
        assert!(!page.contains("working on your request"), "{page}");
        assert!(page.contains("A member of our team will now review your request"), "{page}");
        assert!(page.contains("nothing happens before then"), "{page}");
        assert!(!page.contains(r#"id="withdraw""#), "no cooling-off period, nothing to withdraw: {page}");
    }
    let notices = SmtpSink::global().wait_for(&admin, 2).await;
    for notice in notices {
        assert!(notice.raw.contains("waits for an operator"), "{}", notice.raw);
        assert!(!notice.raw.contains("waits to be processed"), "{}", notice.raw);
    }
}

/// An erasure with a cooling-off period and no `--auto-process`: an operator must act, and not
/// before the period ends; until then the subject may withdraw it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_waiting_for_an_operator_says_when_it_may_start_at_the_earliest() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.auto_process = false;
        c.erase_delay = Duration::from_secs(3600);
    })
    .await;
    let (request, page) = confirm_on_the_page(&app, pb::Action::Erase).await;
    assert_eq!(state(&request), pb::State::Confirmed);
    assert!(request.scheduled_process_time.is_none(), "not scheduled: an operator must process it");
    assert!(!page.contains("working on your request"), "{page}");
    assert!(!page.contains("starts automatically"), "nothing starts by itself: {page}");
    assert!(page.contains("A member of our team will now review your request"), "{page}");
    let earliest = chrono::DateTime::from_timestamp(request.confirm_time.unwrap().seconds + 3600, 0).unwrap();
    let shown = earliest.format("%Y-%m-%d %H:%M UTC").to_string();
    assert!(page.contains(&format!("cannot start before {shown}")), "{shown}: {page}");
    assert!(page.contains(r#"id="withdraw""#), "withdrawable in its cooling-off period: {page}");
}

/// With `--auto-process` the work does start at once, and the page says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_auto_process_the_page_says_the_work_started() {
    let admin = unique_email();
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.auto_process = true;
        c.admin_email = Some(admin.clone());
    })
    .await;
    let endpoint = serve(Misbehaving { slow: Some((1, Duration::from_millis(10))), ..Default::default() }).await;
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest { name: "things".into(), endpoint, ..Default::default() })
        .await
        .unwrap();
    let (request, page) = confirm_on_the_page(&app, pb::Action::Export).await;
    assert_ne!(state(&request), pb::State::Confirmed, "processing started by itself");
    assert!(page.contains("We are now working on your request"), "{page}");
    assert!(page.contains("email you a link to download your data"), "{page}");
    let notice = SmtpSink::global().wait_for(&admin, 1).await.pop().unwrap();
    assert!(!notice.raw.contains("waits for an operator"), "{}", notice.raw);
}
