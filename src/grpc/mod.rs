//! The gRPC server: services, health, reflection, the auth layer, and the HTTP routes that
//! share the port. Handlers live one file per service.

mod auth;
pub mod call_deadline;
mod call_spans;
pub mod connections;
mod convert;
mod data_source_registry_api;
mod listing;
pub mod page_headers;
mod privacy_request_api;
pub mod public_limits;
pub mod status;
pub mod tls;

use tokio::net::TcpListener;
use tonic::service::Routes;
use tower::ServiceBuilder;

pub use crate::admin_tokens::AdminTokens;
pub use auth::{Access, AuthLayer, METHODS, access};
pub use connections::ConnectionLimits;
pub use data_source_registry_api::DataSourceRegistryApi;
pub use privacy_request_api::PrivacyRequestApi;
pub use public_limits::RateLimit;

use crate::{
    proto::{
        FILE_DESCRIPTOR_SET,
        privacy::v1::{
            data_source_registry_service_server::DataSourceRegistryServiceServer,
            privacy_request_service_server::PrivacyRequestServiceServer,
        },
    },
    shutdown::Shutdown,
};

/// Services advertised by reflection: the ones privacyd serves. The plugin protocol's
/// descriptors are compiled in too, but privacyd is its client, not its server.
pub(crate) const REFLECTED_SERVICES: &[&str] = &[
    "privacy.v1.PrivacyRequestService",
    "privacy.v1.DataSourceRegistryService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Most bytes of one incoming message to an admin method; requests are small, and a bound
/// stops a client from making the server buffer arbitrary amounts. Public methods are held to
/// far less by [`public_limits`], which counts every byte a caller without a token sends.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Most bytes of one message to health or reflection: a service name or a symbol.
const MAX_INFRASTRUCTURE_REQUEST_BYTES: usize = 4 * 1024;

/// Builds every route: the gRPC services, health and reflection, plus the `http` routes.
pub async fn routes(
    api: PrivacyRequestApi,
    registry: DataSourceRegistryApi,
    http: axum::Router,
) -> anyhow::Result<Routes> {
    let (health, health_service) = tonic_health::server::health_reporter();
    let health_service = health_service.max_decoding_message_size(MAX_INFRASTRUCTURE_REQUEST_BYTES);
    health.set_serving::<PrivacyRequestServiceServer<PrivacyRequestApi>>().await;
    health.set_serving::<DataSourceRegistryServiceServer<DataSourceRegistryApi>>().await;

    let reflection = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            // The error details privacyd attaches (google.rpc.ErrorInfo, RetryInfo, BadRequest):
            // without them a reflecting client such as grpcurl cannot decode a status's details
            // and shows the stable `reason` only as base64.
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET);
        for name in REFLECTED_SERVICES {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    let mut builder = Routes::builder();
    builder
        .add_service(health_service)
        .add_service(reflection().build_v1()?.max_decoding_message_size(MAX_INFRASTRUCTURE_REQUEST_BYTES))
        .add_service(reflection().build_v1alpha()?.max_decoding_message_size(MAX_INFRASTRUCTURE_REQUEST_BYTES))
        .add_service(PrivacyRequestServiceServer::new(api).max_decoding_message_size(MAX_REQUEST_BYTES))
        .add_service(DataSourceRegistryServiceServer::new(registry).max_decoding_message_size(MAX_REQUEST_BYTES));
    let routes = builder.routes();
    // The merged router's fallback replaces tonic's, which answered every unknown path, a
    // browser's GET included, with `200 OK` and a gRPC status.
    Ok(Routes::from(routes.into_axum_router().merge(http).fallback(page_headers::not_found)))
}

/// What a client may make the server hold or do (admins aside).
#[derive(Clone)]
pub struct ServerSettings {
    pub connections: ConnectionLimits,
    pub public_rate: RateLimit,
    /// CSP hash-sources of the pages' inline styles (see `Templates::page_style_hashes`).
    pub page_style_hashes: Vec<String>,
    /// Where every RPC is counted (`grpc_server_*`).
    pub metrics: crate::metrics::Metrics,
    /// TLS on the port (`--tls-cert`); plaintext without it.
    pub tls: Option<tls::Tls>,
    /// The console's sessions: a signed-in console request is an admin's, as a call with the
    /// token is (see `console::session`).
    pub console_sessions: crate::console::Sessions,
}

/// Serves until `shutdown`, then drains open calls.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    tokens: AdminTokens,
    settings: ServerSettings,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    // Outside in: a call's span covers everything privacyd does for it, refusals included;
    // page headers see every answer, including the refusals of the layers below; the
    // caller's deadline covers the whole call; AuthLayer marks admins, and SessionLayer the
    // console's signed-in operators, whom the public limits then let through. The RPC metrics see every call, the refused ones too, with the code
    // it got.
    let service = ServiceBuilder::new()
        .layer(tower::util::BoxCloneService::layer())
        .layer(call_spans::CallSpansLayer)
        .layer(crate::metrics::grpc::RpcMetricsLayer::new(settings.metrics.clone()))
        .layer(page_headers::PageHeadersLayer::new(&settings.page_style_hashes))
        .layer(call_deadline::CallDeadlineLayer)
        .layer(AuthLayer::new(tokens, settings.tls.as_ref().is_some_and(|tls| tls.client_certificates_required)))
        .layer(crate::console::SessionLayer::new(settings.console_sessions.clone()))
        .layer(public_limits::PublicLimitsLayer::new(
            settings.public_rate,
            settings.connections.handshake_timeout,
            shutdown.clone(),
        ))
        .service(routes.prepare());
    connections::serve(listener, service, settings.connections, settings.tls, shutdown).await
}
