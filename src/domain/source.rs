//! Data sources: the services that hold personal data and implement the plugin protocol.

use std::{fmt, time::Duration};

use super::{Error, Timestamp};

/// A data source's name: 1 to 63 characters of a-z, 0-9 and "-", starting with a letter. It
/// names folders in export archives, so it must be safe as a path segment everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceName(String);

impl SourceName {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let ok = (1..=63).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(Error::invalid("name", "must be 1 to 63 characters of a-z, 0-9 and -, starting with a letter"));
        }
        Ok(SourceName(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a source listens: an `http://` or `https://` URL with a host (and usually a port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEndpoint(String);

impl SourceEndpoint {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let raw = raw.trim();
        let uri: http::Uri =
            raw.parse().map_err(|_| Error::invalid("endpoint", "is not a URL like http://host:port"))?;
        match (uri.scheme_str(), uri.host()) {
            (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(SourceEndpoint(raw.to_owned())),
            _ => Err(Error::invalid("endpoint", "must be an http:// or https:// URL with a host")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a source supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Capability {
    Export,
    Erase,
}

/// GDPR Art. 6(1) lawful bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LegalBasis {
    Unspecified,
    Consent,
    Contract,
    LegalObligation,
    VitalInterests,
    PublicTask,
    LegitimateInterests,
}

impl LegalBasis {
    /// How an export report names it.
    pub fn describe(self) -> &'static str {
        match self {
            LegalBasis::Unspecified => "not stated",
            LegalBasis::Consent => "Consent (GDPR Art. 6(1)(a))",
            LegalBasis::Contract => "Performance of a contract (Art. 6(1)(b))",
            LegalBasis::LegalObligation => "Legal obligation (Art. 6(1)(c))",
            LegalBasis::VitalInterests => "Vital interests (Art. 6(1)(d))",
            LegalBasis::PublicTask => "Public task (Art. 6(1)(e))",
            LegalBasis::LegitimateInterests => "Legitimate interests (Art. 6(1)(f))",
        }
    }
}

/// One category of personal data and its Art. 15(1) information.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataCategory {
    pub group_id: String,
    pub label: String,
    pub description: String,
    pub purposes: Vec<String>,
    pub legal_basis: LegalBasis,
    pub recipients: Vec<String>,
    pub retention_period: String,
    pub origin: String,
}

/// What a source said about itself in `Describe`, validated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceDescription {
    pub name: String,
    pub version: String,
    pub protocol_version: u32,
    pub capabilities: Vec<Capability>,
    pub categories: Vec<DataCategory>,
}

impl SourceDescription {
    /// The protocol version this privacyd speaks.
    pub const PROTOCOL_VERSION: u32 = 1;

    pub fn supports(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}

/// A registered data source.
#[derive(Clone, PartialEq, Eq)]
pub struct DataSource {
    pub name: SourceName,
    pub endpoint: SourceEndpoint,
    pub tls: bool,
    pub ca_cert_pem: Option<String>,
    /// Sent to the source as a bearer token. privacyd must present it, so unlike the tokens
    /// privacyd checks it cannot be stored as a hash; it is never returned or logged.
    pub auth_token: Option<String>,
    pub call_timeout: Duration,
    /// See [`SourceTimeouts`].
    pub timeouts: SourceTimeouts,
    /// See [`MaxConcurrentCalls`].
    pub max_concurrent_calls: MaxConcurrentCalls,
    pub enabled: bool,
    pub description: SourceDescription,
    pub create_time: Timestamp,
    pub update_time: Timestamp,
}

impl fmt::Debug for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataSource")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("tls", &self.tls)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "<redacted>"))
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// How a source is reached: what `Describe` is called with before a source is saved.
#[derive(Clone)]
pub struct SourceConnection {
    pub endpoint: SourceEndpoint,
    pub tls: bool,
    pub ca_cert_pem: Option<String>,
    pub auth_token: Option<String>,
    pub call_timeout: Duration,
    pub timeouts: SourceTimeouts,
}

impl DataSource {
    pub fn connection(&self) -> SourceConnection {
        SourceConnection {
            endpoint: self.endpoint.clone(),
            tls: self.tls,
            ca_cert_pem: self.ca_cert_pem.clone(),
            auth_token: self.auth_token.clone(),
            call_timeout: self.call_timeout,
            timeouts: self.timeouts,
        }
    }
}

/// How long privacyd waits on a source, besides `call_timeout` (the deadline of a unary call:
/// `Describe`, `Erase`, the health check). Each is set per source; unset at registration means
/// the default named on each field. The rules, and why, are in docs/plugin-guide.md
/// ("Deadlines").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceTimeouts {
    /// From starting to connect until the source's first bytes arrive (TCP, TLS, and the
    /// HTTP/2 preface every gRPC server sends at once): an address that accepts connections
    /// and never answers fails in this time, not in `call_timeout`. Default 5 s, at most 1 min.
    pub connect: Duration,
    /// The longest an `Export` stream may go without a message (the first included): a stream
    /// that stalls fails in this time, while one that keeps sending runs on. Default: the
    /// source's `call_timeout` (30 s unless set), at most 1 h.
    pub stream_idle: Duration,
    /// The longest an `Export` stream may run in all, however steadily it sends: the bound on
    /// a source that never ends. Default 1 h, at most 24 h.
    pub stream_max: Duration,
}

impl SourceTimeouts {
    pub const DEFAULT_CONNECT: Duration = Duration::from_secs(5);
    pub const DEFAULT_STREAM_MAX: Duration = Duration::from_secs(3600);

    /// Validates each given timeout (field names as in the API), with defaults for the others;
    /// `call_timeout` is the source's, the idle timeout's default.
    pub fn parse(
        connect: Option<Duration>,
        stream_idle: Option<Duration>,
        stream_max: Option<Duration>,
        call_timeout: Duration,
    ) -> Result<Self, Error> {
        Ok(SourceTimeouts {
            connect: bounded("connect_timeout", connect, Self::DEFAULT_CONNECT, Duration::from_secs(60))?,
            stream_idle: bounded("stream_idle_timeout", stream_idle, call_timeout, HOUR)?,
            stream_max: bounded("stream_max_duration", stream_max, Self::DEFAULT_STREAM_MAX, 24 * HOUR)?,
        })
    }

    /// These timeouts with the given ones changed (validated as in [`SourceTimeouts::parse`]).
    pub fn changed(
        self,
        connect: Option<Duration>,
        stream_idle: Option<Duration>,
        stream_max: Option<Duration>,
    ) -> Result<Self, Error> {
        SourceTimeouts::parse(
            Some(connect.unwrap_or(self.connect)),
            Some(stream_idle.unwrap_or(self.stream_idle)),
            Some(stream_max.unwrap_or(self.stream_max)),
            self.stream_idle,
        )
    }

    /// Every timeout at its default, for a source whose `call_timeout` is `call_timeout`.
    pub fn defaults(call_timeout: Duration) -> Self {
        SourceTimeouts {
            connect: Self::DEFAULT_CONNECT,
            stream_idle: call_timeout,
            stream_max: Self::DEFAULT_STREAM_MAX,
        }
    }
}

const HOUR: Duration = Duration::from_secs(3600);

/// The most calls privacyd has in flight to one source at once, across its replicas (`Export`
/// streams and `Erase`; not `Describe` or the health check, see the registry proto): 1 to
/// [`MaxConcurrentCalls::MAX`], default [`MaxConcurrentCalls::DEFAULT`]. It is what keeps a
/// burst of requests from sending a small team's service privacyd's whole worker pool at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MaxConcurrentCalls(u32);

impl MaxConcurrentCalls {
    pub const DEFAULT: MaxConcurrentCalls = MaxConcurrentCalls(16);
    /// Above any service's useful parallelism, and low enough that one source cannot take all
    /// of a replica's jobs in flight (`--job-max-in-flight`, default 1024).
    pub const MAX: u32 = 1000;

    /// A limit from a caller: `None` means the default; 0 and more than [`Self::MAX`] are
    /// refused (field `max_concurrent_calls`).
    pub fn parse(raw: Option<u32>) -> Result<Self, Error> {
        match raw {
            None => Ok(Self::DEFAULT),
            Some(0) => Err(Error::invalid("max_concurrent_calls", "must be at least 1")),
            Some(n) if n > Self::MAX => {
                Err(Error::invalid("max_concurrent_calls", format!("must be at most {}", Self::MAX)))
            }
            Some(n) => Ok(MaxConcurrentCalls(n)),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for MaxConcurrentCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `raw`, or `default` when unset; positive and at most `max`.
fn bounded(field: &'static str, raw: Option<Duration>, default: Duration, max: Duration) -> Result<Duration, Error> {
    match raw {
        None => Ok(default),
        Some(d) if d.is_zero() => Err(Error::invalid(field, "must be positive")),
        Some(d) if d > max => {
            Err(Error::invalid(field, format!("must be at most {}", humantime::format_duration(max))))
        }
        Some(d) => Ok(d),
    }
}

/// A call timeout from a caller: unset means 30 seconds; at most an hour.
pub fn parse_call_timeout(raw: Option<Duration>) -> Result<Duration, Error> {
    match raw {
        None => Ok(Duration::from_secs(30)),
        Some(d) if d.is_zero() => Err(Error::invalid("call_timeout", "must be positive")),
        Some(d) if d > Duration::from_secs(3600) => Err(Error::invalid("call_timeout", "must be at most one hour")),
        Some(d) => Ok(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_path_segments() {
        for good in ["billing", "crm-eu-1", "a"] {
            assert!(SourceName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "Billing", "1crm", "a/b", "..", "a b", &"a".repeat(64), "crm_eu"] {
            assert!(SourceName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn endpoints_are_http_urls() {
        assert!(SourceEndpoint::parse("http://127.0.0.1:7001").is_ok());
        assert!(SourceEndpoint::parse("https://billing.internal").is_ok());
        for bad in ["", "billing:7001", "ftp://x", "http://", "not a url"] {
            assert!(SourceEndpoint::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn call_timeouts() {
        assert_eq!(parse_call_timeout(None).unwrap(), Duration::from_secs(30));
        assert!(parse_call_timeout(Some(Duration::ZERO)).is_err());
        assert!(parse_call_timeout(Some(Duration::from_secs(7200))).is_err());
    }

    #[test]
    fn source_timeouts_default_and_bounds() {
        let call = Duration::from_secs(30);
        assert_eq!(SourceTimeouts::parse(None, None, None, call).unwrap(), SourceTimeouts::defaults(call));
        assert_eq!(SourceTimeouts::defaults(call).stream_idle, call);
        let set =
            SourceTimeouts::parse(Some(Duration::from_secs(1)), Some(Duration::from_secs(2)), None, call).unwrap();
        assert_eq!(
            (set.connect, set.stream_idle, set.stream_max),
            (Duration::from_secs(1), Duration::from_secs(2), HOUR)
        );
        assert!(SourceTimeouts::parse(Some(Duration::ZERO), None, None, call).is_err());
        assert!(SourceTimeouts::parse(Some(Duration::from_secs(61)), None, None, call).is_err());
        assert!(SourceTimeouts::parse(None, None, Some(25 * HOUR), call).is_err());
        let changed = set.changed(None, None, Some(Duration::from_secs(9))).unwrap();
        assert_eq!((changed.connect, changed.stream_max), (Duration::from_secs(1), Duration::from_secs(9)));
    }

    #[test]
    fn max_concurrent_calls_default_and_bounds() {
        assert_eq!(MaxConcurrentCalls::parse(None).unwrap().get(), 16);
        assert_eq!(MaxConcurrentCalls::parse(Some(1)).unwrap().get(), 1);
        assert_eq!(MaxConcurrentCalls::parse(Some(1000)).unwrap().get(), 1000);
        for bad in [0, 1001, u32::MAX] {
            let err = MaxConcurrentCalls::parse(Some(bad)).unwrap_err();
            assert!(matches!(err, Error::InvalidField { field: "max_concurrent_calls", .. }), "{bad}: {err:?}");
        }
    }
}
