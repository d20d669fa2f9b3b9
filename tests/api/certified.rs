//! Erasures that must not be certified (issue 9, items 1 to 5): a source that compares
//! addresses case-sensitively, no source able to do the action, sources that were skipped, a
//! source that keeps more than it reports, and counts no source can hold. Each test shows
//! what a verified erasure would have hidden.

use privacyd::proto::privacy::{datasource::v1 as ds, v1 as pb};
use tonic::{Code, Request, Response, Status};

use crate::{
    erasing_source::{Behaviour, ErasingSource},
    fake_source::serve,
    helpers::{Backend, SmtpSink, TestApp, error_metadata, reason, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    a_case_sensitive_source_is_asked_with_the_canonical_address,
    data_held_under_another_form_of_the_address_fails_verification,
    processing_with_no_capable_source_is_refused,
    automatic_processing_with_no_capable_source_fails_the_request_and_tells_the_subject_nothing,
    skipped_sources_are_listed_and_the_erasure_is_not_verified,
    more_items_left_in_a_retained_group_than_reported_fail_verification,
    counts_no_source_can_hold_are_protocol_violations,
);

async fn register_at(app: &TestApp, name: &str, endpoint: String) {
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: name.into(),
            endpoint,
            call_timeout: Some(prost_types::Duration { seconds: 10, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn register(app: &TestApp, source: &ErasingSource) {
    register_at(app, &source.name, source.serve().await).await;
}

async fn disable(app: &TestApp, name: &str) {
    app.registry
        .clone()
        .update_data_source(pb::UpdateDataSourceRequest {
            name: name.into(),
            enabled: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn process(app: &TestApp, id: &str) -> Result<pb::PrivacyRequest, Status> {
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.into() })
        .await
        .map(|r| r.into_inner().privacy_request.unwrap())
}

async fn until_ended(app: &TestApp, id: &str) -> pb::PrivacyRequest {
    app.wait_for(id, "the erasure to end", |r| matches!(state(r), pb::State::Completed | pb::State::Failed)).await
}

fn run<'a>(request: &'a pb::PrivacyRequest, source: &str) -> &'a pb::SourceProgress {
    request.sources.iter().find(|s| s.source_name == source).unwrap_or_else(|| panic!("no run for {source}"))
}

/// `subject-…@example.com` as a subject might type it: "Subject-…@Example.COM".
fn typed_with_capitals(email: &str) -> String {
    let (local, _) = email.split_once('@').unwrap();
    format!("S{}@Example.COM", &local[1..])
}

/// Item 1: the source holds the address lower-cased, as most systems store it, and compares
/// case-sensitively; the subject typed capitals. privacyd asks every source with the
/// canonical (lower-cased) form, so the data is found and erased.
async fn a_case_sensitive_source_is_asked_with_the_canonical_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let stored = unique_email();
    let typed = typed_with_capitals(&stored);
    let shop = ErasingSource::new("shop", Behaviour { case_sensitive: true, ..Default::default() });
    shop.hold(&stored, "profile", 1).hold(&stored, "comments", 3);
    register(&app, &shop).await;

    let request = app.create(&typed, pb::Action::Erase, false).await;
    process(&app, &request.id).await.unwrap();
    let done = until_ended(&app, &request.id).await;

    assert!(shop.held(&stored).is_empty(), "the data is gone: {:?}", shop.held(&stored));
    assert_eq!(state(&done), pb::State::Completed, "{done:#?}");
    let summary = done.erasure.unwrap();
    assert_eq!(summary.outcome, pb::ErasureOutcome::AllErased as i32);
    assert_eq!((summary.items_removed, summary.verified), (4, true));
}

/// Item 1, the other way round: the source holds the address as the subject's system kept it
/// (local part as typed, domain lower-cased) and compares case-sensitively, so the canonical
/// form finds nothing to erase. The verification export also asks with that form, finds the
/// data, and the erasure fails instead of being certified NOTHING_FOUND.
async fn data_held_under_another_form_of_the_address_fails_verification(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let typed = typed_with_capitals(&unique_email());
    let (local, domain) = typed.split_once('@').unwrap();
    let stored = format!("{local}@{}", domain.to_lowercase());
    let shop = ErasingSource::new("shop", Behaviour { case_sensitive: true, ..Default::default() });
    shop.hold(&stored, "comments", 3);
    register(&app, &shop).await;

    let request = app.create(&typed, pb::Action::Erase, false).await;
    process(&app, &request.id).await.unwrap();
    let done = until_ended(&app, &request.id).await;

    assert_eq!(state(&done), pb::State::Failed, "{done:#?}");
    assert!(done.erasure.is_none());
    let verification = run(&done, "shop").verification.clone().unwrap();
    assert_eq!(verification.state, pb::VerificationState::Failed as i32);
    assert_eq!(verification.leftovers, vec![pb::Leftover { group_id: "comments".into(), items: 3, files: 0 }]);
    assert!(SmtpSink::global().messages_to(&typed).is_empty(), "the subject is told nothing untrue");
}

/// An export-only source, with no data to speak of.
#[derive(Clone, Default)]
struct ExportOnly;

#[tonic::async_trait]
impl ds::data_source_service_server::DataSourceService for ExportOnly {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(crate::fake_source::describe_things("export-only")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        Ok(Response::new(Box::pin(futures::stream::iter(vec![Ok(crate::fake_source::item("a"))]))))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("this source only exports"))
    }
}

/// Item 2: with no enabled source able to erase (none registered; then one that only exports
/// and one that is disabled) processing an erasure is refused with NO_CAPABLE_SOURCE and the
/// request stays CONFIRMED; so is an export with no enabled source able to export.
async fn processing_with_no_capable_source_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let erasure = app.create(&email, pb::Action::Erase, false).await;
    let refused = process(&app, &erasure.id).await.unwrap_err();
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "NO_CAPABLE_SOURCE"));
    assert_eq!(error_metadata(&refused, "action").as_deref(), Some("ACTION_ERASE"));
    assert!(refused.message().contains("no enabled data source can erase: none is registered"), "{refused:?}");
    assert_eq!(state(&app.get(&erasure.id).await), pb::State::Confirmed);

    register_at(&app, "catalogue", serve(ExportOnly).await).await;
    let shop = ErasingSource::new("shop", Behaviour::default());
    shop.hold(&email, "orders", 2);
    register(&app, &shop).await;
    disable(&app, "shop").await;
    let refused = process(&app, &erasure.id).await.unwrap_err();
    assert_eq!(reason(&refused), "NO_CAPABLE_SOURCE");
    assert!(
        refused.message().contains(
            "catalogue: the data source cannot erase (its Describe lists no CAPABILITY_ERASE); \
             shop: the data source is disabled"
        ),
        "{refused:?}"
    );
    let unchanged = app.get(&erasure.id).await;
    assert_eq!((state(&unchanged), unchanged.sources.len()), (pb::State::Confirmed, 0));
    assert_eq!(shop.erase_calls.load(std::sync::atomic::Ordering::SeqCst), 0);

    disable(&app, "catalogue").await;
    let export = app.create(&email, pb::Action::Export, false).await;
    let refused = process(&app, &export.id).await.unwrap_err();
    assert_eq!(reason(&refused), "NO_CAPABLE_SOURCE");
    assert_eq!(error_metadata(&refused, "action").as_deref(), Some("ACTION_EXPORT"));
    assert!(SmtpSink::global().messages_to(&email).is_empty(), "no archive without data, no 'nothing found'");
}

/// Item 2, when processing starts on its own after confirmation: no one is there to refuse,
/// so the request FAILS with a reason that says what to do, and the subject is emailed
/// nothing. Once a capable source is enabled, processing it again runs it.
async fn automatic_processing_with_no_capable_source_fails_the_request_and_tells_the_subject_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.auto_process = true).await;
    let email = unique_email();
    let shop = ErasingSource::new("shop", Behaviour::default());
    shop.hold(&email, "orders", 2);
    register(&app, &shop).await;
    disable(&app, "shop").await;

    let request = app.create(&email, pb::Action::Erase, false).await;
    assert_eq!(state(&request), pb::State::Failed, "{request:#?}");
    assert!(
        request.state_reason.starts_with("no enabled data source can erase: shop: the data source is disabled"),
        "{}",
        request.state_reason
    );
    assert!(request.erasure.is_none());
    assert_eq!(run(&request, "shop").state, pb::SourceState::Skipped as i32);

    app.registry
        .clone()
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "shop".into(),
            enabled: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    process(&app, &request.id).await.unwrap();
    let done = until_ended(&app, &request.id).await;
    assert_eq!(state(&done), pb::State::Completed, "{done:#?}");
    assert!(shop.held(&email).is_empty());
    let mail = SmtpSink::global().wait_for(&email, 1).await;
    assert_eq!(mail.len(), 1, "only the fulfilment, after the data was erased");
}

/// Item 3: a disabled source that holds the subject's data and a source that cannot erase are
/// listed as SKIPPED with why, on the request and in the receipt; the erasure is not verified,
/// and the email says which systems it did not reach instead of "We found no personal data".
async fn skipped_sources_are_listed_and_the_erasure_is_not_verified(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let newsletter = ErasingSource::new("newsletter", Behaviour::default());
    let crm = ErasingSource::new("crm", Behaviour::default());
    crm.hold(&email, "profile", 1).hold(&email, "comments", 4);
    register(&app, &newsletter).await;
    register(&app, &crm).await;
    register_at(&app, "catalogue", serve(ExportOnly).await).await;
    disable(&app, "crm").await;

    let request = app.create(&email, pb::Action::Erase, false).await;
    process(&app, &request.id).await.unwrap();
    let done = until_ended(&app, &request.id).await;
    assert_eq!(state(&done), pb::State::Completed, "{done:#?}");

    let names: Vec<&str> = done.sources.iter().map(|s| s.source_name.as_str()).collect();
    assert_eq!(names.len(), 3, "every registered source is listed: {names:?}");
    let skipped = |name: &str| (run(&done, name).state, run(&done, name).skip_reason.clone());
    assert_eq!(skipped("crm"), (pb::SourceState::Skipped as i32, "the data source is disabled".to_owned()));
    assert_eq!(
        skipped("catalogue"),
        (
            pb::SourceState::Skipped as i32,
            "the data source cannot erase (its Describe lists no CAPABILITY_ERASE)".to_owned()
        )
    );
    assert_eq!(run(&done, "newsletter").state, pb::SourceState::Succeeded as i32);
    let summary = done.erasure.unwrap();
    assert_eq!(summary.outcome, pb::ErasureOutcome::NothingFound as i32);
    assert_eq!((summary.verified, summary.sources_skipped), (false, 2));
    assert_eq!(crm.held(&email).values().sum::<usize>(), 5, "the skipped source was not asked");

    let receipt = app
        .client
        .clone()
        .get_erasure_receipt(pb::GetErasureReceiptRequest { id: request.id.clone() })
        .await
        .unwrap()
        .into_inner();
    let json: serde_json::Value = serde_json::from_str(&receipt.receipt_json).unwrap();
    assert_eq!(json["verified"], false);
    assert_eq!(json["sources_skipped"], 2);
    let crm_json = json["sources"].as_array().unwrap().iter().find(|s| s["name"] == "crm").unwrap();
    assert_eq!(
        (crm_json["state"].as_str(), crm_json["skip_reason"].as_str()),
        (Some("SKIPPED"), Some("the data source is disabled"))
    );

    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    assert!(!mail.raw.contains("We found no personal data about you to erase."), "{}", mail.raw);
    assert!(
        mail.raw.contains("In the systems we searched, we found no personal data about you to erase."),
        "{}",
        mail.raw
    );
    assert!(mail.raw.contains("2 of our systems were not part of this erasure"), "{}", mail.raw);
    assert!(
        mail.raw.contains("may still hold data about you: crm, catalogue")
            || mail.raw.contains("may still hold data about you: catalogue, crm"),
        "{}",
        mail.raw
    );

    let events = app.audit(&request.id).await;
    let started = events.iter().find(|e| e.r#type == pb::AuditEventType::ProcessingStarted as i32).unwrap();
    assert!(started.detail.contains("crm (the data source is disabled)"), "{}", started.detail);
}

/// Item 4: the source reports 1 order kept and keeps 50.
async fn more_items_left_in_a_retained_group_than_reported_fail_verification(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let shop =
        ErasingSource::new("shop", Behaviour { retain: vec!["orders"], under_report: true, ..Default::default() });
    shop.hold(&email, "orders", 50).hold(&email, "comments", 2);
    register(&app, &shop).await;

    let request = app.create(&email, pb::Action::Erase, false).await;
    process(&app, &request.id).await.unwrap();
    let done = until_ended(&app, &request.id).await;

    assert_eq!(state(&done), pb::State::Failed, "{done:#?}");
    let shop_run = run(&done, "shop");
    assert_eq!(shop_run.erasure.as_ref().map(|e| e.items_retained), Some(1));
    let verification = shop_run.verification.clone().unwrap();
    assert_eq!(verification.state, pb::VerificationState::Failed as i32);
    assert_eq!(verification.leftovers, vec![pb::Leftover { group_id: "orders".into(), items: 49, files: 0 }]);
    assert_eq!(
        verification.detail,
        "still exported beyond what the source reported retained: orders: 49 items beyond the 1 reported retained"
    );
    assert!(SmtpSink::global().messages_to(&email).is_empty(), "the subject is not told 1 item was kept");
}

/// A source whose Erase answers what the test says, and whose export is empty.
#[derive(Clone)]
struct Answers(ds::EraseResponse);

#[tonic::async_trait]
impl ds::data_source_service_server::DataSourceService for Answers {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        let mut description = crate::fake_source::describe_things("answers");
        description.capabilities.push(ds::Capability::Erase as i32);
        Ok(Response::new(description))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        Ok(Response::new(Box::pin(futures::stream::empty())))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Ok(Response::new(self.0.clone()))
    }
}

fn retention(group: &str, items: i64) -> ds::Retention {
    ds::Retention {
        group_id: group.into(),
        items,
        reason: "tax law".into(),
        legal_basis: ds::LegalBasis::LegalObligation as i32,
        retention_period: "10 years".into(),
    }
}

/// Item 5: counts past 2^53 - 1, and retentions whose sum overflows (i64::MAX + 1, which a
/// saturating sum made equal to i64::MAX), fail the source as protocol violations; two sources
/// reporting 6e18 each no longer add up to a negative total.
async fn counts_no_source_can_hold_are_protocol_violations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let huge = ds::EraseResponse { items_removed: 6_000_000_000_000_000_000, ..Default::default() };
    register_at(&app, "huge-a", serve(Answers(huge.clone())).await).await;
    register_at(&app, "huge-b", serve(Answers(huge)).await).await;
    let saturating = ds::EraseResponse {
        items_retained: i64::MAX,
        retentions: vec![retention("things", i64::MAX), retention("orders", 1)],
        ..Default::default()
    };
    register_at(&app, "saturating", serve(Answers(saturating)).await).await;

    let email = unique_email();
    let request = app.create(&email, pb::Action::Erase, false).await;
    process(&app, &request.id).await.unwrap();
    let done = until_ended(&app, &request.id).await;

    assert_eq!(state(&done), pb::State::Failed, "{done:#?}");
    assert!(done.erasure.is_none());
    for name in ["huge-a", "huge-b"] {
        let r = run(&done, name);
        assert_eq!(r.state, pb::SourceState::Failed as i32);
        assert_eq!(r.attempts, 1, "a protocol violation is not retried");
        assert!(
            r.last_error.contains("protocol violation: counts over 9007199254740991, the most the protocol allows"),
            "{name}: {}",
            r.last_error
        );
    }
    let r = run(&done, "saturating");
    assert_eq!(r.state, pb::SourceState::Failed as i32);
    assert!(r.last_error.contains("protocol violation: counts over 9007199254740991"), "{}", r.last_error);
    assert!(SmtpSink::global().messages_to(&email).is_empty());
}
