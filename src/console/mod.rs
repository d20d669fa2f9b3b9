//! The privacy console (issue 12): server-rendered pages under `/console` for the people who
//! handle requests, signed in with an admin token. Pages are thin, as the gRPC handlers are:
//! parse the form into domain types, call [`Workflow`] with the signed-in [`Actor`], render a
//! template. htmx (vendored, [`static_files`]) only enhances: every action works as a plain
//! form.
//!
//! The pieces a page is built from:
//! - [`ConsoleUser`], an extractor: the signed-in operator (actor, scopes, CSRF token), or a
//!   redirect to the sign-in page. `user.require(Scope::Requests)?` answers 403 naming the
//!   missing scope; `user.render(template, context)` renders a page in the layout.
//! - [`CsrfForm<T>`](csrf::CsrfForm), an extractor: an urlencoded form whose `_csrf` field
//!   matches the session's token, deserialized into `T`. Every POST but the sign-in uses it.
//! - Templates under `templates/console/` extending `console/base.html`; `{{ csrf_field() }}`
//!   writes the hidden CSRF field into a form.
//!
//! Sessions, cookies and their expiry are in [`session`]; the security headers of console
//! pages in `grpc::page_headers`.

pub mod add_request;
pub mod bulk;
pub mod csrf;
pub mod request_page;
pub mod request_table;
pub mod requests;
pub mod session;
pub mod sign_in;
pub mod sources;
pub mod static_files;
pub mod statistics;

use axum::{
    Router,
    extract::FromRequestParts,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use minijinja::{Value, context};

pub use csrf::CsrfForm;
pub use session::{ConsoleSession, SessionLayer, SessionSettings, Sessions};

use crate::{
    admin_tokens::AdminTokens,
    domain::{Actor, Scope},
    registry::Registry,
    store::Store,
    templates::Templates,
    workflow::Workflow,
};

/// The console's templates (`templates/console/`), by name; each is replaceable through
/// `--template-dir` like the other pages. Each page module adds its own list here.
pub const TEMPLATES: &[&[(&str, &str)]] = &[
    LAYOUT_TEMPLATES,
    sign_in::TEMPLATES,
    add_request::TEMPLATES,
    requests::TEMPLATES,
    request_page::TEMPLATES,
    sources::TEMPLATES,
];

const LAYOUT_TEMPLATES: &[(&str, &str)] = &[
    ("console/base.html", include_str!("../../templates/console/base.html")),
    ("console/error.html", include_str!("../../templates/console/error.html")),
];

/// What console pages need. Cheap to clone.
#[derive(Clone)]
pub struct ConsoleState {
    pub workflow: Workflow,
    pub templates: Templates,
    pub tokens: AdminTokens,
    /// The data source registry, for the data sources page.
    pub registry: Registry,
    /// The store, for reads the workflow does not offer (statistics, counts).
    pub store: Store,
    /// Sessions, with their settings (`sessions.settings().secure_cookies` is TLS on).
    pub sessions: Sessions,
    /// `--organization`, shown in the layout.
    pub organization: String,
    /// `host[:port]` of `--public-url` (or of the bound address): a form POSTed from there is
    /// this console's, even when a proxy in front rewrote the `Host` header.
    pub public_origin: Option<String>,
}

/// Every console route. Each page module adds its routes with one `.merge(x::routes())`.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .merge(static_files::routes())
        .merge(sign_in::routes())
        .merge(add_request::routes())
        .merge(requests::routes())
        .merge(request_page::routes())
        .merge(sources::routes())
        .with_state(state)
}

/// Where `/console` and a sign-in without `next` lead: the requests table.
pub const HOME: &str = "/console/requests";

async fn home() -> Redirect {
    Redirect::to(HOME)
}

/// A console answer that is not the page asked for: a redirect to sign in, or an error page
/// (403 for a missing scope or a bad CSRF token, 503 when the database does not answer).
/// Handlers return `Result<Response, ConsoleError>` and use `?`.
/// Boxed: a response is large, and most results are not errors.
#[derive(Debug)]
pub struct ConsoleError(Box<Response>);

impl ConsoleError {
    /// The page to answer with.
    pub fn page(response: Response) -> Self {
        ConsoleError(Box::new(response))
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The signed-in operator of the current request. Extracting it without a session answers
/// with a redirect to `/console/sign-in?next=<this page>` (a 303; to an htmx request, a 401
/// with `HX-Redirect`, since the browser would follow a 303 inside the XHR and swap the
/// sign-in page into a fragment).
#[derive(Clone)]
pub struct ConsoleUser {
    session: ConsoleSession,
    state: ConsoleState,
}

impl ConsoleUser {
    /// Who acts, as the audit log names them: the same `Actor::Admin(fingerprint)` as a gRPC
    /// call with the same token.
    pub fn actor(&self) -> Actor {
        self.session.actor.clone()
    }

    /// Whether the session may act with `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.session.has(scope)
    }

    /// `Ok` if the session may act with `scope`; otherwise a 403 page naming the scope.
    pub fn require(&self, scope: Scope) -> Result<(), ConsoleError> {
        if self.has(scope) {
            return Ok(());
        }
        let message = format!(
            "Your admin token does not have the \u{201c}{}\u{201d} scope this page needs. Ask for a token that has it, \
             then sign out and sign in with it.",
            scope.as_str()
        );
        Err(ConsoleError::page(self.error_page(StatusCode::FORBIDDEN, "Not allowed with this token", &message)))
    }

    /// The session's CSRF token, for a form built outside a template.
    pub fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }

    pub fn session(&self) -> &ConsoleSession {
        &self.session
    }

    pub fn state(&self) -> &ConsoleState {
        &self.state
    }

    /// `console/<name>` rendered with `context` and what the layout needs, as a 200 page.
    pub fn render(&self, name: &str, context: Value) -> Response {
        self.render_status(StatusCode::OK, name, context)
    }

    /// As [`ConsoleUser::render`], with another status (422 for a form with errors).
    pub fn render_status(&self, status: StatusCode, name: &str, context: Value) -> Response {
        render(&self.state, Some(&self.session), status, name, context)
    }

    /// An error page in the layout.
    pub fn error_page(&self, status: StatusCode, title: &str, message: &str) -> Response {
        error_page(&self.state, Some(&self.session), status, title, message)
    }
}

impl FromRequestParts<ConsoleState> for ConsoleUser {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &ConsoleState) -> Result<Self, ConsoleError> {
        if let Some(session) = parts.extensions.get::<ConsoleSession>() {
            return Ok(ConsoleUser { session: session.clone(), state: state.clone() });
        }
        if parts.extensions.get::<session::SessionUnavailable>().is_some() {
            return Err(ConsoleError::page(error_page(
                state,
                None,
                StatusCode::SERVICE_UNAVAILABLE,
                "The console cannot reach its database",
                "Please reload the page in a minute.",
            )));
        }
        Err(ConsoleError::page(sign_in_redirect(parts)))
    }
}

/// To the sign-in page, coming back here after (for a GET; after a POST, to the home page:
/// the form's content is gone anyway).
fn sign_in_redirect(parts: &Parts) -> Response {
    let next = (parts.method == http::Method::GET)
        .then(|| parts.uri.path_and_query().map(|p| p.as_str().to_owned()))
        .flatten()
        .filter(|next| sign_in::safe_next(next).is_some());
    let location = match next {
        Some(next) => format!("/console/sign-in?next={}", percent_encoding::utf8_percent_encode(&next, QUERY_VALUE)),
        None => "/console/sign-in".to_owned(),
    };
    let htmx = parts.headers.get("hx-request").is_some_and(|v| v == "true");
    if htmx {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response.headers_mut().insert("hx-redirect", HeaderValue::from_str(&location).expect("percent-encoded"));
        return response;
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// What to percent-encode in a query value: everything but unreserved characters and `/`.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// Renders `console/<name>` with the layout's context: the organization, the signed-in
/// operator (`user.actor`, `user.scopes`; absent on the sign-in page), the CSRF token, and the
/// static files' URLs. The page's own `context` wins where names clash.
pub(crate) fn render(
    state: &ConsoleState,
    session: Option<&ConsoleSession>,
    status: StatusCode,
    name: &str,
    page: Value,
) -> Response {
    let base = context! {
        organization => state.organization.clone(),
        user => session.map(|s| context! {
            actor => s.actor.id_str().to_owned(),
            scopes => s.scopes.iter().map(Scope::as_str).collect::<Vec<_>>(),
        }),
        csrf_token => session.map(|s| s.csrf_token.clone()),
        assets => context! {
            css => static_files::url("console.css"),
            htmx => static_files::url("htmx.min.js"),
        },
    };
    match state.templates.render_console(name, &minijinja::value::merge_maps([page, base])) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, template = name, "rendering a console page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<!doctype html><title>Error</title><h1>Internal error</h1>"))
                .into_response()
        }
    }
}

/// An error page in the layout (`console/error.html`: `title`, `message`).
pub(crate) fn error_page(
    state: &ConsoleState,
    session: Option<&ConsoleSession>,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    render(state, session, status, "error.html", context! { title => title, message => message })
}
