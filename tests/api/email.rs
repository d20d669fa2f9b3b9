//! Email: confirmation links through a real SMTP server, the admin notice, the outbox folder,
//! and failed sends that are recorded and retried, never reported as success.

use privacyd::{proto::privacy::v1 as pb, testing::free_port};

use crate::{
    helpers::{Backend, SmtpSink, TestApp, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    the_confirmation_email_carries_a_working_link,
    a_failing_mail_server_is_recorded_and_never_reported_as_sent,
    a_send_that_fails_is_retried_until_it_succeeds,
);

async fn the_confirmation_email_carries_a_working_link(backend: Backend) {
    let admin = unique_email();
    let app = TestApp::spawn_with(backend, |c| {
        c.public_url = Some("https://privacy.example.org".into());
        c.organization = "Acme GmbH".into();
        c.admin_email = Some(admin.clone());
    })
    .await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Erase, true).await;
    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    assert_eq!(mail.header("To").as_deref(), Some(email.as_str()));
    assert!(mail.subject().starts_with("[Acme GmbH] Please confirm your request: Erasure"), "{}", mail.subject());
    let link = mail.confirm_link();
    assert!(link.starts_with(&format!("https://privacy.example.org/confirm?id={}&token=", created.id)), "{link}");
    assert!(mail.raw.contains("erasure of the personal data we hold about you"));

    let sent = app
        .wait_for(&created.id, "the delivery to be recorded", |r| {
            r.emails.first().is_some_and(|e| e.state == pb::DeliveryState::Sent as i32)
        })
        .await;
    let delivery = &sent.emails[0];
    assert_eq!((delivery.kind, delivery.attempts), (pb::EmailKind::ConfirmationRequest as i32, 1));
    assert!(delivery.send_time.is_some() && delivery.last_error.is_empty());

    // Confirming tells the admin, with the subject named.
    app.confirm_from_email(&email).await;
    let notice = SmtpSink::global().wait_for(&admin, 1).await.pop().unwrap();
    assert!(notice.subject().contains("confirmed"), "{}", notice.subject());
    assert!(notice.raw.contains(&email) && notice.raw.contains(&created.id));
}

async fn a_failing_mail_server_is_recorded_and_never_reported_as_sent(backend: Backend) {
    let dead = free_port().unwrap();
    let app = TestApp::spawn_with(backend, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{dead}"));
        c.mail_max_attempts = 3;
    })
    .await;
    let created = app.create(&unique_email(), pb::Action::Export, true).await;
    let failed = app
        .wait_for(&created.id, "the email to fail for good", |r| {
            r.emails.first().is_some_and(|e| e.state == pb::DeliveryState::Failed as i32)
        })
        .await;
    let delivery = &failed.emails[0];
    assert_eq!(delivery.attempts, 3);
    assert!(delivery.send_time.is_none());
    assert!(delivery.last_error.contains("SMTP"), "{}", delivery.last_error);
    assert_eq!(state(&failed), pb::State::Pending, "still waiting for the subject");
    assert!(failed.confirmation_expire_time.is_some(), "a token was made for each attempt");

    let failures: Vec<String> = app
        .audit(&created.id)
        .await
        .into_iter()
        .filter(|e| e.r#type == pb::AuditEventType::EmailFailed as i32)
        .map(|e| e.detail)
        .collect();
    assert_eq!(failures.len(), 3);
    assert!(failures[0].starts_with("attempt 1 of 3") && failures[0].ends_with("will retry"), "{}", failures[0]);
    assert!(failures[2].ends_with("giving up"), "{}", failures[2]);
    assert!(!app.audit(&created.id).await.iter().any(|e| e.r#type == pb::AuditEventType::EmailSent as i32));
}

async fn a_send_that_fails_is_retried_until_it_succeeds(backend: Backend) {
    let port = free_port().unwrap();
    let app = TestApp::spawn_with(backend, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.mail_max_attempts = 50;
    })
    .await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    app.wait_for(&created.id, "a failed attempt", |r| r.emails.first().is_some_and(|e| !e.last_error.is_empty())).await;

    // The mail server comes back.
    let sink = SmtpSink::start(port);
    let sent = app
        .wait_for(&created.id, "the retry to succeed", |r| {
            r.emails.first().is_some_and(|e| e.state == pb::DeliveryState::Sent as i32)
        })
        .await;
    assert!(sent.emails[0].attempts >= 2);
    let mail = sink.wait_for(&email, 1).await.pop().unwrap();
    let (id, token) = mail.confirmation();
    // Only the token of the email that went out works.
    app.public.clone().confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id, token }).await.unwrap();
}

#[tokio::test]
async fn without_smtp_emails_land_in_the_outbox_folder() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.smtp_url = None).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    app.wait_for(&created.id, "the outbox delivery", |r| {
        r.emails.first().is_some_and(|e| e.state == pb::DeliveryState::Sent as i32)
    })
    .await;
    let outbox = app.data_dir.path().join("outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
    let eml = files.iter().find(|p| p.extension().is_some_and(|x| x == "eml")).expect("an .eml file in the outbox");
    let raw = std::fs::read_to_string(eml).unwrap();
    assert!(raw.contains(&email));
    // The link is readable as it is, for people and for the README's shell walkthrough.
    let link = raw.split_whitespace().find(|w| w.contains("/confirm?id=")).unwrap();
    assert!(link.contains(&created.id));
}
