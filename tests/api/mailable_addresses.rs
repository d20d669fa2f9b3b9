//! An address privacyd accepts is one it can send mail to: addresses that lettre's parser
//! once let through but that fail at send time (quoted local parts, IP literals) are refused at
//! CreatePrivacyRequest, since a failed confirmation would otherwise hold back the subject's
//! next request for a day as a duplicate. Ordinary addresses still get their email.

use privacyd::proto::privacy::v1 as pb;
use tonic::Code;

use crate::helpers::{Backend, SmtpSink, TestApp, error_metadata, reason, state};

fn create(email: &str) -> pb::CreatePrivacyRequestRequest {
    pb::CreatePrivacyRequestRequest {
        subject: Some(pb::Subject { email: email.into(), user_id: String::new() }),
        action: pb::Action::Export as i32,
        send_confirmation: true,
        request_id: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_the_mailer_cannot_send_to_are_refused_at_create() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.client.clone();
    for unsendable in [
        r#""john doe"@example.com"#,
        r#""jane"@example.com"#,
        r#""a@b"@example.com"#,
        "jane@[127.0.0.1]",
        "jane@[IPv6:::1]",
        "jane@127.0.0.1",
        "Jane <jane@example.com>",
    ] {
        let err = client.create_privacy_request(create(unsendable)).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{unsendable}");
        assert_eq!(reason(&err), "INVALID_FIELD", "{unsendable}");
        assert_eq!(error_metadata(&err, "field").as_deref(), Some("subject.email"), "{unsendable}");
    }
    let all = client.list_privacy_requests(pb::ListPrivacyRequestsRequest::default()).await.unwrap().into_inner();
    assert!(all.privacy_requests.is_empty(), "nothing was written");
}

/// Plus-addressing, subdomains and an internationalised domain are accepted, and each gets its
/// confirmation email through the real SMTP server (the IDN one at the domain's ASCII form).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordinary_addresses_are_accepted_and_mailed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    for (given, envelope) in [
        (format!("subject-{unique}+gdpr@example.com"), format!("subject-{unique}+gdpr@example.com")),
        (format!("subject-{unique}@mail.example.co.uk"), format!("subject-{unique}@mail.example.co.uk")),
        (format!("subject-{unique}@bücher.example"), format!("subject-{unique}@xn--bcher-kva.example")),
    ] {
        let created = app.client.clone().create_privacy_request(create(&given)).await.unwrap().into_inner();
        let created = created.privacy_request.unwrap();
        assert_eq!(created.subject.unwrap().email, given, "kept as the subject gave it");
        let mail = SmtpSink::global().wait_for(&envelope, 1).await.pop().unwrap();
        assert!(mail.confirm_link().contains(&created.id));
        let sent = app
            .wait_for(&created.id, "the confirmation email to be recorded as sent", |r| {
                r.emails.iter().any(|e| e.state == pb::DeliveryState::Sent as i32)
            })
            .await;
        assert_eq!(state(&sent), pb::State::Pending);
    }
}
