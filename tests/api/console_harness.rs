//! Shared helpers for the console's tests: a privacyd with admin tokens of chosen scopes, a
//! plain-HTTP console client that signs in and keeps its cookie and CSRF token, and the runner
//! of the browser scenarios in tests/support/console/ (headless Chromium through Selenium,
//! with axe-core).

use std::{net::SocketAddr, path::PathBuf, process::Command, time::Duration};

use privacyd::{
    admin_tokens::mint,
    config::Config,
    domain::{Scopes, SecretToken},
};

use crate::helpers::{Backend, TestApp};

/// Admin tokens of a console test: the tokens file holds one per entry of
/// [`spawn_with_tokens`]'s `scopes`, in that order.
pub struct Tokens {
    pub tokens: Vec<String>,
    /// The tokens file, to edit and reload (`app.admin_tokens.reload()`).
    pub file: PathBuf,
}

/// A privacyd whose tokens file holds a token for each of `scopes` (`"read"`,
/// `"read,requests"`, …); the test helper's own all-scope token (`app.admin_token`) stays
/// configured through the environment setting.
pub async fn spawn_with_tokens(
    backend: Backend,
    scopes: &[&str],
    configure: impl FnOnce(&mut Config),
) -> (TestApp, Tokens) {
    let mut tokens = Vec::new();
    let mut lines = String::new();
    for (i, scopes) in scopes.iter().enumerate() {
        let (token, entry) = mint(&format!("console-{i}"), Scopes::parse(scopes).unwrap()).unwrap();
        tokens.push(token.expose().to_owned());
        lines.push_str(&entry.line());
        lines.push('\n');
    }
    let file = tempfile::NamedTempFile::new().unwrap().into_temp_path().keep().unwrap();
    std::fs::write(&file, lines).unwrap();
    let path = file.clone();
    let app = TestApp::spawn_with(backend, |config| {
        config.admin_tokens_file = Some(path);
        configure(config);
    })
    .await;
    (app, Tokens { tokens, file })
}

/// An HTTP answer: status, head (status line and headers, as sent), body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    /// The first value of header `name` (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers(name).into_iter().next()
    }

    /// Every value of header `name`.
    pub fn headers(&self, name: &str) -> Vec<String> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }
}

/// One HTTP/1.1 exchange over loopback (`Connection: close`); `body` is sent as an urlencoded
/// form when given.
pub fn exchange(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    use std::io::{Read, Write};
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        request.push_str("\r\n");
    }
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = decode_chunked(&head, &raw[split + 4..]);
    Reply { status, head, body: String::from_utf8_lossy(&body).into_owned() }
}

fn decode_chunked(head: &str, body: &[u8]) -> Vec<u8> {
    if !head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return body.to_vec();
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").expect("a chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
        rest = &rest[line_end + 2 + size + 2..];
    }
}

/// `a=1&b=2`, each value percent-encoded.
pub fn urlencode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A browser without a browser: a console session over plain HTTP/1.1, which sends its cookie
/// with each request and the session's CSRF token with each form.
#[derive(Clone)]
pub struct ConsoleClient {
    pub addr: SocketAddr,
    /// `name=value`, as the browser would send it.
    pub cookie: String,
    /// The session's CSRF token, read from a page's form.
    pub csrf: String,
}

/// The `name=value` part of a `Set-Cookie` value.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_owned()
}

/// The value of the hidden input `name` in a page (`value` after `name`, as the templates
/// write them).
pub fn hidden_field(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    Some(page[start..].split('"').next()?.to_owned())
}

impl ConsoleClient {
    /// Signs in through the form; `Err` with the answer when it is refused.
    pub fn sign_in(addr: SocketAddr, token: &str) -> Result<ConsoleClient, Reply> {
        let reply = exchange(addr, "POST", "/console/sign-in", &[], Some(&urlencode(&[("token", token)])));
        let Some(set_cookie) = reply.header("set-cookie").filter(|_| reply.status == 303) else {
            return Err(reply);
        };
        let mut client = ConsoleClient { addr, cookie: cookie_pair(&set_cookie), csrf: String::new() };
        // Every page in the layout carries the token in its sign-out form, the 403 page too.
        let page = client.get("/console/requests/new");
        client.csrf = hidden_field(&page.body, "_csrf").unwrap_or_else(|| panic!("no CSRF token in {page:?}"));
        Ok(client)
    }

    /// A GET with the session cookie.
    pub fn get(&self, path: &str) -> Reply {
        exchange(self.addr, "GET", path, &[("Cookie", &self.cookie)], None)
    }

    /// A GET as htmx sends it (`HX-Request: true`).
    pub fn get_htmx(&self, path: &str) -> Reply {
        exchange(self.addr, "GET", path, &[("Cookie", &self.cookie), ("HX-Request", "true")], None)
    }

    /// A form POST with the session's CSRF token added.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &urlencode(&all))
    }

    /// A form POST with exactly this body (no CSRF token added).
    pub fn post_raw(&self, path: &str, body: &str) -> Reply {
        exchange(self.addr, "POST", path, &[("Cookie", &self.cookie)], Some(body))
    }
}

/// Runs tests/support/console/`script` with `args` (headless Chromium, axe-core) and returns
/// what it printed, after checking that it succeeded within `limit`.
pub async fn run_scenario(script: &str, args: &[String], limit: Duration) -> String {
    let path = format!("{}/tests/support/console/{script}", env!("CARGO_MANIFEST_DIR"));
    let args = args.to_vec();
    let run = tokio::task::spawn_blocking(move || Command::new("python3").arg(&path).args(&args).output());
    let output = tokio::time::timeout(limit, run)
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within {limit:?}"))
        .unwrap()
        .expect("python3 runs");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script} failed (needs chromium, chromium-driver, selenium and axe-core; see scripts/test.sh):\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    printed
}

/// The value printed after `label: ` by a scenario.
pub fn printed<'a>(output: &'a str, label: &str) -> &'a str {
    let prefix = format!("{label}: ");
    output
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("the scenario printed no {label:?}:\n{output}"))
}

/// A random value shaped like a session cookie, that no session has.
pub fn forged_session_id() -> String {
    SecretToken::generate().expose().to_owned()
}
