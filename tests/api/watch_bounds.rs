//! Watches are bounded: one poller per replica serves them all, however many there are, and
//! an admin token (and the replica) may hold only so many at once.

use std::time::Duration;

use futures::StreamExt;
use privacyd::{
    domain::{Actor, RequestId},
    proto::privacy::v1::{self as pb, privacy_request_service_client::PrivacyRequestServiceClient},
    workflow::WatchLimits,
};
use tonic::{Code, transport::Channel};

use crate::{
    helpers::{Backend, Bearer, TestApp, error_metadata, reason, unique_email},
    on_both_backends,
};

on_both_backends!(
    watches_are_capped_per_token_and_per_replica,
    one_poller_serves_every_watch,
    a_watch_that_does_not_read_holds_back_no_other,
);

async fn watch(
    client: &mut PrivacyRequestServiceClient<tonic::service::interceptor::InterceptedService<Channel, Bearer>>,
    id: &str,
) -> Result<tonic::Streaming<pb::WatchPrivacyRequestResponse>, tonic::Status> {
    let mut stream =
        client.watch_privacy_request(pb::WatchPrivacyRequestRequest { id: id.to_owned() }).await?.into_inner();
    // The first message is the request as it is: the watch is open once it arrived.
    stream.next().await.expect("a first message").expect("the first message is the request");
    Ok(stream)
}

/// A token past its limit is refused with RESOURCE_EXHAUSTED while another token can still
/// watch; past the replica's limit every token is refused; a watch that ends gives its place
/// back.
async fn watches_are_capped_per_token_and_per_replica(backend: Backend) {
    let second_token = format!("second-admin-token-{}", uuid::Uuid::new_v4());
    let token = second_token.clone();
    let app = TestApp::spawn_with(backend, move |config| {
        config.admin_tokens.push(token);
        config.watch_max_per_token = 3;
        config.watch_max = 5;
    })
    .await;
    let channel = Channel::from_shared(format!("http://{}", app.addr)).unwrap().connect().await.unwrap();
    let mut second = PrivacyRequestServiceClient::with_interceptor(
        channel,
        Bearer(format!("Bearer {second_token}").parse().unwrap()),
    );
    let mut first = app.client.clone();
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(app.create(&unique_email(), pb::Action::Export, true).await.id);
    }

    let mut held = Vec::new();
    for id in &ids[..3] {
        held.push(watch(&mut first, id).await.expect("within the token's limit"));
    }
    let refused = watch(&mut first, &ids[3]).await.expect_err("a fourth watch for the same token");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert_eq!(reason(&refused), "TOO_MANY_WATCHES");
    assert_eq!(error_metadata(&refused, "scope").as_deref(), Some("TOKEN"));
    assert_eq!(error_metadata(&refused, "limit").as_deref(), Some("3"));
    assert!(refused.message().contains("--watch-max-per-token"), "{}", refused.message());

    // Another token is not held back by the first one's watches.
    let mut other = Vec::new();
    for id in &ids[3..5] {
        other.push(watch(&mut second, id).await.expect("the second token has watches left"));
    }
    let refused = watch(&mut second, &ids[5]).await.expect_err("the replica's sixth watch");
    assert_eq!(refused.code(), Code::ResourceExhausted);
    assert_eq!(reason(&refused), "TOO_MANY_WATCHES");
    assert_eq!(error_metadata(&refused, "scope").as_deref(), Some("REPLICA"));

    // A client that goes away frees its place (within a poll), and so does a watch whose
    // request ends.
    drop(held.pop());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let reopened = loop {
        match watch(&mut first, &ids[3]).await {
            Ok(stream) => break stream,
            Err(status) if status.code() == Code::ResourceExhausted => {
                assert!(tokio::time::Instant::now() < deadline, "a dropped watch never gave its place back");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("{status:?}"),
        }
    };
    held.push(reopened);
    app.client
        .clone()
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: ids[0].clone(), reason: String::new() })
        .await
        .unwrap();
    let mut ended = held.remove(0);
    let rest = tokio::time::timeout(Duration::from_secs(10), async { while ended.next().await.is_some() {} }).await;
    rest.expect("the watch of a cancelled request ends");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match watch(&mut first, &ids[5]).await {
            Ok(_) => break,
            Err(status) if status.code() == Code::ResourceExhausted => {
                assert!(tokio::time::Instant::now() < deadline, "an ended watch never gave its place back");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("{status:?}"),
        }
    }
}

/// Polls in a second, measured on a replica that hears of no change (a watch's other
/// replica), so that only its timer drives it.
async fn polls_in_a_second(replica: &privacyd::workflow::Workflow) -> u64 {
    let before = replica.watch_polls();
    tokio::time::sleep(Duration::from_secs(1)).await;
    replica.watch_polls() - before
}

/// 200 watches on 200 requests cost the database what one does: the same reads per poll
/// interval. Each of them still sees its own request's changes, from another replica, within a
/// poll.
async fn one_poller_serves_every_watch(backend: Backend) {
    const WATCHES: usize = 200;
    let app = TestApp::spawn(backend).await;
    let mut ids = Vec::new();
    for _ in 0..WATCHES {
        ids.push(app.create(&unique_email(), pb::Action::Export, false).await.id);
    }
    // Its own database connections and no executor: it sees this process's changes only by
    // polling (every 100 ms).
    let replica = app.workflow().await.with_watch_limits(WatchLimits { per_token: WATCHES, total: WATCHES });
    let holder = Actor::system("test");
    let parse = |id: &str| RequestId::parse("id", id).unwrap();

    let mut watches = vec![replica.watch(&holder, parse(&ids[0])).await.unwrap()];
    let one = polls_in_a_second(&replica).await;
    for id in &ids[1..] {
        watches.push(replica.watch(&holder, parse(id)).await.unwrap());
    }
    assert_eq!(replica.open_watches(), WATCHES);
    let many = polls_in_a_second(&replica).await;
    eprintln!("watch polls in a second: {one} for one watch, {many} for {WATCHES}");
    assert!((5..=15).contains(&one), "one watch: {one} polls in a second at a 100 ms interval");
    assert!(many <= one + 2, "{WATCHES} watches: {many} polls in a second, against {one} for one watch");

    // Every watch is live: each gets its first message, and a change to one request reaches
    // its watch (and only ends that one).
    for watch in &mut watches {
        let (request, event) = watch.next().await.unwrap().unwrap();
        assert!(request.is_some() && event.is_none());
        // Then its history so far: it was created.
        let (_, event) = watch.next().await.unwrap().unwrap();
        assert_eq!(event.map(|e| e.event.event_type), Some(privacyd::domain::AuditEventType::Created));
    }
    let last = WATCHES - 1;
    app.client
        .clone()
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: ids[last].clone(), reason: String::new() })
        .await
        .unwrap();
    let mut cancelled = watches.pop().unwrap();
    let events = tokio::time::timeout(Duration::from_secs(10), async {
        let mut events = Vec::new();
        while let Some(item) = cancelled.next().await {
            events.extend(item.unwrap().1.map(|e| e.event.event_type));
        }
        events
    })
    .await
    .expect("the cancelled request's watch ends");
    assert_eq!(events, [privacyd::domain::AuditEventType::Cancelled]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while replica.open_watches() != WATCHES - 1 {
        assert!(tokio::time::Instant::now() < deadline, "{} watches open", replica.open_watches());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(300), watches[0].next()).await.is_err(),
        "the other watches stay open and quiet"
    );
}

/// A client that stops reading while its request piles up more events than a poll reads of
/// one request (100) holds back neither the poller nor another request's watch, and when it
/// reads again it gets every event, in order, each once.
async fn a_watch_that_does_not_read_holds_back_no_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let busy = app.create(&unique_email(), pb::Action::Export, true).await.id;
    let quiet = app.create(&unique_email(), pb::Action::Export, false).await.id;
    let mut client = app.client.clone();
    let all_sent = |r: &pb::PrivacyRequest| r.emails.iter().all(|e| e.state != pb::DeliveryState::Pending as i32);
    // Nothing happens to it from here on but what this test does.
    app.wait_for(&busy, "the confirmation email to be sent", all_sent).await;
    let start = app.audit(&busy).await.last().unwrap().sequence;
    let mut stalled =
        client.watch_privacy_request(pb::WatchPrivacyRequestRequest { id: busy.clone() }).await.unwrap().into_inner();
    let first = stalled.next().await.unwrap().unwrap();
    assert!(first.event.is_none());
    // Each resend is an event, and its email another.
    for _ in 0..60 {
        client.resend_confirmation(pb::ResendConfirmationRequest { id: busy.clone() }).await.unwrap();
    }
    let mut other = watch(&mut client, &quiet).await.unwrap();
    client
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: quiet.clone(), reason: String::new() })
        .await
        .unwrap();
    let cancelled = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let message = other.next().await.unwrap().unwrap();
            // Its history (it was created) comes first.
            if !message.replayed {
                break message;
            }
        }
    })
    .await
    .expect("the other watch is not held back");
    assert_eq!(cancelled.event.unwrap().r#type, pb::AuditEventType::Cancelled as i32);

    // Wait for the emails to be recorded, then end the busy request and read everything.
    app.wait_for(&busy, "every email to be sent", all_sent).await;
    client
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: busy.clone(), reason: String::new() })
        .await
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        let mut seen = Vec::new();
        while let Some(message) = stalled.next().await {
            let message = message.unwrap();
            // The history before the watch started is replayed first; what is counted here is
            // what came after.
            seen.extend(message.event.filter(|_| !message.replayed).map(|e| e.sequence));
        }
        seen
    })
    .await
    .expect("the stalled watch catches up and ends");
    let audit: Vec<i64> = app.audit(&busy).await.iter().map(|e| e.sequence).collect();
    let cancel_at = app.last_transition(&busy).await.sequence;
    let expected: Vec<i64> = audit.into_iter().filter(|s| *s > start && *s <= cancel_at).collect();
    assert!(expected.len() > 100, "{} events: more than one poll reads", expected.len());
    assert_eq!(seen, expected, "every event after the watch started, in order, each once");
}
