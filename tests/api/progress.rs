//! How sources record their parts of a request: progress written to their own runs without
//! locking the request against each other (and still seen by every replica), and their ends
//! batched into shared transactions, each standing or failing alone.

use std::time::Duration;

use futures::StreamExt;
use privacyd::{
    domain::{Actor, Error, RequestId, SourceName, SourceState, State},
    proto::privacy::v1 as pb,
    store::{Change, Store},
};

use crate::{
    fake_source::{Misbehaving, serve},
    helpers::{Backend, TestApp, unique_email},
    on_both_backends,
};

on_both_backends!(a_watch_on_another_replica_sees_a_source_stream, a_write_to_one_run_cannot_change_the_request);

/// Counts while a source streams are written to its run alone (no audit event, no change to
/// the request's row); a watch served by another replica, which only polls, still sees them.
async fn a_watch_on_another_replica_sees_a_source_stream(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slow = Misbehaving { slow: Some((25, Duration::from_millis(100))), ..Default::default() };
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "slow".into(),
            endpoint: serve(slow).await,
            call_timeout: Some(prost_types::Duration { seconds: 30, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    let id = RequestId::parse("id", &created.id).unwrap();
    // Its own database connections and no executor: it hears of nothing this process does.
    let other_replica = app.workflow().await;
    let mut watch = other_replica.watch(&Actor::system("test"), id).await.unwrap();
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    let mut counts = Vec::new();
    while let Some(item) = watch.next().await {
        let (request, event) = item.unwrap();
        if event.is_none()
            && let Some(run) = request.as_ref().and_then(|r| r.sources.first())
            && run.state == SourceState::Running
        {
            counts.push(run.items);
        }
    }
    assert!(counts.iter().any(|items| *items > 0 && *items < 25), "live counts on the other replica: {counts:?}");
}

/// A write that holds the request shared (one source's run) may change only that run: one that
/// tries more is refused and writes nothing.
async fn a_write_to_one_run_cannot_change_the_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    let id = RequestId::parse("id", &created.id).unwrap();
    let store = Store::connect(&app.database_url, 2).await.unwrap();
    let source = SourceName::parse("shop").unwrap();
    let refused = store
        .modify_own_run(id, &source, |request, _| {
            request.state = State::Cancelled;
            Ok(Change::new(()))
        })
        .await;
    assert!(matches!(refused, Err(Error::Internal(_))), "{refused:?}");
    assert_eq!(store.get_request(id).await.unwrap().unwrap().state, State::Confirmed);
}

on_both_backends!(the_ends_of_sources_written_together_stand_or_fail_alone);

/// The writes that end sources' parts of one request, made at the same moment, share a
/// transaction: one that fails is undone alone, the others stand, and a write that panics
/// leaves later ones to go ahead.
async fn the_ends_of_sources_written_together_stand_or_fail_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let processing = app.processing_request().await;
    let id = RequestId::parse("id", &processing.id).unwrap();
    let source = SourceName::parse(&processing.sources[0].source_name).unwrap();
    let store = Store::connect(&app.database_url, 2).await.unwrap();

    // The first holds its batch while the other two queue behind it, for the next.
    let holds = store.modify_run(id, &source, |_, _| {
        std::thread::sleep(Duration::from_millis(300));
        Ok(Change::new(()))
    });
    let fails = store.modify_run(id, &source, |request, _| {
        request.state = State::Cancelled;
        Err::<Change<()>, _>(Error::Internal("refused".into()))
    });
    let records = store.modify_run(id, &source, |request, source| {
        let seen = request.state;
        let run = request.sources.iter_mut().find(|run| &run.source == source).unwrap();
        run.last_error = "recorded".into();
        Ok(Change::new(seen))
    });
    let (held, failed, recorded) = tokio::join!(holds, fails, records);
    held.unwrap();
    assert!(matches!(failed, Err(Error::Internal(_))), "{failed:?}");
    assert_eq!(recorded.unwrap(), State::Processing, "the failed write was undone before the next");
    let stored = store.get_request(id).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.sources[0].last_error.as_str()), (State::Processing, "recorded"));

    let panics = store.modify_run(id, &source, |_, _| -> Result<Change<()>, Error> { panic!("a bug") }).await;
    assert!(matches!(panics, Err(Error::Internal(_))), "{panics:?}");
    let after =
        tokio::time::timeout(Duration::from_secs(10), store.modify_run(id, &source, |_, _| Ok(Change::new(()))));
    after.await.expect("a write after a panic is not stuck behind it").unwrap();
}
