//! WatchPrivacyRequest streams the request as it changes, and ends when it is final.

use std::time::Duration;

use futures::StreamExt;
use privacyd::proto::privacy::v1 as pb;

use crate::{
    helpers::{Backend, TestApp, state, unique_email},
    on_both_backends,
};

on_both_backends!(a_watch_follows_the_request_to_its_end);

async fn a_watch_follows_the_request_to_its_end(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    let mut stream = app
        .client
        .clone()
        .watch_privacy_request(pb::WatchPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.event.is_none());
    assert_eq!(state(first.privacy_request.as_ref().unwrap()), pb::State::Pending);

    let collector = tokio::spawn(async move {
        let mut seen = Vec::new();
        let mut last = None;
        while let Some(message) = stream.next().await {
            let message = message.unwrap();
            // Messages without an event are progress snapshots.
            let Some(event) = message.event else { continue };
            seen.push((
                pb::AuditEventType::try_from(event.r#type).unwrap(),
                pb::State::try_from(event.to_state).unwrap(),
            ));
            last = message.privacy_request;
        }
        (seen, last)
    });
    app.confirm_from_email(&email).await;
    let mut client = app.client.clone();
    // With a data source that holds nothing, the export completes on its own with an empty archive.
    app.register_empty_source().await;
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() }).await.unwrap();

    let (seen, last) = tokio::time::timeout(Duration::from_secs(10), collector)
        .await
        .expect("the stream ends after COMPLETED")
        .unwrap();
    assert_eq!(state(&last.unwrap()), pb::State::Completed);
    let transitions: Vec<_> = seen.iter().filter(|(t, _)| *t != pb::AuditEventType::EmailSent).cloned().collect();
    assert_eq!(
        transitions,
        [
            // Its history first (it was created before the watch began), then the live events.
            (pb::AuditEventType::Created, pb::State::Pending),
            (pb::AuditEventType::Confirmed, pb::State::Confirmed),
            (pb::AuditEventType::ProcessingStarted, pb::State::Processing),
            (pb::AuditEventType::SourceSucceeded, pb::State::Unspecified),
            (pb::AuditEventType::ArchiveCreated, pb::State::Unspecified),
            (pb::AuditEventType::Completed, pb::State::Completed),
        ]
    );
}
