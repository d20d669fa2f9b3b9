//! Cross-site request forgery (CSRF): every state-changing console form carries the session's
//! random token in a hidden `_csrf` field, and [`CsrfForm`] refuses a POST whose field is
//! missing or different (OWASP's "synchronizer token pattern"). The `SameSite=Strict` session
//! cookie already keeps other sites' pages from sending it; the token also covers browsers
//! without SameSite and a same-site page (another service on a sibling subdomain). A POST whose
//! `Origin` header names another origin is refused too (OWASP: verifying origin with standard
//! headers).

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::StatusCode,
};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::{ConsoleError, ConsoleState, ConsoleUser, error_page};

/// The form field that carries the CSRF token.
pub const FIELD: &str = "_csrf";

/// What a refused form says: it cannot tell a forgery from a page left open across a
/// sign-out, and the remedy for the second is the same.
pub const REFUSED: &str = "This form has expired or did not come from this console; reload the page and try again.";

/// An `application/x-www-form-urlencoded` body whose `_csrf` field matches the signed-in
/// session's token (compared in constant time), deserialized into `T` (which ignores the
/// `_csrf` field: serde skips unknown fields unless `T` denies them). Needs a session: without
/// one the answer is the sign-in redirect, as for [`ConsoleUser`]. Refused: 403 with the page
/// [`REFUSED`]; a body that does not deserialize into `T`: 400.
///
/// A form with repeated fields (checkboxes of a batch) can use `T = Vec<(String, String)>`.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<ConsoleState> for CsrfForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(request: Request, state: &ConsoleState) -> Result<Self, ConsoleError> {
        let (mut parts, body) = request.into_parts();
        let user = ConsoleUser::from_request_parts(&mut parts, state).await?;
        let refused = || ConsoleError::page(user.error_page(StatusCode::FORBIDDEN, "This form was refused", REFUSED));
        if !same_origin(&parts, state.public_origin.as_deref()) {
            return Err(refused());
        }
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(|_| {
            ConsoleError::page(error_page(
                state,
                Some(user.session()),
                StatusCode::BAD_REQUEST,
                "The form was not sent whole",
                "Please try again.",
            ))
        })?;
        if !token_matches(&body, user.csrf_token()) {
            return Err(refused());
        }
        let form = serde_urlencoded::from_bytes(&body).map_err(|_| {
            // serde's message may quote the value (an email address): not shown, not logged.
            ConsoleError::page(user.error_page(
                StatusCode::BAD_REQUEST,
                "The form could not be read",
                "A field is missing or has a value this form does not take. Reload the page and try again.",
            ))
        })?;
        Ok(CsrfForm(form))
    }
}

/// Whether the form's (single) `_csrf` field equals `expected`. Two `_csrf` fields are
/// refused: nothing privacyd renders sends them.
fn token_matches(body: &[u8], expected: &str) -> bool {
    let mut presented = form_urlencoded::parse(body).filter(|(name, _)| name == FIELD).map(|(_, value)| value);
    match (presented.next(), presented.next()) {
        (Some(token), None) => !expected.is_empty() && bool::from(token.as_bytes().ct_eq(expected.as_bytes())),
        _ => false,
    }
}

/// False when the browser says the request comes from another site: `Sec-Fetch-Site:
/// cross-site`, or an `Origin` header naming neither this request's `Host` nor
/// `public_origin` (the host of `--public-url`, which is what browsers see behind a proxy that
/// rewrites `Host`). Requests without either header (old browsers, tools) rely on the token
/// alone.
pub(crate) fn same_origin(parts: &axum::http::request::Parts, public_origin: Option<&str>) -> bool {
    let headers = &parts.headers;
    if headers.get("sec-fetch-site").is_some_and(|v| v == "cross-site") {
        return false;
    }
    // Browsers send `Origin: null` for a form on a page with `Referrer-Policy: no-referrer`
    // (Fetch standard, "serializing a request origin"), which every privacyd page has: it
    // says nothing, and `Sec-Fetch-Site` (above) and the token decide.
    let origin = headers.get(http::header::ORIGIN).filter(|origin| *origin != "null");
    let Some(origin) = origin else { return true };
    let Some(origin) = origin.to_str().ok().and_then(origin_of) else { return false };
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    host.is_some_and(|host| host.eq_ignore_ascii_case(&origin))
        || public_origin.is_some_and(|public| public.eq_ignore_ascii_case(&origin))
}

/// `host[:port]` of a URL, the port only when it is not the scheme's default: how a `Host`
/// header names the same server.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?.to_owned();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// The minijinja function `csrf_field()`: the hidden `_csrf` input for the page's session
/// (the `csrf_token` variable every console page gets). Empty outside a session.
pub fn csrf_field(state: &minijinja::State) -> minijinja::Value {
    let token = state.lookup("csrf_token").and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    // Tokens are URL-safe base64; anything else is not written into markup.
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return minijinja::Value::from_safe_string(String::new());
    }
    minijinja::Value::from_safe_string(format!(r#"<input type="hidden" name="{FIELD}" value="{token}">"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_one_right_token_passes() {
        assert!(token_matches(b"a=1&_csrf=tok-en_1&b=2", "tok-en_1"));
        assert!(!token_matches(b"a=1&b=2", "tok-en_1"));
        assert!(!token_matches(b"_csrf=tok-en_2", "tok-en_1"));
        assert!(!token_matches(b"_csrf=", ""));
        assert!(!token_matches(b"_csrf=tok-en_1&_csrf=tok-en_1", "tok-en_1"));
        assert!(!token_matches(b"_csrf=tok-en_1x", "tok-en_1"));
    }

    #[test]
    fn another_origin_is_refused() {
        let parts = |headers: &[(&str, &str)]| {
            let mut request =
                http::Request::builder().method("POST").uri("/console/x").header("host", "127.0.0.1:8080");
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            request.body(()).unwrap().into_parts().0
        };
        let same_origin = |parts: &axum::http::request::Parts| same_origin(parts, None);
        assert!(same_origin(&parts(&[])));
        assert!(same_origin(&parts(&[("origin", "http://127.0.0.1:8080")])));
        assert!(same_origin(&parts(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&parts(&[("origin", "https://evil.example")])));
        assert!(!same_origin(&parts(&[("origin", "http://127.0.0.1:8081")])));
        assert!(same_origin(&parts(&[("origin", "null"), ("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&parts(&[("origin", "null"), ("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&parts(&[("sec-fetch-site", "cross-site")])));
        // Behind a proxy that rewrites Host, the public URL's origin is this console's.
        let proxied = parts(&[("origin", "https://privacy.example.com")]);
        assert!(!same_origin(&proxied));
        assert!(super::same_origin(&proxied, origin_of("https://privacy.example.com/").as_deref()));
        assert!(!super::same_origin(&proxied, origin_of("https://other.example.com").as_deref()));
    }
}
