//! The data sources pages: `/console/sources` lists the registry with each source's health,
//! capabilities, categories, whether it is enabled and its limits, and has the register form;
//! `/console/sources/{name}` shows one source with its Art. 15 categories and its history, and
//! the enable, disable and delete (with a confirmation step) buttons.
//!
//! Health comes from the same code as `CheckDataSource` ([`Registry::check`]), for every
//! source of the page at once, each within [`CHECK_WITHIN`], so a page never waits longer for
//! its sources than that, however many are slow or unreachable. As `CheckDataSource` needs the
//! `sources` scope, a token without it sees the page unchecked. Every change goes through the
//! same [`Registry`](crate::registry::Registry) functions as the gRPC
//! `DataSourceRegistryService`, with the signed-in actor and the scope the gRPC method needs.

use std::time::Duration;

use axum::{
    Router,
    extract::{Path, Query},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use minijinja::{Value, context};

use super::{ConsoleError, ConsoleState, ConsoleUser, CsrfForm};
use crate::{
    domain::{Capability, DataSource, Error, PageSize, Scope, SourceName},
    registry::{CheckReport, Registration, RegistrationInput, SourceChanges},
    source_client::Health,
};

/// The longest a page waits for its sources' health: they are checked at once, each within
/// this, and one that has not answered by then is shown unreachable, saying so.
pub const CHECK_WITHIN: Duration = Duration::from_secs(3);

/// Sources per page of the list.
const PAGE_SIZE: i32 = 50;

/// These pages' templates (`templates/console/`); the delete confirmation is the request
/// page's `confirm_delete.html`.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("console/sources.html", include_str!("../../templates/console/sources.html")),
    ("console/source.html", include_str!("../../templates/console/source.html")),
];

pub fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/console/sources", get(list).post(register))
        .route("/console/sources/{name}", get(source_page))
        .route("/console/sources/{name}/enable", post(enable))
        .route("/console/sources/{name}/disable", post(disable))
        .route("/console/sources/{name}/delete", get(confirm_delete).post(delete))
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn not_found(user: &ConsoleUser) -> ConsoleError {
    ConsoleError::page(user.error_page(
        StatusCode::NOT_FOUND,
        "No such data source",
        "No data source is registered under this name: it may have been deleted. See the list of data sources.",
    ))
}

fn source_name(user: &ConsoleUser, raw: &str) -> Result<SourceName, ConsoleError> {
    SourceName::parse(raw).map_err(|_| not_found(user))
}

/// A registry error in words, with a status that fits; internals are logged, not shown.
fn refusal(err: &Error) -> (StatusCode, String) {
    match err {
        Error::SourceNotFound(_) => (StatusCode::NOT_FOUND, err.to_string()),
        Error::InvalidField { .. }
        | Error::SourceUnreachable { .. }
        | Error::UnsupportedProtocolVersion { .. }
        | Error::InvalidDescription { .. } => (StatusCode::UNPROCESSABLE_ENTITY, err.to_string()),
        Error::Unavailable(_) => {
            tracing::warn!(error = %err, "a console sources page found the database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "The database did not answer; please try again in a minute.".into())
        }
        Error::Internal(_) => {
            tracing::error!(error = %err, "a console sources action failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on the server; the log says what.".into())
        }
        _ => (StatusCode::CONFLICT, err.to_string()),
    }
}

fn health_context(report: Result<CheckReport, Error>) -> Value {
    match report {
        Ok(report) => context! {
            status => match report.health {
                Health::Serving => "SERVING",
                Health::NotServing => "NOT_SERVING",
                Health::Unreachable => "UNREACHABLE",
            },
            error => report.error,
            latency => report.latency.map(|l| format!("{} ms", l.as_millis())),
        },
        Err(err) => context! { status => "UNKNOWN", error => err.to_string() },
    }
}

fn duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// A source as the pages show it; never its auth token, only whether it has one.
fn source_context(s: &DataSource, health: Option<Value>) -> Value {
    let d = &s.description;
    context! {
        name => s.name.as_str(),
        endpoint => s.endpoint.as_str(),
        tls => s.tls,
        has_ca => s.ca_cert_pem.is_some(),
        has_auth_token => s.auth_token.is_some(),
        enabled => s.enabled,
        health => health,
        software => format!("{} {}", d.name, d.version),
        protocol_version => d.protocol_version,
        capabilities => d.capabilities.iter().map(|c| match c { Capability::Export => "export", Capability::Erase => "erase" }).collect::<Vec<_>>(),
        categories => d.categories.iter().map(|c| context! {
            group_id => c.group_id.clone(),
            label => c.label.clone(),
            description => c.description.clone(),
            purposes => c.purposes.clone(),
            legal_basis => c.legal_basis.describe(),
            recipients => c.recipients.clone(),
            retention_period => c.retention_period.clone(),
            origin => c.origin.clone(),
        }).collect::<Vec<_>>(),
        max_concurrent_calls => s.max_concurrent_calls.get(),
        call_timeout => duration(s.call_timeout),
        connect_timeout => duration(s.timeouts.connect),
        stream_idle_timeout => duration(s.timeouts.stream_idle),
        stream_max_duration => duration(s.timeouts.stream_max),
        create_time => crate::notifications::format_time(s.create_time),
        update_time => crate::notifications::format_time(s.update_time),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    page_token: String,
    /// The source just registered or deleted, for the notice.
    registered: Option<String>,
    deleted: Option<String>,
}

/// The register form's fields, as typed (shown again with an error; never the token).
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default, skip_serializing)]
    auth_token: String,
    #[serde(default)]
    tls: Option<String>,
    #[serde(default)]
    ca_cert_pem: String,
    #[serde(default)]
    call_timeout: String,
    #[serde(default)]
    connect_timeout: String,
    #[serde(default)]
    stream_idle_timeout: String,
    #[serde(default)]
    stream_max_duration: String,
    #[serde(default)]
    max_concurrent_calls: String,
    #[serde(default)]
    enabled: Option<String>,
}

impl RegisterForm {
    /// The form as a new page shows it: enabled ticked.
    fn blank() -> Self {
        RegisterForm { enabled: Some("true".into()), ..Default::default() }
    }

    fn context(&self) -> Value {
        context! {
            name => self.name.clone(),
            endpoint => self.endpoint.clone(),
            tls => self.tls.is_some(),
            ca_cert_pem => self.ca_cert_pem.clone(),
            call_timeout => self.call_timeout.clone(),
            connect_timeout => self.connect_timeout.clone(),
            stream_idle_timeout => self.stream_idle_timeout.clone(),
            stream_max_duration => self.stream_max_duration.clone(),
            max_concurrent_calls => self.max_concurrent_calls.clone(),
            enabled => self.enabled.is_some(),
        }
    }

    /// The form as a registration: the same parsing as `RegisterDataSource`
    /// ([`Registration::parse`]), with durations written as "30s", "2m", "1h 30m".
    fn parse(&self) -> Result<Registration, Error> {
        fn duration(field: &'static str, raw: &str) -> Result<Option<Duration>, Error> {
            match raw.trim() {
                "" => Ok(None),
                raw => humantime::parse_duration(raw)
                    .map(Some)
                    .map_err(|_| Error::invalid(field, "is not a duration like 30s, 2m or 1h 30m")),
            }
        }
        let max_concurrent_calls = match self.max_concurrent_calls.trim() {
            "" => None,
            raw => Some(raw.parse::<u32>().map_err(|_| Error::invalid("max_concurrent_calls", "must be 1 to 1000"))?),
        };
        Registration::parse(RegistrationInput {
            name: self.name.trim().to_owned(),
            endpoint: self.endpoint.clone(),
            tls: self.tls.is_some(),
            ca_cert_pem: self.ca_cert_pem.clone(),
            auth_token: self.auth_token.clone(),
            call_timeout: duration("call_timeout", &self.call_timeout)?,
            connect_timeout: duration("connect_timeout", &self.connect_timeout)?,
            stream_idle_timeout: duration("stream_idle_timeout", &self.stream_idle_timeout)?,
            stream_max_duration: duration("stream_max_duration", &self.stream_max_duration)?,
            max_concurrent_calls,
            enabled: Some(self.enabled.is_some()),
        })
    }
}

async fn list(user: ConsoleUser, Query(query): Query<ListQuery>) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let notice = match (&query.registered, &query.deleted) {
        (Some(name), _) if SourceName::parse(name).is_ok() => Some(format!("Data source {name} is registered.")),
        (_, Some(name)) if SourceName::parse(name).is_ok() => Some(format!("Data source {name} is deleted.")),
        _ => None,
    };
    render_list(&user, StatusCode::OK, &query.page_token, RegisterForm::blank(), notice, None).await
}

async fn render_list(
    user: &ConsoleUser,
    status: StatusCode,
    page_token: &str,
    form: RegisterForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let registry = &user.state().registry;
    let page_size = PageSize::parse(PAGE_SIZE, 50).expect("a valid page size");
    let (sources, next_page) = match registry.list(page_size, page_token).await {
        Ok(page) => page,
        Err(err) => {
            let (status, message) = refusal(&err);
            return Err(ConsoleError::page(user.error_page(status, "The data sources cannot be listed", &message)));
        }
    };
    let checked = user.has(Scope::Sources);
    let mut health: Vec<Option<Value>> = if checked {
        let names: Vec<SourceName> = sources.iter().map(|s| s.name.clone()).collect();
        registry.check_all(&names, CHECK_WITHIN).await.into_iter().map(|r| Some(health_context(r))).collect()
    } else {
        Vec::new()
    };
    health.resize(sources.len(), None);
    let rows: Vec<Value> = sources.iter().zip(health).map(|(s, h)| source_context(s, h)).collect();
    Ok(no_store(user.render_status(
        status,
        "sources.html",
        context! {
            sources => rows,
            next_page => (!next_page.is_empty()).then_some(next_page),
            checked => checked,
            check_seconds => CHECK_WITHIN.as_secs(),
            form => form.context(),
            notice => notice,
            error => error,
        },
    )))
}

/// The register form: `RegisterDataSource`, which calls the source's `Describe` before saving
/// it. Its errors (a bad field, a source that does not answer or describes itself wrongly, a
/// name taken) are shown above the form, which keeps what was typed but the token.
async fn register(user: ConsoleUser, CsrfForm(form): CsrfForm<RegisterForm>) -> Result<Response, ConsoleError> {
    user.require(Scope::Sources)?;
    let result = match form.parse() {
        Ok(registration) => user.state().registry.register(user.actor(), registration).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(source) => Ok(Redirect::to(&format!("/console/sources?registered={}", source.name)).into_response()),
        Err(err) => {
            let (status, message) = refusal(&err);
            let status = if status == StatusCode::NOT_FOUND { StatusCode::UNPROCESSABLE_ENTITY } else { status };
            render_list(&user, status, "", form, None, Some(format!("Not registered: {message}."))).await
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SourceQuery {
    done: Option<String>,
}

async fn source_page(
    user: ConsoleUser,
    Path(raw): Path<String>,
    Query(query): Query<SourceQuery>,
) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let name = source_name(&user, &raw)?;
    let notice = match query.done.as_deref() {
        Some("enable") => Some("The data source is enabled: new requests use it."),
        Some("disable") => Some("The data source is disabled: new requests skip it."),
        _ => None,
    };
    render_source(&user, &name, StatusCode::OK, notice.map(str::to_owned), None).await
}

async fn render_source(
    user: &ConsoleUser,
    name: &SourceName,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let registry = &user.state().registry;
    let source = match registry.get(name).await {
        Ok(source) => source,
        Err(Error::SourceNotFound(_)) => return Err(not_found(user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            return Err(ConsoleError::page(user.error_page(status, "The data source cannot be shown", &message)));
        }
    };
    let health = if user.has(Scope::Sources) {
        Some(health_context(registry.check_within(name, CHECK_WITHIN).await))
    } else {
        None
    };
    let page_size = PageSize::parse(100, 100).expect("a valid page size");
    let events = match user.state().workflow.registry_events(Some(name.clone()), page_size, "").await {
        Ok((events, _)) => events,
        Err(err) => {
            let (status, message) = refusal(&err);
            return Err(ConsoleError::page(user.error_page(status, "The data source cannot be shown", &message)));
        }
    };
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            context! {
                time => crate::notifications::format_time(e.event.time),
                type => e.event.change.event_type().as_str(),
                actor => match &e.event.actor {
                    crate::domain::Actor::Admin(f) => format!("admin {f}"),
                    crate::domain::Actor::Subject => "the subject".to_owned(),
                    crate::domain::Actor::System(p) => format!("privacyd ({p})"),
                },
                detail => e.event.detail.clone(),
            }
        })
        .collect();
    Ok(no_store(user.render_status(
        status,
        "source.html",
        context! { s => source_context(&source, health), events => events, notice => notice, error => error },
    )))
}

/// The enable/disable buttons carry nothing but the CSRF token.
#[derive(Debug, Default, serde::Deserialize)]
pub struct EmptyForm {}

async fn enable(
    Path(raw): Path<String>,
    user: ConsoleUser,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, ConsoleError> {
    set_enabled(user, raw, true).await
}

async fn disable(
    Path(raw): Path<String>,
    user: ConsoleUser,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, ConsoleError> {
    set_enabled(user, raw, false).await
}

/// `UpdateDataSource` with only `enabled` set.
async fn set_enabled(user: ConsoleUser, raw: String, enabled: bool) -> Result<Response, ConsoleError> {
    let name = source_name(&user, &raw)?;
    user.require(Scope::Sources)?;
    let changes = SourceChanges { enabled: Some(enabled), ..Default::default() };
    match user.state().registry.update(user.actor(), &name, changes).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/sources/{name}?done={}", if enabled { "enable" } else { "disable" }))
                .into_response())
        }
        Err(Error::SourceNotFound(_)) => Err(not_found(&user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            render_source(&user, &name, status, None, Some(format!("{message}."))).await
        }
    }
}

async fn confirm_delete(user: ConsoleUser, Path(raw): Path<String>) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let name = source_name(&user, &raw)?;
    if let Err(err) = user.state().registry.get(&name).await {
        return match err {
            Error::SourceNotFound(_) => Err(not_found(&user)),
            err => {
                let (status, message) = refusal(&err);
                Err(ConsoleError::page(user.error_page(status, "The data source cannot be shown", &message)))
            }
        };
    }
    Ok(no_store(user.render(
        "confirm_delete.html",
        context! {
            title => format!("Delete data source {name}?"),
            consequence => "privacyd forgets this source: requests processed from now on do not ask it, and the \
                personal data it holds stays where it is. Requests already processed keep their results.",
            action => format!("/console/sources/{name}/delete"),
            back => format!("/console/sources/{name}"),
            button => "Yes, delete it",
        },
    )))
}

async fn delete(
    Path(raw): Path<String>,
    user: ConsoleUser,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, ConsoleError> {
    let name = source_name(&user, &raw)?;
    user.require(Scope::Sources)?;
    match user.state().registry.delete(user.actor(), &name).await {
        Ok(()) => Ok(Redirect::to(&format!("/console/sources?deleted={name}")).into_response()),
        Err(Error::SourceNotFound(_)) => Err(not_found(&user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            render_source(&user, &name, status, None, Some(format!("{message}."))).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_form_parses_as_the_api_does() {
        let form = RegisterForm {
            name: "crm".into(),
            endpoint: "http://127.0.0.1:7000".into(),
            call_timeout: "2s".into(),
            max_concurrent_calls: "4".into(),
            enabled: None,
            ..RegisterForm::blank()
        };
        let registration = form.parse().unwrap();
        assert_eq!(registration.connection.call_timeout, Duration::from_secs(2));
        assert_eq!(registration.max_concurrent_calls.get(), 4);
        assert!(!registration.enabled);
        let bad = RegisterForm { call_timeout: "soon".into(), ..form };
        match bad.parse() {
            Err(Error::InvalidField { field, .. }) => assert_eq!(field, "call_timeout"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn the_token_is_never_shown_back() {
        let form = RegisterForm { auth_token: "s3cret-token".into(), ..RegisterForm::blank() };
        let shown = serde_json::to_string(&form).unwrap();
        assert!(!shown.contains("s3cret-token"));
        assert!(!format!("{}", form.context()).contains("s3cret-token"));
    }
}
