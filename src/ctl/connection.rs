//! Reaching privacyd: its address and the admin token, from flags or the environment, and the
//! clients every command uses.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::Args;
use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, ClientTlsConfig, Endpoint},
};

use crate::proto::privacy::v1::{
    data_source_registry_service_client::DataSourceRegistryServiceClient,
    privacy_request_service_client::PrivacyRequestServiceClient,
};

/// Where privacyd is and how to prove you are an operator; accepted before or after the
/// command.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// privacyd's gRPC address; `host:port` means `http://host:port`.
    #[arg(long, env = "PRIVACYD_ADDR", default_value = "http://127.0.0.1:50051", global = true)]
    pub addr: String,
    /// An admin token (from `privacyctl admin-token new`, or the one privacyd generated into
    /// data/admin-token). Prefer PRIVACYD_ADMIN_TOKEN or --token-file: command lines show in `ps`.
    #[arg(long, env = "PRIVACYD_ADMIN_TOKEN", hide_env_values = true, global = true, allow_hyphen_values = true)]
    pub admin_token: Option<String>,
    /// Read the admin token from this file; wins over --admin-token and PRIVACYD_ADMIN_TOKEN.
    #[arg(long, value_name = "FILE", global = true)]
    pub token_file: Option<PathBuf>,
}

impl Target {
    /// The admin token, if one was given.
    pub fn token(&self) -> anyhow::Result<Option<String>> {
        let token = match &self.token_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading the admin token from {}", path.display()))?,
            ),
            None => self.admin_token.clone(),
        };
        Ok(token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()))
    }

    fn url(&self) -> String {
        if self.addr.contains("://") { self.addr.clone() } else { format!("http://{}", self.addr) }
    }
}

/// Adds the admin token to every call, when there is one. Calls that take their own credential
/// (ConfirmPrivacyRequest, DownloadExport with a download token) work without.
#[derive(Clone)]
pub struct AdminAuth(Option<MetadataValue<Ascii>>);

impl Interceptor for AdminAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

pub type RequestsClient = PrivacyRequestServiceClient<InterceptedService<Channel, AdminAuth>>;
pub type RegistryClient = DataSourceRegistryServiceClient<InterceptedService<Channel, AdminAuth>>;

/// A connection to privacyd.
pub struct Connection {
    channel: Channel,
    auth: AdminAuth,
}

impl Connection {
    /// Connects now, so an unreachable privacyd is reported as that rather than as the first
    /// call's error.
    pub async fn open(target: &Target) -> anyhow::Result<Self> {
        let url = target.url();
        let mut endpoint = Endpoint::from_shared(url.clone())
            .with_context(|| format!("{url:?} is not a gRPC address"))?
            .connect_timeout(Duration::from_secs(5));
        if url.starts_with("https://") {
            endpoint = endpoint.tls_config(ClientTlsConfig::new().with_native_roots())?;
        }
        let channel = endpoint.connect().await.with_context(|| format!("cannot reach privacyd at {url}"))?;
        let auth = match target.token()? {
            Some(token) => Some(format!("Bearer {token}").parse().context("the admin token must be printable ASCII")?),
            None => None,
        };
        Ok(Connection { channel, auth: AdminAuth(auth) })
    }

    pub fn requests(&self) -> RequestsClient {
        PrivacyRequestServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
    }

    pub fn registry(&self) -> RegistryClient {
        DataSourceRegistryServiceClient::with_interceptor(self.channel.clone(), self.auth.clone())
    }
}
