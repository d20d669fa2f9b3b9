//! The public `/request` form (issue 12): a person asks for a copy of their data or its
//! erasure without an operator.
//!
//! - A valid submission makes a PENDING request by the subject and emails the confirmation
//!   link; the answer page is byte-for-byte the same for a new address, an address with an
//!   open request (no DUPLICATE_REQUEST) and an address over its limit (no enumeration).
//! - An invalid address gets the form back saying what is wrong.
//! - Per client address: `--self-service-rate`, 429 with Retry-After.
//! - Per email address: `--self-service-address-limit` a year, kept in the database as a keyed
//!   hash (never the address), so it holds across replicas sharing it; old entries are swept.
//! - `--self-service=false`: 404 with a page saying so. Another site's page cannot post it.

use std::{net::SocketAddr, time::Duration};

use privacyd::proto::privacy::v1 as pb;
use sqlx::Connection;

use crate::{
    helpers::{Backend, SmtpSink, TestApp, http_get, http_post_form, unique_email},
    on_both_backends,
};

on_both_backends!(every_valid_submission_gets_the_same_answer_and_only_the_first_is_made);

/// A form POST with extra headers (what a browser adds: Origin, Sec-Fetch-Site): (status,
/// head, body).
pub fn post_form_with(
    addr: SocketAddr,
    path: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n{extra}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (head.split_whitespace().nth(1).unwrap().parse().unwrap(), head.to_owned(), body.to_owned())
}

/// Submits the form as a person's browser does (same origin): (status, page).
pub async fn submit(addr: SocketAddr, email: &str, action: &str) -> (u16, String) {
    let (email, action) = (email.to_owned(), action.to_owned());
    tokio::task::spawn_blocking(move || {
        let (status, _, body) = post_form_with(
            addr,
            "/request",
            &[("email", &email), ("action", &action)],
            &[("Sec-Fetch-Site", "same-origin")],
        );
        (status, body)
    })
    .await
    .unwrap()
}

/// `privacyd_self_service_requests_total{outcome}` on `app`.
pub async fn handled(app: &TestApp, outcome: &str) -> u64 {
    let (addr, token) = (app.addr, app.admin_token.clone());
    let body = tokio::task::spawn_blocking(move || {
        let (status, head, body) =
            crate::helpers::http_request(addr, "GET", "/metrics", &[("Authorization", &format!("Bearer {token}"))]);
        assert_eq!(status, 200, "{head}");
        String::from_utf8(body).unwrap()
    })
    .await
    .unwrap();
    let series = format!("privacyd_self_service_requests_total{{outcome=\"{outcome}\"}} ");
    body.lines().find_map(|l| l.strip_prefix(&series)).map_or(0, |v| v.trim().parse::<f64>().unwrap() as u64)
}

/// Waits until `app` has handled `count` submissions with `outcome` (the work runs after the
/// answer is sent).
pub async fn until_handled(app: &TestApp, outcome: &str, count: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while handled(app, outcome).await < count {
        assert!(tokio::time::Instant::now() < deadline, "expected {count} submissions {outcome}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn requests_for(app: &TestApp, email: &str) -> Vec<pb::PrivacyRequest> {
    app.client
        .clone()
        .list_privacy_requests(pb::ListPrivacyRequestsRequest {
            subject_email: email.to_owned(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .privacy_requests
}

async fn every_valid_submission_gets_the_same_answer_and_only_the_first_is_made(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.self_service_address_limit = 2;
        c.organization = "Acme GmbH".into();
    })
    .await;
    let email = unique_email();

    // The form: labelled fields, the email and the action only.
    let (status, _, form) = http_get(app.addr, "/request");
    let form = String::from_utf8(form).unwrap();
    assert_eq!(status, 200, "{form}");
    assert!(form.contains(r#"<label for="email">"#) && form.contains(r#"id="email" name="email""#), "{form}");
    assert!(form.contains(r#"value="export""#) && form.contains(r#"value="erase""#), "{form}");
    assert!(!form.contains("user_id"), "the email is the identity; no user id is asked for");

    // New: a request is made, by the subject, and the confirmation email goes out.
    let (first_status, first) = submit(app.addr, &email, "export").await;
    assert_eq!(first_status, 200, "{first}");
    assert!(first.contains(r#"data-outcome="sent""#), "{first}");
    until_handled(&app, "created", 1).await;
    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    let made = requests_for(&app, &email).await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].state, pb::State::Pending as i32);
    assert_eq!(made[0].action, pb::Action::Export as i32);
    assert_eq!(mail.confirmation().0, made[0].id);
    let created = app.audit(&made[0].id).await.into_iter().find(|e| e.r#type == pb::AuditEventType::Created as i32);
    assert_eq!(created.unwrap().actor.unwrap().kind, pb::ActorKind::Subject as i32, "the subject made it");

    // The same address again (an open request exists), in another case: the same page.
    let (status, again) = submit(app.addr, &email.to_uppercase(), "export").await;
    assert_eq!((status, &again), (first_status, &first), "a duplicate must not show");
    until_handled(&app, "duplicate", 1).await;

    // Over the limit of 2 a year (the duplicate counted): the same page again, nothing made.
    let (status, limited) = submit(app.addr, &email, "erase").await;
    assert_eq!((status, &limited), (first_status, &first), "the limit must not show");
    until_handled(&app, "limited", 1).await;

    // Another address, never seen: the same page too.
    let (status, other) = submit(app.addr, &unique_email(), "export").await;
    assert_eq!((status, &other), (first_status, &first));
    until_handled(&app, "created", 2).await;

    assert_eq!(requests_for(&app, &email).await.len(), 1, "neither the duplicate nor the limited one made a request");
    assert_eq!(SmtpSink::global().messages_to(&email).len(), 1, "one email only");

    // The limit's table holds keyed hashes and times, never the address.
    let rows = limit_rows(&app.database_url).await;
    assert_eq!(rows.len(), 3, "two for the address, one for the other: {rows:?}");
    let local = email.split('@').next().unwrap().to_lowercase();
    for (hash, _) in &rows {
        assert_eq!(hash.len(), 64, "{hash}");
        assert!(!hash.contains(&local) && !hash.contains('@'), "{hash}");
    }
    app.stop().await;
}

/// Every row of the per-address limit's table: (address_hash, create_time).
async fn limit_rows(database_url: &str) -> Vec<(String, i64)> {
    let sql = "SELECT address_hash, create_time FROM self_service_submissions ORDER BY create_time";
    if database_url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_address_gets_the_form_back_saying_what_is_wrong() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (typed, says) in [
        ("not an address", "is not a valid email address"),
        ("", "is required"),
        ("jane@[127.0.0.1]", "must end in a domain name"),
    ] {
        let (status, page) = submit(app.addr, typed, "erase").await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains(r#"data-outcome="form_problem""#), "{page}");
        assert!(page.contains(says), "{typed:?}: {page}");
        assert!(page.contains(r#"aria-invalid="true""#), "{page}");
        // What was typed and chosen is kept (escaped).
        assert!(page.contains(r#"value="erase" checked"#), "{page}");
    }
    let (status, page) = submit(app.addr, "<b>@x", "export").await;
    assert_eq!(status, 400);
    assert!(page.contains("&lt;b&gt;@x") && !page.contains("<b>@x"), "{page}");
    // No action chosen.
    let (status, _, page) = tokio::task::spawn_blocking({
        let addr = app.addr;
        move || post_form_with(addr, "/request", &[("email", "jane@example.com")], &[])
    })
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert!(page.contains("Choose whether"), "{page}");
    assert_eq!(handled(&app, "created").await + handled(&app, "failed").await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_submissions_from_one_address_get_429_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.self_service_rate = privacyd::config::SelfServiceRate::parse("2/hour").unwrap();
    })
    .await;
    for _ in 0..2 {
        assert_eq!(submit(app.addr, &unique_email(), "export").await.0, 200);
    }
    let (status, head, page) = tokio::task::spawn_blocking({
        let addr = app.addr;
        move || post_form_with(addr, "/request", &[("email", &unique_email()), ("action", "export")], &[])
    })
    .await
    .unwrap();
    assert_eq!(status, 429, "{head}\n{page}");
    let retry_after: u64 = head
        .lines()
        .find_map(|l| l.to_lowercase().strip_prefix("retry-after:").map(|v| v.trim().parse().unwrap()))
        .expect("a Retry-After header");
    // One more is allowed every half hour.
    assert!((1..=1800).contains(&retry_after), "{retry_after}");
    assert!(page.contains(r#"data-outcome="rate_limited""#) && page.contains("30 minutes"), "{page}");
    assert!(head.to_lowercase().contains("content-security-policy"), "the pages' headers: {head}");
    // Reading the form is not limited.
    assert_eq!(http_get(app.addr, "/request").0, 200);
    until_handled(&app, "created", 2).await;
    assert_eq!(handled(&app, "created").await, 2, "the refused one was not handled");
    app.stop().await;

    // Off: no limit of its own (behind a gateway).
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.self_service_rate = privacyd::config::SelfServiceRate::parse("off").unwrap();
    })
    .await;
    for _ in 0..8 {
        assert_eq!(submit(app.addr, &unique_email(), "export").await.0, 200);
    }
    app.stop().await;
}

/// Two replicas sharing one PostgreSQL (and, as every replica must, one secret key file): the
/// address's limit counts submissions on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_limit_holds_across_replicas_and_old_entries_are_swept() {
    crate::helpers::within_time_limit(async {
        let one = TestApp::spawn_with(Backend::Postgres, |c| c.self_service_address_limit = 1).await;
        let secret_key = one.data_dir.path().join("secret-key");
        let two = TestApp::spawn_with(Backend::Sqlite, |c| {
            c.self_service_address_limit = 1;
            c.database_url = Some(one.database_url.clone());
            c.secret_key_file = Some(secret_key);
        })
        .await;
        let email = unique_email();
        assert_eq!(submit(one.addr, &email, "export").await.0, 200);
        until_handled(&one, "created", 1).await;
        SmtpSink::global().wait_for(&email, 1).await;
        // Cancelled, so a second request would not be a duplicate: only the limit stops it.
        let made = requests_for(&one, &email).await;
        one.client
            .clone()
            .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: made[0].id.clone(), reason: String::new() })
            .await
            .unwrap();

        assert_eq!(submit(two.addr, &email, "export").await.0, 200);
        until_handled(&two, "limited", 1).await;
        assert_eq!(handled(&two, "created").await, 0);
        assert_eq!(requests_for(&two, &email).await.len(), 1);
        // The other replica's own address is not limited by it.
        assert_eq!(submit(two.addr, &unique_email(), "export").await.0, 200);
        until_handled(&two, "created", 1).await;

        // An entry older than 12 months no longer counts, and the sweeper removes it.
        let mut conn = sqlx::PgConnection::connect(&one.database_url).await.unwrap();
        let year_and_a_day = 366 * 86_400 * 1_000_000i64;
        sqlx::query("UPDATE self_service_submissions SET create_time = create_time - $1")
            .bind(year_and_a_day)
            .execute(&mut conn)
            .await
            .unwrap();
        let swept = one.workflow().await.sweep_self_service_limits().await.unwrap();
        assert_eq!(swept, 2);
        assert!(limit_rows(&one.database_url).await.is_empty());
        assert_eq!(submit(two.addr, &email, "export").await.0, 200);
        until_handled(&two, "created", 2).await;
        assert_eq!(requests_for(&two, &email).await.len(), 2);
        two.stop().await;
        one.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turned_off_the_form_is_a_404_page_saying_so() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.self_service = false;
        c.organization = "Acme GmbH".into();
    })
    .await;
    let (status, head, page) = http_get(app.addr, "/request");
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 404, "{head}");
    assert!(page.contains(r#"data-outcome="closed""#), "{page}");
    assert!(page.contains("Acme GmbH does not take requests about personal data on this page"), "{page}");
    let (status, _, page) = http_post_form(app.addr, "/request", &[("email", &unique_email()), ("action", "export")]);
    assert_eq!(status, 404);
    assert!(String::from_utf8(page).unwrap().contains(r#"data-outcome="closed""#));
    assert_eq!(handled(&app, "created").await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sites_page_cannot_send_the_form() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = unique_email();
    let own = format!("http://{}", app.addr);
    for headers in [
        vec![("Sec-Fetch-Site", "cross-site"), ("Origin", "https://evil.example")],
        vec![("Sec-Fetch-Site", "same-site"), ("Origin", "https://other.localhost")],
        // An older browser: no Fetch Metadata, but the Origin of the page that sent it.
        vec![("Origin", "https://evil.example")],
        vec![("Origin", "null")],
    ] {
        let (addr, email) = (app.addr, email.clone());
        let (status, _, page) = tokio::task::spawn_blocking(move || {
            post_form_with(addr, "/request", &[("email", &email), ("action", "erase")], &headers)
        })
        .await
        .unwrap();
        assert_eq!(status, 403, "{page}");
        assert!(page.contains(r#"data-outcome="cross_site""#), "{page}");
    }
    // Its own page, as a browser says so either way, is accepted.
    let (addr, email2) = (app.addr, email.clone());
    let (status, _, _) = tokio::task::spawn_blocking(move || {
        post_form_with(addr, "/request", &[("email", &email2), ("action", "erase")], &[("Origin", &own)])
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    until_handled(&app, "created", 1).await;
    assert_eq!(requests_for(&app, &email).await.len(), 1, "only the same-origin post made a request");
    app.stop().await;
}

/// Kills the privacyd binary a test started, however the test ends; when the test failed,
/// prints whether the binary had exited and the end of its log (a failure in CI says why).
struct Binary(std::process::Child, std::path::PathBuf);

impl Drop for Binary {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let exited = self.0.try_wait();
            let log = std::fs::read_to_string(&self.1).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
            eprintln!("privacyd (exited: {exited:?}), the end of its log:\n{}", tail.join("\n"));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The privacyd binary at debug level: what it logs about the form (a new request, a
/// duplicate, one over the address limit, and an invalid address) never holds the address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_never_holds_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let port = privacyd::testing::free_port().unwrap();
    let log = dir.path().join("stderr.log");
    // Outside the time limit's future, so a test that runs out of time still prints the log.
    let _server = Binary(
        std::process::Command::new(env!("CARGO_BIN_EXE_privacyd"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--job-poll-interval", "50ms"])
            .args(["--log", "debug", "--log-format", "json", "--self-service-address-limit", "2"])
            .args(["--smtp-url", &SmtpSink::global().url()])
            .arg("--data-dir")
            .arg(dir.path())
            .env("PRIVACYD_ADMIN_TOKENS", privacyd::domain::SecretToken::generate().expose())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
        log.clone(),
    );
    crate::helpers::within_time_limit(async {
        crate::helpers::channel_when_listening(port).await;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let email = format!("Jane.Unique-{}@Example.com", uuid::Uuid::new_v4().simple());
        // Each submission is handled by a task of its own after the answer: the next is sent
        // once the last is logged, so they count against the limit in this order (two sent in
        // a row may be handled in either, and the second export then be the one limited).
        for (action, outcome) in [("export", "created"), ("export", "duplicate"), ("erase", "limited")] {
            assert_eq!(submit(addr, &email, action).await.0, 200);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            loop {
                let text = std::fs::read_to_string(&log).unwrap();
                if text.contains(&format!("\"outcome\":\"{outcome}\"")) {
                    break;
                }
                let ours: Vec<&str> = text.lines().filter(|l| l.contains("self-service")).collect();
                assert!(tokio::time::Instant::now() < deadline, "{action} was not logged as {outcome}: {ours:#?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        assert_eq!(submit(addr, &format!("{email}@@"), "export").await.0, 400);
        SmtpSink::global().wait_for(&email, 1).await;
        // After the refused address was answered and the confirmation email sent.
        let text = std::fs::read_to_string(&log).unwrap();
        let lower = text.to_lowercase();
        let local = email.split('@').next().unwrap().to_lowercase();
        assert!(!lower.contains(&local), "the log holds the address:\n{text}");
        assert!(!lower.contains("%40example.com"), "the log holds the form's body:\n{text}");
    })
    .await
}
