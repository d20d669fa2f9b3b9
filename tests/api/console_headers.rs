//! What the console's responses carry (issue 12, "Security headers on every page"), next to
//! the subject's pages: a Content-Security-Policy with no inline script (the console may load
//! privacyd's own script and styles; the subject's pages no script at all), no framing, no
//! referrer, nosniff, and `Cache-Control: no-store` on everything but the versioned static
//! files. Also: the sign-in is rate limited as a public page, a signed-in operator is not,
//! and under TLS the cookie is `Secure` and `__Host-` prefixed.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    console_harness::{ConsoleClient, Reply, exchange, urlencode},
    helpers::{Backend, TestApp, unique_email, within_time_limit},
    pki::{Usage, connect, pki},
};

const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                           img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn assert_common(what: &str, reply: &Reply) {
    assert_eq!(reply.header("x-frame-options").as_deref(), Some("DENY"), "{what}: {reply:?}");
    assert_eq!(reply.header("referrer-policy").as_deref(), Some("no-referrer"), "{what}");
    assert_eq!(reply.header("x-content-type-options").as_deref(), Some("nosniff"), "{what}");
    assert!(reply.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_and_every_old_page_has_its_headers() {
    within_time_limit(async {
        let app = TestApp::spawn(Backend::Sqlite).await;
        let client = ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap();
        let anonymous = |method: &str, path: &str, body: Option<&str>| exchange(app.addr, method, path, &[], body);
        let wrong = urlencode(&[("token", "not-a-token")]);
        let console_pages = [
            ("sign-in", anonymous("GET", "/console/sign-in", None)),
            ("sign-in refused", anonymous("POST", "/console/sign-in", Some(&wrong))),
            ("redirect to sign-in", anonymous("GET", "/console/requests/new", None)),
            ("/console", anonymous("GET", "/console", None)),
            ("add request", client.get("/console/requests/new")),
            ("add request refused", client.post("/console/requests/new", &[("email", "x")])),
            ("add request without csrf", client.post_raw("/console/requests/new", "email=x")),
            ("sign-out", ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap().post("/console/sign-out", &[])),
            ("unknown static file", client.get("/console/static/nope.js")),
        ];
        for (what, reply) in &console_pages {
            assert_common(what, reply);
            assert_eq!(reply.header("content-security-policy").as_deref(), Some(CONSOLE_CSP), "{what}");
            assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"), "{what}: {reply:?}");
        }
        // The pages link their static files by versioned URLs, which may be cached for a year.
        let page = &console_pages[0].1.body;
        for (name, content_type) in
            [("console.css", "text/css; charset=utf-8"), ("htmx.min.js", "text/javascript; charset=utf-8")]
        {
            let marker = format!("&#x2f;console&#x2f;static&#x2f;{name}?v=");
            let at = page.find(&marker).unwrap_or_else(|| panic!("{name} is not linked: {page}"));
            let version = page[at + marker.len()..].split('"').next().unwrap();
            let file = exchange(app.addr, "GET", &format!("/console/static/{name}?v={version}"), &[], None);
            assert_eq!(file.status, 200);
            assert_common(name, &file);
            assert_eq!(file.header("content-type").as_deref(), Some(content_type));
            assert_eq!(file.header("cache-control").as_deref(), Some("public, max-age=31536000, immutable"));
        }
        let htmx = exchange(app.addr, "GET", "/console/static/htmx.min.js", &[], None);
        assert!(htmx.body.starts_with("var htmx=") && htmx.body.contains("2.0.11"), "the vendored htmx 2.0.11");
        // No inline script or style in a console page, and htmx without eval.
        for (what, reply) in &console_pages {
            assert!(!reply.body.contains("<script>") && !reply.body.contains("style="), "{what}: {}", reply.body);
            assert!(!reply.body.contains("<style"), "{what}");
        }
        assert!(page.contains(r#""allowEval":false"#) && page.contains(r#""includeIndicatorStyles":false"#));

        // The subject's pages keep their policy: no script at all.
        let old_pages = [
            ("confirm", anonymous("GET", "/confirm?id=x&token=y", None)),
            ("download", anonymous("GET", "/download?id=x&token=y", None)),
            ("unknown path", anonymous("GET", "/nope", None)),
        ];
        for (what, reply) in &old_pages {
            assert_common(what, reply);
            assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"), "{what}");
            let csp = reply.header("content-security-policy").unwrap();
            assert!(csp.starts_with("default-src 'none'; style-src ") && !csp.contains("script-src"), "{what}: {csp}");
        }
        app.stop().await;
    })
    .await
}

/// Sign-in is public, so the public rate limit applies: guessing tokens through it is no
/// faster than over gRPC. A signed-in operator is an admin, whom it does not slow down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_is_rate_limited_and_a_session_is_not() {
    within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, |c| {
            c.public_rate_limit = 1;
            c.public_rate_burst = 3;
        })
        .await;
        let client = ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap(); // 1 of the burst
        for _ in 0..10 {
            assert_eq!(client.get("/console/requests/new").status, 200);
        }
        let added = client.post("/console/requests/new", &[("email", &unique_email()), ("action", "EXPORT")]);
        assert_eq!(added.status, 303);
        let guess = urlencode(&[("token", "guess-0123456789abcdef0123456789abcdef")]);
        let answers: Vec<u16> =
            (0..3).map(|_| exchange(app.addr, "POST", "/console/sign-in", &[], Some(&guess)).status).collect();
        assert_eq!(answers, [403, 403, 429]);
        let limited = exchange(app.addr, "POST", "/console/sign-in", &[], Some(&guess));
        assert!(limited.header("retry-after").is_some(), "{limited:?}");
        app.stop().await;
    })
    .await
}

/// One HTTP/1.1 request over TLS: (status, head).
async fn https(pki: &crate::pki::Pki, app: &TestApp, client: Option<&str>, request: String) -> (u16, String) {
    let mut stream = connect(pki, app.addr, "ca", &[b"http/1.1"], client).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw)).await.unwrap().ok();
    let head = String::from_utf8_lossy(&raw).split("\r\n\r\n").next().unwrap().to_owned();
    (head.split_whitespace().nth(1).unwrap().parse().unwrap(), head)
}

fn sign_in_request(token: &str) -> String {
    let body = urlencode(&[("token", token)]);
    format!(
        "POST /console/sign-in HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Under TLS the cookie is `__Host-privacyd_console` with `Secure` and `Path=/` (the prefix
/// demands both), and with `--tls-client-ca` a token signs in only with a client certificate,
/// as it makes an admin over gRPC only with one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_tls_the_cookie_is_secure_and_host_only() {
    within_time_limit(async {
        let pki = pki();
        pki.ca("clients");
        pki.leaf("operator", "clients", Usage::Client);
        let app = TestApp::spawn_tls(Backend::Sqlite, pki.client_config("ca", Some("operator")), |c| {
            pki.server(c);
            c.tls_client_ca = Some(pki.path("clients.pem"));
        })
        .await;
        let (status, head) = https(&pki, &app, Some("operator"), sign_in_request(&app.admin_token)).await;
        assert_eq!(status, 303, "{head}");
        let cookie =
            head.lines().find_map(|l| l.strip_prefix("set-cookie: ")).unwrap_or_else(|| panic!("no cookie: {head}"));
        let (pair, attributes) = cookie.split_once(';').unwrap();
        assert!(pair.starts_with("__Host-privacyd_console="), "{cookie}");
        let mut attributes: Vec<&str> = attributes.split(';').map(str::trim).collect();
        attributes.sort();
        assert_eq!(attributes, ["HttpOnly", "Path=/", "SameSite=Strict", "Secure"], "{cookie}");
        let page = format!(
            "GET /console/requests/new HTTP/1.1\r\nHost: localhost\r\nCookie: {pair}\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(https(&pki, &app, Some("operator"), page.clone()).await.0, 200);
        // Without the client certificate, neither the token nor the session counts.
        assert_eq!(https(&pki, &app, None, page).await.0, 303);
        let (status, head) = https(&pki, &app, None, sign_in_request(&app.admin_token)).await;
        assert_eq!(status, 403, "{head}");
        assert!(!head.to_ascii_lowercase().contains("set-cookie"), "{head}");
        app.stop().await;
    })
    .await
}
