//! An operator cancels a request that is PROCESSING (issue 9, item 18): its running jobs stop,
//! on whichever replica runs them (the signal goes through the database), nothing cut off is
//! reported as done, what a source had already applied stays recorded, no email claims the
//! request was fulfilled, the audit log says what happened to each source, and the spooled
//! source data is removed. Before, CancelPrivacyRequest answered "cannot cancel a request that
//! is PROCESSING", and a stream cut by its deadline was retried from scratch with no way to
//! stop it.

use std::time::Duration;

use privacyd::{
    domain::{Actor, Reason, RequestId, Transition},
    proto::privacy::v1 as pb,
};
use sqlx::Connection;

use crate::{
    erasing_source::{Behaviour, ErasingSource},
    fake_source::{Misbehaving, serve},
    helpers::{Backend, SmtpSink, TestApp, reason, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    cancelling_an_export_stops_its_stream_on_the_replica_running_it,
    cancelling_an_erasure_keeps_what_was_erased_and_marks_the_cut_off_source_unknown,
);

fn run<'a>(request: &'a pb::PrivacyRequest, source: &str) -> &'a pb::SourceProgress {
    request.sources.iter().find(|s| s.source_name == source).unwrap_or_else(|| panic!("no run for {source}"))
}

/// (kind, state, whether a replica still holds it) of the request's per-source jobs.
async fn source_jobs(app: &TestApp, backend: Backend, id: &str) -> Vec<(String, String, bool)> {
    let sql = "SELECT kind, state, lease_owner IS NOT NULL AS held FROM jobs WHERE request_id = $1 AND kind <> 'EMAIL' \
               ORDER BY create_time";
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            sqlx::query_as::<_, (String, String, bool)>(sql).bind(id).fetch_all(&mut conn).await.unwrap()
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            sqlx::query_as::<_, (String, String, bool)>(sql).bind(id).fetch_all(&mut conn).await.unwrap()
        }
    }
}

/// Polls until the request's jobs are all cancelled and let go of by the replica that ran
/// them (it noticed), within a time limit.
async fn until_jobs_stopped(app: &TestApp, backend: Backend, id: &str) -> Vec<(String, String, bool)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let jobs = source_jobs(app, backend, id).await;
        if jobs.iter().all(|(kind, state, held)| !held && (state == "CANCELLED" || state == "DONE") && !kind.is_empty())
        {
            return jobs;
        }
        assert!(tokio::time::Instant::now() < deadline, "the running jobs were not stopped: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn until_gone(path: &std::path::Path) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while path.exists() {
        assert!(tokio::time::Instant::now() < deadline, "{} was not removed", path.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn register(app: &TestApp, name: &str, endpoint: String) {
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: name.into(),
            endpoint,
            call_timeout: Some(prost_types::Duration { seconds: 60, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// A slow stream (as the 100,000-comment WordPress export was) is cancelled from another
/// replica while it streams: the replica running it stops it, and its spool goes.
async fn cancelling_an_export_stops_its_stream_on_the_replica_running_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    register(
        &app,
        "slow",
        serve(Misbehaving { slow: Some((400, Duration::from_millis(50))), ..Default::default() }).await,
    )
    .await;
    register(&app, "quick", serve(Misbehaving::default()).await).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    app.wait_for(&created.id, "the slow source to stream and the quick one to finish", |r| {
        run(r, "slow").state == pb::SourceState::Running as i32
            && run(r, "slow").items > 0
            && run(r, "quick").state == pb::SourceState::Succeeded as i32
    })
    .await;
    // A spool is written to the replica's scratch folder while its source streams.
    let spool = app.data_dir.path().join("scratch").join(&created.id).join("sources");
    assert!(spool.join("slow").exists(), "the slow source spools as it streams");
    let stored = app.data_dir.path().join("exports").join(&created.id).join("sources");
    assert!(stored.join("quick").exists(), "a finished source's spool is in the archive store");

    // Another replica: its own connections, no executor. Only the database tells the replica
    // running the job.
    let other_replica = app.workflow().await;
    let id = RequestId::parse("id", &created.id).unwrap();
    let why = Reason::parse("reason", "the subject withdrew it by phone").unwrap();
    let asked = std::time::Instant::now();
    let cancelled = other_replica
        .transition(Actor::system("test"), id, Transition::Cancel, Some(why))
        .await
        .expect("a request in PROCESSING can be cancelled");
    assert_eq!(cancelled.state, privacyd::domain::State::Cancelled);

    let jobs = until_jobs_stopped(&app, backend, &created.id).await;
    eprintln!(
        "{backend:?}: the running job stopped {:?} after the cancellation (poll interval 100 ms)",
        asked.elapsed()
    );
    assert!(jobs.iter().any(|(kind, state, _)| kind == "EXPORT_SOURCE" && state == "CANCELLED"), "{jobs:?}");
    let after = app.get(&created.id).await;
    assert_eq!(state(&after), pb::State::Cancelled);
    assert_eq!(after.state_reason, "the subject withdrew it by phone");
    let slow = run(&after, "slow");
    assert_eq!(slow.state, pb::SourceState::Cancelled as i32, "cut off, not done: {slow:?}");
    assert!(slow.last_error.contains("cut off during its call"), "{slow:?}");
    assert_eq!(run(&after, "quick").state, pb::SourceState::Succeeded as i32, "what ended stays as it ended");
    assert!(after.archive.is_none());

    // The audit log: the slow source's end, then the cancellation (where a watch ends).
    let audit = app.audit(&created.id).await;
    let types: Vec<i32> = audit.iter().map(|e| e.r#type).collect();
    let stopped =
        types.iter().position(|t| *t == pb::AuditEventType::SourceCancelled as i32).expect("SOURCE_CANCELLED");
    let ended = types.iter().position(|t| *t == pb::AuditEventType::Cancelled as i32).expect("CANCELLED");
    assert!(stopped < ended, "{types:?}");
    assert!(audit[stopped].detail.starts_with("slow: cut off during its call"), "{:?}", audit[stopped]);
    assert_eq!(audit[ended].from_state, pb::State::Processing as i32);
    assert_eq!(types.iter().filter(|t| **t == pb::AuditEventType::SourceCancelled as i32).count(), 1);

    until_gone(&spool).await;
    until_gone(&stored).await;
    // Nothing claims it was done: no download link, now or later.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(SmtpSink::global().messages_to(&email).is_empty(), "no email to the subject");
    assert!(app.get(&created.id).await.emails.is_empty());
    let items_then = run(&app.get(&created.id).await, "slow").items;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(run(&app.get(&created.id).await, "slow").items, items_then, "the stream stopped");
    assert!(!spool.exists() && !stored.exists(), "no spool written after the stop");
}

/// One source erased (its Erase answered), another's Erase hangs: cancelling keeps the first
/// recorded as erased and records the second as cut off, its outcome unknown. No receipt, no
/// "fulfilled" email.
async fn cancelling_an_erasure_keeps_what_was_erased_and_marks_the_cut_off_source_unknown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let shop = ErasingSource::new("shop", Behaviour::default());
    shop.hold(&email, "comments", 3);
    let hangs =
        ErasingSource::new("hangs", Behaviour { answer_after: Some(Duration::from_secs(120)), ..Default::default() });
    hangs.hold(&email, "orders", 2);
    register(&app, "shop", shop.serve().await).await;
    register(&app, "hangs", hangs.serve().await).await;
    let created = app.create(&email, pb::Action::Erase, false).await;
    let mut client = app.client.clone();
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() }).await.unwrap();
    app.wait_for(&created.id, "shop to be erased and verified while hangs waits on its Erase", |r| {
        run(r, "shop").state == pb::SourceState::Succeeded as i32
            && run(r, "hangs").state == pb::SourceState::Running as i32
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while hangs.erase_calls.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "Erase was never called on hangs");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let cancelled = client
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: created.id.clone(), reason: "by mistake".into() })
        .await
        .expect("a request in PROCESSING can be cancelled")
        .into_inner()
        .privacy_request
        .unwrap();
    assert_eq!(state(&cancelled), pb::State::Cancelled);
    until_jobs_stopped(&app, backend, &created.id).await;

    let after = app.get(&created.id).await;
    let erased = run(&after, "shop");
    assert_eq!(erased.state, pb::SourceState::Succeeded as i32, "its Erase answered: it stays erased");
    assert_eq!(erased.erasure.as_ref().map(|e| e.items_removed), Some(3));
    let cut = run(&after, "hangs");
    assert_eq!(cut.state, pb::SourceState::Cancelled as i32, "{cut:?}");
    assert!(cut.erasure.is_none() && cut.last_error.contains("unknown"), "not reported as done: {cut:?}");
    assert!(after.erasure.is_none(), "no outcome for an erasure that did not complete");
    assert_eq!(shop.held(&email).len(), 0);

    let receipt =
        client.get_erasure_receipt(pb::GetErasureReceiptRequest { id: created.id.clone() }).await.unwrap_err();
    assert_eq!(reason(&receipt), "RECEIPT_NOT_READY", "{receipt:?}");
    let audit = app.audit(&created.id).await;
    assert!(
        audit.iter().any(|e| e.r#type == pb::AuditEventType::SourceCancelled as i32 && e.detail.starts_with("hangs: ")),
        "{audit:?}"
    );
    // The hung call is not retried, and nothing is mailed.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(hangs.erase_calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(SmtpSink::global().messages_to(&email).is_empty(), "no 'erasure fulfilled' email");
    assert!(app.get(&created.id).await.emails.is_empty());
}

/// Denying a request in PROCESSING is the same kind of stop: its work stops too, and the subject
/// is told the reason (Art. 12(4)), and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denying_a_request_in_processing_stops_its_work_too() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    register(&app, "hangs", serve(Misbehaving { hang_first: 1000, ..Default::default() }).await).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, false).await;
    let mut client = app.client.clone();
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() }).await.unwrap();
    app.wait_for(&created.id, "the source to be called", |r| run(r, "hangs").state == pb::SourceState::Running as i32)
        .await;
    let denied = client
        .deny_privacy_request(pb::DenyPrivacyRequestRequest {
            id: created.id.clone(),
            reason: "not our customer".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap();
    assert_eq!(state(&denied), pb::State::Denied);
    until_jobs_stopped(&app, Backend::Sqlite, &created.id).await;
    let after = app.get(&created.id).await;
    assert_eq!(run(&after, "hangs").state, pb::SourceState::Cancelled as i32);
    let mails = SmtpSink::global().wait_for(&email, 1).await;
    assert!(mails[0].raw.contains("not our customer"), "the denial, with its reason: {}", mails[0].raw);
}
