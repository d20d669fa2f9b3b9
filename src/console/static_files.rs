//! The console's static files, compiled into the binary: its style sheet and htmx (2.0.11,
//! vendored under `static/` with its licence, so neither users nor CI need Node or a CDN, and
//! the Content-Security-Policy can stay `script-src 'self'`). They hold no personal data, so,
//! unlike every other response, they may be cached: for a year, since each URL carries a
//! hash of the file's content (`?v=`), and a new build's file gets a new URL.

use std::sync::LazyLock;

use axum::{
    Router,
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sha2::Digest;

use super::ConsoleState;

/// Where the static files are served.
pub const STATIC_PREFIX: &str = "/console/static/";

/// Each file: name, content type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    ("console.css", "text/css; charset=utf-8", include_bytes!("../../static/console.css")),
    // RFC 9239: text/javascript is the one JavaScript media type.
    ("htmx.min.js", "text/javascript; charset=utf-8", include_bytes!("../../static/htmx.min.js")),
    ("htmx.LICENSE", "text/plain; charset=utf-8", include_bytes!("../../static/htmx.LICENSE")),
];

/// `Cache-Control` of a static file: a year (RFC 9111 §5.2.2.1), shared caches allowed, and
/// `immutable` (RFC 8246): a URL's content never changes.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Each file's version: the first 16 hex digits of its SHA-256.
static VERSIONS: LazyLock<Vec<String>> =
    LazyLock::new(|| FILES.iter().map(|(_, _, bytes)| hex::encode(&sha2::Sha256::digest(bytes)[..8])).collect());

/// The URL of a static file, with its version, for templates (`assets.css`, `assets.htmx`).
pub fn url(name: &str) -> String {
    let index = FILES.iter().position(|(n, _, _)| *n == name).unwrap_or_else(|| panic!("no static file {name}"));
    format!("{STATIC_PREFIX}{name}?v={}", VERSIONS[index])
}

pub fn routes() -> Router<ConsoleState> {
    Router::new().route("/console/static/{name}", get(serve))
}

async fn serve(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, CACHE_CONTROL)], *bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
