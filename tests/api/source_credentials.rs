//! A source's bearer token belongs to the address it was given for: repointing a source
//! (endpoint, TLS, CA) needs the token again, and the stored one never reaches the new address.

use std::sync::{Arc, Mutex};

use privacyd::proto::privacy::{
    datasource::v1::{
        self as ds,
        data_source_service_server::{DataSourceService, DataSourceServiceServer},
    },
    v1 as pb,
};
use tonic::{Code, Request, Response, Status};

use crate::{
    helpers::{Backend, TestApp, error_metadata, reason},
    on_both_backends,
};

on_both_backends!(repointing_a_source_needs_its_token_again);

/// A source that answers `Describe` and records the `authorization` header of every call it
/// receives ("" for none).
#[derive(Clone, Default)]
pub struct Recording {
    pub authorizations: Arc<Mutex<Vec<String>>>,
}

impl Recording {
    pub fn seen(&self) -> Vec<String> {
        self.authorizations.lock().unwrap().clone()
    }

    fn record<T>(&self, request: &Request<T>) {
        let header = request.metadata().get("authorization").map(|v| v.to_str().unwrap_or("?").to_owned());
        self.authorizations.lock().unwrap().push(header.unwrap_or_default());
    }
}

#[tonic::async_trait]
impl DataSourceService for Recording {
    async fn describe(&self, request: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        self.record(&request);
        Ok(Response::new(crate::fake_source::describe_things("recording")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        self.record(&request);
        Ok(Response::new(Box::pin(futures::stream::empty())))
    }

    async fn erase(&self, request: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        self.record(&request);
        Err(Status::unimplemented("this test source only exports"))
    }
}

/// Serves `source` on a free loopback port: its `http://` endpoint.
pub async fn serve_recording(source: Recording) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(DataSourceServiceServer::new(source))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    format!("http://{addr}")
}

async fn repointing_a_source_needs_its_token_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut registry = app.registry.clone();
    let (old, new) = (Recording::default(), Recording::default());
    let old_endpoint = serve_recording(old.clone()).await;
    let new_endpoint = serve_recording(new.clone()).await;
    registry
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "crm".into(),
            endpoint: old_endpoint.clone(),
            auth_token: "token-for-the-old-host".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(old.seen(), ["Bearer token-for-the-old-host"]);

    // Every change of where or how the source is reached, alone, is refused while a token is
    // stored; the refusal names the field to send, and nothing reaches the new address.
    let moves = [
        ("endpoint", pb::UpdateDataSourceRequest { endpoint: Some(new_endpoint.clone()), ..Default::default() }),
        ("tls", pb::UpdateDataSourceRequest { tls: Some(true), ..Default::default() }),
        (
            "ca_cert_pem",
            pb::UpdateDataSourceRequest {
                ca_cert_pem: Some("-----BEGIN CERTIFICATE-----".into()),
                ..Default::default()
            },
        ),
        (
            "endpoint,tls",
            pb::UpdateDataSourceRequest {
                endpoint: Some(new_endpoint.replace("http:", "https:")),
                tls: Some(true),
                enabled: Some(false),
                ..Default::default()
            },
        ),
    ];
    for (changed, change) in moves {
        let err = registry
            .update_data_source(pb::UpdateDataSourceRequest { name: "crm".into(), ..change })
            .await
            .unwrap_err();
        assert_eq!((err.code(), reason(&err).as_str()), (Code::InvalidArgument, "AUTH_TOKEN_REQUIRED"), "{changed}");
        assert_eq!(error_metadata(&err, "field").as_deref(), Some("auth_token"));
        assert_eq!(error_metadata(&err, "changed_fields").as_deref(), Some(changed));
        assert!(!err.message().contains("token-for-the-old-host"));
    }
    assert!(new.seen().is_empty(), "the new address was called: {:?}", new.seen());
    let stored = registry.get_data_source(pb::GetDataSourceRequest { name: "crm".into() }).await.unwrap().into_inner();
    let stored = stored.data_source.unwrap();
    assert_eq!(
        (stored.endpoint.as_str(), stored.enabled),
        (old_endpoint.as_str(), true),
        "a refused call changes nothing"
    );

    // Restating the endpoint it has, or changing what does not move the source, needs nothing.
    registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "crm".into(),
            endpoint: Some(old_endpoint.clone()),
            tls: Some(false),
            enabled: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(old.seen().iter().all(|h| h == "Bearer token-for-the-old-host"));

    // With the new address's token in the same call, the move goes through, and the new
    // address only ever sees its own token.
    let moved = registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "crm".into(),
            endpoint: Some(new_endpoint.clone()),
            auth_token: Some("token-for-the-new-host".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert_eq!(moved.endpoint, new_endpoint);
    assert!(moved.has_auth_token);
    registry.check_data_source(pb::CheckDataSourceRequest { name: "crm".into() }).await.unwrap();
    let seen = new.seen();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|h| h == "Bearer token-for-the-new-host"), "{seen:?}");

    // Moving and dropping the token at once is allowed: nothing is sent.
    registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "crm".into(),
            endpoint: Some(old_endpoint.clone()),
            auth_token: Some(String::new()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(old.seen().last().map(String::as_str), Some(""));
    // Without a stored token there is nothing to leak: a move alone is fine.
    registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "crm".into(),
            endpoint: Some(new_endpoint.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    app.stop().await;
}
