//! Per-source limits (issue 11, section 5): a data source's `max_concurrent_calls` bounds the
//! calls privacyd has in flight to it, and jobs that wait (for the source's turn, or on its
//! answer) hold no executor slot, so one slow source does not hold up the others.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures::StreamExt;
use privacyd::proto::privacy::{
    datasource::v1::{self as ds, data_source_service_server::DataSourceService},
    v1 as pb,
};
use tonic::{Code, Request, Response, Status};

use crate::{
    fake_source::{describe_things, item, serve},
    helpers::{Backend, TestApp, error_metadata, reason, state, unique_email},
    on_both_backends,
};

/// A source that counts the `Export` calls it has open at once and the most it ever had. Each
/// call answers after `latency` (never, when `None`: a hung service).
#[derive(Clone, Default)]
struct Counting {
    calls: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
    most_open: Arc<AtomicUsize>,
    latency: Option<Duration>,
}

/// Counts a call as open until it is dropped: when the source has answered, or privacyd cut
/// the call.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[tonic::async_trait]
impl DataSourceService for Counting {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(describe_things("counting")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now_open = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_open.fetch_max(now_open, Ordering::SeqCst);
        let _open = Open(self.open.clone());
        match self.latency {
            Some(latency) => tokio::time::sleep(latency).await,
            None => futures::future::pending::<()>().await,
        }
        Ok(Response::new(futures::stream::iter([Ok(item("a"))]).boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("this test source only exports"))
    }
}

async fn register(app: &TestApp, name: &str, endpoint: String, max_concurrent_calls: Option<u32>) -> pb::DataSource {
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: name.into(),
            endpoint,
            max_concurrent_calls,
            // A hung source is not cut off while the test runs.
            call_timeout: Some(prost_types::Duration { seconds: 600, nanos: 0 }),
            stream_idle_timeout: Some(prost_types::Duration { seconds: 600, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap()
}

/// Creates an export request and starts processing it.
async fn export(app: &TestApp) -> String {
    let request = app.create(&unique_email(), pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id.clone() })
        .await
        .unwrap();
    request.id
}

async fn wait_until(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A burst of requests reaches a source at most `max_concurrent_calls` calls at a time, though
/// privacyd has slots for all of them (`--job-concurrency` 128), and every request completes.
async fn a_burst_never_exceeds_the_sources_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let source = Counting { latency: Some(Duration::from_millis(150)), ..Default::default() };
    register(&app, "counted", serve(source.clone()).await, Some(3)).await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(export(&app).await);
    }
    for id in &ids {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let request = app.get(id).await;
            if state(&request) == pb::State::Completed {
                break;
            }
            assert_eq!(state(&request), pb::State::Processing, "{request:#?}");
            assert!(tokio::time::Instant::now() < deadline, "the export did not complete: {request:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(source.calls.load(Ordering::SeqCst), 12);
    // Reached, so it is the limit that held them back, and never passed.
    assert_eq!(source.most_open.load(Ordering::SeqCst), 3, "calls open at once");
    app.stop().await;
}

/// With one executor slot and a source that never answers at its limit, another source's
/// requests still complete: jobs waiting on the hung source's answer hold no slot, and its
/// jobs over the limit stay queued instead of waiting for its turn inside a slot.
async fn a_hung_source_at_its_limit_does_not_hold_up_the_others(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.job_concurrency = 1).await;
    let hung = Counting { latency: None, ..Default::default() };
    register(&app, "hung", serve(hung.clone()).await, Some(2)).await;
    for _ in 0..3 {
        export(&app).await;
    }
    wait_until("the hung source's two calls", Duration::from_secs(20), || hung.calls.load(Ordering::SeqCst) == 2).await;

    let quick = Counting { latency: Some(Duration::ZERO), ..Default::default() };
    register(&app, "quick", serve(quick.clone()).await, None).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(export(&app).await);
    }
    wait_until("the quick source to answer four requests", Duration::from_secs(20), || {
        quick.calls.load(Ordering::SeqCst) == 4
    })
    .await;
    for id in &ids {
        app.wait_for(id, "the quick source's part", |r| {
            r.sources.iter().any(|s| s.source_name == "quick" && s.state == pb::SourceState::Succeeded as i32)
        })
        .await;
    }
    // The hung source's other five jobs stayed queued.
    assert_eq!(hung.calls.load(Ordering::SeqCst), 2, "calls to the hung source");
    assert_eq!(hung.most_open.load(Ordering::SeqCst), 2);
    app.stop().await;
}

/// The limit is part of the registration: set, read back, changed (in flight now at the new
/// limit), and recorded in the registry's audit log like every setting.
async fn the_limit_round_trips_and_is_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let endpoint = serve(Counting::default()).await;
    let defaulted = register(&app, "defaulted", endpoint.clone(), None).await;
    assert_eq!(defaulted.max_concurrent_calls, 16, "the default");
    let registered = register(&app, "limited", endpoint, Some(5)).await;
    assert_eq!(registered.max_concurrent_calls, 5);
    let mut registry = app.registry.clone();
    let got = registry
        .get_data_source(pb::GetDataSourceRequest { name: "limited".into() })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert_eq!(got.max_concurrent_calls, 5);
    let updated = registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "limited".into(),
            max_concurrent_calls: Some(7),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert_eq!(updated.max_concurrent_calls, 7);
    // Another change leaves it as it is.
    let other = registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "limited".into(),
            enabled: Some(false),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert_eq!(other.max_concurrent_calls, 7);

    let events = app
        .client
        .clone()
        .list_audit_events(pb::ListAuditEventsRequest {
            subject: pb::AuditSubject::DataSource as i32,
            data_source: "limited".into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    let details: Vec<&str> = events.iter().map(|e| e.detail.as_str()).collect();
    assert!(details[0].ends_with("; max_concurrent_calls=5"), "{details:?}");
    assert_eq!(details[1], "max_concurrent_calls: 5 -> 7");
    app.stop().await;
}

/// Zero (no call could ever be made) and more than 1000 are refused, registering and updating,
/// with the field named; nothing is saved.
async fn bad_limits_are_refused_with_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let endpoint = serve(Counting::default()).await;
    let mut registry = app.registry.clone();
    for bad in [0, 1001, u32::MAX] {
        let refused = registry
            .register_data_source(pb::RegisterDataSourceRequest {
                name: "refused".into(),
                endpoint: endpoint.clone(),
                max_concurrent_calls: Some(bad),
                ..Default::default()
            })
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument, "{bad}: {refused:?}");
        assert_eq!(reason(&refused), "INVALID_FIELD");
        assert_eq!(error_metadata(&refused, "field").as_deref(), Some("max_concurrent_calls"));
    }
    let not_found = registry.get_data_source(pb::GetDataSourceRequest { name: "refused".into() }).await;
    assert_eq!(not_found.expect_err("not saved").code(), Code::NotFound);

    register(&app, "kept", endpoint, Some(4)).await;
    for bad in [0, 1001] {
        let refused = registry
            .update_data_source(pb::UpdateDataSourceRequest {
                name: "kept".into(),
                max_concurrent_calls: Some(bad),
                ..Default::default()
            })
            .await
            .expect_err("refused");
        assert_eq!((refused.code(), reason(&refused)), (Code::InvalidArgument, "INVALID_FIELD".to_owned()));
        assert_eq!(error_metadata(&refused, "field").as_deref(), Some("max_concurrent_calls"));
    }
    let kept = registry
        .get_data_source(pb::GetDataSourceRequest { name: "kept".into() })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert_eq!(kept.max_concurrent_calls, 4);
    app.stop().await;
}

on_both_backends!(
    a_burst_never_exceeds_the_sources_limit,
    a_hung_source_at_its_limit_does_not_hold_up_the_others,
    the_limit_round_trips_and_is_audited,
    bad_limits_are_refused_with_the_field,
);
