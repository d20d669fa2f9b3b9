//! What the console's request list needs from the API (issue 12): email search, time-range
//! and deadline filters, the order by due time with keyset pages, counts per state for the
//! tabs, batch operations that answer per request, and the yearly statistics 11 CCR § 7102(a)
//! asks for. Each list and count statement runs along an index on both backends.

use std::collections::HashSet;

use chrono::TimeZone;
use privacyd::proto::privacy::v1 as pb;
use sqlx::Connection;
use tonic::Code;

use crate::{
    helpers::{Backend, TestApp, error_metadata, reason, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    search_finds_a_substring_of_the_address_in_any_case,
    created_range_and_due_before_filter,
    due_time_order_pages_cover_everything_once,
    order_by_and_page_tokens_are_checked,
    counts_per_state_follow_the_filters,
    batch_answers_each_request_as_its_single_call_would,
    malformed_batches_are_refused_whole,
    statistics_count_a_year_by_action_with_mean_and_median,
    list_and_count_statements_use_their_indexes,
    privacyctl_searches_sorts_and_prints_the_statistics,
);

async fn database(app: &TestApp) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&app.database_url).await.unwrap()
}

fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

fn at(y: i32, m: u32, d: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

fn proto_time(t: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 }
}

/// Sets columns of a request directly: times privacyd takes from the clock.
async fn set(app: &TestApp, id: &str, assignments: &str, values: &[i64]) {
    let mut db = database(app).await;
    let sql = format!("UPDATE privacy_requests SET {assignments} WHERE id = $1");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_owned());
    for v in values {
        query = query.bind(*v);
    }
    assert_eq!(query.execute(&mut db).await.unwrap().rows_affected(), 1);
}

async fn set_state(app: &TestApp, id: &str, state: &str) {
    let mut db = database(app).await;
    sqlx::query("UPDATE privacy_requests SET state = $2 WHERE id = $1")
        .bind(id.to_owned())
        .bind(state.to_owned())
        .execute(&mut db)
        .await
        .unwrap();
}

async fn list_all(app: &TestApp, call: pb::ListPrivacyRequestsRequest) -> Vec<String> {
    let mut client = app.client.clone();
    let mut call = pb::ListPrivacyRequestsRequest { page_size: 2, ..call };
    let mut seen = Vec::new();
    loop {
        let page = client.list_privacy_requests(call.clone()).await.unwrap().into_inner();
        assert!(page.privacy_requests.len() <= 2);
        seen.extend(page.privacy_requests.into_iter().map(|r| r.id));
        if page.next_page_token.is_empty() {
            return seen;
        }
        call.page_token = page.next_page_token;
    }
}

async fn search_finds_a_substring_of_the_address_in_any_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let anna = app.create(&format!("Anna.{tag}@Example.org"), pb::Action::Export, false).await;
    let bert = app.create(&format!("bert.{tag}@example.org"), pb::Action::Erase, false).await;
    let underscore = app.create(&format!("c_d.{tag}@example.net"), pb::Action::Export, false).await;
    let other = app.create(&unique_email(), pb::Action::Export, false).await;
    let search = |q: &str| pb::ListPrivacyRequestsRequest { subject_email_search: q.to_owned(), ..Default::default() };
    let found = |ids: Vec<String>| ids.into_iter().collect::<HashSet<_>>();

    assert_eq!(
        found(list_all(&app, search(&format!("{}@EXAMPLE.ORG", tag.to_uppercase()))).await),
        HashSet::from([anna.id.clone(), bert.id.clone()]),
        "a substring (the domain), case-insensitively"
    );
    assert_eq!(found(list_all(&app, search(&format!("ANNA.{tag}"))).await), HashSet::from([anna.id.clone()]));
    // LIKE's wildcards in the search match only themselves.
    assert_eq!(found(list_all(&app, search(&format!("c_d.{tag}"))).await), HashSet::from([underscore.id.clone()]));
    assert!(list_all(&app, search(&format!("c%d.{tag}"))).await.is_empty(), "% is not a wildcard");
    assert!(list_all(&app, search(&format!("a_na.{tag}"))).await.is_empty(), "_ is not a wildcard");
    // With the other filters.
    let erasures = pb::ListPrivacyRequestsRequest { action: pb::Action::Erase as i32, ..search(&tag) };
    assert_eq!(list_all(&app, erasures).await, vec![bert.id.clone()]);
    assert!(list_all(&app, search("")).await.contains(&other.id), "an empty search is no filter");

    let too_long = app.client.clone().list_privacy_requests(search(&"a".repeat(255))).await.unwrap_err();
    assert_eq!((too_long.code(), reason(&too_long)), (Code::InvalidArgument, "INVALID_FIELD".to_owned()));
    assert_eq!(error_metadata(&too_long, "field").as_deref(), Some("subject_email_search"));
    app.stop().await;
}

async fn created_range_and_due_before_filter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut ids = Vec::new();
    for (i, day) in [1u32, 10, 20, 30].iter().enumerate() {
        let r = app.create(&unique_email(), pb::Action::Export, false).await;
        // Created on the day, due 30 days later; the first exactly at the range's start.
        let created =
            if i == 0 { chrono::Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap() } else { at(2025, 4, *day) };
        set(&app, &r.id, "create_time = $2, due_time = $3", &[micros(created), micros(created) + 30 * 86_400_000_000])
            .await;
        ids.push(r.id);
    }
    let range = |after: Option<_>, before: Option<_>| pb::ListPrivacyRequestsRequest {
        created_after: after.map(proto_time),
        created_before: before.map(proto_time),
        ..Default::default()
    };
    let start = chrono::Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
    let in_range = list_all(&app, range(Some(start), Some(at(2025, 4, 20)))).await;
    assert_eq!(in_range, vec![ids[1].clone(), ids[0].clone()], "start inclusive, end exclusive, newest first");
    let after = list_all(&app, range(Some(at(2025, 4, 15)), None)).await;
    assert_eq!(after[..2], [ids[3].clone(), ids[2].clone()]);
    assert!(!after.contains(&ids[1]));

    let due = pb::ListPrivacyRequestsRequest { due_before: Some(proto_time(at(2025, 5, 15))), ..Default::default() };
    assert_eq!(list_all(&app, due).await, vec![ids[1].clone(), ids[0].clone()], "due 1 and 10 May, not 20 or 30");

    let backwards = app.client.clone().list_privacy_requests(range(Some(at(2025, 4, 20)), Some(start))).await;
    let err = backwards.unwrap_err();
    assert_eq!(reason(&err), "INVALID_FIELD");
    assert_eq!(error_metadata(&err, "field").as_deref(), Some("created_before"));
    app.stop().await;
}

async fn due_time_order_pages_cover_everything_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Seven requests; three share a deadline, so the id must break the tie for a page boundary
    // to fall inside them without skipping or repeating one.
    let base = micros(at(2030, 1, 1));
    let offsets = [5i64, 1, 3, 3, 7, 3, 2];
    let mut expected = Vec::new();
    for offset in offsets {
        let r = app.create(&unique_email(), pb::Action::Erase, false).await;
        set(&app, &r.id, "due_time = $2", &[base + offset * 86_400_000_000]).await;
        expected.push((offset, r.id));
    }
    expected.sort();
    let ascending: Vec<String> = expected.iter().map(|(_, id)| id.clone()).collect();
    let by = |order: &str| pb::ListPrivacyRequestsRequest { order_by: order.to_owned(), ..Default::default() };
    assert_eq!(list_all(&app, by("due_time")).await, ascending, "nearest deadline first, ties by id");
    assert_eq!(list_all(&app, by(" due_time   ASC")).await, ascending);
    let mut descending = ascending.clone();
    descending.reverse();
    assert_eq!(list_all(&app, by("due_time desc")).await, descending);
    // The default is still newest first.
    let newest_first = list_all(&app, by("")).await;
    assert_eq!(newest_first, list_all(&app, by("create_time desc")).await);
    let response = app.client.clone().list_privacy_requests(by("due_time")).await.unwrap().into_inner();
    let dues: Vec<i64> = response.privacy_requests.iter().map(|r| r.due_time.unwrap().seconds).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
    app.stop().await;
}

async fn order_by_and_page_tokens_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for _ in 0..3 {
        app.create(&unique_email(), pb::Action::Export, false).await;
    }
    let mut client = app.client.clone();
    for bad in ["email", "create_time asc", "due_time sideways", "due_time desc, id"] {
        let err = client
            .list_privacy_requests(pb::ListPrivacyRequestsRequest { order_by: bad.into(), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!((err.code(), reason(&err)), (Code::InvalidArgument, "INVALID_FIELD".to_owned()), "{bad}");
        assert_eq!(error_metadata(&err, "field").as_deref(), Some("order_by"));
    }
    let first = client
        .list_privacy_requests(pb::ListPrivacyRequestsRequest { page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    // The token was made for newest-first pages with no search: any other order or filter
    // would continue from a position that means something else.
    for other in [
        pb::ListPrivacyRequestsRequest { order_by: "due_time".into(), ..Default::default() },
        pb::ListPrivacyRequestsRequest { subject_email_search: "example".into(), ..Default::default() },
        pb::ListPrivacyRequestsRequest { due_before: Some(proto_time(at(2031, 1, 1))), ..Default::default() },
        pb::ListPrivacyRequestsRequest { created_after: Some(proto_time(at(2001, 1, 1))), ..Default::default() },
    ] {
        let call = pb::ListPrivacyRequestsRequest { page_size: 1, page_token: first.next_page_token.clone(), ..other };
        let err = client.list_privacy_requests(call).await.unwrap_err();
        assert_eq!(reason(&err), "INVALID_PAGE_TOKEN");
    }
    app.stop().await;
}

async fn counts_per_state_follow_the_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let email = |n: u32| format!("n{n}.{tag}@example.com");
    let pending = app.create(&email(1), pb::Action::Export, true).await;
    let confirmed = app.create(&email(2), pb::Action::Export, false).await;
    let erase = app.create(&email(3), pb::Action::Erase, false).await;
    let denied = app.create(&email(4), pb::Action::Export, false).await;
    app.client
        .clone()
        .deny_privacy_request(pb::DenyPrivacyRequestRequest { id: denied.id.clone(), reason: "no".into() })
        .await
        .unwrap();
    app.create(&unique_email(), pb::Action::Export, false).await;
    let _ = (&pending, &confirmed, &erase);

    let count = |call: pb::CountPrivacyRequestsRequest| {
        let mut client = app.client.clone();
        async move { client.count_privacy_requests(call).await.unwrap().into_inner() }
    };
    let of = |response: &pb::CountPrivacyRequestsResponse, s: pb::State| {
        response.state_counts.iter().find(|c| c.state == s as i32).map(|c| c.count).unwrap()
    };
    let tagged =
        count(pb::CountPrivacyRequestsRequest { subject_email_search: tag.clone(), ..Default::default() }).await;
    assert_eq!(tagged.state_counts.len(), 8, "every state, zeros included");
    assert_eq!(tagged.state_counts[0].state, pb::State::Pending as i32, "in the enum's order");
    assert_eq!(tagged.total_count, 4);
    assert_eq!(of(&tagged, pb::State::Pending), 1);
    assert_eq!(of(&tagged, pb::State::Confirmed), 2);
    assert_eq!(of(&tagged, pb::State::Denied), 1);
    assert_eq!(of(&tagged, pb::State::Completed), 0);

    let exports = count(pb::CountPrivacyRequestsRequest {
        subject_email_search: tag.clone(),
        action: pb::Action::Export as i32,
        ..Default::default()
    })
    .await;
    assert_eq!((exports.total_count, of(&exports, pb::State::Confirmed)), (3, 1));
    let exact =
        count(pb::CountPrivacyRequestsRequest { subject_email: email(3).to_uppercase(), ..Default::default() }).await;
    assert_eq!((exact.total_count, of(&exact, pb::State::Confirmed)), (1, 1));

    // The counts agree with the list for each state (what a tab shows and what it lists).
    for s in [pb::State::Pending, pb::State::Confirmed, pb::State::Denied] {
        let listed = list_all(
            &app,
            pb::ListPrivacyRequestsRequest { subject_email_search: tag.clone(), state: s as i32, ..Default::default() },
        )
        .await;
        assert_eq!(listed.len() as i64, of(&tagged, s), "{s:?}");
    }
    let future = count(pb::CountPrivacyRequestsRequest {
        subject_email_search: tag.clone(),
        created_after: Some(proto_time(chrono::Utc::now() + chrono::Duration::days(1))),
        ..Default::default()
    })
    .await;
    assert_eq!(future.total_count, 0);
    app.stop().await;
}

async fn batch_answers_each_request_as_its_single_call_would(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pending = app.create(&unique_email(), pb::Action::Export, true).await;
    let confirmed = app.create(&unique_email(), pb::Action::Erase, false).await;
    let finished = app.create(&unique_email(), pb::Action::Export, false).await;
    let mut client = app.client.clone();
    client
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: finished.id.clone(), reason: String::new() })
        .await
        .unwrap();
    let unknown = uuid::Uuid::new_v4().to_string();
    let ids = vec![pending.id.clone(), confirmed.id.clone(), finished.id.clone(), unknown.clone(), "nope".to_owned()];
    let results = client
        .batch_modify_privacy_requests(pb::BatchModifyPrivacyRequestsRequest {
            ids: ids.clone(),
            operation: pb::BatchOperation::Deny as i32,
            reason: "We hold no account for this address.".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(results.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), ids, "one result per id, in order");

    for ok in &results[..2] {
        assert_eq!((ok.code, ok.reason.as_str(), ok.message.as_str()), (0, "", ""));
        let after = ok.privacy_request.as_ref().unwrap();
        assert_eq!(state(after), pb::State::Denied);
        assert_eq!(after.state_reason, "We hold no account for this address.");
        assert_eq!(state(&app.get(&ok.id).await), pb::State::Denied);
    }
    // The refusal is exactly the single call's.
    let single = client
        .deny_privacy_request(pb::DenyPrivacyRequestRequest { id: finished.id.clone(), reason: "x".into() })
        .await
        .unwrap_err();
    let refused = &results[2];
    assert_eq!(refused.code, Code::FailedPrecondition as i32);
    assert_eq!(refused.code, single.code() as i32);
    assert_eq!(refused.reason, "ILLEGAL_TRANSITION");
    assert_eq!(refused.reason, reason(&single));
    assert_eq!(refused.message, single.message());
    assert_eq!(refused.metadata.get("state").map(String::as_str), Some("STATE_CANCELLED"));
    assert_eq!(state(refused.privacy_request.as_ref().unwrap()), pb::State::Cancelled, "as the refusal left it");
    assert_eq!((results[3].code, results[3].reason.as_str()), (Code::NotFound as i32, "NOT_FOUND"));
    assert!(results[3].privacy_request.is_none());
    assert_eq!((results[4].code, results[4].reason.as_str()), (Code::InvalidArgument as i32, "INVALID_FIELD"));
    assert_eq!(results[4].metadata.get("field").map(String::as_str), Some("ids"));

    // The denied subjects are told why, as DenyPrivacyRequest tells them.
    let denied = app.audit(&confirmed.id).await;
    assert!(denied.iter().any(|e| e.r#type == pb::AuditEventType::Denied as i32));

    // Delete the three finished ones: the results carry no request afterwards.
    let deleted = client
        .batch_modify_privacy_requests(pb::BatchModifyPrivacyRequestsRequest {
            ids: vec![pending.id.clone(), confirmed.id.clone(), finished.id.clone()],
            operation: pb::BatchOperation::Delete as i32,
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    assert!(deleted.iter().all(|r| r.code == 0 && r.privacy_request.is_none()), "{deleted:?}");
    let gone = client.get_privacy_request(pb::GetPrivacyRequestRequest { id: pending.id.clone() }).await;
    assert_eq!(gone.unwrap_err().code(), Code::NotFound);

    // Resend and cancel, over one request each state allows and one it does not.
    let waiting = app.create(&unique_email(), pb::Action::Export, true).await;
    let ready = app.create(&unique_email(), pb::Action::Export, false).await;
    let resent = client
        .batch_modify_privacy_requests(pb::BatchModifyPrivacyRequestsRequest {
            ids: vec![waiting.id.clone(), ready.id.clone()],
            operation: pb::BatchOperation::ResendConfirmation as i32,
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(resent[0].code, 0);
    assert_eq!(state(resent[0].privacy_request.as_ref().unwrap()), pb::State::Pending);
    assert!(
        app.audit(&waiting.id).await.iter().any(|e| e.r#type == pb::AuditEventType::ConfirmationResent as i32),
        "a new link went out"
    );
    assert_eq!((resent[1].code, resent[1].reason.as_str()), (Code::FailedPrecondition as i32, "ILLEGAL_TRANSITION"));
    let cancelled = client
        .batch_modify_privacy_requests(pb::BatchModifyPrivacyRequestsRequest {
            ids: vec![waiting.id.clone(), ready.id.clone()],
            operation: pb::BatchOperation::Cancel as i32,
            reason: "asked by phone".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    assert!(cancelled.iter().all(|r| r.code == 0));
    assert_eq!(app.last_transition(&ready.id).await.detail, "asked by phone");
    // Processing with no capable source: the single call's NO_CAPABLE_SOURCE.
    let unprocessable = app.create(&unique_email(), pb::Action::Export, false).await;
    let processed = client
        .batch_modify_privacy_requests(pb::BatchModifyPrivacyRequestsRequest {
            ids: vec![unprocessable.id.clone()],
            operation: pb::BatchOperation::Process as i32,
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(processed[0].reason, "NO_CAPABLE_SOURCE");
    assert_eq!(state(processed[0].privacy_request.as_ref().unwrap()), pb::State::Confirmed);
    app.stop().await;
}

async fn malformed_batches_are_refused_whole(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.create(&unique_email(), pb::Action::Export, false).await;
    let mut client = app.client.clone();
    let batch = |ids: Vec<String>, operation: pb::BatchOperation, reason: &str| pb::BatchModifyPrivacyRequestsRequest {
        ids,
        operation: operation as i32,
        reason: reason.to_owned(),
    };
    let cases = [
        (batch(vec![], pb::BatchOperation::Cancel, ""), "ids"),
        (batch((0..101).map(|_| uuid::Uuid::new_v4().to_string()).collect(), pb::BatchOperation::Cancel, ""), "ids"),
        (batch(vec![r.id.clone(), r.id.to_uppercase()], pb::BatchOperation::Cancel, ""), "ids"),
        (batch(vec![r.id.clone()], pb::BatchOperation::Unspecified, ""), "operation"),
        (batch(vec![r.id.clone()], pb::BatchOperation::Deny, "  "), "reason"),
        (batch(vec![r.id.clone()], pb::BatchOperation::Complete, "why not"), "reason"),
    ];
    for (call, field) in cases {
        let err = client.batch_modify_privacy_requests(call.clone()).await.unwrap_err();
        assert_eq!((err.code(), reason(&err)), (Code::InvalidArgument, "INVALID_FIELD".to_owned()), "{call:?}");
        assert_eq!(error_metadata(&err, "field").as_deref(), Some(field), "{call:?}");
    }
    assert_eq!(state(&app.get(&r.id).await), pb::State::Confirmed, "a refused batch changed nothing");
    // 100 is allowed.
    let mut ids: Vec<String> = (0..99).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    ids.push(r.id.clone());
    let results = client
        .batch_modify_privacy_requests(batch(ids, pb::BatchOperation::Cancel, ""))
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(results.len(), 100);
    assert_eq!(results.iter().filter(|r| r.code == Code::NotFound as i32).count(), 99);
    assert_eq!(results[99].code, 0);
    // Without an admin token, nothing.
    let err = app.public.clone().batch_modify_privacy_requests(batch(vec![r.id], pb::BatchOperation::Delete, "")).await;
    assert_eq!(err.unwrap_err().code(), Code::Unauthenticated);
    app.stop().await;
}

async fn statistics_count_a_year_by_action_with_mean_and_median(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = 86_400_000_000i64;
    let mut client = app.client.clone();
    // (action, created, state, days to the final change)
    let rows: [(pb::Action, chrono::DateTime<chrono::Utc>, &str, i64); 9] = [
        (pb::Action::Export, at(2024, 3, 1), "COMPLETED", 2),
        (pb::Action::Export, at(2024, 5, 1), "DENIED", 4),
        (pb::Action::Export, at(2024, 6, 1), "CANCELLED", 1),
        (pb::Action::Export, at(2024, 7, 1), "PENDING", 0),
        // The year before and the year after: not counted.
        (pb::Action::Export, chrono::Utc.with_ymd_and_hms(2023, 12, 31, 23, 59, 59).unwrap(), "DENIED", 10),
        (pb::Action::Erase, chrono::Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), "DENIED", 10),
        (pb::Action::Erase, at(2024, 2, 1), "DENIED", 1),
        (pb::Action::Erase, at(2024, 2, 2), "COMPLETED", 8),
        (pb::Action::Erase, at(2024, 9, 1), "EXPIRED", 1),
    ];
    for (action, created, state, days) in rows {
        let r = app.create(&unique_email(), action, false).await;
        let done = micros(created) + days * day;
        let complete = if state == "COMPLETED" { done } else { 0 };
        set(
            &app,
            &r.id,
            "create_time = $2, update_time = $3, complete_time = CASE WHEN $4 = 0 THEN NULL ELSE $4 END",
            &[micros(created), done, complete],
        )
        .await;
        set_state(&app, &r.id, state).await;
    }
    // One more erasure answered in 3 days, through the real denial (its update time is now).
    let denied = app.create(&unique_email(), pb::Action::Erase, false).await;
    client
        .deny_privacy_request(pb::DenyPrivacyRequestRequest { id: denied.id.clone(), reason: "no".into() })
        .await
        .unwrap();
    let denied_at = micros(chrono::DateTime::parse_from_rfc3339("2024-04-04T12:00:00Z").unwrap().to_utc());
    set(&app, &denied.id, "create_time = $2, update_time = $3", &[denied_at - 3 * day, denied_at]).await;

    let year = |y: i32| pb::GetRequestStatisticsRequest {
        start_time: Some(proto_time(chrono::Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).unwrap())),
        end_time: Some(proto_time(chrono::Utc.with_ymd_and_hms(y + 1, 1, 1, 0, 0, 0).unwrap())),
    };
    let stats = client.get_request_statistics(year(2024)).await.unwrap().into_inner();
    assert_eq!(stats.actions.len(), 2);
    let (export, erase) = (&stats.actions[0], &stats.actions[1]);
    assert_eq!(export.action, pb::Action::Export as i32);
    assert_eq!(
        (
            export.received_count,
            export.completed_count,
            export.denied_count,
            export.cancelled_count,
            export.expired_count,
            export.open_count,
            export.answered_count
        ),
        (4, 1, 1, 1, 0, 1, 2)
    );
    // Answered in 2 and 4 days: mean 3, median the mean of the two middle ones, 3.
    assert!((export.mean_days_to_answer - 3.0).abs() < 1e-9, "{export:?}");
    assert!((export.median_days_to_answer - 3.0).abs() < 1e-9, "{export:?}");
    assert_eq!(erase.action, pb::Action::Erase as i32);
    assert_eq!(
        (erase.received_count, erase.completed_count, erase.denied_count, erase.expired_count, erase.answered_count),
        (4, 1, 2, 1, 3)
    );
    // Answered in 1, 3 and 8 days: mean 4, median 3.
    assert!((erase.mean_days_to_answer - 4.0).abs() < 1e-9, "{erase:?}");
    assert!((erase.median_days_to_answer - 3.0).abs() < 1e-9, "{erase:?}");

    // A year with nothing: zeros, both actions present.
    let empty = client.get_request_statistics(year(2019)).await.unwrap().into_inner();
    assert!(empty.actions.iter().all(|a| a.received_count == 0 && a.median_days_to_answer == 0.0));
    assert_eq!(empty.actions.len(), 2);

    // The default period is this calendar year, UTC, and counts a request made now.
    app.create(&unique_email(), pb::Action::Export, false).await;
    let this_year = client.get_request_statistics(pb::GetRequestStatisticsRequest::default()).await.unwrap();
    let this_year = this_year.into_inner();
    let now = chrono::Utc::now();
    let start = chrono::Utc.with_ymd_and_hms(chrono::Datelike::year(&now), 1, 1, 0, 0, 0).unwrap();
    assert_eq!(this_year.start_time, Some(proto_time(start)));
    assert_eq!(
        this_year.end_time,
        Some(proto_time(chrono::Utc.with_ymd_and_hms(chrono::Datelike::year(&now) + 1, 1, 1, 0, 0, 0).unwrap()))
    );
    assert_eq!(this_year.actions[0].received_count, 1);

    let backwards =
        pb::GetRequestStatisticsRequest { start_time: year(2024).end_time, end_time: year(2024).start_time };
    let err = client.get_request_statistics(backwards).await.unwrap_err();
    assert_eq!(error_metadata(&err, "field").as_deref(), Some("end_time"));
    app.stop().await;
}

/// EXPLAIN of each list and count statement: each uses its index, never a scan of the table.
/// On PostgreSQL with sequential scans and sorts priced out, so that the plan of an almost
/// empty table shows which index the planner can use (and whether one gives the order)
/// rather than whether it would bother.
async fn list_and_count_statements_use_their_indexes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut db = database(&app).await;
    if backend == Backend::Postgres {
        sqlx::query("SET enable_seqscan = off").execute(&mut db).await.unwrap();
        sqlx::query("SET enable_sort = off").execute(&mut db).await.unwrap();
    }
    // The console's usual call: one action, no other filter; in each order and for the tabs.
    let filter = privacyd::domain::ListFilter { action: Some(privacyd::domain::Action::Export), ..Default::default() };
    let period = privacyd::domain::ListFilter {
        created: privacyd::domain::TimeRange::new(Some(chrono::Utc::now()), None, "created_before").unwrap(),
        ..filter.clone()
    };
    let cursor = privacyd::store::RequestCursor { key: 0, id: privacyd::domain::RequestId::new() };
    let planner =
        if backend == Backend::Sqlite { privacyd::store::Planner::Sqlite } else { privacyd::store::Planner::Postgres };
    let statements = [
        (privacyd::domain::ListOrder::CreateTimeDesc, "privacy_requests_by_time"),
        (privacyd::domain::ListOrder::DueTimeAsc, "privacy_requests_by_due"),
        (privacyd::domain::ListOrder::DueTimeDesc, "privacy_requests_by_due"),
    ]
    .into_iter()
    .map(|(order, index)| (privacyd::store::list_statement(&filter, order, Some(cursor), 51, planner), index))
    // The tabs of a period: counted from the index. (The tabs of the console's usual call
    // are the tallies' sums, below.)
    .chain([(privacyd::store::count_statement(&period, planner), "privacy_requests_for_counts")]);
    for (statement, index) in statements {
        let sql = &statement.sql;
        let plan = crate::helpers::explain_plan(&mut db, backend, &statement).await;
        assert!(plan.contains(index), "{sql}\ndoes not use {index}:\n{plan}");
        let scans_a_table = plan.lines().any(|line| match backend {
            Backend::Sqlite => line.contains("SCAN") && !line.contains("INDEX"),
            Backend::Postgres => line.contains("Seq Scan"),
        });
        assert!(!scans_a_table, "{sql}\nscans a table:\n{plan}");
        // Sorting every matching row is what the indexes are for; the counts' GROUP BY sorts
        // at most one row per state.
        if sql.contains("ORDER BY") {
            let sorts = plan.lines().any(|line| match backend {
                Backend::Sqlite => line.contains("TEMP B-TREE FOR ORDER BY"),
                Backend::Postgres => line.trim_start().starts_with("Sort") || line.contains("->  Sort"),
            });
            assert!(!sorts, "{sql}\nsorts:\n{plan}");
        }
    }
    // An action's tabs (migration 0021): a few rows of tallies, never the requests.
    let tabs = privacyd::store::count_statement(&filter, planner);
    let plan = crate::helpers::explain_plan(&mut db, backend, &tabs).await;
    assert!(plan.contains("privacy_request_tallies") && !plan.contains("privacy_requests"), "{}:\n{plan}", tabs.sql);
    app.stop().await;
}

/// `privacyctl requests list --search --order-by` and `privacyctl requests stats`: the same
/// calls from the command line.
async fn privacyctl_searches_sorts_and_prints_the_statistics(backend: Backend) {
    use crate::privacyctl::ctl;

    let app = TestApp::spawn(backend).await;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let later = app.create(&format!("later.{tag}@example.com"), pb::Action::Export, false).await;
    let sooner = app.create(&format!("sooner.{tag}@example.com"), pb::Action::Erase, false).await;
    app.create(&unique_email(), pb::Action::Export, false).await;
    set(&app, &sooner.id, "due_time = $2", &[micros(at(2030, 1, 1))]).await;
    set(&app, &later.id, "due_time = $2", &[micros(at(2030, 2, 1))]).await;

    let listed = ctl(&app, &["requests", "list", "--search", &tag.to_uppercase(), "--order-by", "due_time"]).await.ok();
    let ids: Vec<&str> = listed.stdout.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(ids, vec![sooner.id.as_str(), later.id.as_str()], "{}", listed.stdout);
    let bad = ctl(&app, &["requests", "list", "--order-by", "email"]).await.failed();
    assert!(bad.stderr.contains("order_by"), "{}", bad.stderr);

    let year = chrono::Datelike::year(&chrono::Utc::now()).to_string();
    let stats = ctl(&app, &["requests", "stats", "--year", &year]).await.ok();
    let lines: Vec<&str> = stats.stdout.lines().collect();
    assert!(lines[0].starts_with("ACTION\tRECEIVED"), "{}", stats.stdout);
    assert!(lines[1].starts_with("EXPORT\t2\t0\t0\t0\t0\t2\t"), "{}", stats.stdout);
    assert!(lines[2].starts_with("ERASE\t1\t"), "{}", stats.stdout);
    let json = ctl(&app, &["requests", "stats", "--year", "2019", "--json"]).await.ok();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["startTime"], "2019-01-01T00:00:00Z", "{value}");
    app.stop().await;
}
