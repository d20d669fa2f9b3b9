//! How a console session ends: sign-out (the old cookie opens nothing), the idle timeout, the
//! absolute lifetime, the sweeper (without any request), and its admin token leaving the tokens
//! file. And where it works: on every replica sharing the database.

use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::{
    console_harness::{ConsoleClient, printed, run_scenario, spawn_with_tokens, write_tokens_file},
    helpers::{Backend, TestApp, unique_email},
    on_both_backends,
};

/// Whether the client's session still opens a console page (200), or leads to the sign-in
/// (303); anything else fails the test.
fn signed_in(client: &ConsoleClient) -> bool {
    let page = client.get("/console/requests/new");
    match page.status {
        200 => true,
        303 => {
            assert!(page.header("location").unwrap().starts_with("/console/sign-in"), "{page:?}");
            false
        }
        _ => panic!("{page:?}"),
    }
}

async fn session_count(database_url: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM console_sessions").fetch_one(&mut db).await.unwrap();
    n
}

/// Sign-out deletes the session: the page it leads to is the sign-in, with the cookie
/// cleared, and the old cookie, replayed, opens nothing.
async fn signing_out_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap();
    let other = ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap();
    assert_eq!(session_count(&app.database_url).await, 2);
    let out = client.post("/console/sign-out", &[]);
    assert_eq!(out.status, 303, "{out:?}");
    assert_eq!(out.header("location").as_deref(), Some("/console/sign-in"));
    let cleared = out.header("set-cookie").unwrap();
    assert!(cleared.starts_with("privacyd_console=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert!(!signed_in(&client), "the old cookie still opens the console");
    assert_eq!(session_count(&app.database_url).await, 1);
    assert!(signed_in(&other), "another session of the same token is not affected");
    app.stop().await;
}

/// A session used more often than the idle timeout lives on past it; left alone longer than
/// the timeout, it ends (and its row is deleted).
async fn an_idle_session_ends(backend: Backend) {
    let idle = Duration::from_millis(1500);
    let app = TestApp::spawn_with(backend, |c| {
        c.console_idle_timeout = idle;
        // The sweeper stays out of the way: this is about the request path.
        c.sweep_interval = Duration::from_secs(3600);
    })
    .await;
    let client = ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap();
    let busy_until = Instant::now() + 2 * idle;
    while Instant::now() < busy_until {
        assert!(signed_in(&client), "a session in use ended");
        tokio::time::sleep(idle / 5).await;
    }
    tokio::time::sleep(idle + Duration::from_millis(300)).await;
    // htmx polling a fragment is sent to the sign-in page too, through HX-Redirect.
    let fragment = client.get_htmx("/console/requests/new");
    assert_eq!(fragment.status, 401, "an idle session still works: {fragment:?}");
    assert_eq!(fragment.header("hx-redirect").as_deref(), Some("/console/sign-in?next=/console/requests/new"));
    assert!(!signed_in(&client));
    assert_eq!(session_count(&app.database_url).await, 0);
    app.stop().await;
}

/// However busy, a session ends at its absolute lifetime.
async fn a_session_ends_at_its_lifetime(backend: Backend) {
    let lifetime = Duration::from_secs(2);
    let app = TestApp::spawn_with(backend, |c| {
        c.console_session_lifetime = lifetime;
        c.sweep_interval = Duration::from_secs(3600);
    })
    .await;
    let client = ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap();
    let started = Instant::now();
    while signed_in(&client) {
        assert!(started.elapsed() < lifetime + Duration::from_secs(5), "the session outlived its lifetime");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(started.elapsed() >= lifetime - Duration::from_millis(500), "ended after {:?}", started.elapsed());
    app.stop().await;
}

/// The sweeper deletes expired sessions nobody comes back to.
async fn the_sweeper_deletes_expired_sessions(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.console_idle_timeout = Duration::from_millis(500);
        c.sweep_interval = Duration::from_millis(200);
    })
    .await;
    ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while session_count(&app.database_url).await > 0 {
        assert!(Instant::now() < deadline, "the sweeper left an expired session");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}

/// Removing a token from the tokens file and reloading ends the sessions it opened, and no
/// other; narrowing its scopes narrows its sessions.
async fn a_token_removed_from_the_tokens_file_ends_its_sessions(backend: Backend) {
    let (app, tokens) = spawn_with_tokens(backend, &["read,requests", "read,requests"], |_| {}).await;
    let leaving = ConsoleClient::sign_in(app.addr, &tokens.tokens[0]).unwrap();
    let staying = ConsoleClient::sign_in(app.addr, &tokens.tokens[1]).unwrap();
    assert!(signed_in(&leaving) && signed_in(&staying));

    // The second token keeps only `read`: its session may look but no longer add requests.
    let narrowed = tokens.lines[1].replace(" read,requests ", " read ");
    write_tokens_file(&tokens.file, &[narrowed]);
    app.admin_tokens.reload().unwrap();
    assert!(!signed_in(&leaving), "a removed token's session still works");
    assert_eq!(staying.get("/console/requests/new").status, 403);
    assert_eq!(ConsoleClient::sign_in(app.addr, &tokens.tokens[0]).err().unwrap().status, 403);
    app.stop().await;
}

on_both_backends!(
    signing_out_ends_the_session,
    an_idle_session_ends,
    a_session_ends_at_its_lifetime,
    the_sweeper_deletes_expired_sessions,
    a_token_removed_from_the_tokens_file_ends_its_sessions,
);

/// Two replicas on one PostgreSQL database: a session opened on one works on the other, and a
/// sign-out on the other ends it on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_works_on_every_replica() {
    crate::helpers::within_time_limit(async {
        let first = TestApp::spawn(Backend::Postgres).await;
        let (url, token) = (first.database_url.clone(), first.admin_token.clone());
        let second = TestApp::spawn_with(Backend::Postgres, |c| {
            c.database_url = Some(url);
            c.admin_tokens = vec![token];
        })
        .await;
        let on_first = ConsoleClient::sign_in(first.addr, &first.admin_token).unwrap();
        let on_second = ConsoleClient { addr: second.addr, ..on_first.clone() };
        assert!(signed_in(&on_second), "the second replica does not know the session");
        let added = on_second.post("/console/requests/new", &[("email", "replica@example.com"), ("action", "EXPORT")]);
        assert_eq!(added.status, 303, "{added:?}");
        assert_eq!(on_second.post("/console/sign-out", &[]).status, 303);
        assert!(!signed_in(&on_first), "signed out on one replica, still in on the other");
        second.stop().await;
        first.stop().await;
    })
    .await
}

/// In the browser: a form stripped of its CSRF token is refused with the page saying what to
/// do (and nothing is created); after the idle timeout the next page is the sign-in, which
/// comes back to that page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_form_and_an_expired_session_in_the_browser() {
    let idle = Duration::from_secs(2);
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.console_idle_timeout = idle).await;
    let email = unique_email();
    let args = [format!("http://{}", app.addr), app.admin_token.clone(), email.clone(), idle.as_secs().to_string()];
    let output = run_scenario("session_end.py", &args, Duration::from_secs(150)).await;
    assert!(
        printed(&output, "without csrf")
            .contains("This form has expired or did not come from this console; reload the page and try again."),
        "{output}"
    );
    assert!(output.contains("axe refused form: clean"), "{output}");
    let listed = app
        .client
        .clone()
        .list_privacy_requests(privacyd::proto::privacy::v1::ListPrivacyRequestsRequest {
            subject_email: email,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.privacy_requests.is_empty(), "the refused form created a request");
    assert_eq!(printed(&output, "after idle"), "/console/sign-in?next=/console/requests/new%3Ffrom%3Didle");
    assert_eq!(printed(&output, "signed in again"), "/console/requests/new?from=idle");
    app.stop().await;
}
