//! Refusing forms another site makes a visitor's browser send (cross-site request forgery).
//!
//! The public form has no session to bind a CSRF token to, and a token that is only signed
//! (an HMAC over a timestamp) would not help: another site's server can fetch the form, take
//! a fresh token from it and put it in the form it serves. What tells a cross-site POST apart
//! is what the browser says about where it came from, which a page cannot forge: Fetch
//! Metadata's `Sec-Fetch-Site` (W3C Fetch Metadata Request Headers; every current browser
//! sends it), and from older browsers `Origin` (RFC 6454, sent on every POST). This is the
//! check Go's `net/http.CrossOriginProtection` makes. A request with neither comes from a
//! program, not a browser, and could have been made by its author directly: it is allowed.

use axum::http::{HeaderMap, Uri, header};

/// Whether a state-changing request was sent by a page of another origin. `public_origin`:
/// the origin of `--public-url`, which privacyd's own pages have behind a proxy that changes
/// the Host header.
pub fn is_cross_site(headers: &HeaderMap, uri: &Uri, public_origin: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: the person typed or bookmarked it; `same-origin`: privacyd's own page.
        // `same-site` (a sibling subdomain) is another application: refused too.
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    if public_origin.is_some_and(|public| public.eq_ignore_ascii_case(origin)) {
        return false;
    }
    // HTTP/1.1 names the host in Host, HTTP/2 in :authority (the URI's).
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).or_else(|| uri.authority().map(|a| a.as_str()));
    let origin_host = url::Url::parse(origin).ok().and_then(|url| {
        let host = url.host_str()?.to_owned();
        Some(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    });
    // "null" (a sandboxed or file page) and anything unparsable are cross-site.
    !matches!((origin_host, host), (Some(origin), Some(host)) if origin.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&str, &str)], public: Option<&str>) -> bool {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        is_cross_site(&headers, &Uri::from_static("/request"), public)
    }

    #[test]
    fn browsers_say_where_a_form_came_from() {
        assert!(!check(&[("sec-fetch-site", "same-origin"), ("origin", "https://evil.example")], None));
        assert!(!check(&[("sec-fetch-site", "none")], None));
        assert!(check(&[("sec-fetch-site", "cross-site")], None));
        assert!(check(&[("sec-fetch-site", "same-site")], None));
        // Older browsers: Origin against Host, or against --public-url's origin.
        assert!(!check(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")], None));
        assert!(check(&[("origin", "http://127.0.0.1:9999"), ("host", "127.0.0.1:8080")], None));
        assert!(check(&[("origin", "null"), ("host", "127.0.0.1:8080")], None));
        assert!(!check(
            &[("origin", "https://privacy.example"), ("host", "10.0.0.5:50051")],
            Some("https://privacy.example")
        ));
        // A program (curl, a test) sends neither.
        assert!(!check(&[("host", "127.0.0.1:8080")], None));
    }
}
