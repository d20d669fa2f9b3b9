//! The pages a data subject uses without an operator (issue 12), beside the links in emails
//! (`http`): the public form at `/request` where a person asks for a copy of their data or
//! its erasure ([`self_service`]), and the status page every email to them links to
//! ([`status`]). Server-rendered from the templates in `templates/pages/`, no script; the
//! security headers come from the layer in front of every HTTP route
//! (`grpc::page_headers`), the public rate limit and body cap from `grpc::public_limits`.

mod cross_site;
mod self_service;
mod status;

use axum::{
    Router,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};

use crate::{grpc::public_limits::IpRateLimiter, shutdown::Shutdown, templates::Templates, workflow::Workflow};

/// What the subject's pages need.
#[derive(Clone)]
pub struct PublicState {
    pub workflow: Workflow,
    pub templates: Templates,
    pub organization: String,
    /// `--self-service`: whether `/request` takes requests.
    pub self_service: bool,
    /// `--self-service-rate`, per client address; `None` when off.
    pub rate: Option<IpRateLimiter>,
    /// `--self-service-address-limit`: requests per address per 12 months; 0 for no limit.
    pub address_limit: u32,
    /// The origin (`scheme://host[:port]`) of `--public-url`, which a browser's `Origin`
    /// header names on a form sent from privacyd's own pages behind a proxy.
    pub public_origin: Option<String>,
}

/// The settings of [`PublicState`] that come from the configuration.
pub struct PublicSettings {
    pub self_service: bool,
    pub rate: crate::config::SelfServiceRate,
    pub address_limit: u32,
    pub public_url: String,
}

impl PublicState {
    pub fn new(
        workflow: Workflow,
        templates: Templates,
        organization: String,
        settings: PublicSettings,
        shutdown: Shutdown,
    ) -> Self {
        let rate = settings.rate.0.map(|(count, period)| {
            // `count` at once, then one more every period/count: at most `count` per period.
            let quota = governor::Quota::with_period(period / count.get())
                .expect("a period of at least 1 µs")
                .allow_burst(count);
            IpRateLimiter::new(quota, shutdown)
        });
        PublicState {
            workflow,
            templates,
            organization,
            self_service: settings.self_service,
            rate,
            address_limit: settings.address_limit,
            public_origin: url::Url::parse(&settings.public_url).ok().map(|url| url.origin().ascii_serialization()),
        }
    }
}

pub fn router(state: PublicState) -> Router {
    Router::new()
        .route("/request", get(self_service::form).post(self_service::submit))
        .route("/status", get(status::page))
        .route("/status/download", post(status::download))
        .with_state(state)
}

/// Renders `template` with `ctx` (plus the organisation's name) as an HTML response.
fn render(state: &PublicState, status: StatusCode, template: &str, ctx: minijinja::Value) -> Response {
    let ctx = minijinja::context! { organization => state.organization.clone(), ..ctx };
    match state.templates.render_page(template, &ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, template, "rendering a subject's page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Internal error</h1>".to_owned())).into_response()
        }
    }
}

/// A page that only says something (the layout of the confirmation pages): `outcome` is the
/// stable `data-outcome` value tests and scripts read.
fn message(
    state: &PublicState,
    status: StatusCode,
    outcome: &'static str,
    title: &str,
    text: impl Into<String>,
) -> Response {
    let ctx =
        minijinja::context! { outcome => outcome, ok => status.is_success(), title => title, message => text.into() };
    render(state, status, "confirm.html", ctx)
}

/// What a status link that is not one answers (unknown id, wrong or missing token, purged
/// subject): the same page, saying nothing about whether the request exists.
fn invalid_link(state: &PublicState) -> Response {
    message(
        state,
        StatusCode::NOT_FOUND,
        "invalid",
        "This link is not valid",
        "Check that you opened the whole link from the email. Links stop working when the request's records are \
         deleted.",
    )
}

fn unavailable(state: &PublicState) -> Response {
    message(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "error",
        "Something went wrong on our side",
        "Please try again in a few minutes.",
    )
}
