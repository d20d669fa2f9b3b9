//! Erasure: every erase-capable data source is asked to erase the subject (idempotently, by
//! request id), the result is verified by exporting again, each source's answer and the
//! outcome are shown, the subject is told what was kept and why, and a receipt proves it.

use std::{sync::atomic::Ordering, time::Duration};

use privacyd::proto::privacy::{datasource::v1 as ds, v1 as pb};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use tonic::Code;

use crate::{
    erasing_source::{Behaviour, ErasingSource},
    helpers::{
        Backend, SmtpSink, TestApp, confirm_by_pressing_the_button, error_metadata, form_field, http_post_form, reason,
        state, unique_email,
    },
    on_both_backends,
};

on_both_backends!(
    an_erasure_runs_on_every_source_and_reports_each,
    the_outcome_is_one_of_wordpress_four,
    verification_catches_a_source_that_keeps_data,
    retryable_failures_are_retried_and_others_fail_the_source_at_once,
    verification_is_skipped_when_switched_off,
    the_receipt_detects_a_changed_audit_event_and_outlives_the_request,
    a_cooling_off_period_lets_the_subject_or_an_operator_withdraw,
    a_source_quoting_the_subject_leaves_no_trace_in_the_audit_log_or_the_receipt,
    many_sources_at_once_do_not_exhaust_a_small_connection_pool,
);

async fn register(app: &TestApp, source: &ErasingSource) {
    let endpoint = source.serve().await;
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: source.name.clone(),
            endpoint,
            call_timeout: Some(prost_types::Duration { seconds: 10, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn erase(app: &TestApp, email: &str) -> pb::PrivacyRequest {
    let request = app.create(email, pb::Action::Erase, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id.clone() })
        .await
        .unwrap();
    request
}

async fn until_ended(app: &TestApp, id: &str) -> pb::PrivacyRequest {
    app.wait_for(id, "the erasure to end", |r| matches!(state(r), pb::State::Completed | pb::State::Failed)).await
}

fn run<'a>(request: &'a pb::PrivacyRequest, source: &str) -> &'a pb::SourceProgress {
    request.sources.iter().find(|s| s.source_name == source).unwrap_or_else(|| panic!("no run for {source}"))
}

fn shop(retain: bool) -> ErasingSource {
    ErasingSource::new("shop", Behaviour { retain: if retain { vec!["orders"] } else { vec![] }, ..Default::default() })
}

async fn receipt(app: &TestApp, id: &str) -> Result<pb::GetErasureReceiptResponse, tonic::Status> {
    app.client.clone().get_erasure_receipt(pb::GetErasureReceiptRequest { id: id.into() }).await.map(|r| r.into_inner())
}

async fn an_erasure_runs_on_every_source_and_reports_each(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let shop = shop(true);
    shop.hold(&email, "profile", 1).hold(&email, "orders", 2).hold(&email, "comments", 3);
    let forum = ErasingSource::new("forum", Behaviour::default());
    forum.hold(&email, "comments", 2).hold("someone.else@example.com", "comments", 5);
    let newsletter = ErasingSource::new("newsletter", Behaviour::default());
    for source in [&shop, &forum, &newsletter] {
        register(&app, source).await;
    }

    let request = erase(&app, &email).await;
    let done = until_ended(&app, &request.id).await;
    assert_eq!(state(&done), pb::State::Completed, "{done:#?}");

    // Each source's answer, verified.
    let shop_run = run(&done, "shop");
    assert_eq!(shop_run.state, pb::SourceState::Succeeded as i32);
    let shop_erasure = shop_run.erasure.as_ref().unwrap();
    assert_eq!((shop_erasure.items_removed, shop_erasure.items_retained), (4, 2));
    assert_eq!(
        shop_erasure.retentions,
        vec![ds::Retention {
            group_id: "orders".into(),
            items: 2,
            reason: "Invoices must be kept for 10 years (tax law)".into(),
            legal_basis: ds::LegalBasis::LegalObligation as i32,
            retention_period: "10 years".into(),
        }]
    );
    assert_eq!(shop_erasure.messages, vec!["shop erased"]);
    let erasure = |name: &str| {
        let e = run(&done, name).erasure.clone().unwrap();
        (e.items_removed, e.items_retained)
    };
    assert_eq!(erasure("forum"), (2, 0));
    assert_eq!(erasure("newsletter"), (0, 0));
    for name in ["shop", "forum", "newsletter"] {
        let verification = run(&done, name).verification.clone().unwrap();
        assert_eq!(verification.state, pb::VerificationState::Passed as i32, "{name}: {verification:?}");
    }
    let summary = done.erasure.unwrap();
    assert_eq!(summary.outcome, pb::ErasureOutcome::PartlyErased as i32);
    assert_eq!((summary.items_removed, summary.items_retained, summary.verified), (6, 2, true));

    // What the sources hold now, and that each applied its erasure once.
    assert_eq!(shop.held(&email).into_iter().collect::<Vec<_>>(), vec![("orders".to_owned(), 2)]);
    assert!(forum.held(&email).is_empty());
    assert_eq!(forum.held("someone.else@example.com").len(), 1, "another subject is untouched");
    for source in [&shop, &forum, &newsletter] {
        assert_eq!(source.effects.load(Ordering::SeqCst), 1);
        assert_eq!(source.erase_calls.load(Ordering::SeqCst), 1);
        assert_eq!(source.export_calls.load(Ordering::SeqCst), 1, "one verification export");
    }

    // The audit log, and the subject's email listing what was kept and why.
    let events = app.audit(&request.id).await;
    let succeeded: Vec<&str> = events
        .iter()
        .filter(|e| e.r#type == pb::AuditEventType::SourceSucceeded as i32)
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(succeeded.len(), 3);
    assert!(
        succeeded.iter().any(|d| d.starts_with("shop: removed 4, retained 2 in orders (2 items); verification passed"))
    );
    let completed = events.iter().find(|e| e.r#type == pb::AuditEventType::Completed as i32).unwrap();
    assert_eq!(completed.detail, "PARTLY_ERASED: removed 6, retained 2");
    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    assert_eq!(mail.subject(), "[privacyd] Your erasure request has been fulfilled");
    assert!(mail.raw.contains("We erased your personal data, except some that the law requires us to keep"));
    assert!(
        mail.raw.contains("- Orders (2 items, shop): Invoices must be kept for 10 years (tax law)"),
        "{}",
        mail.raw
    );
    assert!(mail.raw.contains("Legal basis: Legal obligation (Art. 6(1)(c))."));
    app.wait_for(&request.id, "the email to be recorded", |r| {
        r.emails
            .iter()
            .any(|e| e.kind == pb::EmailKind::ErasureFulfilled as i32 && e.state == pb::DeliveryState::Sent as i32)
    })
    .await;

    // The receipt: counts and reasons, a keyed hash instead of the address, an intact chain.
    let receipt = receipt(&app, &request.id).await.unwrap();
    assert!(receipt.audit_chain_intact);
    assert_eq!(receipt.first_mismatch_sequence, 0);
    assert_eq!(receipt.sha256, hex::encode(Sha256::digest(receipt.receipt_json.as_bytes())));
    assert!(!receipt.receipt_json.to_lowercase().contains(&email.to_lowercase()), "no address in clear");
    let json: serde_json::Value = serde_json::from_str(&receipt.receipt_json).unwrap();
    assert_eq!(json["request_id"], request.id.as_str());
    assert_eq!(json["outcome"], "PARTLY_ERASED");
    assert_eq!((json["items_removed"].as_i64(), json["items_retained"].as_i64()), (Some(6), Some(2)));
    let secret = std::fs::read_to_string(app.data_dir.path().join("secret-key")).unwrap();
    let expected = privacyd::keys::SecretKeys::parse(&secret, "k").unwrap().subject_hash(&email.to_lowercase());
    assert_eq!(json["subject"]["email_hmac_sha256"], expected.hex.as_str());
    let shop_json = json["sources"].as_array().unwrap().iter().find(|s| s["name"] == "shop").unwrap();
    assert_eq!(shop_json["retentions"][0]["legal_basis"], "Legal obligation (Art. 6(1)(c))");
    assert_eq!(shop_json["verification"]["state"], "PASSED");
    // The chain covers the events up to the completion, and anyone can recompute it.
    let chain = json["audit_chain"]["events"].as_array().unwrap();
    assert_eq!(chain.last().unwrap()["type"], "COMPLETED");
    let mut previous = Sha256::digest(format!("privacyd audit chain v1 {}", request.id)).to_vec();
    for event in chain {
        let mut object = event.as_object().unwrap().clone();
        let digest = object.remove("digest").unwrap();
        let canonical = serde_json::to_vec(&object).unwrap();
        previous = Sha256::digest([previous.as_slice(), &canonical].concat()).to_vec();
        assert_eq!(digest, hex::encode(&previous).as_str());
    }
    assert_eq!(json["audit_chain"]["head"], hex::encode(&previous).as_str());
}

async fn the_outcome_is_one_of_wordpress_four(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = shop(true);
    register(&app, &shop).await;
    let cases = [
        (vec![], pb::ErasureOutcome::NothingFound, (0, 0)),
        (vec![("comments", 2)], pb::ErasureOutcome::AllErased, (2, 0)),
        (vec![("orders", 3)], pb::ErasureOutcome::NothingErased, (0, 3)),
        (vec![("comments", 1), ("orders", 1)], pb::ErasureOutcome::PartlyErased, (1, 1)),
    ];
    for (holdings, outcome, counts) in cases {
        let email = unique_email();
        for (group, count) in holdings {
            shop.hold(&email, group, count);
        }
        let request = erase(&app, &email).await;
        let done = until_ended(&app, &request.id).await;
        assert_eq!(state(&done), pb::State::Completed, "the request completes whatever was found");
        let summary = done.erasure.unwrap();
        assert_eq!(summary.outcome, outcome as i32, "{outcome:?}");
        assert_eq!((summary.items_removed, summary.items_retained), counts);
        let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
        let sentence = match outcome {
            pb::ErasureOutcome::NothingFound => "We found no personal data about you to erase.",
            pb::ErasureOutcome::AllErased => "We erased all the personal data we held about you.",
            pb::ErasureOutcome::NothingErased => "the law requires us to keep all of it for now",
            _ => "except some that the law requires us to keep",
        };
        assert!(mail.raw.contains(sentence), "{outcome:?}: {}", mail.raw);
    }
}

async fn verification_catches_a_source_that_keeps_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let honest = shop(true);
    honest.hold(&email, "orders", 1).hold(&email, "comments", 1);
    let liar = ErasingSource::new("liar", Behaviour { retain: vec!["orders"], lie: true, ..Default::default() });
    liar.hold(&email, "orders", 2).hold(&email, "comments", 3).hold(&email, "profile", 1);
    register(&app, &honest).await;
    register(&app, &liar).await;

    let request = erase(&app, &email).await;
    let done = until_ended(&app, &request.id).await;
    assert_eq!(state(&done), pb::State::Failed, "{done:#?}");
    assert!(
        done.state_reason.contains(
            "source liar failed: erasure verification failed: still exported outside the retained groups: \
             comments: 3 items; profile: 1 item"
        ),
        "{}",
        done.state_reason
    );
    let lied = run(&done, "liar");
    assert_eq!(lied.state, pb::SourceState::Failed as i32);
    assert_eq!(lied.erasure.as_ref().unwrap().items_removed, 4, "what it claimed");
    let verification = lied.verification.clone().unwrap();
    assert_eq!(verification.state, pb::VerificationState::Failed as i32);
    assert_eq!(
        verification.leftovers,
        vec![
            pb::Leftover { group_id: "comments".into(), items: 3, files: 0 },
            pb::Leftover { group_id: "profile".into(), items: 1, files: 0 },
        ]
    );
    assert_eq!(liar.erase_calls.load(Ordering::SeqCst), 1, "a lie is not retried");
    assert_eq!(run(&done, "shop").verification.clone().unwrap().state, pb::VerificationState::Passed as i32);
    // A FAILED erasure has no outcome: it must not read as ALL_ERASED while data remains.
    assert!(done.erasure.is_none(), "a failed erasure reports no outcome: {:?}", done.erasure);

    // Flagged in the audit log, no "fulfilled" email, no receipt.
    let flagged: Vec<_> = app
        .audit(&request.id)
        .await
        .into_iter()
        .filter(|e| e.r#type == pb::AuditEventType::ErasureVerificationFailed as i32)
        .collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(
        flagged[0].detail,
        "liar: still exported outside the retained groups: comments: 3 items; profile: 1 item"
    );
    let err = receipt(&app, &request.id).await.unwrap_err();
    assert_eq!((err.code(), reason(&err).as_str()), (Code::FailedPrecondition, "RECEIPT_NOT_READY"));
    assert_eq!(error_metadata(&err, "state").as_deref(), Some("STATE_FAILED"));
    assert!(SmtpSink::global().messages_to(&email).is_empty());

    // Processing again asks only the source that failed; still lying, it fails again.
    let process = || async {
        app.client
            .clone()
            .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id.clone() })
            .await
            .unwrap();
        until_ended(&app, &request.id).await
    };
    assert_eq!(state(&process().await), pb::State::Failed);
    assert_eq!(honest.erase_calls.load(Ordering::SeqCst), 1);
    assert_eq!(liar.erase_calls.load(Ordering::SeqCst), 2);

    // Its team fixes it; processed again, its repeated Erase (same request id, same answer)
    // deletes what was left, verification passes and the request completes.
    liar.stop_lying();
    let fixed = process().await;
    assert_eq!(state(&fixed), pb::State::Completed, "{fixed:#?}");
    assert_eq!(liar.effects.load(Ordering::SeqCst), 1, "applied once; the replays only cleaned up");
    assert_eq!(run(&fixed, "liar").erasure.as_ref().unwrap().items_removed, 4, "the first answer");
    assert_eq!(liar.held(&email).into_iter().collect::<Vec<_>>(), vec![("orders".to_owned(), 2)]);
}

async fn retryable_failures_are_retried_and_others_fail_the_source_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let flaky =
        ErasingSource::new("flaky", Behaviour { fail_first: Some((2, Code::Unavailable)), ..Default::default() });
    flaky.hold(&email, "comments", 1);
    let broken = ErasingSource::new(
        "broken",
        Behaviour { fail_first: Some((1, Code::FailedPrecondition)), ..Default::default() },
    );
    broken.hold(&email, "profile", 1);
    register(&app, &flaky).await;
    register(&app, &broken).await;

    let request = erase(&app, &email).await;
    let done = until_ended(&app, &request.id).await;
    assert_eq!(state(&done), pb::State::Failed);
    assert_eq!(done.state_reason, "source broken failed: Erase: FailedPrecondition: failure 1 of 1");
    assert_eq!(broken.erase_calls.load(Ordering::SeqCst), 1, "FAILED_PRECONDITION is not retried");
    assert_eq!(run(&done, "broken").attempts, 1);
    assert_eq!(flaky.erase_calls.load(Ordering::SeqCst), 3, "UNAVAILABLE is retried until it works");
    assert_eq!(run(&done, "flaky").state, pb::SourceState::Succeeded as i32);
    assert_eq!(run(&done, "flaky").attempts, 3);

    // The operator fixes the source and processes again: only it runs.
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id.clone() })
        .await
        .unwrap();
    let done = until_ended(&app, &request.id).await;
    assert_eq!(state(&done), pb::State::Completed, "{done:#?}");
    assert_eq!(flaky.erase_calls.load(Ordering::SeqCst), 3);
    assert_eq!(broken.erase_calls.load(Ordering::SeqCst), 2);
    assert_eq!(done.erasure.unwrap().items_removed, 2);
}

async fn verification_is_skipped_when_switched_off(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.verify_erasure = false).await;
    let email = unique_email();
    let liar = ErasingSource::new("liar", Behaviour { lie: true, ..Default::default() });
    liar.hold(&email, "comments", 1);
    register(&app, &liar).await;
    let request = erase(&app, &email).await;
    let done = until_ended(&app, &request.id).await;
    assert_eq!(state(&done), pb::State::Completed);
    let verification = run(&done, "liar").verification.clone().unwrap();
    assert_eq!(verification.state, pb::VerificationState::Skipped as i32);
    assert_eq!(verification.detail, "verification is off (--verify-erasure=false)");
    assert!(!done.erasure.unwrap().verified, "unverified is not claimed as verified");
    assert_eq!(liar.export_calls.load(Ordering::SeqCst), 0);
}

async fn the_receipt_detects_a_changed_audit_event_and_outlives_the_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let shop = shop(true);
    shop.hold(&email, "orders", 1).hold(&email, "comments", 1);
    register(&app, &shop).await;
    let request = erase(&app, &email).await;
    assert_eq!(state(&until_ended(&app, &request.id).await), pb::State::Completed);
    let original = receipt(&app, &request.id).await.unwrap();
    assert!(original.audit_chain_intact);

    // Someone with database access rewrites history, past the append-only trigger.
    let events = app.audit(&request.id).await;
    let edited = events.iter().find(|e| e.r#type == pb::AuditEventType::SourceSucceeded as i32).unwrap();
    let update = "UPDATE audit_events SET detail = 'shop: removed 2, retained 0' WHERE sequence = $1";
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            sqlx::query("DROP TRIGGER audit_events_no_update").execute(&mut conn).await.unwrap();
            sqlx::query(update).bind(edited.sequence).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query(update).bind(edited.sequence).execute(&mut conn).await.unwrap();
        }
    }
    let after = receipt(&app, &request.id).await.unwrap();
    assert_eq!(after.receipt_json, original.receipt_json, "the receipt itself is as written");
    assert!(!after.audit_chain_intact);
    assert_eq!(after.first_mismatch_sequence, edited.sequence);

    // Deleting the request and its personal data keeps the receipt.
    app.client
        .clone()
        .delete_privacy_request(pb::DeletePrivacyRequestRequest { id: request.id.clone() })
        .await
        .unwrap();
    let kept = receipt(&app, &request.id).await.unwrap();
    assert_eq!(kept.receipt_json, original.receipt_json);

    // Exports have no receipt; unfinished erasures not yet; unknown ids are not found.
    let export = app.create(&unique_email(), pb::Action::Export, false).await;
    let err = receipt(&app, &export.id).await.unwrap_err();
    assert_eq!(reason(&err), "NOT_AN_ERASURE");
    let pending = app.create(&unique_email(), pb::Action::Erase, true).await;
    let err = receipt(&app, &pending.id).await.unwrap_err();
    assert_eq!(error_metadata(&err, "state").as_deref(), Some("STATE_PENDING"));
    let err = receipt(&app, &uuid::Uuid::now_v7().to_string()).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

async fn a_cooling_off_period_lets_the_subject_or_an_operator_withdraw(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.erase_delay = Duration::from_secs(2);
        c.auto_process = true;
    })
    .await;
    let shop = shop(false);
    register(&app, &shop).await;

    // The subject confirms, sees when the erasure will run, and withdraws it.
    let withdrawn = unique_email();
    shop.hold(&withdrawn, "comments", 1);
    let request = app.create(&withdrawn, pb::Action::Erase, true).await;
    let link = SmtpSink::global().wait_for(&withdrawn, 1).await.pop().unwrap().confirm_link();
    app.wait_for(&request.id, "the confirmation email to be recorded", |r| {
        r.emails.iter().any(|e| e.state == pb::DeliveryState::Sent as i32)
    })
    .await;
    let (status, page) = confirm_by_pressing_the_button(app.addr, &link);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("We will erase your data after"), "{page}");
    let scheduled = app.get(&request.id).await;
    assert_eq!(state(&scheduled), pb::State::Confirmed, "waiting out the cooling-off period");
    let at = scheduled.scheduled_process_time.unwrap();
    assert_eq!(at.seconds - scheduled.confirm_time.unwrap().seconds, 2);
    let field = |name: &str| form_field(&page, name);
    let (status, _, body) = http_post_form(app.addr, "/withdraw", &[("id", &field("id")), ("token", &field("token"))]);
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Your request is withdrawn"), "{body}");
    let cancelled = app.get(&request.id).await;
    assert_eq!(state(&cancelled), pb::State::Cancelled);
    assert_eq!(cancelled.state_reason, "withdrawn by the subject before processing started");
    let last = app.last_transition(&request.id).await;
    assert_eq!(last.actor.unwrap().kind, pb::ActorKind::Subject as i32);
    // A forged token withdraws nothing.
    let other = app.create(&unique_email(), pb::Action::Erase, false).await;
    let (status, _, _) = http_post_form(app.addr, "/withdraw", &[("id", &other.id), ("token", &field("token"))]);
    assert_eq!(status, 404);
    app.client
        .clone()
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: other.id.clone(), reason: String::new() })
        .await
        .unwrap();

    // An operator cancels another one during its cooling-off period.
    let cancelled_by_operator = unique_email();
    shop.hold(&cancelled_by_operator, "comments", 1);
    let by_operator = app.create(&cancelled_by_operator, pb::Action::Erase, false).await;
    assert!(by_operator.scheduled_process_time.is_some());
    app.client
        .clone()
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest {
            id: by_operator.id.clone(),
            reason: "duplicate".into(),
        })
        .await
        .unwrap();

    // A third runs by itself once the period is over; processing it meanwhile changes nothing.
    let erased = unique_email();
    shop.hold(&erased, "comments", 1);
    let runs = app.create(&erased, pb::Action::Erase, false).await;
    let again = app
        .client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: runs.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap();
    assert_eq!(again.scheduled_process_time, runs.scheduled_process_time);
    let done = until_ended(&app, &runs.id).await;
    assert_eq!(state(&done), pb::State::Completed);
    assert!(done.scheduled_process_time.is_none());
    let started = app.audit(&runs.id).await;
    let scheduled = started.iter().filter(|e| e.r#type == pb::AuditEventType::ErasureScheduled as i32).count();
    assert_eq!(scheduled, 1, "scheduled once");
    let processing = started.iter().find(|e| e.r#type == pb::AuditEventType::ProcessingStarted as i32).unwrap();
    assert!(processing.time.unwrap().seconds >= runs.confirm_time.unwrap().seconds + 2, "not before the period ended");

    // By then the withdrawn and cancelled ones have had their chance to run, and did not.
    assert_eq!(shop.held(&withdrawn).len(), 1);
    assert_eq!(shop.held(&cancelled_by_operator).len(), 1);
    assert!(shop.held(&erased).is_empty());
    assert_eq!(shop.erase_calls.load(Ordering::SeqCst), 1);
}

async fn a_source_quoting_the_subject_leaves_no_trace_in_the_audit_log_or_the_receipt(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let careless =
        ErasingSource::new("careless", Behaviour { retain: vec!["orders"], quote_subject: true, ..Default::default() });
    careless.hold(&email, "orders", 1).hold(&email, "comments", 1);
    register(&app, &careless).await;
    let request = erase(&app, &email).await;
    let done = until_ended(&app, &request.id).await;
    assert_eq!(state(&done), pb::State::Completed);
    let erasure = run(&done, "careless").erasure.clone().unwrap();
    assert_eq!(erasure.retentions[0].reason, "Invoices of <redacted> must be kept for 10 years (tax law)");
    assert_eq!(erasure.messages, vec!["careless erased <redacted>"]);

    let events = format!("{:?}", app.audit(&request.id).await);
    assert!(!events.to_lowercase().contains(&email.to_lowercase()), "{events}");
    let receipt = receipt(&app, &request.id).await.unwrap().receipt_json;
    assert!(!receipt.to_lowercase().contains(&email.to_lowercase()), "{receipt}");
}

/// Every source's job writes to the request at about the same time. A write must not hold one
/// pooled connection while waiting for another (it once read the request's progress through a
/// second connection): with more jobs than connections, that deadlocked until the pool's
/// timeout.
async fn many_sources_at_once_do_not_exhaust_a_small_connection_pool(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.database_max_connections = 2).await;
    let email = unique_email();
    let mut sources = Vec::new();
    for i in 0..8 {
        let source = ErasingSource::new(&format!("source-{i}"), Behaviour::default());
        source.hold(&email, "comments", 1);
        register(&app, &source).await;
        sources.push(source);
    }
    let request = erase(&app, &email).await;
    let done = until_ended(&app, &request.id).await;
    assert_eq!(state(&done), pb::State::Completed, "{done:#?}");
    assert_eq!(done.erasure.unwrap().items_removed, 8);
}
