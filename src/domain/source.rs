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
}

impl DataSource {
    pub fn connection(&self) -> SourceConnection {
        SourceConnection {
            endpoint: self.endpoint.clone(),
            tls: self.tls,
            ca_cert_pem: self.ca_cert_pem.clone(),
            auth_token: self.auth_token.clone(),
            call_timeout: self.call_timeout,
        }
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
}
