//! The conformance kit: checks a data source, written in any language, against the contract
//! of `privacy.datasource.v1.DataSourceService` (the service comment in
//! `proto/privacy/datasource/v1/data_source_service.proto`), the way csi-sanity checks CSI
//! drivers. `privacyctl source check` runs it.
//!
//! [`CHECKS`] is the specification: each check is a name, a sentence saying what it verifies,
//! and the function that verifies it. They run in order against one source; each prints
//! PASS, FAIL with the reason, or SKIP with why. The checks on a known subject need
//! [`Options::subject`] and erase that subject's data for real.

mod checks;
mod probe;
mod snapshot;

use std::{fmt, time::Duration};

use futures::future::BoxFuture;

pub use checks::{CHECKS, Session};

use crate::{
    domain::{Error, SourceConnection, SourceEndpoint},
    proto::privacy::datasource::v1 as pb,
    source_client::SourceClient,
};

/// What to check and how to reach it.
#[derive(Clone)]
pub struct Options {
    /// `http://host:port`, or `https://` for TLS.
    pub endpoint: String,
    /// Sent as `authorization: Bearer <token>`; also enables the `authentication` check.
    pub token: Option<String>,
    /// PEM CA certificate for TLS; the system roots when unset.
    pub ca_cert_pem: Option<String>,
    /// The deadline set on every call, as privacyd sets its per-source call timeout.
    pub deadline: Duration,
    /// A subject the source holds. Enables the checks on a known subject, which erase it.
    pub subject: Option<pb::Subject>,
}

/// One check of the contract.
pub struct Check {
    /// Short and stable, for scripts and CI logs.
    pub name: &'static str,
    /// What the check verifies, in one sentence.
    pub verifies: &'static str,
    pub run: for<'a> fn(&'a mut Session) -> BoxFuture<'a, Outcome>,
}

/// How a check went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Passed; what was seen, for `--verbose`.
    Pass(String),
    /// Failed, and precisely why.
    Fail(String),
    /// Not run, and why (a missing option, a capability the source does not declare, an
    /// earlier check that did not get far enough).
    Skip(String),
}

/// One check's result.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub name: &'static str,
    pub outcome: Outcome,
}

impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Pass(_) => write!(f, "PASS {}", self.name),
            Outcome::Fail(reason) => write!(f, "FAIL {}: {reason}", self.name),
            Outcome::Skip(why) => write!(f, "SKIP {}: {why}", self.name),
        }
    }
}

/// Every check's result, in order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub results: Vec<CheckResult>,
}

impl Report {
    fn count(&self, matches: fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| matches(&r.outcome)).count()
    }

    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Pass(_)))
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Fail(_)))
    }

    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skip(_)))
    }

    /// The closing line: "10 passed, 0 failed, 4 skipped".
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed, {} skipped", self.passed(), self.failed(), self.skipped())
    }
}

/// Runs every check in order, calling `each` as each one finishes (so a slow source shows
/// progress). Fails only when the options cannot make a connection (a malformed endpoint or
/// CA certificate); everything the source does wrong is in the report.
pub async fn run(options: Options, mut each: impl FnMut(&CheckResult)) -> Result<Report, Error> {
    let connection = |token: Option<String>| -> Result<SourceConnection, Error> {
        let endpoint = SourceEndpoint::parse(&options.endpoint)?;
        Ok(SourceConnection {
            tls: endpoint.as_str().starts_with("https://"),
            endpoint,
            ca_cert_pem: options.ca_cert_pem.clone(),
            auth_token: token,
            call_timeout: options.deadline,
            // The kit's deadline bounds every stream too: a source that is slow here will be
            // slow in production.
            timeouts: crate::domain::SourceTimeouts {
                connect: crate::domain::SourceTimeouts::DEFAULT_CONNECT.min(options.deadline),
                stream_idle: options.deadline,
                stream_max: options.deadline,
            },
        })
    };
    let client = SourceClient::new(&connection(options.token.clone())?)?;
    // The same source without the token, to see that it refuses strangers.
    let anonymous = match options.token {
        Some(_) => Some(SourceClient::new(&connection(None)?)?),
        None => None,
    };
    let mut session = Session::new(probe::Probe::new(client, anonymous, options.deadline), options.subject);
    let mut report = Report::default();
    for check in CHECKS {
        session.begin(check.name);
        let result = CheckResult { name: check.name, outcome: (check.run)(&mut session).await };
        each(&result);
        report.results.push(result);
    }
    Ok(report)
}

/// A subject no source can hold: a fresh address under `.example`, which RFC 2606 reserves, so
/// no real person has it.
pub fn unknown_subject() -> pb::Subject {
    pb::Subject {
        email: format!("conformance-{}@invalid.example", uuid::Uuid::now_v7().simple()),
        user_id: String::new(),
    }
}
