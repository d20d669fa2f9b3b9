//! A watch that starts late still shows what happened (issue 9, item 24): WatchPrivacyRequest
//! first replays the request's audit events so far (marked `replayed`), then sends the live
//! ones; a watch on a request that already finished sends its history and ends. privacyctl's
//! watch prints that history, and does not stop at a FAILED the request has left since.

use std::{sync::atomic::Ordering, time::Duration};

use futures::StreamExt;
use privacyd::proto::privacy::v1 as pb;

use crate::{
    fake_source::{Misbehaving, serve},
    helpers::{Backend, TestApp, state, unique_email},
    on_both_backends,
    privacyctl::ctl,
};

on_both_backends!(
    a_watch_on_a_finished_request_sends_its_history_and_ends,
    a_late_watch_sends_the_history_then_live_events
);

/// Every message of a watch until it ends (within a time limit: a watch that never ends fails).
async fn watch_to_the_end(app: &TestApp, id: &str) -> Vec<pb::WatchPrivacyRequestResponse> {
    let mut stream = app
        .client
        .clone()
        .watch_privacy_request(pb::WatchPrivacyRequestRequest { id: id.to_owned() })
        .await
        .unwrap()
        .into_inner();
    tokio::time::timeout(Duration::from_secs(20), async {
        let mut messages = Vec::new();
        while let Some(message) = stream.next().await {
            messages.push(message.unwrap());
        }
        messages
    })
    .await
    .expect("the watch ends")
}

async fn register_slow(app: &TestApp, source: Misbehaving) {
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "slow".into(),
            endpoint: serve(source).await,
            call_timeout: Some(prost_types::Duration { seconds: 30, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn process(app: &TestApp, id: &str) {
    app.client.clone().process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.into() }).await.unwrap();
}

/// The README's erasure block: the request finished before the watch began. The watch used to
/// send the request and end, with no event at all.
async fn a_watch_on_a_finished_request_sends_its_history_and_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    register_slow(&app, Misbehaving { slow: Some((3, Duration::from_millis(10))), ..Default::default() }).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    process(&app, &created.id).await;
    // Its "export ready" email is sent after it completed, with an event of its own: the audit
    // log is read once that is done too, so that it is the whole history the watch replays.
    app.wait_for(&created.id, "the export to complete and its email to go", |r| {
        state(r) == pb::State::Completed
            && !r.emails.is_empty()
            && r.emails.iter().all(|e| e.state == pb::DeliveryState::Sent as i32)
    })
    .await;
    let audit = app.audit(&created.id).await;
    let completed_at = audit.iter().find(|e| e.r#type == pb::AuditEventType::Completed as i32).unwrap().sequence;

    let messages = watch_to_the_end(&app, &created.id).await;
    let first = &messages[0];
    assert!(first.event.is_none() && !first.replayed);
    assert_eq!(state(first.privacy_request.as_ref().unwrap()), pb::State::Completed);
    assert_eq!(first.replayed_until_sequence, audit.last().unwrap().sequence);
    let history: Vec<&pb::WatchPrivacyRequestResponse> = messages[1..].iter().filter(|m| m.event.is_some()).collect();
    let sequences: Vec<i64> = history.iter().map(|m| m.event.as_ref().unwrap().sequence).collect();
    let expected: Vec<i64> = audit.iter().map(|e| e.sequence).filter(|s| *s <= completed_at).collect();
    assert_eq!(sequences, expected, "the audit log, in order, up to the event that made it final");
    assert!(history.iter().all(|m| m.replayed), "all of it happened before the watch");
    let types: Vec<i32> = history.iter().map(|m| m.event.as_ref().unwrap().r#type).collect();
    for kind in [
        pb::AuditEventType::Created,
        pb::AuditEventType::ProcessingStarted,
        pb::AuditEventType::SourceSucceeded,
        pb::AuditEventType::ArchiveCreated,
        pb::AuditEventType::Completed,
    ] {
        assert!(types.contains(&(kind as i32)), "{kind:?} missing from {types:?}");
    }

    // privacyctl prints that history and exits as for a watch that saw it live.
    let watched = tokio::time::timeout(Duration::from_secs(20), ctl(&app, &["requests", "watch", &created.id]))
        .await
        .expect("privacyctl's watch ends")
        .ok();
    assert!(watched.stdout.contains(" PROCESSING_STARTED CONFIRMED -> PROCESSING by admin "), "{}", watched.stdout);
    assert!(watched.stdout.contains(" SOURCE_SUCCEEDED by system executor: slow: 3 items"), "{}", watched.stdout);
    assert!(watched.stdout.contains(" COMPLETED PROCESSING -> COMPLETED by system executor"), "{}", watched.stdout);
    assert!(watched.stdout.contains(&format!("request {} COMPLETED\n", created.id)), "{}", watched.stdout);
}

/// A watch that begins while the request runs: what happened before, then what happens.
async fn a_late_watch_sends_the_history_then_live_events(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    register_slow(&app, Misbehaving { slow: Some((20, Duration::from_millis(100))), ..Default::default() }).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    process(&app, &created.id).await;
    let before = app.audit(&created.id).await;
    let messages = watch_to_the_end(&app, &created.id).await;
    let events: Vec<(i64, i32, bool)> =
        messages.iter().filter_map(|m| m.event.as_ref().map(|e| (e.sequence, e.r#type, m.replayed))).collect();
    let history: Vec<i64> = events.iter().filter(|(_, _, replayed)| *replayed).map(|(s, _, _)| *s).collect();
    let until = messages[0].replayed_until_sequence;
    assert!(until >= before.last().unwrap().sequence);
    assert_eq!(
        history,
        app.audit(&created.id).await.iter().map(|e| e.sequence).filter(|s| *s <= until).collect::<Vec<_>>()
    );
    assert!(history.len() >= 2, "created and processing started: {events:?}");
    let live: Vec<&(i64, i32, bool)> = events.iter().filter(|(_, _, replayed)| !replayed).collect();
    assert!(live.iter().all(|(sequence, _, _)| *sequence > until), "{events:?}");
    assert_eq!(live.last().map(|(_, kind, _)| *kind), Some(pb::AuditEventType::Completed as i32), "{events:?}");
    let sequences: Vec<i64> = events.iter().map(|(s, _, _)| *s).collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "in order, each once: {sequences:?}");
}

/// A request that failed and is being processed again: the FAILED in its history is not where
/// it stands, so privacyctl's watch goes on to the end of the new attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacyctl_watch_does_not_stop_at_a_failure_the_request_has_left() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.source_max_attempts = 1).await;
    let source = Misbehaving { slow: Some((20, Duration::from_millis(100))), ..Default::default() };
    source.failing.store(true, Ordering::SeqCst);
    register_slow(&app, source.clone()).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    process(&app, &created.id).await;
    app.wait_for(&created.id, "the first attempt to fail", |r| state(r) == pb::State::Failed).await;

    // Failed now: the watch prints how it got there and stops, saying so.
    let failed = tokio::time::timeout(Duration::from_secs(20), ctl(&app, &["requests", "watch", &created.id]))
        .await
        .expect("the watch of a failed request stops")
        .failed();
    assert!(failed.stdout.contains(" FAILED PROCESSING -> FAILED"), "{}", failed.stdout);
    assert!(failed.stderr.contains(&format!("request {} ended FAILED", created.id)), "{}", failed.stderr);

    source.failing.store(false, Ordering::SeqCst);
    process(&app, &created.id).await;
    let watched = tokio::time::timeout(Duration::from_secs(30), ctl(&app, &["requests", "watch", &created.id]))
        .await
        .expect("the watch ends")
        .ok();
    assert!(watched.stdout.contains(" FAILED PROCESSING -> FAILED"), "the history: {}", watched.stdout);
    assert!(watched.stdout.contains(" PROCESSING_STARTED FAILED -> PROCESSING"), "{}", watched.stdout);
    assert!(watched.stdout.contains(&format!("request {} COMPLETED\n", created.id)), "{}", watched.stdout);
}
