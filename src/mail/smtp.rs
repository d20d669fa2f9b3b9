//! How privacyd reaches its SMTP server: the `--smtp-url` parsed into a plan that decides TLS
//! and whether credentials may travel, then built into a lettre transport.
//!
//! The rules (the password must never cross a network in clear):
//! - `smtps://host[:465]`: TLS from the first byte (RFC 8314 implicit TLS).
//! - `smtp://host[:25]`: STARTTLS whenever the server offers it (RFC 3207), plain otherwise.
//! - `smtp://host[:587]?tls=required`: STARTTLS or nothing is sent.
//! - `smtp://USER:PASSWORD@host` to anything but loopback: STARTTLS is required, so privacyd
//!   never authenticates over plaintext; `&insecure_auth=true` allows it, explicitly, for a
//!   server that offers no TLS (and then STARTTLS is still used when offered). To loopback
//!   (127.0.0.0/8, ::1, `localhost`) the password never leaves the machine, so plaintext
//!   authentication is allowed there.
//!
//! Other query parameters are refused rather than ignored: a misspelt `tls=requried` must not
//! quietly mean "plaintext".

use std::{net::IpAddr, time::Duration};

use lettre::{
    AsyncSmtpTransport, Tokio1Executor,
    transport::smtp::{
        authentication::Credentials,
        client::{Certificate, Tls, TlsParameters},
        extension::ClientId,
    },
};
use url::{Host, Url};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the start (smtps://).
    Implicit,
    /// STARTTLS, or the send fails.
    Required,
    /// STARTTLS when the server offers it.
    Opportunistic,
}

/// A parsed `--smtp-url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpPlan {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<(String, String)>,
    /// The EHLO name (the URL's path), if any.
    pub hello_name: Option<String>,
}

impl std::fmt::Debug for SmtpPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpPlan")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish_non_exhaustive()
    }
}

/// What is wrong with an `--smtp-url`. The messages never include the URL (it may hold a
/// password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    #[error("--smtp-url is not a URL like smtp://host:port")]
    NotAUrl,
    #[error("--smtp-url must start with smtp:// or smtps://")]
    Scheme,
    #[error("--smtp-url has no host")]
    NoHost,
    #[error("--smtp-url: tls must be \"required\" or \"opportunistic\" (smtps:// is always TLS)")]
    Tls,
    #[error("--smtp-url: insecure_auth must be true or false")]
    InsecureAuth,
    #[error("--smtp-url: unknown parameter {0:?} (known: tls, insecure_auth)")]
    UnknownParameter(String),
    #[error("--smtp-url: the user name or password is not valid UTF-8 after percent-decoding")]
    Credentials,
}

/// Parses `--smtp-url` and decides how to connect (see the module's rules).
pub fn plan(raw: &str) -> Result<SmtpPlan, SmtpUrlError> {
    let url = Url::parse(raw).map_err(|_| SmtpUrlError::NotAUrl)?;
    if !matches!(url.scheme(), "smtp" | "smtps") {
        return Err(SmtpUrlError::Scheme);
    }
    let host = url.host().ok_or(SmtpUrlError::NoHost)?;
    let loopback = is_loopback(&host);
    let mut tls_param = None;
    let mut insecure_auth = false;
    for (key, value) in url.query_pairs() {
        match &*key {
            "tls" => tls_param = Some(value.into_owned()),
            "insecure_auth" => {
                insecure_auth = match &*value {
                    "true" => true,
                    "false" => false,
                    _ => return Err(SmtpUrlError::InsecureAuth),
                }
            }
            other => return Err(SmtpUrlError::UnknownParameter(other.to_owned())),
        }
    }
    // The ports are lettre's defaults for each kind (RFC 8314: 465 implicit TLS, 587
    // submission), so URLs that worked before keep reaching the same port.
    let (mut tls, default_port) = match (url.scheme(), tls_param.as_deref()) {
        ("smtps", None | Some("required")) => (TlsMode::Implicit, 465),
        ("smtp", None) => (TlsMode::Opportunistic, 25),
        ("smtp", Some("opportunistic")) => (TlsMode::Opportunistic, 587),
        ("smtp", Some("required")) => (TlsMode::Required, 587),
        ("smtp" | "smtps", _) => return Err(SmtpUrlError::Tls),
        _ => return Err(SmtpUrlError::Scheme),
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| SmtpUrlError::Credentials)
    };
    let credentials = match url.password() {
        Some(password) => Some((decode(url.username())?, decode(password)?)),
        None if !url.username().is_empty() => Some((decode(url.username())?, String::new())),
        None => None,
    };
    if credentials.is_some() && tls == TlsMode::Opportunistic && !loopback && !insecure_auth {
        // Opportunistic STARTTLS falls back to plaintext when the server (or someone in the
        // path stripping its STARTTLS offer) does not offer it, and lettre would then send the
        // password in clear. Requiring it makes such a server a send error instead.
        tls = TlsMode::Required;
    }
    let path = url.path().trim_matches('/');
    Ok(SmtpPlan {
        host: match host {
            Host::Ipv6(ip) => ip.to_string(),
            other => other.to_string(),
        },
        port: url.port().unwrap_or(default_port),
        tls,
        credentials,
        hello_name: (!path.is_empty()).then(|| path.to_owned()),
    })
}

/// Loopback: the password cannot leave the machine.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        // smtp: is not a "special" scheme to the URL standard, so an IPv4 address arrives as
        // an opaque host name.
        Host::Domain(name) => {
            name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// The lettre transport for `plan`, trusting `ca_pem`'s certificates besides the system roots.
pub fn transport(plan: &SmtpPlan, ca_pem: Option<&[u8]>) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let mut params = TlsParameters::builder(plan.host.clone());
    if let Some(pem) = ca_pem {
        let certificate = Certificate::from_pem(pem)
            .map_err(|e| anyhow::anyhow!("--smtp-ca-file holds no usable PEM certificate: {e}"))?;
        params = params.add_root_certificate(certificate);
    }
    let params = params.build().map_err(|e| anyhow::anyhow!("setting up TLS for SMTP: {e}"))?;
    let tls = match plan.tls {
        TlsMode::Implicit => Tls::Wrapper(params),
        TlsMode::Required => Tls::Required(params),
        TlsMode::Opportunistic => Tls::Opportunistic(params),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(plan.host.clone())
        .port(plan.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(30)));
    if let Some((user, password)) = &plan.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    if let Some(name) = &plan.hello_name {
        builder = builder.hello_name(ClientId::Domain(name.clone()));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_go_in_clear_to_another_machine() {
        // Credentials, smtp://, a remote host: STARTTLS is required, so a server that does not
        // offer it gets no AUTH at all.
        let remote = plan("smtp://mailer:s3cret@mail.example.com").unwrap();
        assert_eq!((remote.tls, remote.port), (TlsMode::Required, 25));
        assert_eq!(remote.credentials, Some(("mailer".into(), "s3cret".into())));
        assert_eq!(plan("smtp://mailer:s3cret@192.0.2.7:2525").unwrap().tls, TlsMode::Required);
        assert_eq!(plan("smtp://mailer:s3cret@[2001:db8::1]").unwrap().tls, TlsMode::Required);
        assert_eq!(plan("smtp://mailer:s3cret@mail.example.com?tls=opportunistic").unwrap().tls, TlsMode::Required);
        // ... unless the URL says so, explicitly.
        let insecure = plan("smtp://mailer:s3cret@mail.example.com?insecure_auth=true").unwrap();
        assert_eq!(insecure.tls, TlsMode::Opportunistic);
        // To loopback the password stays on the machine: STARTTLS when offered, else plain.
        for local in
            ["smtp://u:p@127.0.0.1:2525", "smtp://u:p@localhost", "smtp://u:p@[::1]:25", "smtp://u:p@127.9.9.9"]
        {
            assert_eq!(plan(local).unwrap().tls, TlsMode::Opportunistic, "{local}");
        }
        // Without credentials there is nothing to leak: STARTTLS when offered.
        assert_eq!(plan("smtp://mail.example.com").unwrap().tls, TlsMode::Opportunistic);
        assert_eq!(
            plan("smtp://mail.example.com?tls=required").unwrap(),
            SmtpPlan {
                host: "mail.example.com".into(),
                port: 587,
                tls: TlsMode::Required,
                credentials: None,
                hello_name: None,
            }
        );
        assert_eq!(plan("smtps://u:p@mail.example.com").unwrap().tls, TlsMode::Implicit);
        assert_eq!(plan("smtps://mail.example.com").unwrap().port, 465);
        // Percent-encoded credentials are decoded.
        assert_eq!(plan("smtp://a%40b:p%3Aw@localhost").unwrap().credentials, Some(("a@b".into(), "p:w".into())));
    }

    #[test]
    fn mistakes_are_refused_without_showing_the_password() {
        for (url, expected) in [
            ("smtp://u:hunter22@mail.example.com?tls=requried", SmtpUrlError::Tls),
            ("smtp://u:hunter22@mail.example.com?tls=none", SmtpUrlError::Tls),
            ("smtp://u:hunter22@mail.example.com?insecure_auth=yes", SmtpUrlError::InsecureAuth),
            ("smtp://u:hunter22@mail.example.com?starttls=never", SmtpUrlError::UnknownParameter("starttls".into())),
            ("http://u:hunter22@mail.example.com", SmtpUrlError::Scheme),
            ("u:hunter22 at mail", SmtpUrlError::Scheme),
            ("//u:hunter22@mail.example.com", SmtpUrlError::NotAUrl),
            ("smtp://u:hunter22@", SmtpUrlError::NotAUrl),
        ] {
            let err = plan(url).unwrap_err();
            assert_eq!(err, expected, "{url}");
            assert!(!err.to_string().contains("hunter22"));
        }
        assert!(!format!("{:?}", plan("smtp://u:hunter22@localhost").unwrap()).contains("hunter22"));
    }
}
