//! Retention (GDPR Art. 5(1)(e), storage limitation): a finished request loses its per-source
//! details after `--job-retention` and its subject after `--request-retention`, and keeps its
//! id, action, states, times, outcome, audit events and receipt; open requests are never
//! touched; two replicas sweeping at once do each request once.
//!
//! Time is moved by moving requests back: a request's retention counts from its update time,
//! which the tests set into the past, as if the clock had run on.

use std::time::Duration;

use privacyd::{proto::privacy::v1 as pb, workflow::RetentionPolicy};
use sqlx::{Connection, Row};

use crate::{
    erasing_source::{Behaviour, ErasingSource},
    helpers::{Backend, TestApp, reason, state, unique_email},
    on_both_backends,
    receipt_signing::{as_database_owner, published_keys, verify},
};

on_both_backends!(
    finished_requests_lose_their_sources_then_their_subject_and_keep_the_rest,
    two_replicas_sweeping_at_once_purge_each_request_once,
    the_sweeper_applies_the_configured_retention,
    every_statement_of_the_sweep_uses_an_index,
);

/// One hour for runs and jobs, two for the subject.
fn policy() -> RetentionPolicy {
    RetentionPolicy { jobs: chrono::Duration::hours(1), requests: chrono::Duration::hours(2) }
}

async fn database(app: &TestApp) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&app.database_url).await.unwrap()
}

/// Moves a request's last change `by` into the past: the clock ran on for it.
async fn age(app: &TestApp, id: &str, by: chrono::Duration) {
    let mut db = database(app).await;
    let moved = sqlx::query("UPDATE privacy_requests SET update_time = update_time - $2 WHERE id = $1")
        .bind(id.to_owned())
        .bind(by.num_microseconds().unwrap())
        .execute(&mut db)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(moved, 1);
}

async fn count(app: &TestApp, sql: &'static str, id: &str) -> i64 {
    let mut db = database(app).await;
    sqlx::query_scalar(sql).bind(id.to_owned()).fetch_one(&mut db).await.unwrap()
}

/// Every text cell of every table that holds anything about requests, for a search.
async fn all_text(app: &TestApp) -> String {
    let mut db = database(app).await;
    let mut text = String::new();
    for table in ["privacy_requests", "jobs", "source_runs", "export_archives", "audit_events", "erasure_receipts"] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}"))).fetch_all(&mut db).await.unwrap();
        for row in rows {
            for i in 0..row.len() {
                if let Ok(Some(cell)) = row.try_get::<Option<String>, _>(i) {
                    text.push_str(&cell.to_lowercase());
                    text.push('\n');
                }
            }
        }
    }
    text
}

async fn create(app: &TestApp, email: &str, user_id: &str, action: pb::Action) -> pb::PrivacyRequest {
    app.client
        .clone()
        .create_privacy_request(pb::CreatePrivacyRequestRequest {
            subject: Some(pb::Subject { email: email.to_owned(), user_id: user_id.to_owned() }),
            action: action as i32,
            send_confirmation: false,
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap()
}

/// A request processed to its end, with every email it sends recorded as sent.
async fn finished(app: &TestApp, email: &str, user_id: &str, action: pb::Action) -> pb::PrivacyRequest {
    let request = create(app, email, user_id, action).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id.clone() })
        .await
        .unwrap();
    let done = app
        .wait_for(&request.id, "the request to complete with its email sent", |r| {
            state(r) == pb::State::Completed
                && !r.emails.is_empty()
                && r.emails.iter().all(|e| e.state == pb::DeliveryState::Sent as i32)
        })
        .await;
    assert!(!done.sources.is_empty());
    done
}

async fn receipt(app: &TestApp, id: &str) -> pb::GetErasureReceiptResponse {
    app.client.clone().get_erasure_receipt(pb::GetErasureReceiptRequest { id: id.into() }).await.unwrap().into_inner()
}

async fn list_by_email(app: &TestApp, email: &str) -> Vec<pb::PrivacyRequest> {
    app.client
        .clone()
        .list_privacy_requests(pb::ListPrivacyRequestsRequest {
            page_size: 100,
            subject_email: email.to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .privacy_requests
}

async fn finished_requests_lose_their_sources_then_their_subject_and_keep_the_rest(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = ErasingSource::new("shop", Behaviour { retain: vec!["orders"], ..Default::default() });
    let [old, middle, recent, exported, open] = std::array::from_fn(|_| unique_email());
    for email in [&old, &middle, &recent, &exported] {
        shop.hold(email, "orders", 1).hold(email, "comments", 2);
    }
    let endpoint = shop.serve().await;
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest { name: "shop".into(), endpoint, ..Default::default() })
        .await
        .unwrap();

    // Finished three hours ago (both periods passed), 90 minutes ago (runs and jobs only),
    // just now (neither); an export three hours ago whose archive is still downloadable; and
    // an open request older than all of them.
    let old_request = finished(&app, &old, "user-old-4711", pb::Action::Erase).await;
    let middle_request = finished(&app, &middle, "user-middle-4712", pb::Action::Erase).await;
    let recent_request = finished(&app, &recent, "", pb::Action::Erase).await;
    let export_request = finished(&app, &exported, "", pb::Action::Export).await;
    let open_request = create(&app, &open, "user-open-4713", pb::Action::Erase).await;
    let old_receipt = receipt(&app, &old_request.id).await;
    let old_audit = app.audit(&old_request.id).await;
    for (id, minutes) in
        [(&old_request.id, 180), (&middle_request.id, 90), (&export_request.id, 180), (&open_request.id, 300)]
    {
        age(&app, id, chrono::Duration::minutes(minutes)).await;
    }
    let before = all_text(&app).await;
    for email in [&old, &middle, &recent, &exported, &open] {
        assert!(before.contains(email), "the search sees what the database holds");
    }
    assert!(before.contains("user-old-4711"));
    let jobs_of = "SELECT COUNT(*) FROM jobs WHERE request_id = $1 AND kind <> 'EMAIL'";
    let emails_of = "SELECT COUNT(*) FROM jobs WHERE request_id = $1 AND kind = 'EMAIL'";
    let runs_of = "SELECT COUNT(*) FROM source_runs WHERE request_id = $1";
    let old_emails = count(&app, emails_of, &old_request.id).await;
    assert!(count(&app, jobs_of, &old_request.id).await > 0 && count(&app, runs_of, &old_request.id).await == 1);

    let replica = app.workflow().await;
    let swept = replica.apply_retention(&policy()).await.unwrap();
    assert_eq!((swept.sources_removed, swept.subjects_purged), (3, 1), "{swept:?}");

    // Gone: the runs and jobs of the three requests past --job-retention (not their emails),
    // and the old request's subject from every table.
    for request in [&old_request, &middle_request, &export_request] {
        assert_eq!(count(&app, runs_of, &request.id).await, 0);
        assert_eq!(count(&app, jobs_of, &request.id).await, 0);
    }
    assert_eq!(count(&app, emails_of, &old_request.id).await, old_emails);
    let after = all_text(&app).await;
    assert!(!after.contains(&old), "the purged address is still in the database");
    assert!(!after.contains("user-old-4711"), "the purged user id is still in the database");
    // Kept: everything of the others, the export's subject while its archive can be downloaded.
    for email in [&middle, &recent, &exported, &open] {
        assert!(after.contains(email));
    }
    assert!(after.contains("user-middle-4712") && after.contains("user-open-4713"));
    assert!(count(&app, runs_of, &recent_request.id).await > 0 && count(&app, jobs_of, &recent_request.id).await > 0);
    assert_eq!(app.get(&open_request.id).await, open_request_after_aging(&app, &open_request).await);

    // What the purged request still says: all of it but the subject and the runs.
    let purged = app.get(&old_request.id).await;
    assert_eq!(purged.subject, None);
    let purge_time = purged.subject_purge_time.expect("the request says when its subject was purged");
    let completed = old_request.complete_time.unwrap();
    assert!((purge_time.seconds, purge_time.nanos) > (completed.seconds, completed.nanos));
    assert!(purged.sources.is_empty());
    assert_eq!(purged.erasure, old_request.erasure, "the outcome stays");
    assert_eq!(purged.erasure.as_ref().unwrap().items_retained, 1);
    assert_eq!(
        (
            purged.id.as_str(),
            purged.action,
            purged.state,
            purged.create_time,
            purged.confirm_time,
            purged.complete_time
        ),
        (
            old_request.id.as_str(),
            old_request.action,
            old_request.state,
            old_request.create_time,
            old_request.confirm_time,
            old_request.complete_time
        )
    );
    assert_eq!(purged.due_time, old_request.due_time);
    let kinds = |r: &pb::PrivacyRequest| r.emails.iter().map(|e| (e.kind, e.state, e.send_time)).collect::<Vec<_>>();
    assert_eq!(kinds(&purged), kinds(&old_request));
    // The middle one lost its runs, kept its subject and outcome.
    let middle_now = app.get(&middle_request.id).await;
    assert!(middle_now.sources.is_empty() && middle_now.subject_purge_time.is_none());
    assert_eq!(middle_now.subject, middle_request.subject);
    assert_eq!(middle_now.erasure, middle_request.erasure);
    // The export keeps its archive record.
    let export_now = app.get(&export_request.id).await;
    assert!(export_now.sources.is_empty() && export_now.subject.is_some());
    assert_eq!(export_now.archive, export_request.archive);

    // The audit log: every event as it was, and one more saying what happened.
    let audit = app.audit(&old_request.id).await;
    assert_eq!(&audit[..old_audit.len()], &old_audit[..]);
    let added: Vec<_> = audit[old_audit.len()..].iter().map(|e| e.r#type).collect();
    assert_eq!(added, [pb::AuditEventType::SubjectPurged as i32]);
    assert!(audit.last().unwrap().detail.contains("5(1)(e)"));
    // The receipt is the one issued, and an independent verifier still accepts it.
    let kept = receipt(&app, &old_request.id).await;
    assert_eq!((&kept.receipt_json, &kept.signature), (&old_receipt.receipt_json, &old_receipt.signature));
    assert!(kept.audit_chain_intact);
    let dir = tempfile::tempdir().unwrap();
    let (code, verdict) = verify(dir.path(), kept.receipt_json.as_bytes(), &kept.signature, &published_keys(&app));
    assert_eq!(code, 0, "{verdict}");

    // Listing shows it without a subject; the address finds nothing any more.
    let listed = app
        .client
        .clone()
        .list_privacy_requests(pb::ListPrivacyRequestsRequest { page_size: 100, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .privacy_requests;
    let listed = listed.iter().find(|r| r.id == old_request.id).expect("a purged request is listed");
    assert_eq!((listed.subject.as_ref(), listed.subject_purge_time), (None, Some(purge_time)));
    assert!(list_by_email(&app, &old).await.is_empty());
    assert_eq!(list_by_email(&app, &middle).await.len(), 1);

    // A second sweep finds nothing more to do.
    let again = replica.apply_retention(&policy()).await.unwrap();
    assert_eq!((again.sources_removed, again.subjects_purged), (0, 0));

    // A receipt deleted past the write-once trigger is not issued again from what is left: one
    // written without the runs would list no source, and without the subject could not name
    // them.
    for request in [&middle_request, &old_request] {
        let delete = format!("DELETE FROM erasure_receipts WHERE request_id = '{}'", request.id);
        as_database_owner(
            &app,
            backend,
            &["DROP TRIGGER IF EXISTS erasure_receipts_no_delete", &delete],
            &["ALTER TABLE erasure_receipts DISABLE TRIGGER erasure_receipts_no_change", &delete],
        )
        .await;
    }
    let refused = app
        .client
        .clone()
        .get_erasure_receipt(pb::GetErasureReceiptRequest { id: middle_request.id.clone() })
        .await
        .unwrap_err();
    assert_eq!((refused.code(), reason(&refused).as_str()), (tonic::Code::DataLoss, "RECEIPT_LOST"), "{refused:?}");
    assert!(refused.message().contains("--job-retention"), "{refused:?}");
    app.stop().await;
}

/// The open request as a read now shows it: only its update time was moved.
async fn open_request_after_aging(app: &TestApp, open: &pb::PrivacyRequest) -> pb::PrivacyRequest {
    let mut expected = open.clone();
    expected.update_time = app.get(&open.id).await.update_time;
    assert!(expected.update_time.unwrap().seconds < open.update_time.unwrap().seconds);
    expected
}

async fn two_replicas_sweeping_at_once_purge_each_request_once(backend: Backend) {
    const REQUESTS: usize = 130;
    let app = TestApp::spawn(backend).await;
    let mut ids = Vec::new();
    for _ in 0..REQUESTS {
        let request = create(&app, &unique_email(), "", pb::Action::Export).await;
        app.client
            .clone()
            .deny_privacy_request(pb::DenyPrivacyRequestRequest {
                id: request.id.clone(),
                reason: "not a customer".into(),
            })
            .await
            .unwrap();
        // Sending the denial email is the request's last change: age it after that.
        app.wait_for(&request.id, "the denial email to be sent", |r| {
            r.emails.len() == 1 && r.emails[0].state == pb::DeliveryState::Sent as i32
        })
        .await;
        age(&app, &request.id, chrono::Duration::hours(3)).await;
        ids.push(request.id);
    }
    let (one, two) = (app.workflow().await, app.workflow().await);
    let policy = policy();
    let (a, b) = tokio::join!(one.apply_retention(&policy), two.apply_retention(&policy));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.subjects_purged + b.subjects_purged, REQUESTS, "{a:?} {b:?}");
    assert_eq!(a.sources_removed + b.sources_removed, REQUESTS, "{a:?} {b:?}");
    for id in &ids {
        let purges =
            app.audit(id).await.iter().filter(|e| e.r#type == pb::AuditEventType::SubjectPurged as i32).count();
        assert_eq!(purges, 1, "request {id}");
        let request = app.get(id).await;
        assert_eq!((state(&request), request.subject.is_none()), (pb::State::Denied, true));
        assert_eq!(request.state_reason, "not a customer");
    }
    app.stop().await;
}

/// The flags reach the sweeper: with both periods at zero, a finished erasure loses its runs
/// and its subject at the next sweep, in the database and in the email outbox, while an open
/// request keeps everything.
async fn the_sweeper_applies_the_configured_retention(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.job_retention = Duration::ZERO;
        config.request_retention = Duration::ZERO;
        config.sweep_interval = Duration::from_millis(100);
        config.smtp_url = None;
    })
    .await;
    app.register_empty_source().await;
    let (open_email, purged_email) = (unique_email(), unique_email());
    let open = app.create(&open_email, pb::Action::Erase, true).await;
    let request = create(&app, &purged_email, "", pb::Action::Erase).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id.clone() })
        .await
        .unwrap();
    let purged =
        app.wait_for(&request.id, "the sweeper to purge the subject", |r| r.subject_purge_time.is_some()).await;
    assert_eq!(state(&purged), pb::State::Completed);
    assert!(purged.subject.is_none() && purged.sources.is_empty());
    assert_eq!(purged.erasure.as_ref().map(|e| e.outcome), Some(pb::ErasureOutcome::NothingFound as i32));
    let open_now = app.get(&open.id).await;
    assert!(open_now.subject.is_some() && open_now.subject_purge_time.is_none());
    app.wait_for(&open.id, "the confirmation email to be written", |r| {
        r.emails.iter().any(|e| e.state == pb::DeliveryState::Sent as i32)
    })
    .await;
    let outbox: Vec<String> = std::fs::read_dir(app.data_dir.path().join("outbox"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert!(outbox.iter().any(|eml| eml.contains(&open_email)), "the open request's email stays");
    assert!(!outbox.iter().any(|eml| eml.contains(&purged_email)), "the purged subject's email is gone");
    app.stop().await;
}

/// EXPLAIN of each statement the sweep runs to find rows: each uses the index it was written
/// for, never a scan of a table that grows by millions of rows a month. On PostgreSQL with
/// sequential scans priced out, so that the plan of an almost empty table shows which index
/// the planner can use rather than whether it would bother.
async fn every_statement_of_the_sweep_uses_an_index(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut db = database(&app).await;
    if backend == Backend::Postgres {
        sqlx::query("SET enable_seqscan = off").execute(&mut db).await.unwrap();
    }
    for (sqlite_sql, postgres_sql, sqlite_indexes, postgres_indexes) in privacyd::store::INDEXED_STATEMENTS {
        let (sql, explain, column, indexes) = match backend {
            Backend::Sqlite => (sqlite_sql, format!("EXPLAIN QUERY PLAN {sqlite_sql}"), 3, sqlite_indexes),
            Backend::Postgres => (postgres_sql, format!("EXPLAIN {postgres_sql}"), 0, postgres_indexes),
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(explain));
        query = if sql.contains("$4") {
            query.bind(0i64).bind(0i64).bind(String::new()).bind(100i64)
        } else if sql.contains("$2") {
            query.bind(String::new()).bind(0i64)
        } else {
            query.bind(String::new())
        };
        let plan: Vec<String> =
            query.fetch_all(&mut db).await.unwrap().iter().map(|row| row.get::<String, _>(column)).collect();
        let plan = plan.join("\n");
        for index in *indexes {
            assert!(plan.contains(index), "{sql}\ndoes not use {index}:\n{plan}");
        }
        let scans_a_table = plan.lines().any(|line| match backend {
            Backend::Sqlite => line.contains("SCAN") && !line.contains("INDEX") && line != "SCAN CONSTANT ROW",
            Backend::Postgres => line.contains("Seq Scan"),
        });
        assert!(!scans_a_table, "{sql}\nscans a table:\n{plan}");
    }
    app.stop().await;
}
