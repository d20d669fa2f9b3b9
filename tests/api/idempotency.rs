//! AIP-155 request ids and "one unfinished request per subject and action".

use privacyd::proto::privacy::v1 as pb;
use tonic::Code;

use crate::{
    helpers::{Backend, SmtpSink, TestApp, error_metadata, reason, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    a_repeated_request_id_returns_the_first_request_and_sends_one_email,
    a_request_id_reused_for_another_request_is_refused,
    a_second_unfinished_request_is_a_duplicate,
    concurrent_creates_make_exactly_one_request,
);

fn create_request(email: &str, action: pb::Action, request_id: &str) -> pb::CreatePrivacyRequestRequest {
    pb::CreatePrivacyRequestRequest {
        subject: Some(pb::Subject { email: email.to_owned(), user_id: "u-1".into() }),
        action: action as i32,
        send_confirmation: true,
        request_id: request_id.to_owned(),
    }
}

async fn a_repeated_request_id_returns_the_first_request_and_sends_one_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut client = app.client.clone();
    let first = client
        .create_privacy_request(create_request(&email, pb::Action::Export, &request_id))
        .await
        .unwrap()
        .into_inner();
    SmtpSink::global().wait_for(&email, 1).await;
    let again = client
        .create_privacy_request(create_request(&email, pb::Action::Export, &request_id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.privacy_request.as_ref().unwrap().id, again.privacy_request.as_ref().unwrap().id);
    let request = app.get(&first.privacy_request.unwrap().id).await;
    assert_eq!(request.emails.len(), 1, "one email queued");
    assert_eq!(SmtpSink::global().messages_to(&email).len(), 1, "one email sent");
}

async fn a_request_id_reused_for_another_request_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut client = app.client.clone();
    client.create_privacy_request(create_request(&unique_email(), pb::Action::Export, &request_id)).await.unwrap();
    let err = client
        .create_privacy_request(create_request(&unique_email(), pb::Action::Export, &request_id))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(reason(&err), "REQUEST_ID_REUSED");
}

async fn a_second_unfinished_request_is_a_duplicate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let first = app.create(&email, pb::Action::Erase, false).await;
    let mut client = app.client.clone();
    // The same person, however they capitalise their address.
    let err =
        client.create_privacy_request(create_request(&email.to_uppercase(), pb::Action::Erase, "")).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(reason(&err), "DUPLICATE_REQUEST");
    assert_eq!(error_metadata(&err, "existing_id").as_deref(), Some(first.id.as_str()));
    assert!(err.message().contains(&first.id));

    // Another action is another request.
    app.create(&email, pb::Action::Export, false).await;

    // A finished request no longer blocks.
    // (With a data source that holds nothing, processing completes it at once.)
    app.register_empty_source().await;
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: first.id.clone() }).await.unwrap();
    app.wait_for(&first.id, "completion", |r| state(r) == pb::State::Completed).await;
    let second = app.create(&email, pb::Action::Erase, false).await;
    assert_ne!(second.id, first.id);
    assert_eq!(state(&second), pb::State::Confirmed);
}

async fn concurrent_creates_make_exactly_one_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let attempts = (0..16).map(|_| {
        let mut client = app.client.clone();
        let request = pb::CreatePrivacyRequestRequest {
            send_confirmation: false,
            ..create_request(&email, pb::Action::Export, "")
        };
        tokio::spawn(async move { client.create_privacy_request(request).await })
    });
    let results = futures::future::join_all(attempts).await;
    let created = results.iter().filter(|r| r.as_ref().unwrap().is_ok()).count();
    let duplicates = results
        .iter()
        .filter(|r| matches!(r.as_ref().unwrap(), Err(status) if reason(status) == "DUPLICATE_REQUEST"))
        .count();
    assert_eq!((created, duplicates), (1, 15));
}
