//! Traces (issue 11, section 3): privacyd sends its spans to an OTLP/gRPC collector; a
//! request's processing is one trace, from the caller's `traceparent` through the call, the
//! jobs it queued and the calls to data sources, which get the trace context and can continue
//! it; and no span carries a subject's email address, user id or a token.
//!
//! The tracer is process-wide, so privacyd runs as its own process here (the binary, with
//! `--otlp-endpoint`), and the test is the collector: a tonic server implementing the OTLP
//! trace service, which keeps every export it receives.

use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value::Value,
    trace::v1::Span,
};
use privacyd::proto::privacy::{
    datasource::v1::{self as ds, data_source_service_server::DataSourceService},
    v1::{
        self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient,
        privacy_request_service_client::PrivacyRequestServiceClient,
    },
};
use prost::Message;
use tonic::{Request, Response, Status};

use crate::{
    helpers::{Backend, fresh_postgres_database},
    on_both_backends,
};

on_both_backends!(an_export_and_an_erasure_are_each_one_trace_into_the_source);

/// The collector: keeps every batch privacyd sends, encoded as it came.
#[derive(Clone, Default)]
struct Collector {
    batches: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.batches.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

impl Collector {
    async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(self.clone()))
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        format!("http://{addr}")
    }

    fn spans(&self) -> Vec<Span> {
        let batches = self.batches.lock().unwrap();
        batches
            .iter()
            .flat_map(|b| &b.resource_spans)
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| s.spans.clone())
            .collect()
    }

    /// Every byte privacyd sent, as protobuf: every string in a span (its name, attributes,
    /// events, status, links, the resource) is in there verbatim.
    fn everything_sent(&self) -> Vec<u8> {
        self.batches.lock().unwrap().iter().flat_map(|b| b.encode_to_vec()).collect()
    }

    /// The values of the resource attribute `key` in every batch.
    fn resource(&self, key: &str) -> std::collections::BTreeSet<String> {
        let batches = self.batches.lock().unwrap();
        batches
            .iter()
            .flat_map(|b| &b.resource_spans)
            .filter_map(|r| r.resource.as_ref())
            .flat_map(|r| &r.attributes)
            .filter(|kv| kv.key == key)
            .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
                Value::StringValue(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A call's method and the `traceparent` it carried.
type Traced = (&'static str, Option<String>);

/// A source that holds one item until it is erased, and records the `traceparent` of each
/// call.
#[derive(Clone, Default)]
struct RecordingSource {
    /// Each call's method and `traceparent`, in order.
    traceparents: Arc<Mutex<Vec<Traced>>>,
    erased: Arc<std::sync::atomic::AtomicBool>,
}

impl RecordingSource {
    fn record<T>(&self, method: &'static str, request: &Request<T>) {
        let traceparent = request.metadata().get("traceparent").map(|v| v.to_str().unwrap().to_owned());
        self.traceparents.lock().unwrap().push((method, traceparent));
    }

    /// The trace ids (hex) and parent span ids of the calls of `method`, in order.
    fn calls(&self, method: &str) -> Vec<(String, String)> {
        self.traceparents
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| *m == method)
            .map(|(_, traceparent)| {
                let traceparent = traceparent.as_deref().unwrap_or_else(|| panic!("{method} came with no traceparent"));
                let parts: Vec<&str> = traceparent.split('-').collect();
                assert_eq!(parts.len(), 4, "a W3C traceparent: {traceparent}");
                (parts[1].to_owned(), parts[2].to_owned())
            })
            .collect()
    }
}

#[tonic::async_trait]
impl DataSourceService for RecordingSource {
    async fn describe(&self, request: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        self.record("Describe", &request);
        let mut description = crate::fake_source::describe_things("recording");
        description.capabilities = vec![ds::Capability::Export as i32, ds::Capability::Erase as i32];
        Ok(Response::new(description))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        self.record("Export", &request);
        let erased = self.erased.load(std::sync::atomic::Ordering::SeqCst);
        let items = if erased { vec![] } else { vec![Ok(crate::fake_source::item("the-item"))] };
        Ok(Response::new(Box::pin(futures::stream::iter(items))))
    }

    async fn erase(&self, request: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        self.record("Erase", &request);
        self.erased.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(Response::new(ds::EraseResponse { items_removed: 1, ..Default::default() }))
    }
}

struct Privacyd(Child);

impl Drop for Privacyd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Privacyd {
    /// Stops privacyd as an operator would (SIGTERM), so that it sends its last spans.
    fn stop(mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                assert!(status.success(), "privacyd stopped with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "privacyd did not stop within 30 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn attribute(span: &Span, key: &str) -> Option<Value> {
    span.attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()?.value.clone())
}

fn string_attribute(span: &Span, key: &str) -> Option<String> {
    match attribute(span, key)? {
        Value::StringValue(s) => Some(s),
        _ => None,
    }
}

async fn an_export_and_an_erasure_are_each_one_trace_into_the_source(backend: Backend) {
    let collector = Collector::default();
    let collector_url = collector.serve().await;
    let source = RecordingSource::default();
    let source_endpoint = crate::fake_source::serve(source.clone()).await;

    let dir = tempfile::tempdir().unwrap();
    let port = privacyd::testing::free_port().unwrap();
    let admin_token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let source_token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let mut command = Command::new(env!("CARGO_BIN_EXE_privacyd"));
    if backend == Backend::Postgres {
        command.args(["--database-url", &fresh_postgres_database().await]);
    }
    let server = Privacyd(
        command
            .args(["--listen", &format!("127.0.0.1:{port}"), "--job-poll-interval", "50ms", "--log", "warn"])
            .args(["--otlp-endpoint", &collector_url])
            .arg("--data-dir")
            .arg(dir.path())
            .env("PRIVACYD_ADMIN_TOKENS", &admin_token)
            .env_remove("OTEL_SERVICE_NAME")
            // The standard resource variable adds to what privacyd says about itself.
            .env("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=traces-test")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let channel = crate::helpers::channel_when_listening(port).await;
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {admin_token}").parse().unwrap();
    let auth = move |mut r: Request<()>| {
        r.metadata_mut().insert("authorization", bearer.clone());
        Ok(r)
    };
    // Registering calls the source's Describe: a call with no traceparent starts a trace.
    DataSourceRegistryServiceClient::with_interceptor(channel.clone(), auth.clone())
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "recording".into(),
            endpoint: source_endpoint,
            auth_token: source_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap();

    let email = format!("traced-{}@example.com", uuid::Uuid::new_v4().simple());
    let user_id = format!("user-{}", uuid::Uuid::new_v4().simple());
    let mut client = PrivacyRequestServiceClient::with_interceptor(channel.clone(), auth);
    // The caller's own trace: privacyd continues it.
    let mut traces = HashMap::new();
    for action in [pb::Action::Export, pb::Action::Erase] {
        let id = client
            .create_privacy_request(pb::CreatePrivacyRequestRequest {
                subject: Some(pb::Subject { email: email.clone(), user_id: user_id.clone() }),
                action: action as i32,
                send_confirmation: false,
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .privacy_request
            .unwrap()
            .id;
        let trace_id = uuid::Uuid::new_v4().simple().to_string();
        let caller_span = &uuid::Uuid::new_v4().simple().to_string()[..16];
        let mut process = Request::new(pb::ProcessPrivacyRequestRequest { id: id.clone() });
        process.metadata_mut().insert("traceparent", format!("00-{trace_id}-{caller_span}-01").parse().unwrap());
        client.process_privacy_request(process).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let request = client
                .get_privacy_request(pb::GetPrivacyRequestRequest { id: id.clone() })
                .await
                .unwrap()
                .into_inner()
                .privacy_request
                .unwrap();
            if request.state == pb::State::Completed as i32 {
                break;
            }
            assert!(request.state == pb::State::Processing as i32, "{action:?} ended {request:?}");
            assert!(Instant::now() < deadline, "the {action:?} did not end: {request:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        traces.insert(action, (trace_id, caller_span.to_owned(), id));
    }
    // A refusal (tonic answers it trailers-only) has its code on the call's span too.
    let missing = client
        .get_privacy_request(pb::GetPrivacyRequestRequest { id: uuid::Uuid::now_v7().to_string() })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);

    // A subject confirms through the emailed link (privacyd's HTTP side; the outbox, with no
    // SMTP server): its token must stay out of the spans too.
    let confirmed = client
        .create_privacy_request(pb::CreatePrivacyRequestRequest {
            subject: Some(pb::Subject { email: email.clone(), user_id: user_id.clone() }),
            action: pb::Action::Export as i32,
            send_confirmation: true,
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap()
        .id;
    let outbox = dir.path().join("outbox");
    let deadline = Instant::now() + Duration::from_secs(30);
    let link = loop {
        let mail = std::fs::read_dir(&outbox).into_iter().flatten().flatten().find_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            (name.starts_with(&confirmed) && name.ends_with(".eml")).then(|| std::fs::read_to_string(entry.path()).ok())
        });
        if let Some(Some(mail)) = mail
            && let Some(link) = mail.split_whitespace().find(|w| w.contains("/confirm?id="))
        {
            break link.to_owned();
        }
        assert!(Instant::now() < deadline, "no confirmation email in the outbox");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let confirmation_token = link.split("token=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let (status, page) =
        tokio::task::spawn_blocking(move || crate::helpers::confirm_by_pressing_the_button(addr, &link)).await.unwrap();
    assert_eq!(status, 200, "{page}");

    // Closing the connection lets privacyd stop at once rather than after its grace period.
    drop(client);
    drop(channel);
    server.stop();

    let spans = collector.spans();
    assert!(!spans.is_empty(), "privacyd sent no spans");
    assert_eq!(collector.resource("service.name"), ["privacyd".to_owned()].into());
    assert_eq!(collector.resource("deployment.environment"), ["traces-test".to_owned()].into());
    let hex = |bytes: &[u8]| hex::encode(bytes);
    let by_id: HashMap<String, &Span> = spans.iter().map(|s| (hex(&s.span_id), s)).collect();
    let named = |trace_id: &str, name: &str| -> Vec<&Span> {
        spans.iter().filter(|s| hex(&s.trace_id) == trace_id && s.name == name).collect()
    };
    let one = |trace_id: &str, name: &str| -> &Span {
        let found = named(trace_id, name);
        assert_eq!(
            found.len(),
            1,
            "one span {name:?} in trace {trace_id}; the trace has {:?}",
            spans.iter().filter(|s| hex(&s.trace_id) == trace_id).map(|s| &s.name).collect::<Vec<_>>()
        );
        found[0]
    };
    // Whether `span` descends from `ancestor` by parent links among the spans received.
    let descends = |span: &Span, ancestor: &Span| {
        let mut parent = hex(&span.parent_span_id);
        while let Some(next) = by_id.get(&parent) {
            if next.span_id == ancestor.span_id {
                return true;
            }
            parent = hex(&next.parent_span_id);
        }
        false
    };

    for (action, job, method, last) in [
        (pb::Action::Export, "job EXPORT_SOURCE", "Export", "job ASSEMBLE_EXPORT"),
        (pb::Action::Erase, "job ERASE_SOURCE", "Erase", "job FINISH_ERASURE"),
    ] {
        let (trace_id, caller_span, request_id) = &traces[&action];
        // The call: a child of the caller's span, named as the RPC conventions say.
        let call = one(trace_id, "privacy.v1.PrivacyRequestService/ProcessPrivacyRequest");
        assert_eq!(hex(&call.parent_span_id), *caller_span, "{action:?}: the call continues the caller's trace");
        assert_eq!(string_attribute(call, "rpc.system").as_deref(), Some("grpc"));
        assert_eq!(string_attribute(call, "rpc.method").as_deref(), Some("ProcessPrivacyRequest"));
        assert_eq!(attribute(call, "rpc.grpc.status_code"), Some(Value::IntValue(0)));
        // The source's job, queued by the call, ran later in the same trace, under the call.
        let job = one(trace_id, job);
        assert!(descends(job, call), "{action:?}: the job is under the call that queued it");
        assert_eq!(string_attribute(job, "request_id").as_deref(), Some(request_id.as_str()));
        assert_eq!(attribute(job, "attempt"), Some(Value::IntValue(1)));
        // The call to the source, under the job, and what the source was told.
        let source_calls = named(trace_id, &format!("privacy.datasource.v1.DataSourceService/{method}"));
        assert!(!source_calls.is_empty(), "{action:?}: a span for the source's {method} call");
        for source_call in &source_calls {
            assert!(descends(source_call, job), "{action:?}: the source call is under its job");
            assert_eq!(string_attribute(source_call, "source").as_deref(), Some("recording"));
            assert_eq!(attribute(source_call, "rpc.grpc.status_code"), Some(Value::IntValue(0)));
        }
        // The job the sources' end queued is in the trace too.
        let last = one(trace_id, last);
        assert!(descends(last, job), "{action:?}: {:?} is under the job that queued it", last.name);
        let told = source.calls(method);
        let in_this_trace: Vec<&(String, String)> = told.iter().filter(|(t, _)| t == trace_id).collect();
        assert!(!in_this_trace.is_empty(), "{action:?}: the source got this trace's id: {told:?}");
        for (_, parent) in in_this_trace {
            assert!(
                source_calls.iter().any(|s| hex(&s.span_id) == *parent),
                "{action:?}: the source's parent is privacyd's span for the call"
            );
        }
    }
    // The registration's Describe started a trace of its own, which the source got too.
    let (describe_trace, describe_parent) = source.calls("Describe").pop().unwrap();
    let register = one(&describe_trace, "privacy.v1.DataSourceRegistryService/RegisterDataSource");
    let describe = &by_id[&describe_parent];
    assert!(descends(describe, register));

    let refused = spans
        .iter()
        .filter(|s| s.name == "privacy.v1.PrivacyRequestService/GetPrivacyRequest")
        .filter_map(|s| attribute(s, "rpc.grpc.status_code"))
        .collect::<Vec<_>>();
    assert!(refused.contains(&Value::IntValue(tonic::Code::NotFound as i64)), "{refused:?}");

    // The link's two HTTP requests have spans, named by method alone.
    for name in ["HTTP GET", "HTTP POST"] {
        let span = spans.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("a span {name:?}"));
        assert_eq!(attribute(span, "http.response.status_code"), Some(Value::IntValue(200)));
    }

    // Nothing personal and no secret, anywhere in what was sent.
    let sent = String::from_utf8_lossy(&collector.everything_sent()).to_lowercase();
    let secrets =
        [&email, email.split('@').next().unwrap(), &user_id, &admin_token, &source_token, &confirmation_token];
    for secret in secrets {
        assert!(!sent.contains(&secret.to_lowercase()), "a span carries {secret:?}");
    }
}
