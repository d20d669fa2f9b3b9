//! The console's sign-in, sessions and CSRF protection (issue 12, "Signing in"): a session in
//! the database behind a cookie holding only a random id, idle and absolute expiry, sign-out,
//! tokens removed from the tokens file ending their sessions, a session usable on every replica,
//! every form checked for its CSRF token, and the "Add request" form.

use std::time::Duration;

use privacyd::proto::privacy::v1 as pb;
use sqlx::Connection;

use crate::{
    console_harness::{
        ConsoleClient, exchange, forged_session_id, printed, run_scenario, spawn_with_tokens, urlencode,
    },
    helpers::{Backend, SmtpSink, TestApp, state, unique_email},
    on_both_backends,
};

/// The sign-in page, then a wrong token: refused, the form again with one sentence, and no
/// cookie. The right one: a 303 to `next` with the session cookie, whose attributes keep it
/// from scripts and other sites.
async fn signing_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let form = exchange(app.addr, "GET", "/console/sign-in?next=/console/requests/new", &[], None);
    assert_eq!(form.status, 200, "{form:?}");
    assert!(form.body.contains(r#"<label for="token">Admin token</label>"#), "{}", form.body);
    // minijinja's HTML escaping writes `/` as `&#x2f;`, which browsers read back as `/`.
    assert!(form.body.contains(r#"name="next" value="&#x2f;console&#x2f;requests&#x2f;new""#), "{}", form.body);

    let wrong = format!("{}x", app.admin_token);
    let refused = ConsoleClient::sign_in(app.addr, &wrong).err().expect("a wrong token is refused");
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("That token is not valid."), "{}", refused.body);
    assert!(refused.header("set-cookie").is_none(), "{refused:?}");

    let body = urlencode(&[("token", &app.admin_token), ("next", "/console/requests/new")]);
    let signed_in = exchange(app.addr, "POST", "/console/sign-in", &[], Some(&body));
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
    assert_eq!(signed_in.header("location").as_deref(), Some("/console/requests/new"));
    let cookie = signed_in.header("set-cookie").unwrap();
    let (pair, attributes) = cookie.split_once(';').unwrap();
    let (name, value) = pair.split_once('=').unwrap();
    assert_eq!(name, "privacyd_console");
    assert_eq!(value.len(), 43, "256 random bits in URL-safe base64: {value}");
    let mut attributes: Vec<&str> = attributes.split(';').map(str::trim).collect();
    attributes.sort();
    assert_eq!(attributes, ["HttpOnly", "Path=/console", "SameSite=Strict"], "{cookie}");

    // The cookie opens the console; the id itself is nowhere in the database, only its hash.
    let page = exchange(app.addr, "GET", "/console/requests/new", &[("Cookie", pair)], None);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("<h1>Add request</h1>"));
    let rows = session_rows(&app.database_url).await;
    assert_eq!(rows.len(), 1);
    let (id_hash, actor_id) = &rows[0];
    assert!(!id_hash.contains(value) && id_hash != value);
    assert_eq!(id_hash, &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(value.as_bytes())));
    assert_eq!(actor_id, &privacyd::domain::TokenHash::of(&app.admin_token).fingerprint());
    app.stop().await;
}

/// Every column of every session row, as text: the test looks for the cookie's value in all.
async fn session_rows(database_url: &str) -> Vec<(String, String)> {
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let rows: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT id_hash, actor_id, scopes, csrf_token FROM console_sessions")
            .fetch_all(&mut db)
            .await
            .unwrap();
    rows.into_iter().map(|(id_hash, actor_id, _, _)| (id_hash, actor_id)).collect()
}

/// Without a session, a console page is a redirect to the sign-in page that comes back to it;
/// for htmx, a 401 with `HX-Redirect`. A cookie no session has is the same as none. `next`
/// outside the console is ignored (no open redirect).
async fn without_a_session_pages_lead_to_the_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = exchange(app.addr, "GET", "/console/requests/new?x=1", &[], None);
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location").as_deref(), Some("/console/sign-in?next=/console/requests/new%3Fx%3D1"));
    let forged = format!("privacyd_console={}", forged_session_id());
    let page = exchange(app.addr, "GET", "/console/requests/new", &[("Cookie", &forged)], None);
    assert_eq!(page.status, 303, "{page:?}");
    let htmx = exchange(app.addr, "GET", "/console/requests/new", &[("Cookie", &forged), ("HX-Request", "true")], None);
    assert_eq!(htmx.status, 401);
    assert_eq!(htmx.header("hx-redirect").as_deref(), Some("/console/sign-in?next=/console/requests/new"));

    for next in ["https://evil.example/", "//evil.example/console", "/\\evil.example"] {
        let body = urlencode(&[("token", &app.admin_token), ("next", next)]);
        let signed_in = exchange(app.addr, "POST", "/console/sign-in", &[], Some(&body));
        assert_eq!(signed_in.header("location").as_deref(), Some("/console/requests"), "{next}");
    }
    app.stop().await;
}

/// A POST without the CSRF token, or with another session's, or from another origin, is
/// refused with 403 and changes nothing; with it, it works.
async fn forms_without_the_csrf_token_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap();
    let other = ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap();
    assert_ne!(client.csrf, other.csrf, "each session has its own token");
    let email = unique_email();
    let fields = [("email", email.as_str()), ("action", "EXPORT"), ("send_confirmation", "on")];
    let without = client.post_raw("/console/requests/new", &urlencode(&fields));
    let mut with_other = vec![("_csrf", other.csrf.as_str())];
    with_other.extend_from_slice(&fields);
    let wrong = client.post_raw("/console/requests/new", &urlencode(&with_other));
    let mut body = vec![("_csrf", client.csrf.as_str())];
    body.extend_from_slice(&fields);
    let cross_site = exchange(
        app.addr,
        "POST",
        "/console/requests/new",
        &[("Cookie", &client.cookie), ("Origin", "https://evil.example")],
        Some(&urlencode(&body)),
    );
    for refused in [&without, &wrong, &cross_site] {
        assert_eq!(refused.status, 403, "{refused:?}");
        assert!(
            refused
                .body
                .contains("This form has expired or did not come from this console; reload the page and try again."),
            "{}",
            refused.body
        );
    }
    // Sign-out is a form too.
    assert_eq!(client.post_raw("/console/sign-out", "").status, 403);
    let listed = app
        .client
        .clone()
        .list_privacy_requests(pb::ListPrivacyRequestsRequest { subject_email: email.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.privacy_requests.is_empty(), "a refused form created {listed:?}");

    let added = client.post("/console/requests/new", &fields);
    assert_eq!(added.status, 303, "{added:?}");
    assert_eq!(client.get("/console/requests/new").status, 200, "the session still works");
    app.stop().await;
}

/// The add-request form creates the request with the signed-in token as the actor (the audit
/// log names the same fingerprint as for a gRPC call), and shows what it refuses beside the
/// field it concerns.
async fn adding_a_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap();
    let email = unique_email();
    let added = client.post(
        "/console/requests/new",
        &[("email", &email), ("user_id", "u-42"), ("action", "ERASE"), ("send_confirmation", "on")],
    );
    assert_eq!(added.status, 303, "{added:?}");
    let id = added.header("location").unwrap().strip_prefix("/console/requests/").unwrap().to_owned();
    let request = app.get(&id).await;
    assert_eq!(state(&request), pb::State::Pending);
    assert_eq!(request.action, pb::Action::Erase as i32);
    assert_eq!(request.subject.as_ref().unwrap().user_id, "u-42");
    let created = &app.audit(&id).await[0];
    let actor = created.actor.as_ref().unwrap();
    assert_eq!(actor.kind, pb::ActorKind::Admin as i32);
    assert_eq!(actor.id, privacyd::domain::TokenHash::of(&app.admin_token).fingerprint());
    assert_eq!(SmtpSink::global().wait_for(&email, 1).await.len(), 1, "the confirmation email");

    // Unticked: no email, confirmed at once (the operator checked the identity).
    let quiet = unique_email();
    let added = client.post("/console/requests/new", &[("email", &quiet), ("action", "EXPORT")]);
    let id = added.header("location").unwrap().strip_prefix("/console/requests/").unwrap().to_owned();
    assert_eq!(state(&app.get(&id).await), pb::State::Confirmed);

    // Refusals, each beside its field.
    let duplicate = client.post("/console/requests/new", &[("email", &email), ("action", "ERASE")]);
    assert_eq!(duplicate.status, 422, "{duplicate:?}");
    assert!(
        duplicate.body.contains(r#"aria-describedby="email-hint email-error" aria-invalid="true""#),
        "{}",
        duplicate.body
    );
    assert!(duplicate.body.contains("This person already has an unfinished erase request."), "{}", duplicate.body);
    assert!(duplicate.body.contains(&format!(r#"<a href="/console/requests/{}">"#, request.id)), "{}", duplicate.body);
    assert!(duplicate.body.contains(&format!(r#"value="{email}""#)), "the form keeps what was typed");
    let bad = client.post("/console/requests/new", &[("email", "not an address"), ("action", "EXPORT")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains(r#"<p id="email-error" class="error" role="alert">The email address"#), "{}", bad.body);
    let no_action = client.post("/console/requests/new", &[("email", &unique_email())]);
    assert_eq!(no_action.status, 422);
    assert!(no_action.body.contains(r#"<p id="action-error""#), "{}", no_action.body);

    // Sent twice (a double click, a reload after a slow answer): one request.
    let twice = unique_email();
    let fields = [("email", twice.as_str()), ("action", "EXPORT"), ("request_id", "form-7c1f")];
    let first = client.post("/console/requests/new", &fields);
    let second = client.post("/console/requests/new", &fields);
    assert_eq!((first.status, second.status), (303, 303));
    assert_eq!(first.header("location"), second.header("location"));
    app.stop().await;
}

on_both_backends!(
    signing_in,
    without_a_session_pages_lead_to_the_sign_in,
    forms_without_the_csrf_token_are_refused,
    adding_a_request
);

/// A token without the `requests` scope signs in but cannot add a request: the page and the
/// form answer 403 naming the scope, and nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_cannot_add_a_request() {
    let (app, tokens) = spawn_with_tokens(Backend::Sqlite, &["read"], |_| {}).await;
    let client = ConsoleClient::sign_in(app.addr, &tokens.tokens[0]).unwrap();
    let page = client.get("/console/requests/new");
    assert_eq!(page.status, 403);
    assert!(page.body.contains("does not have the \u{201c}requests\u{201d} scope"), "{}", page.body);
    let email = unique_email();
    let refused = client.post("/console/requests/new", &[("email", &email), ("action", "EXPORT")]);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("\u{201c}requests\u{201d} scope"));
    let listed = app
        .client
        .clone()
        .list_privacy_requests(pb::ListPrivacyRequestsRequest { subject_email: email, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.privacy_requests.is_empty());
    app.stop().await;
}

/// The walkthrough in a real browser: a wrong token refused, sign-in, the form with the seeds'
/// defaults, a request added, the same again refused in the form, sign-out; axe-core finds no
/// WCAG 2.1 A/AA violation on any page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_request_in_the_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = unique_email();
    let base = format!("http://{}", app.addr);
    let output =
        run_scenario("add_request.py", &[base, app.admin_token.clone(), email.clone()], Duration::from_secs(150)).await;
    assert_eq!(printed(&output, "wrong token"), "That token is not valid.");
    assert_eq!(printed(&output, "after sign-in"), "/console/requests/new");
    assert_eq!(printed(&output, "export checked"), "True");
    assert_eq!(printed(&output, "send confirmation checked"), "True");
    let created = printed(&output, "created");
    let id = created.strip_prefix("/console/requests/").unwrap_or_else(|| panic!("{output}"));
    let request = app.get(id).await;
    assert_eq!(state(&request), pb::State::Pending);
    assert_eq!(request.subject.unwrap().email, email);
    assert!(printed(&output, "duplicate").starts_with("This person already has an unfinished export request."));
    assert_eq!(printed(&output, "duplicate link"), created);
    assert_eq!(printed(&output, "email described by"), "email-hint email-error");
    for page in ["sign-in", "sign-in with an error", "add request", "add request with an error"] {
        assert!(output.contains(&format!("axe {page}: clean")), "{output}");
    }
    assert_eq!(printed(&output, "after sign-out"), "/console/sign-in");
    assert_eq!(printed(&output, "add request after sign-out"), "/console/sign-in?next=/console/requests/new");
    app.stop().await;
}
