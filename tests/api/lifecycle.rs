//! The request lifecycle: PENDING -> CONFIRMED -> PROCESSING -> COMPLETED, and the side exits
//! FAILED, DENIED, CANCELLED, EXPIRED. Every transition, on both backends.

use std::time::Duration;

use privacyd::{
    domain::{Actor, Reason, RequestId, Transition},
    proto::privacy::v1 as pb,
};
use tonic::Code;

use crate::{
    helpers::{Backend, SmtpSink, TestApp, error_metadata, reason, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    confirmation_flow_reaches_completed,
    an_operator_completes_a_request_by_hand,
    operator_created_requests_start_confirmed_and_send_nothing,
    illegal_transitions_name_the_current_state,
    deny_needs_a_reason_and_records_it,
    cancel_from_every_open_state,
    failed_requests_can_be_processed_again_cancelled_or_denied,
    confirmation_tokens_are_single_use,
    wrong_tokens_are_refused_without_revealing_anything,
    resending_replaces_the_token,
    sweeper_expires_unconfirmed_requests,
    a_late_confirmation_expires_the_request,
    delete_removes_finished_requests_and_keeps_their_audit_trail,
);

/// An erasure on a data source that holds nothing: it completes right after it is processed,
/// with nothing found (erasure.rs covers erasures across sources).
async fn confirmation_flow_reaches_completed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register_empty_source().await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Erase, true).await;
    assert_eq!(state(&created), pb::State::Pending);
    assert_eq!(created.subject.as_ref().unwrap().email, email);
    assert!(created.confirm_time.is_none());
    let (create, due) = (created.create_time.unwrap(), created.due_time.unwrap());
    assert_eq!(due.seconds - create.seconds, 30 * 24 * 3600, "due 30 days after creation");

    let confirmed = app.confirm_from_email(&email).await;
    assert_eq!(state(&confirmed), pb::State::Confirmed);
    assert!(confirmed.confirm_time.is_some());

    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    let completed = app.wait_for(&created.id, "completion", |r| state(r) == pb::State::Completed).await;
    assert!(completed.complete_time.is_some());
    assert_eq!(completed.erasure.unwrap().outcome, pb::ErasureOutcome::NothingFound as i32);

    let types: Vec<pb::AuditEventType> =
        app.audit(&created.id).await.iter().map(|e| pb::AuditEventType::try_from(e.r#type).unwrap()).collect();
    assert_eq!(
        types[..6],
        [
            pb::AuditEventType::Created,
            pb::AuditEventType::EmailSent,
            pb::AuditEventType::Confirmed,
            pb::AuditEventType::ProcessingStarted,
            pb::AuditEventType::SourceSucceeded,
            pb::AuditEventType::Completed,
        ]
    );
}

/// CompletePrivacyRequest is for requests an operator handled by hand.
async fn an_operator_completes_a_request_by_hand(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let processing = app.processing_request().await;
    let completed = app
        .client
        .clone()
        .complete_privacy_request(pb::CompletePrivacyRequestRequest { id: processing.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap();
    assert_eq!(state(&completed), pb::State::Completed);
    assert!(completed.complete_time.is_some());
    let last = app.last_transition(&processing.id).await;
    assert_eq!(last.r#type, pb::AuditEventType::Completed as i32);
    assert_eq!(last.actor.unwrap().kind, pb::ActorKind::Admin as i32);
}

async fn operator_created_requests_start_confirmed_and_send_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Erase, false).await;
    assert_eq!(state(&created), pb::State::Confirmed);
    assert_eq!(created.confirm_time, created.create_time);
    assert!(created.emails.is_empty());
    assert_eq!(app.get(&created.id).await, created, "what Create answers is what is stored");
    // Give a (wrongly) queued email every chance to go out before checking none did.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(SmtpSink::global().messages_to(&email).is_empty());
}

async fn illegal_transitions_name_the_current_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pending = app.create(&unique_email(), pb::Action::Export, true).await;
    let mut client = app.client.clone();

    let err =
        client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: pending.id.clone() }).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "ILLEGAL_TRANSITION");
    assert_eq!(error_metadata(&err, "state").as_deref(), Some("STATE_PENDING"));
    assert!(err.message().contains("PENDING"), "{}", err.message());

    let err = client
        .complete_privacy_request(pb::CompletePrivacyRequestRequest { id: pending.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "ILLEGAL_TRANSITION");

    let confirmed = app.create(&unique_email(), pb::Action::Export, false).await;
    let err = client
        .complete_privacy_request(pb::CompletePrivacyRequestRequest { id: confirmed.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(error_metadata(&err, "state").as_deref(), Some("STATE_CONFIRMED"));

    // Final states accept nothing.
    client
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: confirmed.id.clone(), reason: String::new() })
        .await
        .unwrap();
    let err = client
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: confirmed.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(error_metadata(&err, "state").as_deref(), Some("STATE_CANCELLED"));
    let err = client
        .deny_privacy_request(pb::DenyPrivacyRequestRequest { id: confirmed.id.clone(), reason: "late".into() })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "ILLEGAL_TRANSITION");
    // A failed transition changed nothing.
    assert_eq!(state(&app.get(&confirmed.id).await), pb::State::Cancelled);
}

async fn deny_needs_a_reason_and_records_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.client.clone();
    for send_confirmation in [true, false] {
        let email = unique_email();
        let request = app.create(&email, pb::Action::Erase, send_confirmation).await;
        let err = client
            .deny_privacy_request(pb::DenyPrivacyRequestRequest { id: request.id.clone(), reason: "  ".into() })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(error_metadata(&err, "field").as_deref(), Some("reason"));
        assert_eq!(state(&app.get(&request.id).await), state(&request), "nothing changed");

        let denied = client
            .deny_privacy_request(pb::DenyPrivacyRequestRequest {
                id: request.id.clone(),
                reason: "Manifestly unfounded (Art. 12(5))".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .privacy_request
            .unwrap();
        assert_eq!(state(&denied), pb::State::Denied);
        assert_eq!(denied.state_reason, "Manifestly unfounded (Art. 12(5))");
        let last = app.last_transition(&request.id).await;
        assert_eq!(last.r#type, pb::AuditEventType::Denied as i32);
        assert_eq!(last.detail, "Manifestly unfounded (Art. 12(5))");

        // The subject is told, with the reason (Art. 12(4)).
        app.wait_for(&request.id, "the denial email to be recorded as sent", |r| {
            r.emails
                .iter()
                .any(|e| e.kind == pb::EmailKind::RequestDenied as i32 && e.state == pb::DeliveryState::Sent as i32)
        })
        .await;
        let mails = SmtpSink::global().messages_to(&email);
        let told =
            mails.iter().find(|m| m.subject().contains("We cannot fulfil your request")).expect("a denial email");
        assert!(told.raw.contains("Why: Manifestly unfounded (Art. 12(5))"), "{}", told.raw);
    }
    // PROCESSING can be denied too.
    let request = app.processing_request().await;
    let denied = client
        .deny_privacy_request(pb::DenyPrivacyRequestRequest {
            id: request.id.clone(),
            reason: "identity doubtful".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&denied.privacy_request.unwrap()), pb::State::Denied);
}

async fn cancel_from_every_open_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.client.clone();
    let pending = app.create(&unique_email(), pb::Action::Export, true).await;
    let confirmed = app.create(&unique_email(), pb::Action::Export, false).await;
    for request in [&pending, &confirmed] {
        let cancelled = client
            .cancel_privacy_request(pb::CancelPrivacyRequestRequest {
                id: request.id.clone(),
                reason: "asked twice".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .privacy_request
            .unwrap();
        assert_eq!(state(&cancelled), pb::State::Cancelled);
        assert_eq!(cancelled.state_reason, "asked twice");
    }
    // Work in progress can be withdrawn too: its work stops (issue 9, item 18; the whole
    // behaviour is in cancel_processing.rs).
    let processing = app.processing_request().await;
    let cancelled = client
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: processing.id.clone(), reason: String::new() })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap();
    assert_eq!(state(&cancelled), pb::State::Cancelled);
}

async fn failed_requests_can_be_processed_again_cancelled_or_denied(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let workflow = app.workflow().await;
    let mut client = app.client.clone();
    let system = Actor::system("test");
    let fail = |id: String| {
        let workflow = workflow.clone();
        let system = system.clone();
        async move {
            let id = RequestId::parse("id", &id).unwrap();
            let reason = Reason::parse("reason", "source billing: UNAVAILABLE").unwrap();
            workflow.transition(system, id, Transition::Fail, Some(reason)).await.unwrap()
        }
    };
    // FAILED is only reachable from PROCESSING.
    let confirmed = app.create(&unique_email(), pb::Action::Export, false).await;
    let id = RequestId::parse("id", &confirmed.id).unwrap();
    let err = workflow.transition(system.clone(), id, Transition::Fail, None).await.unwrap_err();
    assert!(err.to_string().contains("CONFIRMED"), "{err}");
    for ending in ["cancel", "deny", "complete"] {
        let request = app.processing_request().await;
        fail(request.id.clone()).await;
        let failed = app.get(&request.id).await;
        assert_eq!(state(&failed), pb::State::Failed);
        assert_eq!(failed.state_reason, "source billing: UNAVAILABLE");
        match ending {
            "cancel" => {
                client
                    .cancel_privacy_request(pb::CancelPrivacyRequestRequest {
                        id: request.id.clone(),
                        reason: String::new(),
                    })
                    .await
                    .unwrap();
                assert_eq!(state(&app.get(&request.id).await), pb::State::Cancelled);
            }
            "deny" => {
                client
                    .deny_privacy_request(pb::DenyPrivacyRequestRequest {
                        id: request.id.clone(),
                        reason: "fraud".into(),
                    })
                    .await
                    .unwrap();
                assert_eq!(state(&app.get(&request.id).await), pb::State::Denied);
            }
            _ => {
                let again = client
                    .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id.clone() })
                    .await
                    .unwrap()
                    .into_inner()
                    .privacy_request
                    .unwrap();
                assert_eq!(state(&again), pb::State::Processing);
                assert_eq!(again.state_reason, "", "the old failure is cleared");
                client
                    .complete_privacy_request(pb::CompletePrivacyRequestRequest { id: request.id.clone() })
                    .await
                    .unwrap();
            }
        }
        let failed_event =
            app.audit(&request.id).await.into_iter().find(|e| e.r#type == pb::AuditEventType::Failed as i32).unwrap();
        assert_eq!(failed_event.actor.unwrap().kind, pb::ActorKind::System as i32);
    }
}

async fn confirmation_tokens_are_single_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    app.create(&email, pb::Action::Export, true).await;
    app.confirm_from_email(&email).await;
    let (id, token) = SmtpSink::global().messages_to(&email).pop().unwrap().confirmation();
    let err =
        app.public.clone().confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id, token }).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "TOKEN_USED");
}

async fn wrong_tokens_are_refused_without_revealing_anything(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    SmtpSink::global().wait_for(&email, 1).await;
    let forged = privacyd::domain::SecretToken::generate().expose().to_owned();
    let mut public = app.public.clone();
    for (id, token) in [
        (created.id.clone(), forged.clone()),
        (created.id.clone(), "not-even-a-token".to_owned()),
        (RequestId::new().to_string(), forged),
    ] {
        let err = public.confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id, token }).await.unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
        assert_eq!(reason(&err), "INVALID_TOKEN");
    }
    assert_eq!(state(&app.get(&created.id).await), pb::State::Pending);
}

async fn resending_replaces_the_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Erase, true).await;
    let first = SmtpSink::global().wait_for(&email, 1).await.remove(0).confirmation();
    app.client.clone().resend_confirmation(pb::ResendConfirmationRequest { id: created.id.clone() }).await.unwrap();
    let second = SmtpSink::global().wait_for(&email, 2).await.remove(1).confirmation();
    assert_ne!(first.1, second.1);

    let mut public = app.public.clone();
    let err = public
        .confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id: first.0, token: first.1 })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INVALID_TOKEN", "the old link stopped working");
    public.confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id: second.0, token: second.1 }).await.unwrap();

    let request = app.get(&created.id).await;
    assert_eq!(request.emails.len(), 2);
    assert!(app.audit(&created.id).await.iter().any(|e| e.r#type == pb::AuditEventType::ConfirmationResent as i32));
    // Only PENDING requests get new links.
    let err = app
        .client
        .clone()
        .resend_confirmation(pb::ResendConfirmationRequest { id: created.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(error_metadata(&err, "state").as_deref(), Some("STATE_CONFIRMED"));
}

async fn sweeper_expires_unconfirmed_requests(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.confirmation_ttl = Duration::from_secs(1);
        c.sweep_interval = Duration::from_millis(200);
    })
    .await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    let sent = app
        .wait_for(&created.id, "the confirmation email", |r| {
            !r.emails.is_empty() && r.confirmation_expire_time.is_some()
        })
        .await;
    assert!(sent.confirmation_expire_time.is_some());
    // Nobody looks at the request: the sweeper alone must expire it.
    let expired = app.wait_for(&created.id, "expiry", |r| state(r) == pb::State::Expired).await;
    assert!(expired.state_reason.contains("did not confirm"));
    let event = app.last_transition(&created.id).await;
    assert_eq!(event.r#type, pb::AuditEventType::Expired as i32);
    assert_eq!(event.actor.unwrap(), pb::Actor { kind: pb::ActorKind::System as i32, id: "sweeper".into() });

    // The link now says it expired.
    let (id, token) = SmtpSink::global().messages_to(&email).pop().unwrap().confirmation();
    let err =
        app.public.clone().confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id, token }).await.unwrap_err();
    assert_eq!(reason(&err), "TOKEN_EXPIRED");
    // An expired request does not block a new one.
    app.create(&email, pb::Action::Export, true).await;
}

async fn a_late_confirmation_expires_the_request(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.confirmation_ttl = Duration::from_millis(300)).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    let (id, token) = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap().confirmation();
    tokio::time::sleep(Duration::from_millis(400)).await; // let the link run out
    let err =
        app.public.clone().confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id, token }).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "TOKEN_EXPIRED");
    assert_eq!(state(&app.get(&created.id).await), pb::State::Expired);
}

async fn delete_removes_finished_requests_and_keeps_their_audit_trail(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.client.clone();
    let request = app.create(&unique_email(), pb::Action::Export, false).await;
    let err =
        client.delete_privacy_request(pb::DeletePrivacyRequestRequest { id: request.id.clone() }).await.unwrap_err();
    assert_eq!(error_metadata(&err, "state").as_deref(), Some("STATE_CONFIRMED"));

    client
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: request.id.clone(), reason: String::new() })
        .await
        .unwrap();
    client.delete_privacy_request(pb::DeletePrivacyRequestRequest { id: request.id.clone() }).await.unwrap();
    let err = client.get_privacy_request(pb::GetPrivacyRequestRequest { id: request.id.clone() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(reason(&err), "NOT_FOUND");

    let events = app.audit(&request.id).await;
    let last = events.last().unwrap();
    assert_eq!(last.r#type, pb::AuditEventType::Deleted as i32);
    assert_eq!(last.from_state, pb::State::Cancelled as i32);
    assert!(events.len() >= 3, "creation and cancellation are still on record");
    let err =
        client.delete_privacy_request(pb::DeletePrivacyRequestRequest { id: request.id.clone() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}
