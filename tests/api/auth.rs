//! Admin authentication: every admin method needs a bearer token; the subject's methods and
//! the operators' health and reflection need none.

use privacyd::proto::privacy::v1 as pb;
use tonic::{Code, Request};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::helpers::{Backend, TestApp, reason};

#[tokio::test]
async fn admin_methods_need_a_valid_token() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut public = app.public.clone();
    let err = public.list_privacy_requests(pb::ListPrivacyRequestsRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(reason(&err), "UNAUTHENTICATED");
    assert!(err.message().contains("authorization: Bearer"));

    let mut wrong = Request::new(pb::GetPrivacyRequestRequest { id: uuid::Uuid::now_v7().to_string() });
    wrong.metadata_mut().insert("authorization", "Bearer not-the-token-at-all".parse().unwrap());
    let err = public.get_privacy_request(wrong).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(err.message(), "the admin token is not valid");

    let mut right = Request::new(pb::ListPrivacyRequestsRequest::default());
    right.metadata_mut().insert("authorization", format!("Bearer {}", app.admin_token).parse().unwrap());
    public.list_privacy_requests(right).await.unwrap();
}

#[tokio::test]
async fn health_and_confirmation_need_no_token() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let channel =
        tonic::transport::Channel::from_shared(format!("http://{}", app.addr)).unwrap().connect().await.unwrap();
    let mut health = HealthClient::new(channel);
    for service in ["", "privacy.v1.PrivacyRequestService"] {
        let status = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    // Reaches the handler (which judges the token) rather than the auth layer.
    let err = app
        .public
        .clone()
        .confirm_privacy_request(pb::ConfirmPrivacyRequestRequest {
            id: uuid::Uuid::now_v7().to_string(),
            token: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INVALID_TOKEN");
}

#[tokio::test]
async fn shuts_down_gracefully() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create(&crate::helpers::unique_email(), pb::Action::Export, false).await;
    app.stop().await;
}
