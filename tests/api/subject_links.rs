//! The links a subject gets by email, as an attacker, a mail scanner and a person use them.
//!
//! - Opening the confirmation link (GET, or the HEAD a link preview sends) changes nothing, even
//!   with `--auto-process`: it shows what the request is and what pressing the button will do;
//!   only the button's POST confirms (RFC 9110 §9.2.1: GET and HEAD are safe).
//! - An unknown request id and a wrong token get the same answer on every public endpoint, and
//!   take the same path to it: a guess is checked before the request is read or locked, so it
//!   neither waits for nor holds a request's write lock (which is also what made the two cases
//!   take different times).
//! - Withdrawal is for an erasure in its cooling-off period only; the confirmation token opens
//!   nothing else, at any time.

use std::time::Duration;

use privacyd::proto::privacy::v1 as pb;
use sqlx::Connection;
use tonic::Code;

use crate::{
    helpers::{
        Backend, SmtpSink, TestApp, confirm_by_pressing_the_button, error_metadata, form_field, http_get, http_head,
        http_post_form, reason, state, unique_email,
    },
    on_both_backends,
};

on_both_backends!(a_guess_neither_waits_for_nor_takes_a_write_lock);

/// The confirmation link of a new request, once its email is recorded as sent.
async fn link_for(app: &TestApp, action: pb::Action) -> (pb::PrivacyRequest, String) {
    let email = unique_email();
    let created = app.create(&email, action, true).await;
    let link = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap().confirm_link();
    app.wait_for(&created.id, "the confirmation email to be recorded as sent", |r| {
        r.emails.iter().any(|e| e.state == pb::DeliveryState::Sent as i32)
    })
    .await;
    (created, link[link.find("/confirm").unwrap()..].to_owned())
}

fn has_event(events: &[pb::AuditEvent], kind: pb::AuditEventType) -> bool {
    events.iter().any(|e| e.r#type == kind as i32)
}

/// With `--auto-process` and no cooling-off period, a confirmed erasure starts at once: a GET
/// or HEAD of the link that confirmed would erase the subject's data with nobody asking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_the_link_shows_the_request_and_only_the_button_confirms() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.auto_process = true;
        c.organization = "Acme GmbH".into();
    })
    .await;
    let (created, path) = link_for(&app, pb::Action::Erase).await;
    let mail = SmtpSink::global().messages_to(&created.subject.as_ref().unwrap().email).pop().unwrap();
    assert!(mail.raw.contains("open this link and press the button on the page"), "{}", mail.raw);

    for _ in 0..2 {
        let (status, head) = http_head(app.addr, &path);
        assert_eq!(status, 200, "{head}");
        let (status, _, page) = http_get(app.addr, &path);
        let page = String::from_utf8(page).unwrap();
        assert_eq!(status, 200, "{page}");
        assert!(page.contains(r#"data-outcome="confirm""#), "{page}");
        assert!(page.contains("Acme GmbH"), "{page}");
        assert!(page.contains("erasure of the personal data we hold about you"), "{page}");
        // What pressing does, as configured: at once, for good.
        assert!(page.contains("starts erasing your data at once. This cannot be undone."), "{page}");
        assert!(page.contains(r#"<form method="post" action="confirm">"#), "{page}");
        assert!(page.contains(r#"id="confirm""#), "{page}");
        // The page shows which address, without showing the address.
        let email = created.subject.as_ref().unwrap().email.clone();
        assert!(!page.contains(&email), "{page}");
        assert!(page.contains(&format!("s…@{}", email.split_once('@').unwrap().1)), "{page}");
        assert_eq!(form_field(&page, "id"), created.id);
    }
    let untouched = app.get(&created.id).await;
    assert_eq!(state(&untouched), pb::State::Pending, "a GET or HEAD of the link confirmed the request");
    assert!(!has_event(&app.audit(&created.id).await, pb::AuditEventType::Confirmed));

    // The button.
    let (status, page) = confirm_by_pressing_the_button(app.addr, &path);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"data-outcome="confirmed""#), "{page}");
    let events = app.audit(&created.id).await;
    let confirmed = events.iter().find(|e| e.r#type == pb::AuditEventType::Confirmed as i32).unwrap();
    assert_eq!(confirmed.actor.as_ref().unwrap().kind, pb::ActorKind::Subject as i32);
    assert!(has_event(&events, pb::AuditEventType::ProcessingStarted), "auto-process started it");

    // Opening the link again says so, and changes nothing.
    let (status, _, page) = http_get(app.addr, &path);
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200);
    assert!(page.contains(r#"data-outcome="already_confirmed""#), "{page}");
}

/// The page says what pressing will do as privacyd is configured: here an operator reviews
/// first, and an erasure waits out a cooling-off period during which it can be withdrawn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_says_truthfully_what_confirming_will_do() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.erase_delay = Duration::from_secs(3 * 86_400)).await;
    let (_, erase) = link_for(&app, pb::Action::Erase).await;
    let page = String::from_utf8(http_get(app.addr, &erase).2).unwrap();
    assert!(page.contains("We then review it, and erasure does not start until 3 days after you confirm"), "{page}");
    assert!(page.contains("Confirm the erasure"), "{page}");
    let (_, export) = link_for(&app, pb::Action::Export).await;
    let page = String::from_utf8(http_get(app.addr, &export).2).unwrap();
    assert!(page.contains("a copy of the personal data we hold about you"), "{page}");
    assert!(page.contains("We then gather your data and email you a link to download it."), "{page}");
}

/// Every public endpoint answers an unknown id exactly as it answers a wrong token: same
/// status, same reason, same message or page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_and_wrong_tokens_get_the_same_answer() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (pending, _) = link_for(&app, pb::Action::Export).await;
    // A completed export with a download link (a source holding nothing: an archive of nothing).
    app.register_empty_source().await;
    let export = app.create(&unique_email(), pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: export.id.clone() })
        .await
        .unwrap();
    app.wait_for(&export.id, "the export's download email", |r| {
        r.emails
            .iter()
            .any(|e| e.kind == pb::EmailKind::ExportReady as i32 && e.state == pb::DeliveryState::Sent as i32)
    })
    .await;
    let unknown = uuid::Uuid::now_v7().to_string();
    // Well-formed, as a guesser's would be.
    let wrong = "A".repeat(43);

    for known in [&pending.id, &export.id] {
        let confirm = |id: &str| {
            let mut client = app.public.clone();
            let request = pb::ConfirmPrivacyRequestRequest { id: id.to_owned(), token: wrong.clone() };
            async move { client.confirm_privacy_request(request).await.unwrap_err() }
        };
        let (a, b) = (confirm(known).await, confirm(&unknown).await);
        assert_eq!((a.code(), reason(&a), a.message()), (b.code(), reason(&b), b.message()));
        assert_eq!((a.code(), reason(&a).as_str()), (Code::PermissionDenied, "INVALID_TOKEN"));
        // Each credential's error names it: a subject holding two links knows which failed.
        assert_eq!(a.message(), "the confirmation token is not valid for this request");
        assert_eq!(error_metadata(&a, "credential").as_deref(), Some("confirmation_token"));

        let download = |id: &str| {
            let mut client = app.public.clone();
            let request = pb::DownloadExportRequest { id: id.to_owned(), token: wrong.clone(), offset: 0 };
            async move { client.download_export(request).await.map(|_| ()).unwrap_err() }
        };
        let (a, b) = (download(known).await, download(&unknown).await);
        assert_eq!((a.code(), reason(&a), a.message()), (b.code(), reason(&b), b.message()));
        assert_eq!(reason(&a), "INVALID_TOKEN");
        assert_eq!(a.message(), "the download token is not valid for this request");
        assert_eq!(error_metadata(&a, "credential").as_deref(), Some("download_token"));

        for path in ["/confirm", "/download"] {
            let (a, _, a_body) = http_get(app.addr, &format!("{path}?id={known}&token={wrong}"));
            let (b, _, b_body) = http_get(app.addr, &format!("{path}?id={unknown}&token={wrong}"));
            assert_eq!((a, &a_body), (b, &b_body), "GET {path}");
            assert_eq!(a, 404, "GET {path}");
        }
        for path in ["/confirm", "/withdraw"] {
            let (a, _, a_body) = http_post_form(app.addr, path, &[("id", known), ("token", &wrong)]);
            let (b, _, b_body) = http_post_form(app.addr, path, &[("id", &unknown), ("token", &wrong)]);
            assert_eq!((a, &a_body), (b, &b_body), "POST {path}");
            assert_eq!(a, 404, "POST {path}");
        }
    }
    assert_eq!(state(&app.get(&pending.id).await), pb::State::Pending);
}

/// Another transaction holds the request's row (PostgreSQL) or the database's write lock
/// (SQLite), as a running job does. A guessed token, at a known id or an unknown one, is
/// answered at once: it is checked with one read that takes no lock. Before, a wrong token at
/// a known id queued for the lock (and then took it), an unknown id did not: the timing told
/// them apart, and guesses queued the single SQLite writer.
async fn a_guess_neither_waits_for_nor_takes_a_write_lock(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (pending, path) = link_for(&app, pb::Action::Erase).await;
    let wrong = "A".repeat(43);
    let unknown = uuid::Uuid::now_v7().to_string();

    let mut holder = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
    match backend {
        Backend::Sqlite => {
            sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut holder).await.unwrap();
        }
        Backend::Postgres => {
            sqlx::raw_sql("BEGIN").execute(&mut holder).await.unwrap();
            sqlx::query("SELECT id FROM privacy_requests WHERE id = $1 FOR UPDATE")
                .bind(&pending.id)
                .fetch_one(&mut holder)
                .await
                .unwrap();
        }
    }
    for id in [&pending.id, &unknown] {
        let mut client = app.public.clone();
        let request = pb::ConfirmPrivacyRequestRequest { id: id.clone(), token: wrong.clone() };
        let answered = tokio::time::timeout(Duration::from_secs(3), client.confirm_privacy_request(request)).await;
        let err = answered.expect("a wrong token waited for the request's lock").unwrap_err();
        assert_eq!(reason(&err), "INVALID_TOKEN");
        let addr = app.addr;
        let form = [("id".to_owned(), id.clone()), ("token".to_owned(), wrong.clone())];
        let post = tokio::task::spawn_blocking(move || {
            let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            http_post_form(addr, "/withdraw", &fields).0
        });
        let status = tokio::time::timeout(Duration::from_secs(3), post).await;
        assert_eq!(status.expect("a wrong withdrawal token waited for the request's lock").unwrap(), 404);
    }
    // The right token is not a guess: it may wait, and confirms once the lock is released.
    let page = tokio::task::spawn_blocking({
        let addr = app.addr;
        move || confirm_by_pressing_the_button(addr, &path)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    sqlx::raw_sql("ROLLBACK").execute(&mut holder).await.unwrap();
    let (status, body) = page.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(state(&app.get(&pending.id).await), pb::State::Confirmed);
}

/// The id and token in a confirmation link's path and query.
fn link_fields(path: &str) -> (String, String) {
    let query = path.split_once('?').unwrap().1;
    let field = |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap().to_owned();
    (field("id"), field("token"))
}

/// The confirmation token withdraws an erasure in its cooling-off period, and nothing else:
/// not an export, not an erasure whose period is over (nor, below, one without a period).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_erasure_in_its_cooling_off_period_can_be_withdrawn() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.erase_delay = Duration::from_secs(1)).await;

    // An export: confirmed, then refused.
    let (export, path) = link_for(&app, pb::Action::Export).await;
    let (status, page) = confirm_by_pressing_the_button(app.addr, &path);
    assert_eq!(status, 200, "{page}");
    let (id, token) = link_fields(&path);
    let (status, _, body) = http_post_form(app.addr, "/withdraw", &[("id", &id), ("token", &token)]);
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, 409, "{body}");
    assert!(body.contains(r#"data-outcome="not_withdrawable""#), "{body}");
    assert!(body.contains("Only an erasure can be withdrawn"), "{body}");
    assert_eq!(state(&app.get(&export.id).await), pb::State::Confirmed);

    // An erasure whose one-second cooling-off period is over (no operator has processed it).
    let (erase, path) = link_for(&app, pb::Action::Erase).await;
    let (status, page) = confirm_by_pressing_the_button(app.addr, &path);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"id="withdraw""#), "withdrawable during the period: {page}");
    let confirm_time = app.get(&erase.id).await.confirm_time.unwrap();
    let window_end = std::time::UNIX_EPOCH + Duration::new(confirm_time.seconds as u64 + 1, confirm_time.nanos as u32);
    // Waiting for the wall clock, not for a server.
    tokio::time::sleep(window_end.duration_since(std::time::SystemTime::now()).unwrap_or_default()).await;
    let (id, token) = (form_field(&page, "id"), form_field(&page, "token"));
    let (status, _, body) = http_post_form(app.addr, "/withdraw", &[("id", &id), ("token", &token)]);
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("cooling-off period ended"), "{body}");
    assert_eq!(state(&app.get(&erase.id).await), pb::State::Confirmed);
}

/// Without any cooling-off period an erasure cannot be withdrawn either, even before an
/// operator starts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_without_a_cooling_off_period_cannot_be_withdrawn() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (erase, path) = link_for(&app, pb::Action::Erase).await;
    let (id, token) = link_fields(&path);
    let (status, page) = confirm_by_pressing_the_button(app.addr, &path);
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains(r#"id="withdraw""#), "no withdraw button without a cooling-off period: {page}");
    let (status, _, body) = http_post_form(app.addr, "/withdraw", &[("id", &id), ("token", &token)]);
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("this request has none"), "{body}");
    assert_eq!(state(&app.get(&erase.id).await), pb::State::Confirmed);
}
