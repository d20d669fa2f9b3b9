//! The gRPC server: services, health, reflection, the auth layer, and the HTTP routes that
//! share the port. Handlers live one file per service.

mod auth;
mod convert;
mod data_source_registry_api;
mod privacy_request_api;
pub mod status;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::service::Routes;

pub use crate::admin_tokens::AdminTokens;
pub use auth::{Access, AuthLayer, METHODS, access};
pub use data_source_registry_api::DataSourceRegistryApi;
pub use privacy_request_api::PrivacyRequestApi;

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
const REFLECTED_SERVICES: &[&str] = &[
    "privacy.v1.PrivacyRequestService",
    "privacy.v1.DataSourceRegistryService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Most bytes of one incoming message; requests are small, and a bound stops a client from
/// making the server buffer arbitrary amounts.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Builds every route: the gRPC services, health and reflection, plus the `http` routes.
pub async fn routes(
    api: PrivacyRequestApi,
    registry: DataSourceRegistryApi,
    http: axum::Router,
) -> anyhow::Result<Routes> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<PrivacyRequestServiceServer<PrivacyRequestApi>>().await;
    health.set_serving::<DataSourceRegistryServiceServer<DataSourceRegistryApi>>().await;

    let reflection = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
        for name in REFLECTED_SERVICES {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    let mut builder = Routes::builder();
    builder
        .add_service(health_service)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(PrivacyRequestServiceServer::new(api).max_decoding_message_size(MAX_REQUEST_BYTES))
        .add_service(DataSourceRegistryServiceServer::new(registry).max_decoding_message_size(MAX_REQUEST_BYTES));
    let routes = builder.routes();
    Ok(Routes::from(routes.into_axum_router().merge(http)))
}

/// Serves until `shutdown`, then drains open calls.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    tokens: AdminTokens,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    tonic::transport::Server::builder()
        // HTTP/1.1 for the confirmation link in a browser; gRPC stays on HTTP/2.
        .accept_http1(true)
        .trace_fn(|request| tracing::info_span!("call", path = %request.uri().path()))
        .layer(AuthLayer::new(tokens))
        .add_routes(routes)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move { shutdown.wait().await })
        .await?;
    Ok(())
}
