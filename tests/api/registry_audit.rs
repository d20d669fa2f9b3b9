//! Changes to the data source registry are audited: registering, updating (enabling,
//! disabling, repointing), and deleting a source each leave an event with the admin who did it
//! and what changed, never a source's token; outside every request's history.

use privacyd::proto::privacy::v1 as pb;
use sha2::{Digest, Sha256};
use tonic::Code;

use crate::{
    helpers::{Backend, ExampleSource, TestApp, error_metadata, reason, unique_email},
    on_both_backends,
    privacyctl::{command, finish},
};

on_both_backends!(registry_changes_are_audited_with_the_admin_and_what_changed);

async fn registry_events(app: &TestApp, data_source: &str) -> Vec<pb::AuditEvent> {
    let mut events = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = app
            .client
            .clone()
            .list_audit_events(pb::ListAuditEventsRequest {
                subject: pb::AuditSubject::DataSource as i32,
                data_source: data_source.to_owned(),
                page_size: 2,
                page_token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        events.extend(page.audit_events);
        if page.next_page_token.is_empty() {
            return events;
        }
        page_token = page.next_page_token;
    }
}

async fn registry_changes_are_audited_with_the_admin_and_what_changed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut registry = app.registry.clone();
    let first_token = format!("source-token-one-{}", uuid::Uuid::now_v7().simple());
    let second_token = format!("source-token-two-{}", uuid::Uuid::now_v7().simple());
    let first = ExampleSource::start(&[], Some(&first_token));
    let second = ExampleSource::start(&[], Some(&second_token));
    let other = ExampleSource::start(&[], None);
    let request = app.create(&unique_email(), pb::Action::Export, false).await;

    registry
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "audited".into(),
            endpoint: first.endpoint.clone(),
            auth_token: first_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    registry
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "other".into(),
            endpoint: other.endpoint.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let update =
        |enabled: Option<bool>| pb::UpdateDataSourceRequest { name: "audited".into(), enabled, ..Default::default() };
    registry.update_data_source(update(Some(false))).await.unwrap();
    registry.update_data_source(update(Some(true))).await.unwrap();
    registry
        .update_data_source(pb::UpdateDataSourceRequest {
            endpoint: Some(second.endpoint.clone()),
            auth_token: Some(second_token.clone()),
            call_timeout: Some(prost_types::Duration { seconds: 5, nanos: 0 }),
            ..update(None)
        })
        .await
        .unwrap();
    registry.update_data_source(update(None)).await.unwrap();
    // Changes that fail change nothing, and leave no event.
    let err = registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "missing".into(),
            enabled: Some(false),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    registry.delete_data_source(pb::DeleteDataSourceRequest { name: "audited".into() }).await.unwrap();
    registry.delete_data_source(pb::DeleteDataSourceRequest { name: "audited".into() }).await.unwrap_err();

    let events = registry_events(&app, "audited").await;
    let summary: Vec<(i32, &str)> = events.iter().map(|e| (e.r#type, e.detail.as_str())).collect();
    use pb::AuditEventType as T;
    assert_eq!(
        summary,
        [
            (
                T::DataSourceRegistered as i32,
                format!(
                    "endpoint={}; tls=false; ca_cert_pem=none; auth_token=set; call_timeout=30s; enabled=true; connect_timeout=5s; \
                     stream_idle_timeout=30s; stream_max_duration=1h; max_concurrent_calls=16",
                    first.endpoint
                )
                .as_str()
            ),
            (T::DataSourceUpdated as i32, "enabled: true -> false"),
            (T::DataSourceUpdated as i32, "enabled: false -> true"),
            (
                T::DataSourceUpdated as i32,
                format!(
                    "endpoint: {} -> {}; auth_token: replaced; call_timeout: 30s -> 5s",
                    first.endpoint, second.endpoint
                )
                .as_str()
            ),
            (T::DataSourceUpdated as i32, "no field changed"),
            (T::DataSourceDeleted as i32, format!("endpoint={}", second.endpoint).as_str()),
        ]
    );
    let fingerprint = hex::encode(&Sha256::digest(app.admin_token.as_bytes())[..6]);
    for event in &events {
        assert_eq!(event.data_source, "audited");
        assert_eq!(event.request_id, "", "a registry event belongs to no request");
        let actor = event.actor.as_ref().unwrap();
        assert_eq!((actor.kind, actor.id.as_str()), (pb::ActorKind::Admin as i32, fingerprint.as_str()));
        assert!(event.time.is_some());
    }
    assert!(events.windows(2).all(|w| w[0].sequence < w[1].sequence));

    // All sources' events, with the other source's registration among them.
    let all = registry_events(&app, "").await;
    assert_eq!(all.len(), events.len() + 1);
    assert!(all.iter().any(|e| e.data_source == "other" && e.r#type == T::DataSourceRegistered as i32));
    let dump = format!("{all:?}");
    for secret in [&first_token, &second_token, &app.admin_token] {
        assert!(!dump.contains(secret.as_str()), "an event shows a token: {dump}");
    }

    // Request events are as they were: registry events are not among them, not even unfiltered.
    let request_events = app
        .client
        .clone()
        .list_audit_events(pb::ListAuditEventsRequest { page_size: 1000, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    assert!(!request_events.is_empty());
    assert!(request_events.iter().all(|e| e.data_source.is_empty() && !e.request_id.is_empty()));
    assert!(app.audit(&request.id).await.iter().all(|e| e.request_id == request.id));

    // Filters that contradict each other are refused, naming the field.
    for (call, field) in [
        (
            pb::ListAuditEventsRequest {
                subject: pb::AuditSubject::PrivacyRequest as i32,
                data_source: "audited".into(),
                ..Default::default()
            },
            "data_source",
        ),
        (
            pb::ListAuditEventsRequest {
                subject: pb::AuditSubject::DataSource as i32,
                request_id: request.id.clone(),
                ..Default::default()
            },
            "request_id",
        ),
        (pb::ListAuditEventsRequest { data_source: "Not A Name".into(), ..Default::default() }, "data_source"),
        (pb::ListAuditEventsRequest { subject: 99, ..Default::default() }, "subject"),
    ] {
        let err = app.client.clone().list_audit_events(call).await.unwrap_err();
        assert_eq!((err.code(), reason(&err).as_str()), (Code::InvalidArgument, "INVALID_FIELD"));
        assert_eq!(error_metadata(&err, "field").as_deref(), Some(field));
    }

    // privacyctl shows the registry's log.
    let addr = app.addr.to_string();
    let env = [("PRIVACYD_ADDR", addr.as_str()), ("PRIVACYD_ADMIN_TOKEN", app.admin_token.as_str())];
    let ran = finish(&mut command(&["sources", "events", "audited"], &env)).await.ok();
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), events.len(), "{}", ran.stdout);
    assert!(lines[1].contains("DATA_SOURCE_UPDATED source audited"), "{}", lines[1]);
    assert!(lines[1].ends_with(&format!("by admin {fingerprint}: enabled: true -> false")), "{}", lines[1]);
}
