//! Prometheus metrics (text exposition format 0.0.4), with `prometheus-client`.
//!
//! Three kinds of series:
//! - per-RPC counters and latency, under the names go-grpc-prometheus gives them
//!   (`grpc_server_started_total`, `grpc_server_handled_total`,
//!   `grpc_server_handling_seconds`), so existing gRPC dashboards work; see [`grpc`];
//! - events privacyd's jobs count as they happen: calls to data sources, emails, archive bytes,
//!   erasure verification failures (methods on [`Metrics`]);
//! - gauges read from the database at scrape time, shared by every replica: requests by state
//!   and deadline, the job queue; see [`scrape`].
//!
//! Every series has HELP text (docs/metrics.md lists them all). Labels have bounded values
//! only: method, code, kind, state, action and data source names. Never a request id (one
//! series per request would grow without end), an email address or a token.

pub mod grpc;
pub mod scrape;

use std::{sync::Arc, time::Duration};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};
use tonic::Code;

use crate::domain::EmailKind;

/// Latency buckets of `grpc_server_handling_seconds`, in seconds: Prometheus's default
/// buckets, which go-grpc-prometheus uses, so dashboards' `histogram_quantile`s compare.
const RPC_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Latency buckets of calls to data sources, in seconds: from a quick `Erase` to an `Export`
/// stream of a large mailbox, which may run for minutes (`stream_max_duration`).
const SOURCE_BUCKETS: [f64; 16] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];

/// `grpc_type`, `grpc_service`, `grpc_method`: go-grpc-prometheus's labels of an RPC.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcLabels {
    pub grpc_type: &'static str,
    pub grpc_service: &'static str,
    pub grpc_method: &'static str,
}

/// [`RpcLabels`] and the status the RPC ended with (`OK`, `InvalidArgument`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HandledLabels {
    pub grpc_type: &'static str,
    pub grpc_service: &'static str,
    pub grpc_method: &'static str,
    pub grpc_code: &'static str,
}

/// A data source (its registered name) and the protocol method privacyd called on it.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    pub source: String,
    pub method: &'static str,
}

/// A failed call to a data source, by the gRPC code it ended with.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceErrorLabels {
    pub source: String,
    pub method: &'static str,
    pub grpc_code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EmailLabels {
    pub kind: &'static str,
}

/// What became of a submission of the public `/request` form.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceOnly {
    pub source: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The instruments; cheap to clone (one set per privacyd, shared by its components).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Instruments>,
}

struct Instruments {
    registry: Registry,
    rpc_started: Family<RpcLabels, Counter>,
    rpc_handled: Family<HandledLabels, Counter>,
    rpc_seconds: HistogramFamily<RpcLabels>,
    source_seconds: HistogramFamily<SourceLabels>,
    source_errors: Family<SourceErrorLabels, Counter>,
    source_retries: Family<SourceLabels, Counter>,
    emails_sent: Family<EmailLabels, Counter>,
    emails_failed: Family<EmailLabels, Counter>,
    archive_bytes: Counter,
    archives: Counter,
    verification_failures: Family<SourceOnly, Counter>,
    self_service: Family<OutcomeLabels, Counter>,
    gauges: scrape::StoreGauges,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let rpc_histogram: fn() -> Histogram = || Histogram::new(RPC_BUCKETS);
        let source_histogram: fn() -> Histogram = || Histogram::new(SOURCE_BUCKETS);
        // prometheus-client adds `_total` to counters' names.
        let rpc_started = Family::default();
        registry.register("grpc_server_started", "Total number of RPCs started on the server", rpc_started.clone());
        let rpc_handled = Family::default();
        registry.register(
            "grpc_server_handled",
            "Total number of RPCs completed on the server, regardless of success or failure",
            rpc_handled.clone(),
        );
        let rpc_seconds = Family::new_with_constructor(rpc_histogram);
        registry.register(
            "grpc_server_handling_seconds",
            "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server",
            rpc_seconds.clone(),
        );
        let source_seconds = Family::new_with_constructor(source_histogram);
        registry.register(
            "privacyd_source_call_duration_seconds",
            "Duration of calls privacyd made to data sources, by source and protocol method (an Export is \
             the whole stream), successful or not",
            source_seconds.clone(),
        );
        let source_errors = Family::default();
        registry.register(
            "privacyd_source_call_errors",
            "Calls to data sources that failed, by source, method and the gRPC code they ended with",
            source_errors.clone(),
        );
        let source_retries = Family::default();
        registry.register(
            "privacyd_source_call_retries",
            "Attempts of a per-source job (Export or Erase) after the first, by source and method",
            source_retries.clone(),
        );
        let self_service = Family::default();
        registry.register(
            "privacyd_self_service_requests",
            "Submissions of the public /request form, by what became of them",
            self_service.clone(),
        );
        let emails_sent = Family::default();
        registry.register("privacyd_emails_sent", "Emails handed to the mail server, by kind", emails_sent.clone());
        let emails_failed = Family::default();
        registry.register(
            "privacyd_emails_failed",
            "Attempts to send an email that failed (retried or not), by kind",
            emails_failed.clone(),
        );
        let archive_bytes = Counter::default();
        registry.register(
            "privacyd_archive_written_bytes",
            "Bytes of export archives written and recorded",
            archive_bytes.clone(),
        );
        let archives = Counter::default();
        registry.register("privacyd_archives_built", "Export archives built and recorded", archives.clone());
        let verification_failures = Family::default();
        registry.register(
            "privacyd_erasure_verification_failures",
            "Erasures whose verification export still found data the source had not reported as retained, \
             by source",
            verification_failures.clone(),
        );
        let gauges = scrape::StoreGauges::register(&mut registry);
        Metrics {
            inner: Arc::new(Instruments {
                registry,
                rpc_started,
                rpc_handled,
                rpc_seconds,
                source_seconds,
                source_errors,
                source_retries,
                emails_sent,
                self_service,
                emails_failed,
                archive_bytes,
                archives,
                verification_failures,
                gauges,
            }),
        }
    }

    /// An RPC arrived.
    pub(crate) fn rpc_started(&self, labels: &RpcLabels) {
        self.inner.rpc_started.get_or_create(labels).inc();
    }

    /// An RPC ended with `code` after `elapsed`.
    pub(crate) fn rpc_handled(&self, labels: &RpcLabels, code: Code, elapsed: Duration) {
        let handled = HandledLabels {
            grpc_type: labels.grpc_type,
            grpc_service: labels.grpc_service,
            grpc_method: labels.grpc_method,
            grpc_code: code_name(code),
        };
        self.inner.rpc_handled.get_or_create(&handled).inc();
        self.inner.rpc_seconds.get_or_create(labels).observe(elapsed.as_secs_f64());
    }

    /// A call to `source`'s `method` (`Describe`, `Export`, `Erase`, `Check`) ended after
    /// `elapsed`: with `None` if it succeeded, or the code it failed with.
    pub fn source_call(&self, source: &str, method: &'static str, elapsed: Duration, failed: Option<Code>) {
        let labels = SourceLabels { source: source.to_owned(), method };
        self.inner.source_seconds.get_or_create(&labels).observe(elapsed.as_secs_f64());
        if let Some(code) = failed {
            let labels = SourceErrorLabels { source: labels.source, method, grpc_code: code_name(code) };
            self.inner.source_errors.get_or_create(&labels).inc();
        }
    }

    /// A per-source job runs again after a failed attempt.
    pub fn source_retry(&self, source: &str, method: &'static str) {
        self.inner.source_retries.get_or_create(&SourceLabels { source: source.to_owned(), method }).inc();
    }

    pub fn email_sent(&self, kind: EmailKind) {
        self.inner.emails_sent.get_or_create(&EmailLabels { kind: kind.as_str() }).inc();
    }

    /// A `/request` submission was handled: `outcome` is `created`, `duplicate` (an open
    /// request for the address and action exists), `limited` (the per-address limit) or
    /// `failed`.
    pub fn self_service_request(&self, outcome: &'static str) {
        self.inner.self_service.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn email_failed(&self, kind: EmailKind) {
        self.inner.emails_failed.get_or_create(&EmailLabels { kind: kind.as_str() }).inc();
    }

    /// An export archive of `bytes` was written and recorded on its request.
    pub fn archive_written(&self, bytes: u64) {
        self.inner.archives.inc();
        self.inner.archive_bytes.inc_by(bytes);
    }

    pub fn verification_failed(&self, source: &str) {
        self.inner.verification_failures.get_or_create(&SourceOnly { source: source.to_owned() }).inc();
    }

    /// The Prometheus text exposition of everything, with `gauges` as the database gauges.
    fn encode(&self, gauges: &crate::store::Gauges, now: crate::domain::Timestamp) -> String {
        self.inner.gauges.set(gauges, now);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.inner.registry);
        out
    }
}

/// A gRPC code as go-grpc-prometheus writes it in `grpc_code` (Go's `codes.Code.String()`,
/// hence `Canceled` with one "l"), so existing dashboards and alerts match.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}
