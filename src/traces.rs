//! Traces: privacyd's spans sent to an OpenTelemetry collector over OTLP/gRPC, and the W3C
//! trace context (`traceparent`, `tracestate`; <https://www.w3.org/TR/trace-context/>) carried
//! on calls into privacyd, into the jobs they queue, and out to data sources, so that one
//! request's processing is one trace from the caller through privacyd into every plugin.
//!
//! Spans are `tracing` spans (the ones the logs already have), turned into OpenTelemetry spans
//! by `tracing-opentelemetry`; their fields become attributes. What may be a field is what may
//! be logged: ids, kinds, names of sources and methods, codes; never a subject's email address,
//! user id or a token (see `telemetry`). With no `--otlp-endpoint` nothing here runs: the
//! current span has no OpenTelemetry context, so nothing is stored with jobs or sent to sources.

use std::collections::HashMap;

use anyhow::Context as _;
use opentelemetry::{
    Context,
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::TracerProvider as _,
};
use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{Layer, filter::Targets, registry::LookupSpan};

/// The service name spans carry unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES`
/// (`service.name=...`) names another, as the OpenTelemetry SDK specification says they may.
const SERVICE_NAME: &str = "privacyd";

/// The exporter of one process: spans are sent in batches by a background thread, so a slow
/// or absent collector never delays a call. Call [`Exporter::shutdown`] before the process
/// ends, or the last batch (up to 5 s of spans) is lost.
pub struct Exporter {
    provider: SdkTracerProvider,
}

impl Exporter {
    /// An exporter to the collector at `endpoint` (`http://host:4317`, or `https://` with the
    /// system roots). The connection is made on the first export; a collector that is down
    /// costs dropped spans (logged by the SDK), never a failed call.
    pub fn new(endpoint: &url::Url) -> anyhow::Result<Self> {
        let mut builder = opentelemetry_otlp::SpanExporter::builder().with_tonic().with_endpoint(endpoint.as_str());
        if endpoint.scheme() == "https" {
            builder = builder.with_tls_config(tonic::transport::ClientTlsConfig::new().with_native_roots());
        }
        let exporter = builder.build().context("--otlp-endpoint")?;
        let mut resource = Resource::builder();
        if !service_named_in_environment() {
            resource = resource.with_service_name(SERVICE_NAME);
        }
        let provider =
            SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource.build()).build();
        Ok(Exporter { provider })
    }

    /// The `tracing` layer that turns privacyd's spans into OpenTelemetry spans. Only
    /// privacyd's own spans and events at INFO and above: the libraries' (h2, hyper, sqlx)
    /// would be thousands of spans per request that say nothing about it.
    pub fn layer<S>(&self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span> + Send + Sync,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer(SERVICE_NAME))
            .with_filter(Targets::new().with_target("privacyd", tracing::Level::INFO))
    }

    /// Sends the spans not yet sent and stops the background thread. The SDK's shutdown
    /// blocks until the last export ends, so it runs on a blocking thread: the export itself
    /// needs the runtime's other threads to drive its connection.
    pub async fn shutdown(self) {
        let provider = self.provider;
        match tokio::task::spawn_blocking(move || provider.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("privacyd: sending the last traces failed: {err}"),
            Err(err) => eprintln!("privacyd: sending the last traces failed: {err}"),
        }
    }
}

/// Whether the operator named the service through the standard variables, which the SDK's
/// resource detectors read; privacyd's own default must not override them.
fn service_named_in_environment() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    set("OTEL_SERVICE_NAME")
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES")
            .is_ok_and(|attributes| attributes.split(',').any(|kv| kv.trim_start().starts_with("service.name=")))
}

/// A span's W3C trace context as text: the `traceparent` and `tracestate` headers as a JSON
/// object, e.g. `{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}`.
/// Stored with a job (`jobs.trace_context`) so that its span continues the trace of the call
/// or job that queued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContext(String);

impl StoredContext {
    /// The context of the current span, or None when it is not traced (traces are off, or the
    /// span was filtered out).
    pub fn current() -> Option<Self> {
        let mut carrier = HashMap::new();
        TraceContextPropagator::new().inject_context(&tracing::Span::current().context(), &mut carrier);
        if carrier.is_empty() {
            return None;
        }
        serde_json::to_string(&carrier).ok().map(StoredContext)
    }

    /// Reads a stored context back. Anything else (a column written by hand, a future format)
    /// reads as no context: a trace is worth less than the job it would be attached to.
    pub fn parse(text: &str) -> Option<Self> {
        let carrier: HashMap<String, String> = serde_json::from_str(text).ok()?;
        carrier.contains_key("traceparent").then(|| StoredContext(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Makes `span` a child of the span this context was taken from. Must be called before the
    /// span is first entered (an OpenTelemetry span's parent is fixed when it starts).
    pub fn continue_in(&self, span: &tracing::Span) {
        let carrier: HashMap<String, String> = serde_json::from_str(&self.0).unwrap_or_default();
        let _ = span.set_parent(TraceContextPropagator::new().extract(&carrier));
    }
}

/// Makes `span` a child of the trace whose context came in `headers` (a caller's `traceparent`
/// and `tracestate`), if any. Must be called before the span is first entered.
pub fn continue_from_headers(span: &tracing::Span, headers: &http::HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if has_span(&parent) {
        let _ = span.set_parent(parent);
    }
}

/// Adds the current span's W3C trace context to an outgoing call's metadata, so that the
/// callee (a data source) can continue the trace: its spans become children of privacyd's
/// span for the call. Adds nothing when the current span is not traced.
pub fn inject_into(metadata: &mut tonic::metadata::MetadataMap) {
    TraceContextPropagator::new().inject_context(&tracing::Span::current().context(), &mut MetadataInjector(metadata));
}

fn has_span(context: &Context) -> bool {
    use opentelemetry::trace::TraceContextExt;
    context.span().span_context().is_valid()
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        // The propagator makes only valid header names and ASCII values; anything else is
        // dropped rather than sent broken.
        if let (Ok(key), Ok(value)) =
            (tonic::metadata::MetadataKey::from_bytes(key.as_bytes()), tonic::metadata::MetadataValue::try_from(value))
        {
            self.0.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_context_needs_a_traceparent() {
        let good = r#"{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}"#;
        assert_eq!(StoredContext::parse(good).unwrap().as_str(), good);
        assert_eq!(StoredContext::parse(r#"{"tracestate":"a=b"}"#), None);
        assert_eq!(StoredContext::parse("not json"), None);
    }

    #[test]
    fn with_no_traces_nothing_is_stored_or_sent() {
        let span = tracing::info_span!("untraced");
        let _entered = span.enter();
        assert_eq!(StoredContext::current(), None);
        let mut metadata = tonic::metadata::MetadataMap::new();
        inject_into(&mut metadata);
        assert!(metadata.is_empty());
    }
}
