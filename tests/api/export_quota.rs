//! Export quotas: a data source cannot stream without limit into privacyd's disk. One that
//! passes its quota, or takes its request past the request's, fails at once and for good,
//! naming the source and the quota; its stream is cancelled and its partial spool removed.

use std::{path::PathBuf, sync::atomic::Ordering, time::Duration};

use bytesize::ByteSize;
use privacyd::proto::privacy::v1 as pb;

use crate::{
    fake_source::{Misbehaving, item, serve},
    helpers::{Backend, TestApp, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    a_source_past_its_quota_fails_the_request_at_once,
    sources_together_past_the_request_quota_fail_it,
    retries_and_processing_again_do_not_count_twice,
);

async fn register(app: &TestApp, name: &str, source: Misbehaving) {
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: name.into(),
            endpoint: serve(source).await,
            call_timeout: Some(prost_types::Duration { seconds: 60, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn process(app: &TestApp, id: &str) {
    app.client.clone().process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.to_owned() }).await.unwrap();
}

async fn ended(app: &TestApp, id: &str) -> pb::PrivacyRequest {
    app.wait_for(id, "the export to end", |r| [pb::State::Failed, pb::State::Completed].contains(&state(r))).await
}

fn run<'a>(request: &'a pb::PrivacyRequest, name: &str) -> &'a pb::SourceProgress {
    request.sources.iter().find(|s| s.source_name == name).unwrap()
}

/// Where a source's spool is: while it streams, in the replica's scratch folder; once its job
/// ends, in the archive store (here the default local one). `exists` of it is either.
struct Spool([PathBuf; 2]);

impl Spool {
    fn exists(&self) -> bool {
        self.0.iter().any(|path| path.exists())
    }
}

fn spool(app: &TestApp, id: &str, source: &str) -> Spool {
    let data = app.data_dir.path();
    Spool([
        data.join("exports").join(id).join("sources").join(source),
        data.join("scratch").join(id).join("sources").join(source),
    ])
}

/// A source that would stream 100 MB against a 64 KiB quota: the request fails, saying which
/// source passed which quota, after one call (not retried); the source is cut off long before
/// the end; nothing of it stays on disk; a source within the quota is unaffected.
async fn a_source_past_its_quota_fails_the_request_at_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.export_source_quota = ByteSize::kib(64)).await;
    const ITEMS: usize = 100_000;
    let flood = Misbehaving { flood: Some((ITEMS, 1000)), ..Default::default() };
    register(&app, "flood", flood.clone()).await;
    register(&app, "small", Misbehaving::default()).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    process(&app, &created.id).await;

    let done = ended(&app, &created.id).await;
    assert_eq!(state(&done), pb::State::Failed);
    let reason = done.state_reason.clone();
    for expected in ["EXPORT_QUOTA_EXCEEDED", "\"flood\"", "per-source", "65536 bytes", "--export-source-quota"] {
        assert!(reason.contains(expected), "{expected:?} missing from the failure: {reason}");
    }
    let flooded = run(&done, "flood");
    assert_eq!((flooded.state, flooded.attempts), (pb::SourceState::Failed as i32, 1), "{flooded:?}");
    assert_eq!(flood.calls.load(Ordering::SeqCst), 1, "a quota is not retried");
    let sent = flood.sent.load(Ordering::SeqCst);
    assert!(sent < ITEMS / 10, "the stream was cancelled: the source produced {sent} of {ITEMS} items");
    assert!(!spool(&app, &created.id, "flood").exists(), "the partial spool is removed");
    assert_eq!(run(&done, "small").state, pb::SourceState::Succeeded as i32, "a source within the quota completes");
}

/// Each source within its own quota, together past the request's: the request fails naming
/// the request quota, and the source that passed it leaves no spool.
async fn sources_together_past_the_request_quota_fail_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.export_source_quota = ByteSize::mib(1);
        config.export_request_quota = ByteSize::kib(100);
    })
    .await;
    for name in ["one", "two"] {
        register(&app, name, Misbehaving { flood: Some((60, 1000)), ..Default::default() }).await;
    }
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    process(&app, &created.id).await;

    let done = ended(&app, &created.id).await;
    assert_eq!(state(&done), pb::State::Failed, "{done:#?}");
    for expected in ["EXPORT_QUOTA_EXCEEDED", "per-request", "102400 bytes", "--export-request-quota"] {
        assert!(done.state_reason.contains(expected), "{expected:?} missing from: {}", done.state_reason);
    }
    let failed: Vec<&pb::SourceProgress> =
        done.sources.iter().filter(|s| s.state == pb::SourceState::Failed as i32).collect();
    assert!(!failed.is_empty());
    for run in failed {
        assert!(run.last_error.contains(&format!("{:?}", run.source_name)), "{run:?}");
        assert!(!spool(&app, &created.id, &run.source_name).exists(), "{} left its spool", run.source_name);
    }
}

/// Only what is on disk counts: an attempt that broke is replaced by the next, and processing
/// a failed request again counts the sources that already succeeded once. The quota here is
/// 4.5 items: two sources of 2 items each fit, any double count would not.
async fn retries_and_processing_again_do_not_count_twice(backend: Backend) {
    let size = prost::Message::encoded_len(&item("a")) as u64;
    let app = TestApp::spawn_with(backend, move |config| {
        config.export_request_quota = ByteSize::b(4 * size + size / 2);
        config.source_max_attempts = 2;
    })
    .await;
    register(&app, "good", Misbehaving::default()).await;
    // Fails both attempts of the first processing; then its first call breaks after an item.
    let flaky = Misbehaving { break_first: 3, ..Default::default() };
    flaky.failing.store(true, Ordering::SeqCst);
    register(&app, "flaky", flaky.clone()).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    process(&app, &created.id).await;
    let failed = ended(&app, &created.id).await;
    assert_eq!(state(&failed), pb::State::Failed);
    assert!(!failed.state_reason.contains("QUOTA"), "{}", failed.state_reason);

    flaky.failing.store(false, Ordering::SeqCst);
    process(&app, &created.id).await;
    let done = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let request = app.get(&created.id).await;
            if state(&request) != pb::State::Processing {
                return request;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("processing again ends");
    assert_eq!(state(&done), pb::State::Completed, "{}", done.state_reason);
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 4, "two failed calls, one broken, one whole");
    assert_eq!(run(&done, "flaky").attempts, 2);
}
