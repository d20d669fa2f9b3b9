//! Deadlines: 30 days from creation, extensible by at most two months with a reason the
//! subject is told by email (GDPR Art. 12(3)).

use privacyd::proto::privacy::v1 as pb;
use tonic::Code;

use crate::{
    helpers::{Backend, SmtpSink, TestApp, error_metadata, reason, unique_email},
    on_both_backends,
};

on_both_backends!(extensions_move_the_deadline_and_tell_the_subject);

fn extend(id: &str, days: i32, reason: &str) -> pb::ExtendDeadlineRequest {
    pb::ExtendDeadlineRequest { id: id.into(), extension_days: days, reason: reason.into() }
}

async fn extensions_move_the_deadline_and_tell_the_subject(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, false).await;
    let mut client = app.client.clone();
    let original_due = created.due_time.unwrap().seconds;

    let err = client.extend_deadline(extend(&created.id, 10, "")).await.unwrap_err();
    assert_eq!(error_metadata(&err, "field").as_deref(), Some("reason"));
    let err = client.extend_deadline(extend(&created.id, 0, "complex")).await.unwrap_err();
    assert_eq!(error_metadata(&err, "field").as_deref(), Some("extension_days"));

    let extended = client
        .extend_deadline(extend(&created.id, 30, "Records are spread over <12> systems & archives"))
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap();
    assert_eq!(extended.due_time.unwrap().seconds - original_due, 30 * 86400);
    assert_eq!(extended.deadline_extension_days, 30);
    assert_eq!(extended.deadline_extension_reason, "Records are spread over <12> systems & archives");

    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    assert!(mail.subject().contains("more time"), "{}", mail.subject());
    assert!(mail.raw.contains("Records are spread over <12> systems & archives"), "reason in the text part");
    app.wait_for(&created.id, "the email to be recorded as sent", |r| {
        r.emails
            .iter()
            .any(|e| e.kind == pb::EmailKind::DeadlineExtended as i32 && e.state == pb::DeliveryState::Sent as i32)
    })
    .await;

    // Two months at most, in all.
    let err = client.extend_deadline(extend(&created.id, 40, "more")).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "DEADLINE_EXTENSION_EXCEEDED");
    assert_eq!(app.get(&created.id).await.deadline_extension_days, 30, "nothing changed");

    client
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: created.id.clone(), reason: String::new() })
        .await
        .unwrap();
    let err = client.extend_deadline(extend(&created.id, 1, "late")).await.unwrap_err();
    assert_eq!(reason(&err), "ILLEGAL_TRANSITION");
}
