//! Calls to data sources (issue 9, items 7, 14, 15, 18, 26): what a source's text may reach,
//! which failures are retried, how long privacyd waits for a source that does not answer or
//! stalls, and what an operator is told about a source that is down.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use privacyd::{
    domain::{SourceConnection, SourceEndpoint, SourceTimeouts},
    proto::{
        privacy::datasource::v1::{
            self as ds,
            data_source_service_server::{DataSourceService, DataSourceServiceServer},
        },
        privacy::v1 as pb,
    },
    source_client::SourceClient,
};
use tonic::{Code, Request, Response, Status};

use crate::{
    helpers::{Backend, TestApp, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    a_sources_text_is_redacted_everywhere_in_any_case,
    a_deadline_privacyd_set_is_retried_whichever_layer_notices_it,
    a_message_over_the_size_limit_is_not_retried,
    a_source_that_is_down_says_where_and_when_next,
    a_steady_stream_runs_past_the_call_timeout,
    a_steady_verification_export_runs_past_the_call_timeout,
    a_stalled_stream_fails_on_its_idle_timeout,
    a_stream_past_its_overall_limit_fails,
);

/// What the scripted source's `Export` sends.
#[derive(Clone, Copy, Default)]
enum Export {
    /// Nothing.
    #[default]
    Empty,
    /// This many items in group "things", in bursts of `burst` every `gap`.
    Steady { items: usize, burst: usize, gap: Duration },
    /// This many items, then nothing, never ending.
    StallAfter(usize),
    /// One item with a field this many bytes long.
    Huge(usize),
}

/// What the scripted source's `Erase` does.
#[derive(Clone, Default)]
enum Erase {
    /// Fails with this code and message (`{email}` is replaced by the subject's address as
    /// sent, upper-cased).
    Fail(Code, &'static str),
    /// Never answers the first N calls, then answers.
    HangFirst(usize),
    /// Answers with these messages (`{email}` as above), retaining `retained` items of
    /// "things".
    Answer { messages: Vec<&'static str>, retained: i64 },
    /// Answers: nothing found.
    #[default]
    Nothing,
}

#[derive(Clone, Default)]
struct Scripted {
    export: Export,
    erase: Erase,
    export_calls: Arc<AtomicUsize>,
    erase_calls: Arc<AtomicUsize>,
}

fn things(id: usize, value: String) -> ds::ExportResponse {
    ds::ExportResponse {
        payload: Some(ds::export_response::Payload::Item(ds::ExportItem {
            group_id: "things".into(),
            group_label: "Things".into(),
            item_id: format!("thing-{id}"),
            data: vec![ds::ExportField { name: "Name".into(), value }],
            ..Default::default()
        })),
    }
}

fn quoting(template: &str, email: &str) -> String {
    template.replace("{email}", &email.to_uppercase())
}

#[tonic::async_trait]
impl DataSourceService for Scripted {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        let mut described = crate::fake_source::describe_things("scripted");
        described.capabilities.push(ds::Capability::Erase as i32);
        Ok(Response::new(described))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        self.export_calls.fetch_add(1, Ordering::SeqCst);
        let stream = match self.export {
            Export::Empty => futures::stream::empty().boxed(),
            Export::Steady { items, burst, gap } => futures::stream::iter(0..items)
                .then(move |i| async move {
                    if i % burst == 0 && i > 0 {
                        tokio::time::sleep(gap).await;
                    }
                    Ok(things(i, format!("thing {i}")))
                })
                .boxed(),
            Export::StallAfter(n) => futures::stream::iter(0..n)
                .map(|i| Ok(things(i, format!("thing {i}"))))
                .chain(futures::stream::pending())
                .boxed(),
            Export::Huge(bytes) => futures::stream::iter([Ok(things(0, "x".repeat(bytes)))]).boxed(),
        };
        Ok(Response::new(stream))
    }

    async fn erase(&self, request: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        let call = self.erase_calls.fetch_add(1, Ordering::SeqCst) + 1;
        let email = request.into_inner().subject.unwrap_or_default().email;
        match &self.erase {
            Erase::Fail(code, message) => Err(Status::new(*code, quoting(message, &email))),
            Erase::HangFirst(n) if call <= *n => futures::future::pending().await,
            Erase::Answer { messages, retained } => Ok(Response::new(ds::EraseResponse {
                items_removed: 1,
                items_retained: *retained,
                retentions: if *retained > 0 {
                    vec![ds::Retention {
                        group_id: "things".into(),
                        items: *retained,
                        reason: "Kept for the test".into(),
                        legal_basis: ds::LegalBasis::LegalObligation as i32,
                        retention_period: "1 day".into(),
                    }]
                } else {
                    Vec::new()
                },
                messages: messages.iter().map(|m| quoting(m, &email)).collect(),
            })),
            Erase::HangFirst(_) | Erase::Nothing => Ok(Response::new(ds::EraseResponse::default())),
        }
    }
}

/// Serves `source` on a free port until the returned sender is dropped or sent to.
async fn serve(source: Scripted) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(DataSourceServiceServer::new(source))
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
                async {
                    let _ = stopped.await;
                },
            ),
    );
    (format!("http://{addr}"), stop)
}

fn duration(d: Duration) -> Option<prost_types::Duration> {
    Some(prost_types::Duration { seconds: d.as_secs() as i64, nanos: d.subsec_nanos() as i32 })
}

async fn register(app: &TestApp, endpoint: &str, configure: impl FnOnce(&mut pb::RegisterDataSourceRequest)) {
    let mut request = pb::RegisterDataSourceRequest {
        name: format!("scripted-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        endpoint: endpoint.to_owned(),
        ..Default::default()
    };
    configure(&mut request);
    app.registry.clone().register_data_source(request).await.expect("the source registers");
}

/// Creates a request for a new subject and processes it: (request id, subject's email).
async fn process(app: &TestApp, action: pb::Action) -> (String, String) {
    let email = unique_email();
    let created = app.create(&email, action, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .expect("processing starts");
    (created.id, email)
}

/// Polls until the request is COMPLETED or FAILED, for up to `limit`.
async fn finished(app: &TestApp, id: &str, limit: Duration) -> pb::PrivacyRequest {
    let give_up = tokio::time::Instant::now() + limit;
    loop {
        let request = app.get(id).await;
        if matches!(state(&request), pb::State::Completed | pb::State::Failed) {
            return request;
        }
        assert!(tokio::time::Instant::now() < give_up, "not finished within {limit:?}: {request:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether `text` holds `email` in any case (checked without privacyd's own redaction).
fn quotes(text: &str, email: &str) -> bool {
    text.to_lowercase().contains(&email.to_lowercase())
}

/// Issue 9, item 7: text a source sends reaches the request (failure reason, the source's last
/// error, Erase messages) and the audit log redacted, whatever lower-casing does to its length.
async fn a_sources_text_is_redacted_everywhere_in_any_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let failing = Scripted {
        erase: Erase::Fail(Code::FailedPrecondition, "İİ{email}\u{212A}account locked; İ {email} is locked"),
        ..Default::default()
    };
    let (endpoint, _stop) = serve(failing).await;
    register(&app, &endpoint, |_| {}).await;
    let (id, email) = process(&app, pb::Action::Erase).await;
    let request = finished(&app, &id, Duration::from_secs(20)).await;
    assert_eq!(state(&request), pb::State::Failed, "{request:#?}");
    let last_error = &request.sources[0].last_error;
    assert!(last_error.contains("<redacted>") && last_error.contains("is locked"), "{last_error}");
    for text in [&request.state_reason, last_error] {
        assert!(!quotes(text, &email), "the address leaked: {text}");
    }
    let events = app.audit(&id).await;
    assert!(events.iter().any(|e| e.detail.contains("<redacted>")), "{events:#?}");
    for event in &events {
        assert!(!quotes(&event.detail, &email), "the address leaked into the audit log: {}", event.detail);
    }

    // The same text in an answer's messages.
    let app = TestApp::spawn(backend).await;
    let answering = Scripted {
        erase: Erase::Answer { messages: vec!["İ {email}", "İİ{email}\u{212A}account locked"], retained: 0 },
        ..Default::default()
    };
    let (endpoint, _stop) = serve(answering).await;
    register(&app, &endpoint, |_| {}).await;
    let (id, email) = process(&app, pb::Action::Erase).await;
    let request = finished(&app, &id, Duration::from_secs(20)).await;
    assert_eq!(state(&request), pb::State::Completed, "{request:#?}");
    let messages = &request.sources[0].erasure.as_ref().expect("the erasure answer").messages;
    assert_eq!(messages, &["İ <redacted>", "İİ<redacted>\u{212A}account locked"]);
    for event in app.audit(&id).await {
        assert!(!quotes(&event.detail, &email), "the address leaked into the audit log: {}", event.detail);
    }
}

/// Issue 9, item 14: when privacyd's deadline passes, tonic's own timer (enforcing the
/// `grpc-timeout` privacyd sent) may notice first and end the call CANCELLED; that is still
/// privacyd's deadline, and retried. The race is decided per call, so many are made.
async fn a_deadline_privacyd_set_is_retried_whichever_layer_notices_it(backend: Backend) {
    let hanging = Scripted { erase: Erase::HangFirst(usize::MAX), ..Default::default() };
    let (endpoint, _stop) = serve(hanging).await;
    let call_timeout = Duration::from_millis(40);
    let client = SourceClient::new(&SourceConnection {
        endpoint: SourceEndpoint::parse(&endpoint).unwrap(),
        tls: false,
        ca_cert_pem: None,
        auth_token: None,
        call_timeout,
        timeouts: SourceTimeouts::defaults(call_timeout),
    })
    .unwrap();
    for attempt in 0..50 {
        let message = ds::EraseRequest {
            privacy_request_id: uuid::Uuid::new_v4().to_string(),
            subject: Some(ds::Subject { email: "deadline@example.com".into(), user_id: String::new() }),
        };
        let failure = client.erase(message).await.expect_err("the source never answers");
        assert!(failure.is_retryable(), "attempt {attempt}: {failure} is not retried");
        assert!(failure.to_string().contains("DeadlineExceeded"), "attempt {attempt}: {failure}");
    }

    // And through the whole request: the first two calls run out of time, the third answers.
    let app = TestApp::spawn_with(backend, |c| c.source_max_attempts = 3).await;
    let (endpoint, _stop) = serve(Scripted { erase: Erase::HangFirst(2), ..Default::default() }).await;
    register(&app, &endpoint, |r| r.call_timeout = duration(Duration::from_millis(200))).await;
    let (id, _) = process(&app, pb::Action::Erase).await;
    let request = finished(&app, &id, Duration::from_secs(20)).await;
    assert_eq!(state(&request), pb::State::Completed, "{request:#?}");
    assert_eq!(request.sources[0].attempts, 3);
}

/// Issue 9, item 15: a message over the protocol's 4 MiB limit breaks the protocol; the same
/// source sends it again, so it is not retried. Connecting has its own, short, timeout.
async fn a_message_over_the_size_limit_is_not_retried(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let huge = Scripted { export: Export::Huge(5 * 1024 * 1024), ..Default::default() };
    let calls = huge.export_calls.clone();
    let (endpoint, _stop) = serve(huge).await;
    register(&app, &endpoint, |_| {}).await;
    let (id, _) = process(&app, pb::Action::Export).await;
    let request = finished(&app, &id, Duration::from_secs(20)).await;
    assert_eq!(state(&request), pb::State::Failed, "{request:#?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "called once, not retried");
    let last_error = &request.sources[0].last_error;
    assert!(last_error.contains("OutOfRange") && last_error.contains("too large"), "{last_error}");

    // An address that accepts connections and never answers: registering fails in the
    // connect timeout (default 5 s, or as given), not in the 30 s call timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_endpoint = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    for (given, within) in [(Some(Duration::from_millis(300)), Duration::from_secs(3)), (None, Duration::from_secs(9))]
    {
        let started = Instant::now();
        let err = app
            .registry
            .clone()
            .register_data_source(pb::RegisterDataSourceRequest {
                name: format!("silent-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
                endpoint: silent_endpoint.clone(),
                connect_timeout: given.and_then(duration),
                ..Default::default()
            })
            .await
            .expect_err("nothing answers there");
        let took = started.elapsed();
        assert!(took < within, "registering took {took:?} with connect_timeout {given:?}");
        assert!(err.message().contains(&format!("connecting to {silent_endpoint}")), "{}", err.message());
        assert!(err.message().contains("no answer within"), "{}", err.message());
    }
}

/// Issue 9, item 26: a source that is down is named with its address and the cause, the
/// request shows when the next attempt is due, and `CheckDataSource` reports no latency.
async fn a_source_that_is_down_says_where_and_when_next(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.retry_base = Duration::from_secs(3);
        c.retry_max = Duration::from_secs(3);
        c.source_max_attempts = 2;
    })
    .await;
    let (endpoint, stop) = serve(Scripted::default()).await;
    register(&app, &endpoint, |_| {}).await;
    stop.send(()).unwrap();
    // Down: connections are refused once the listener is gone.
    let give_up = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(endpoint.trim_start_matches("http://")).is_ok() {
        assert!(Instant::now() < give_up, "the source did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (id, _) = process(&app, pb::Action::Export).await;
    // The failure is on the run as soon as the attempt ends; the next attempt's time once the
    // replica has let go of the job (a running job's next attempt is not known yet).
    let waiting = app
        .wait_for(&id, "the first attempt to fail", |r| {
            !r.sources[0].last_error.is_empty() && r.sources[0].next_attempt_time.is_some()
        })
        .await;
    let source = &waiting.sources[0];
    assert_eq!(source.state, pb::SourceState::Pending as i32, "{source:#?}");
    assert!(source.last_error.contains(&format!("connecting to {endpoint}")), "{}", source.last_error);
    assert!(source.last_error.contains("Connection refused"), "the cause: {}", source.last_error);
    let next = source.next_attempt_time.expect("when the next attempt is due");
    let started = source.start_time.expect("the attempt's start");
    let wait = (next.seconds - started.seconds) as f64 + f64::from(next.nanos - started.nanos) / 1e9;
    assert!((2.5..10.0).contains(&wait), "the next attempt is due {wait}s after the first started");

    let request = finished(&app, &id, Duration::from_secs(20)).await;
    assert_eq!(state(&request), pb::State::Failed);
    assert_eq!(request.sources[0].next_attempt_time, None, "no attempt is due once it failed for good");

    let name = app.registry.clone().list_data_sources(pb::ListDataSourcesRequest::default()).await.unwrap();
    let name = name.into_inner().data_sources[0].name.clone();
    let checked =
        app.registry.clone().check_data_source(pb::CheckDataSourceRequest { name }).await.unwrap().into_inner();
    assert_eq!(checked.health, pb::HealthStatus::Unreachable as i32);
    assert_eq!(checked.latency, None, "nothing answered, so there is no latency");
    assert!(checked.error.contains(&format!("connecting to {endpoint}")), "{}", checked.error);
}

/// Issue 9, item 18: a stream that keeps sending is not cut off by the call timeout (sized for
/// one answer): 100,000 items over several times the source's 1 s call timeout arrive whole.
async fn a_steady_stream_runs_past_the_call_timeout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let steady = Scripted {
        // 100,000 items over at least 6 s, slower than privacyd takes them even on a busy
        // machine: a source that is steady, not one that has everything buffered.
        export: Export::Steady { items: 100_000, burst: 1_000, gap: Duration::from_millis(60) },
        ..Default::default()
    };
    let calls = steady.export_calls.clone();
    let (endpoint, _stop) = serve(steady).await;
    let call_timeout = Duration::from_secs(1);
    register(&app, &endpoint, |r| r.call_timeout = duration(call_timeout)).await;
    let started = Instant::now();
    let (id, _) = process(&app, pb::Action::Export).await;
    let request = finished(&app, &id, Duration::from_secs(120)).await;
    assert_eq!(state(&request), pb::State::Completed, "{request:#?}");
    assert!(started.elapsed() > 5 * call_timeout, "the stream took longer than the call timeout");
    assert_eq!(request.sources[0].items, 100_000);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "in one stream, not retried");
}

/// The verification export after an erasure is a stream too.
async fn a_steady_verification_export_runs_past_the_call_timeout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let retained = 20_000;
    let steady = Scripted {
        export: Export::Steady { items: retained, burst: 500, gap: Duration::from_millis(60) },
        erase: Erase::Answer { messages: Vec::new(), retained: retained as i64 },
        ..Default::default()
    };
    let (endpoint, _stop) = serve(steady).await;
    register(&app, &endpoint, |r| r.call_timeout = duration(Duration::from_secs(1))).await;
    let (id, _) = process(&app, pb::Action::Erase).await;
    let request = finished(&app, &id, Duration::from_secs(60)).await;
    assert_eq!(state(&request), pb::State::Completed, "{request:#?}");
    assert_eq!(request.sources[0].attempts, 1, "{request:#?}");
}

/// A stream that stalls fails on its idle timeout, not after the overall limit, and says so.
async fn a_stalled_stream_fails_on_its_idle_timeout(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.source_max_attempts = 2).await;
    let (endpoint, _stop) = serve(Scripted { export: Export::StallAfter(10), ..Default::default() }).await;
    register(&app, &endpoint, |r| r.stream_idle_timeout = duration(Duration::from_millis(500))).await;
    let source = app.registry.clone().list_data_sources(pb::ListDataSourcesRequest::default()).await.unwrap();
    let source = source.into_inner().data_sources.remove(0);
    assert_eq!(source.stream_idle_timeout, duration(Duration::from_millis(500)));
    assert_eq!(source.stream_max_duration, duration(Duration::from_secs(3600)), "the default");
    assert_eq!(source.call_timeout, duration(Duration::from_secs(30)));

    let started = Instant::now();
    let (id, _) = process(&app, pb::Action::Export).await;
    let request = finished(&app, &id, Duration::from_secs(20)).await;
    assert_eq!(state(&request), pb::State::Failed, "{request:#?}");
    assert!(started.elapsed() < Duration::from_secs(15), "not the 30 s call timeout");
    let last_error = &request.sources[0].last_error;
    assert!(last_error.contains("no message for 500ms (stream_idle_timeout; 10 messages received"), "{last_error}");

    // Both limits can be changed, and are kept.
    let updated = app
        .registry
        .clone()
        .update_data_source(pb::UpdateDataSourceRequest {
            name: source.name.clone(),
            stream_max_duration: duration(Duration::from_secs(7200)),
            connect_timeout: duration(Duration::from_secs(2)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert_eq!(updated.stream_max_duration, duration(Duration::from_secs(7200)));
    assert_eq!(updated.connect_timeout, duration(Duration::from_secs(2)));
    assert_eq!(updated.stream_idle_timeout, duration(Duration::from_millis(500)), "unchanged");
    let err = app
        .registry
        .clone()
        .update_data_source(pb::UpdateDataSourceRequest {
            name: source.name,
            stream_idle_timeout: duration(Duration::ZERO),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(crate::helpers::error_metadata(&err, "field").as_deref(), Some("stream_idle_timeout"));
}

/// However steadily it sends, a stream ends at its `stream_max_duration`: the bound on a source
/// that never ends.
async fn a_stream_past_its_overall_limit_fails(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.source_max_attempts = 1).await;
    let endless = Scripted {
        export: Export::Steady { items: usize::MAX, burst: 100, gap: Duration::from_millis(20) },
        ..Default::default()
    };
    let (endpoint, _stop) = serve(endless).await;
    register(&app, &endpoint, |r| r.stream_max_duration = duration(Duration::from_secs(1))).await;
    let (id, _) = process(&app, pb::Action::Export).await;
    let request = finished(&app, &id, Duration::from_secs(20)).await;
    assert_eq!(state(&request), pb::State::Failed, "{request:#?}");
    let last_error = &request.sources[0].last_error;
    assert!(
        last_error.contains("DeadlineExceeded: Export: the stream did not end within 1s (stream_max_duration"),
        "{last_error}"
    );
}
