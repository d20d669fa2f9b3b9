//! The data source registry: operators register the services that hold personal data.
//! A source is only saved after it answered `Describe` with a protocol version privacyd
//! speaks, so every registered source is one privacyd has talked to.

use std::time::Duration;

use crate::{
    domain::{
        Actor, DataSource, Error, MaxConcurrentCalls, NewRegistryEvent, PageSize, RegistryChange, SourceConnection,
        SourceDescription, SourceEndpoint, SourceName, SourceTimeouts, parse_call_timeout,
    },
    page_token,
    source_client::{Health, SourceClient},
    store::Store,
};

/// A registration, validated.
#[derive(Clone)]
pub struct Registration {
    pub name: SourceName,
    pub connection: SourceConnection,
    pub max_concurrent_calls: MaxConcurrentCalls,
    pub enabled: bool,
}

/// A registration as a caller gives it, before parsing: the fields of `RegisterDataSource`
/// (the gRPC API and the console's register form both fill one in).
#[derive(Default)]
pub struct RegistrationInput {
    pub name: String,
    pub endpoint: String,
    pub tls: bool,
    /// Empty (or blank): the system roots.
    pub ca_cert_pem: String,
    /// Empty (or blank): no token.
    pub auth_token: String,
    /// `None`: the default of each (see [`SourceTimeouts`] and [`parse_call_timeout`]).
    pub call_timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub stream_idle_timeout: Option<Duration>,
    pub stream_max_duration: Option<Duration>,
    pub max_concurrent_calls: Option<u32>,
    /// `None`: enabled.
    pub enabled: Option<bool>,
}

impl Registration {
    /// Validates every field, naming the first wrong one as the API names it.
    pub fn parse(input: RegistrationInput) -> Result<Registration, Error> {
        let call_timeout = parse_call_timeout(input.call_timeout)?;
        Ok(Registration {
            name: SourceName::parse(&input.name)?,
            connection: SourceConnection {
                endpoint: SourceEndpoint::parse(&input.endpoint)?,
                tls: input.tls,
                ca_cert_pem: optional_text(input.ca_cert_pem),
                auth_token: optional_text(input.auth_token),
                call_timeout,
                timeouts: SourceTimeouts::parse(
                    input.connect_timeout,
                    input.stream_idle_timeout,
                    input.stream_max_duration,
                    call_timeout,
                )?,
            },
            max_concurrent_calls: MaxConcurrentCalls::parse(input.max_concurrent_calls)?,
            enabled: input.enabled.unwrap_or(true),
        })
    }
}

/// A text field where blank means unset.
pub fn optional_text(raw: String) -> Option<String> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Changes to a source; `None` leaves a field as it is.
#[derive(Clone, Default)]
pub struct SourceChanges {
    pub endpoint: Option<SourceEndpoint>,
    /// `Some(None)` removes the token.
    pub auth_token: Option<Option<String>>,
    pub tls: Option<bool>,
    /// `Some(None)` goes back to the system roots.
    pub ca_cert_pem: Option<Option<String>>,
    pub call_timeout: Option<Duration>,
    pub enabled: Option<bool>,
    /// Validated (see `SourceTimeouts::changed`).
    pub timeouts: Option<crate::domain::SourceTimeouts>,
    pub max_concurrent_calls: Option<MaxConcurrentCalls>,
}

/// What `CheckDataSource` found.
pub struct CheckReport {
    pub health: Health,
    pub description: Option<SourceDescription>,
    pub error: Option<String>,
    /// How long `Describe` took; `None` when it did not answer.
    pub latency: Option<Duration>,
}

#[derive(Clone)]
pub struct Registry {
    store: Store,
}

impl Registry {
    pub fn new(store: Store) -> Self {
        Registry { store }
    }

    /// Registers a source on behalf of `actor`, with an audit event listing its settings.
    pub async fn register(&self, actor: Actor, registration: Registration) -> Result<DataSource, Error> {
        if self.store.get_source(&registration.name).await?.is_some() {
            return Err(Error::SourceExists(registration.name.to_string()));
        }
        let client = SourceClient::new(&registration.connection)?.named(&registration.name);
        let (description, _) = client.describe(registration.name.as_str()).await?;
        let now = crate::domain::now();
        let connection = registration.connection;
        let source = DataSource {
            name: registration.name,
            endpoint: connection.endpoint,
            tls: connection.tls,
            ca_cert_pem: connection.ca_cert_pem,
            auth_token: connection.auth_token,
            call_timeout: connection.call_timeout,
            timeouts: connection.timeouts,
            max_concurrent_calls: registration.max_concurrent_calls,
            enabled: registration.enabled,
            description,
            create_time: now,
            update_time: now,
        };
        let event = registry_event(&source.name, actor, RegistryChange::Registered, settings(&source), now);
        self.store.insert_source(&source, &event).await?;
        tracing::info!(source = %source.name, "data source registered");
        Ok(source)
    }

    pub async fn get(&self, name: &SourceName) -> Result<DataSource, Error> {
        self.store.get_source(name).await?.ok_or_else(|| Error::SourceNotFound(name.to_string()))
    }

    pub async fn list(&self, page_size: PageSize, token: &str) -> Result<(Vec<DataSource>, String), Error> {
        let digest = page_token::filter_digest(&[]);
        let after = page_token::decode::<String>(token, &digest)?;
        let mut sources = self.store.list_sources(after.as_deref(), page_size.get() + 1).await?;
        let next = if sources.len() > page_size.get() as usize {
            sources.truncate(page_size.get() as usize);
            page_token::encode(&sources.last().expect("page is not empty").name.as_str(), &digest)
        } else {
            String::new()
        };
        Ok((sources, next))
    }

    /// Applies `changes` on behalf of `actor`, with an audit event listing what changed. When
    /// how the source is reached changes, it must answer `Describe` again before the change is
    /// saved.
    pub async fn update(&self, actor: Actor, name: &SourceName, changes: SourceChanges) -> Result<DataSource, Error> {
        let mut source = self.get(name).await?;
        let before = source.clone();
        let reconnect = changes.endpoint.is_some()
            || changes.auth_token.is_some()
            || changes.tls.is_some()
            || changes.ca_cert_pem.is_some();
        require_token_on_move(&source, &changes)?;
        if let Some(endpoint) = changes.endpoint {
            source.endpoint = endpoint;
        }
        if let Some(token) = changes.auth_token {
            source.auth_token = token;
        }
        if let Some(tls) = changes.tls {
            source.tls = tls;
        }
        if let Some(ca) = changes.ca_cert_pem {
            source.ca_cert_pem = ca;
        }
        if let Some(timeout) = changes.call_timeout {
            source.call_timeout = timeout;
        }
        if let Some(enabled) = changes.enabled {
            source.enabled = enabled;
        }
        if let Some(timeouts) = changes.timeouts {
            source.timeouts = timeouts;
        }
        if let Some(limit) = changes.max_concurrent_calls {
            source.max_concurrent_calls = limit;
        }
        if reconnect {
            let client = SourceClient::for_source(&source)?.observed(self.store.metrics(), name.as_str());
            source.description = client.describe(name.as_str()).await?.0;
        }
        source.update_time = crate::domain::now();
        let event =
            registry_event(name, actor, RegistryChange::Updated, changed_fields(&before, &source), source.update_time);
        self.store.update_source(&source, &event).await?;
        tracing::info!(source = %source.name, enabled = source.enabled, "data source updated");
        Ok(source)
    }

    /// Removes a source on behalf of `actor`, with an audit event naming the endpoint it had.
    pub async fn delete(&self, actor: Actor, name: &SourceName) -> Result<(), Error> {
        let source = self.get(name).await?;
        let detail = format!("endpoint={}", shown(&source.endpoint));
        let event = registry_event(name, actor, RegistryChange::Deleted, detail, crate::domain::now());
        self.store.delete_source(name, &event).await?;
        tracing::info!(source = %name, "data source deleted");
        Ok(())
    }

    /// Asks the source now: health, and a fresh `Describe` (not saved).
    pub async fn check(&self, name: &SourceName) -> Result<CheckReport, Error> {
        let source = self.get(name).await?;
        let client = SourceClient::for_source(&source)?.observed(self.store.metrics(), name.as_str());
        let (health, health_error) = client.health().await;
        let (description, latency, describe_error) = match client.describe(name.as_str()).await {
            Ok((description, latency)) => (Some(description), Some(latency), None),
            // No answer, so nothing to time: a latency of 0 would read as a fast source.
            Err(err) => (None, None, Some(err.to_string())),
        };
        let error = match (health_error, describe_error) {
            (None, None) => None,
            (a, b) => Some(a.into_iter().chain(b).collect::<Vec<_>>().join("; ")),
        };
        Ok(CheckReport { health, description, error, latency })
    }
}

impl Registry {
    /// [`Registry::check`] with a deadline of its own, for a page that must answer in time
    /// whatever its sources do: a source that has not answered health and `Describe` within
    /// `within` is reported `Unreachable`, saying so. A source that does not exist is still
    /// `SourceNotFound`.
    pub async fn check_within(&self, name: &SourceName, within: Duration) -> Result<CheckReport, Error> {
        match tokio::time::timeout(within, self.check(name)).await {
            Ok(report) => report,
            Err(_) => Ok(CheckReport {
                health: Health::Unreachable,
                description: None,
                error: Some(format!("no answer within {}", humantime::format_duration(within))),
                latency: None,
            }),
        }
    }

    /// [`Registry::check_within`] for each of `names` at once, in their order: the whole takes
    /// at most `within` however many sources there are (each call has its own deadline too).
    pub async fn check_all(&self, names: &[SourceName], within: Duration) -> Vec<Result<CheckReport, Error>> {
        futures::future::join_all(names.iter().map(|name| self.check_within(name, within))).await
    }
}

/// Refuses a change of endpoint, TLS or CA certificate on a source that has a stored token
/// unless the same call gives the token again (or removes it). The stored token was given for
/// the old address: sending it to the new one (in the `Describe` made before saving, or in any
/// later call) would hand the credential to whoever listens there, which is why curl and the
/// Fetch standard drop `Authorization` on a change of origin. Setting a field to the value it
/// already has is not a change.
fn require_token_on_move(source: &DataSource, changes: &SourceChanges) -> Result<(), Error> {
    if source.auth_token.is_none() || changes.auth_token.is_some() {
        return Ok(());
    }
    let changed: Vec<&str> = [
        ("endpoint", changes.endpoint.as_ref().is_some_and(|e| *e != source.endpoint)),
        ("tls", changes.tls.is_some_and(|t| t != source.tls)),
        ("ca_cert_pem", changes.ca_cert_pem.as_ref().is_some_and(|c| *c != source.ca_cert_pem)),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect();
    if changed.is_empty() {
        return Ok(());
    }
    Err(Error::AuthTokenRequired { changed: changed.join(",") })
}

fn registry_event(
    source: &SourceName,
    actor: Actor,
    change: RegistryChange,
    detail: String,
    time: crate::domain::Timestamp,
) -> NewRegistryEvent {
    NewRegistryEvent { source: source.clone(), time, actor, change, detail }
}

/// How a source is set up, for its registration event: every setting, but only whether a CA
/// and an auth token are set (the token is a credential; the CA is long and public).
fn settings(s: &DataSource) -> String {
    format!(
        "endpoint={}; tls={}; ca_cert_pem={}; auth_token={}; call_timeout={}; enabled={}; connect_timeout={}; \
         stream_idle_timeout={}; stream_max_duration={}; max_concurrent_calls={}",
        shown(&s.endpoint),
        s.tls,
        if s.ca_cert_pem.is_some() { "set" } else { "none" },
        if s.auth_token.is_some() { "set" } else { "none" },
        humantime::format_duration(s.call_timeout),
        s.enabled,
        humantime::format_duration(s.timeouts.connect),
        humantime::format_duration(s.timeouts.stream_idle),
        humantime::format_duration(s.timeouts.stream_max),
        s.max_concurrent_calls,
    )
}

/// The fields an update changed, `field: old -> new`, joined by "; ". The auth token and the
/// CA are only named (set, replaced, removed), never shown.
fn changed_fields(before: &DataSource, after: &DataSource) -> String {
    fn secret(before: &Option<String>, after: &Option<String>) -> Option<&'static str> {
        match (before, after) {
            (None, None) => None,
            (None, Some(_)) => Some("set"),
            (Some(_), None) => Some("removed"),
            (Some(a), Some(b)) => (a != b).then_some("replaced"),
        }
    }
    let mut changes = Vec::new();
    if before.endpoint.as_str() != after.endpoint.as_str() {
        changes.push(format!("endpoint: {} -> {}", shown(&before.endpoint), shown(&after.endpoint)));
    }
    if before.tls != after.tls {
        changes.push(format!("tls: {} -> {}", before.tls, after.tls));
    }
    if let Some(what) = secret(&before.ca_cert_pem, &after.ca_cert_pem) {
        changes.push(format!("ca_cert_pem: {what}"));
    }
    if let Some(what) = secret(&before.auth_token, &after.auth_token) {
        changes.push(format!("auth_token: {what}"));
    }
    if before.call_timeout != after.call_timeout {
        changes.push(format!(
            "call_timeout: {} -> {}",
            humantime::format_duration(before.call_timeout),
            humantime::format_duration(after.call_timeout)
        ));
    }
    if before.enabled != after.enabled {
        changes.push(format!("enabled: {} -> {}", before.enabled, after.enabled));
    }
    for (field, was, is) in [
        ("connect_timeout", before.timeouts.connect, after.timeouts.connect),
        ("stream_idle_timeout", before.timeouts.stream_idle, after.timeouts.stream_idle),
        ("stream_max_duration", before.timeouts.stream_max, after.timeouts.stream_max),
    ] {
        if was != is {
            changes.push(format!("{field}: {} -> {}", humantime::format_duration(was), humantime::format_duration(is)));
        }
    }
    if before.max_concurrent_calls != after.max_concurrent_calls {
        changes
            .push(format!("max_concurrent_calls: {} -> {}", before.max_concurrent_calls, after.max_concurrent_calls));
    }
    if changes.is_empty() { "no field changed".to_owned() } else { changes.join("; ") }
}

/// An endpoint as the audit log shows it: a URL's user information (`http://user:pass@host`)
/// is a credential, and the log is append-only, so it is replaced by `***`.
fn shown(endpoint: &SourceEndpoint) -> String {
    let raw = endpoint.as_str();
    let Some((scheme, rest)) = raw.split_once("://") else { return raw.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_log_never_shows_credentials_in_an_endpoint() {
        for (raw, expected) in [
            ("http://10.0.0.7:7000", "http://10.0.0.7:7000"),
            ("https://user:s3cret@source.internal:443", "https://***@source.internal:443"),
            ("http://s3cret@host:1/path?q=a@b", "http://***@host:1/path?q=a@b"),
        ] {
            let endpoint = SourceEndpoint::parse(raw).unwrap();
            assert_eq!(shown(&endpoint), expected);
        }
    }
}
