//! The data source registry: a source is registered only after it described itself with a
//! protocol version privacyd speaks; operators can read, page, change, check and remove
//! sources.

use privacyd::{
    proto::privacy::{
        datasource::v1::{
            self as ds,
            data_source_service_server::{DataSourceService, DataSourceServiceServer},
        },
        v1 as pb,
    },
    testing::free_port,
};
use tonic::{Code, Request, Response, Status};

use crate::{
    helpers::{Backend, ExampleSource, TestApp, error_metadata, reason},
    on_both_backends,
};

on_both_backends!(
    registering_stores_what_the_source_describes,
    unreachable_and_unauthorised_sources_are_not_registered,
    sources_that_describe_themselves_wrongly_are_refused,
    sources_can_be_changed_checked_paged_and_removed,
    bad_registrations_say_what_is_wrong,
);

fn register(name: &str, endpoint: &str) -> pb::RegisterDataSourceRequest {
    pb::RegisterDataSourceRequest { name: name.into(), endpoint: endpoint.into(), ..Default::default() }
}

async fn registering_stores_what_the_source_describes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let source = ExampleSource::start(&[], None);
    let mut registry = app.registry.clone();
    let registered = registry
        .register_data_source(register("example", &source.endpoint))
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert_eq!(registered.name, "example");
    assert!(registered.enabled, "enabled unless said otherwise");
    assert!(!registered.has_auth_token);
    assert_eq!(registered.call_timeout.unwrap().seconds, 30);
    let description = registered.description.clone().unwrap();
    assert_eq!(description.protocol_version, 1);
    assert_eq!(description.capabilities, [ds::Capability::Export as i32, ds::Capability::Erase as i32]);
    let groups: Vec<&str> = description.categories.iter().map(|c| c.group_id.as_str()).collect();
    assert_eq!(groups, ["account", "comments", "uploads"]);
    let account = &description.categories[0];
    assert_eq!(account.legal_basis, ds::LegalBasis::Contract as i32);
    assert!(!account.purposes.is_empty() && !account.retention_period.is_empty() && !account.origin.is_empty());

    let fetched = registry
        .get_data_source(pb::GetDataSourceRequest { name: "example".into() })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert_eq!(fetched, registered);

    let err = registry.register_data_source(register("example", &source.endpoint)).await.unwrap_err();
    assert_eq!((err.code(), reason(&err).as_str()), (Code::AlreadyExists, "ALREADY_EXISTS"));
}

async fn unreachable_and_unauthorised_sources_are_not_registered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut registry = app.registry.clone();
    let nobody = format!("http://127.0.0.1:{}", free_port().unwrap());
    let err = registry
        .register_data_source(pb::RegisterDataSourceRequest {
            call_timeout: Some(prost_types::Duration { seconds: 2, nanos: 0 }),
            ..register("ghost", &nobody)
        })
        .await
        .unwrap_err();
    assert_eq!((err.code(), reason(&err).as_str()), (Code::FailedPrecondition, "SOURCE_UNREACHABLE"));
    assert!(err.message().contains("ghost"), "{}", err.message());
    let err = registry.get_data_source(pb::GetDataSourceRequest { name: "ghost".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    let guarded = ExampleSource::start(&[], Some("s3cret-token"));
    let err = registry.register_data_source(register("guarded", &guarded.endpoint)).await.unwrap_err();
    assert_eq!(reason(&err), "SOURCE_UNREACHABLE");
    assert!(err.message().contains("Unauthenticated"), "{}", err.message());
    let registered = registry
        .register_data_source(pb::RegisterDataSourceRequest {
            auth_token: "s3cret-token".into(),
            ..register("guarded", &guarded.endpoint)
        })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert!(registered.has_auth_token);
    assert!(!format!("{registered:?}").contains("s3cret-token"), "the token is never returned");
}

/// A source whose `Describe` says whatever the test wants.
#[derive(Clone)]
struct Scripted(ds::DescribeResponse);

#[tonic::async_trait]
impl DataSourceService for Scripted {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(self.0.clone()))
    }
    type ExportStream = tokio_stream::Empty<Result<ds::ExportResponse, Status>>;
    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        Ok(Response::new(tokio_stream::empty()))
    }
    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Ok(Response::new(ds::EraseResponse::default()))
    }
}

async fn serve_scripted(answer: ds::DescribeResponse) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(DataSourceServiceServer::new(Scripted(answer)))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))),
    );
    format!("http://{addr}")
}

async fn sources_that_describe_themselves_wrongly_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut registry = app.registry.clone();
    let valid = ds::DescribeResponse {
        name: "scripted".into(),
        version: "1".into(),
        protocol_version: 1,
        capabilities: vec![ds::Capability::Export as i32],
        categories: vec![ds::DataCategory { group_id: "g".into(), label: "G".into(), ..Default::default() }],
    };
    let cases = [
        (ds::DescribeResponse { protocol_version: 2, ..valid.clone() }, "UNSUPPORTED_PROTOCOL_VERSION", "version 2"),
        (ds::DescribeResponse { capabilities: vec![], ..valid.clone() }, "INVALID_DESCRIPTION", "no capabilities"),
        (
            ds::DescribeResponse { categories: vec![ds::DataCategory::default()], ..valid.clone() },
            "INVALID_DESCRIPTION",
            "group_id",
        ),
    ];
    for (answer, expected, words) in cases {
        let endpoint = serve_scripted(answer).await;
        let err = registry.register_data_source(register("scripted", &endpoint)).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason(&err), expected);
        assert!(err.message().contains(words), "{}", err.message());
    }
    let endpoint = serve_scripted(valid).await;
    registry.register_data_source(register("scripted", &endpoint)).await.unwrap();
}

async fn sources_can_be_changed_checked_paged_and_removed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut source = ExampleSource::start(&[], None);
    let mut registry = app.registry.clone();
    for name in ["alpha", "bravo", "charlie"] {
        registry.register_data_source(register(name, &source.endpoint)).await.unwrap();
    }

    let updated = registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "bravo".into(),
            enabled: Some(false),
            call_timeout: Some(prost_types::Duration { seconds: 5, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert!(!updated.enabled);
    assert_eq!(updated.call_timeout.unwrap().seconds, 5);
    // Moving a source somewhere that does not answer is refused, and changes nothing.
    let nobody = format!("http://127.0.0.1:{}", free_port().unwrap());
    let err = registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "bravo".into(),
            endpoint: Some(nobody),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "SOURCE_UNREACHABLE");
    let bravo = registry.get_data_source(pb::GetDataSourceRequest { name: "bravo".into() }).await.unwrap().into_inner();
    assert_eq!(bravo.data_source.unwrap().endpoint, source.endpoint);

    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page = registry
            .list_data_sources(pb::ListDataSourcesRequest { page_size: 2, page_token: token })
            .await
            .unwrap()
            .into_inner();
        names.extend(page.data_sources.into_iter().map(|s| s.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(names, ["alpha", "bravo", "charlie"]);

    let check =
        registry.check_data_source(pb::CheckDataSourceRequest { name: "alpha".into() }).await.unwrap().into_inner();
    assert_eq!(check.health, pb::HealthStatus::Serving as i32);
    assert_eq!(check.description.unwrap().name, "example");
    assert!(check.error.is_empty());
    assert!(check.latency.is_some());

    source.kill();
    registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "alpha".into(),
            call_timeout: Some(prost_types::Duration { seconds: 2, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
    let check =
        registry.check_data_source(pb::CheckDataSourceRequest { name: "alpha".into() }).await.unwrap().into_inner();
    assert_eq!(check.health, pb::HealthStatus::Unreachable as i32);
    assert!(check.description.is_none());
    assert!(!check.error.is_empty());

    registry.delete_data_source(pb::DeleteDataSourceRequest { name: "alpha".into() }).await.unwrap();
    let err = registry.get_data_source(pb::GetDataSourceRequest { name: "alpha".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = registry.delete_data_source(pb::DeleteDataSourceRequest { name: "alpha".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

async fn bad_registrations_say_what_is_wrong(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut registry = app.registry.clone();
    let cases = [
        (register("Bad Name", "http://127.0.0.1:1"), "name"),
        (register("ok", "billing:7001"), "endpoint"),
        (pb::RegisterDataSourceRequest { tls: true, ..register("ok", "http://127.0.0.1:1") }, "tls"),
        (
            pb::RegisterDataSourceRequest {
                call_timeout: Some(prost_types::Duration { seconds: 0, nanos: 0 }),
                ..register("ok", "http://127.0.0.1:1")
            },
            "call_timeout",
        ),
    ];
    for (request, field) in cases {
        let err = registry.register_data_source(request).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{field}");
        assert_eq!(error_metadata(&err, "field").as_deref(), Some(field));
    }
    // The registry is for admins only.
    let channel =
        tonic::transport::Channel::from_shared(format!("http://{}", app.addr)).unwrap().connect().await.unwrap();
    let mut anonymous =
        privacyd::proto::privacy::v1::data_source_registry_service_client::DataSourceRegistryServiceClient::new(
            channel,
        );
    let err = anonymous.list_data_sources(pb::ListDataSourcesRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

on_both_backends!(sources_behind_tls_are_reached_with_the_given_ca);

/// A CA and a certificate for "localhost" signed by it, made with openssl.
fn make_certificates(dir: &std::path::Path) -> (String, String, String) {
    let run = |args: &[&str]| {
        let status = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl is needed for the TLS test");
        assert!(status.success(), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=privacyd test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
    ]);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    (read("ca.pem"), read("server.pem"), read("server.key"))
}

async fn sources_behind_tls_are_reached_with_the_given_ca(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_certificates(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = ds::DescribeResponse {
        name: "tls".into(),
        version: "1".into(),
        protocol_version: 1,
        capabilities: vec![ds::Capability::Export as i32],
        categories: vec![],
    };
    tokio::spawn(
        tonic::transport::Server::builder()
            .tls_config(
                tonic::transport::ServerTlsConfig::new().identity(tonic::transport::Identity::from_pem(cert, key)),
            )
            .unwrap()
            .add_service(DataSourceServiceServer::new(Scripted(answer)))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))),
    );
    let endpoint = format!("https://localhost:{port}");
    let mut registry = app.registry.clone();
    // Without the CA, the certificate is not trusted.
    let err = registry
        .register_data_source(pb::RegisterDataSourceRequest { tls: true, ..register("tls", &endpoint) })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "SOURCE_UNREACHABLE");
    let registered = registry
        .register_data_source(pb::RegisterDataSourceRequest {
            tls: true,
            ca_cert_pem: ca,
            ..register("tls", &endpoint)
        })
        .await
        .unwrap()
        .into_inner()
        .data_source
        .unwrap();
    assert!(registered.tls);
    assert_eq!(registered.description.unwrap().name, "tls");
}
