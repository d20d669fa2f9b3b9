//! Listing requests: AIP-158 keyset pages, newest first, filters.

use std::collections::HashSet;

use privacyd::proto::privacy::v1 as pb;
use tonic::Code;

use crate::{
    helpers::{Backend, TestApp, reason, unique_email},
    on_both_backends,
};

on_both_backends!(
    pages_cover_everything_once_newest_first,
    filters_by_action_state_and_email,
    bad_page_tokens_are_refused
);

fn list(page_size: i32, page_token: &str) -> pb::ListPrivacyRequestsRequest {
    pb::ListPrivacyRequestsRequest { page_size, page_token: page_token.to_owned(), ..Default::default() }
}

async fn pages_cover_everything_once_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(app.create(&unique_email(), pb::Action::Export, false).await.id);
    }
    let mut client = app.client.clone();
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = client.list_privacy_requests(list(3, &token)).await.unwrap().into_inner();
        assert!(page.privacy_requests.len() <= 3);
        seen.extend(page.privacy_requests.into_iter().map(|r| r.id));
        // Requests created meanwhile land before the cursor and do not disturb the walk.
        if seen.len() == 3 {
            app.create(&unique_email(), pb::Action::Erase, false).await;
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    ids.reverse();
    assert_eq!(seen, ids, "every request once, newest first");
}

async fn filters_by_action_state_and_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let export = app.create(&email, pb::Action::Export, true).await;
    let erase = app.create(&email, pb::Action::Erase, false).await;
    let other = app.create(&unique_email(), pb::Action::Erase, false).await;
    let mut client = app.client.clone();
    let ids =
        |page: pb::ListPrivacyRequestsResponse| page.privacy_requests.into_iter().map(|r| r.id).collect::<HashSet<_>>();

    let by_email = client
        .list_privacy_requests(pb::ListPrivacyRequestsRequest { subject_email: email.to_uppercase(), ..list(10, "") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(by_email), HashSet::from([export.id.clone(), erase.id.clone()]));

    let erasures = client
        .list_privacy_requests(pb::ListPrivacyRequestsRequest { action: pb::Action::Erase as i32, ..list(10, "") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(erasures), HashSet::from([erase.id.clone(), other.id.clone()]));

    let pending = client
        .list_privacy_requests(pb::ListPrivacyRequestsRequest { state: pb::State::Pending as i32, ..list(10, "") })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(pending), HashSet::from([export.id.clone()]));

    let combined = client
        .list_privacy_requests(pb::ListPrivacyRequestsRequest {
            subject_email: email.clone(),
            action: pb::Action::Erase as i32,
            state: pb::State::Confirmed as i32,
            ..list(10, "")
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(combined), HashSet::from([erase.id.clone()]));
}

async fn bad_page_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for _ in 0..3 {
        app.create(&unique_email(), pb::Action::Export, false).await;
    }
    let mut client = app.client.clone();
    let token = client.list_privacy_requests(list(1, "")).await.unwrap().into_inner().next_page_token;
    assert!(!token.is_empty());

    let err = client.list_privacy_requests(list(1, "garbage!")).await.unwrap_err();
    assert_eq!((err.code(), reason(&err).as_str()), (Code::InvalidArgument, "INVALID_PAGE_TOKEN"));
    let other_filter = pb::ListPrivacyRequestsRequest { action: pb::Action::Erase as i32, ..list(1, &token) };
    let err = client.list_privacy_requests(other_filter).await.unwrap_err();
    assert_eq!(reason(&err), "INVALID_PAGE_TOKEN");
    assert!(err.message().contains("different filters"));
    let err = client.list_privacy_requests(list(-1, "")).await.unwrap_err();
    assert_eq!(reason(&err), "INVALID_FIELD");
}
