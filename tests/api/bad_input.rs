//! Bad input gets INVALID_ARGUMENT (or NOT_FOUND) with a message and a `field` that say what
//! was wrong, and nothing is written.

use privacyd::proto::privacy::v1 as pb;
use tonic::Code;

use crate::{
    helpers::{Backend, TestApp, error_metadata, reason, unique_email},
    on_both_backends,
};

on_both_backends!(invalid_creates_are_refused_and_write_nothing, unknown_and_malformed_ids);

fn create(email: &str, user_id: &str, action: i32, request_id: &str) -> pb::CreatePrivacyRequestRequest {
    pb::CreatePrivacyRequestRequest {
        subject: Some(pb::Subject { email: email.into(), user_id: user_id.into() }),
        action,
        send_confirmation: true,
        request_id: request_id.into(),
    }
}

async fn invalid_creates_are_refused_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.client.clone();
    let export = pb::Action::Export as i32;
    let long_user = "u".repeat(257);
    let long_email = format!("{}@example.com", "a".repeat(250));
    let cases: Vec<(pb::CreatePrivacyRequestRequest, &str, &str)> = vec![
        (create("not-an-email", "", export, ""), "subject.email", "not a valid email"),
        (create("", "", export, ""), "subject.email", "required"),
        (create(&long_email, "", export, ""), "subject.email", "254"),
        (create(&unique_email(), &long_user, export, ""), "subject.user_id", "256"),
        (create(&unique_email(), "", 0, ""), "action", "required"),
        (create(&unique_email(), "", 99, ""), "action", "not an Action"),
        (create(&unique_email(), "", export, "has spaces"), "request_id", "printable"),
        (pb::CreatePrivacyRequestRequest { subject: None, ..create("", "", export, "") }, "subject", "required"),
    ];
    for (request, field, words) in cases {
        let err = client.create_privacy_request(request).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{field}");
        assert_eq!(reason(&err), "INVALID_FIELD");
        assert_eq!(error_metadata(&err, "field").as_deref(), Some(field));
        assert!(err.message().contains(words), "{field}: {}", err.message());
    }
    let all = client.list_privacy_requests(pb::ListPrivacyRequestsRequest::default()).await.unwrap().into_inner();
    assert!(all.privacy_requests.is_empty(), "nothing was written");
    let events = client.list_audit_events(pb::ListAuditEventsRequest::default()).await.unwrap().into_inner();
    assert!(events.audit_events.is_empty());
}

async fn unknown_and_malformed_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.client.clone();
    let err = client
        .get_privacy_request(pb::GetPrivacyRequestRequest { id: uuid::Uuid::now_v7().to_string() })
        .await
        .unwrap_err();
    assert_eq!((err.code(), reason(&err).as_str()), (Code::NotFound, "NOT_FOUND"));
    let err = client
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: uuid::Uuid::now_v7().to_string() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err =
        client.get_privacy_request(pb::GetPrivacyRequestRequest { id: "42; DROP TABLE".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(error_metadata(&err, "field").as_deref(), Some("id"));
    let err = client.get_privacy_request(pb::GetPrivacyRequestRequest { id: String::new() }).await.unwrap_err();
    assert!(err.message().contains("required"));
    let err = client
        .list_privacy_requests(pb::ListPrivacyRequestsRequest { subject_email: "nope".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(error_metadata(&err, "field").as_deref(), Some("subject_email"));
    let err = client
        .list_privacy_requests(pb::ListPrivacyRequestsRequest { state: 42, ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(error_metadata(&err, "field").as_deref(), Some("state"));
}
