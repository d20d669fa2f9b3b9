//! Signing in and out. `GET /console/sign-in` shows a form for an admin token; `POST` checks
//! it once ([`AdminTokens::authenticate`](crate::admin_tokens::AdminTokens::authenticate)),
//! opens a session and redirects (303, RFC 9110 §15.4.4) to `next` or the requests table.
//! A wrong token gets the form again, saying only that it is not valid. The sign-in is
//! public, so the public rate limit applies to it (`--public-rate-limit`): guessing tokens is
//! as slow as over gRPC. `POST /console/sign-out` (with the CSRF token) deletes the session and
//! the cookie.
//!
//! Sign-ins and sign-outs are logged with the token's fingerprint, never the token; what an
//! operator does once signed in is audited by the workflow with the same actor as a gRPC call.

use axum::{
    Extension, Form, Router,
    extract::{Query, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use minijinja::context;

use super::{ConsoleSession, ConsoleState, ConsoleUser, CsrfForm, HOME, csrf::same_origin, render};
use crate::grpc::tls::ClientCertificate;

pub const TEMPLATES: &[(&str, &str)] =
    &[("console/sign_in.html", include_str!("../../templates/console/sign_in.html"))];

pub fn routes() -> Router<ConsoleState> {
    Router::new().route("/console/sign-in", get(form).post(sign_in)).route("/console/sign-out", post(sign_out))
}

#[derive(Debug, serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// `next` if it is a path of the console on this server, never anything a browser would
/// take to another host (`//evil`, `/\evil`, `https://…`): an open redirect would let a
/// phishing link pass through privacyd's sign-in (OWASP, unvalidated redirects).
pub fn safe_next(next: &str) -> Option<&str> {
    let local = next.starts_with("/console")
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    let under_console = matches!(next.as_bytes().get("/console".len()), None | Some(b'/' | b'?'));
    (local && under_console).then_some(next)
}

async fn form(
    State(state): State<ConsoleState>,
    session: Option<Extension<ConsoleSession>>,
    Query(query): Query<NextQuery>,
) -> Response {
    let next = query.next.as_deref().and_then(safe_next).unwrap_or(HOME).to_owned();
    // Already signed in: straight on.
    if session.is_some() {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    }
    page(&state, StatusCode::OK, &next, None)
}

fn page(state: &ConsoleState, status: StatusCode, next: &str, error: Option<&str>) -> Response {
    render(state, None, status, "sign_in.html", context! { next => next, error => error })
}

#[derive(serde::Deserialize)]
struct SignInForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(State(state): State<ConsoleState>, parts: Parts, Form(form): Form<SignInForm>) -> Response {
    let next = safe_next(&form.next).unwrap_or(HOME).to_owned();
    // A sign-in posted from another site would sign the browser into the sender's session
    // ("login CSRF"); SameSite cannot help, since there is no session yet.
    if !same_origin(&parts) {
        return page(&state, StatusCode::FORBIDDEN, &next, Some(super::csrf::REFUSED));
    }
    let certificate_missing =
        state.sessions.settings().client_certificates_required && parts.extensions.get::<ClientCertificate>().is_none();
    let grant = if certificate_missing { None } else { state.tokens.authenticate(form.token.trim()) };
    let Some(grant) = grant else {
        tracing::info!(certificate_missing, "console sign-in refused");
        let message = if certificate_missing {
            "This console needs a TLS client certificate besides the token; your browser sent none."
        } else {
            "That token is not valid."
        };
        return page(&state, StatusCode::FORBIDDEN, &next, Some(message));
    };
    let id = match state.sessions.start(&grant).await {
        Ok(id) => id,
        Err(err) => {
            tracing::warn!(error = %err, "opening a console session failed");
            let message = "The console cannot reach its database. Please try again in a minute.";
            return page(&state, StatusCode::SERVICE_UNAVAILABLE, &next, Some(message));
        }
    };
    tracing::info!(actor = %grant.actor.id_str(), scopes = %grant.scopes, "console sign-in");
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    response.headers_mut().insert(header::SET_COOKIE, state.sessions.set_cookie(&id));
    response
}

/// Sign-out has no fields but the CSRF token.
#[derive(serde::Deserialize)]
struct SignOutForm {}

async fn sign_out(
    State(state): State<ConsoleState>,
    user: ConsoleUser,
    CsrfForm(_): CsrfForm<SignOutForm>,
) -> Response {
    if let Err(err) = state.sessions.end(user.session()).await {
        tracing::warn!(error = %err, "ending a console session failed");
        return user.error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "You are still signed in",
            "The console cannot reach its database. Please try again in a minute.",
        );
    }
    tracing::info!(actor = %user.actor().id_str(), "console sign-out");
    let mut response =
        (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_static("/console/sign-in"))]).into_response();
    response.headers_mut().insert(header::SET_COOKIE, state.sessions.clear_cookie());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_followed_after_sign_in() {
        for ok in ["/console", "/console/requests", "/console/requests/x?state=PENDING", "/console?x=1"] {
            assert_eq!(safe_next(ok), Some(ok), "{ok}");
        }
        for bad in [
            "https://evil.example/console",
            "//evil.example/console",
            "/\\evil.example",
            "/console\\..\\x",
            "/consoles",
            "/console-evil",
            "/confirm",
            "",
            "console/requests",
            "/console/\nx",
            "/console/ x",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
