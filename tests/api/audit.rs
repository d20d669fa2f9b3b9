//! The audit log: every transition and email, who did it and why, append-only, free of
//! personal data.

use privacyd::proto::privacy::v1 as pb;
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::{
    helpers::{Backend, TestApp, reason, unique_email},
    on_both_backends,
};

on_both_backends!(
    events_name_their_actor_and_hold_no_personal_data,
    the_database_refuses_to_change_history,
    events_page_in_order
);

async fn events_name_their_actor_and_hold_no_personal_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    app.confirm_from_email(&email).await;
    let events = app.audit(&created.id).await;
    let fingerprint = hex::encode(&Sha256::digest(app.admin_token.as_bytes())[..6]);
    let actors: Vec<(i32, String)> = events.iter().map(|e| e.actor.clone().map(|a| (a.kind, a.id)).unwrap()).collect();
    assert_eq!(
        actors,
        [
            (pb::ActorKind::Admin as i32, fingerprint),
            (pb::ActorKind::System as i32, "mailer".into()),
            (pb::ActorKind::Subject as i32, String::new()),
        ]
    );
    assert_eq!(events[0].to_state, pb::State::Pending as i32);
    assert_eq!(events[1].email_kind, pb::EmailKind::ConfirmationRequest as i32);
    assert_eq!((events[2].from_state, events[2].to_state), (pb::State::Pending as i32, pb::State::Confirmed as i32));
    assert!(events.windows(2).all(|w| w[0].sequence < w[1].sequence));
    let dump = format!("{events:?}");
    assert!(!dump.contains(&email), "no email address in the audit log");
    assert!(!dump.contains(&app.admin_token), "no admin token in the audit log");
}

async fn the_database_refuses_to_change_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(&unique_email(), pb::Action::Erase, false).await;
    let mut conn = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
    for statement in ["UPDATE audit_events SET detail = 'rewritten'", "DELETE FROM audit_events"] {
        let err = sqlx::query(statement).execute(&mut conn).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{statement}: {err}");
    }
}

async fn events_page_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.client.clone();
    for _ in 0..5 {
        app.create(&unique_email(), pb::Action::Erase, false).await;
    }
    let mut sequences = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_audit_events(pb::ListAuditEventsRequest {
                request_id: String::new(),
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        sequences.extend(page.audit_events.iter().map(|e| e.sequence));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(sequences.len(), 5);
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "oldest first, no repeats: {sequences:?}");
    // A token is bound to its filter.
    let first = client
        .list_audit_events(pb::ListAuditEventsRequest {
            request_id: String::new(),
            page_size: 1,
            page_token: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let err = client
        .list_audit_events(pb::ListAuditEventsRequest {
            request_id: uuid::Uuid::now_v7().to_string(),
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INVALID_PAGE_TOKEN");
}
