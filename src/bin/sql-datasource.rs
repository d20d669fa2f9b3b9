//! sql-datasource: privacyd's plugin protocol for a SQL database, from a dataset file
//! (docs/connectors.md). A thin shell over `privacyd::sql_source`.
//!
//!   sql-datasource --database-url postgres://app@db/shop --dataset datasets/shop.toml \
//!                  --listen 127.0.0.1:7002 --token-file /run/secrets/token

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use clap::Parser;
use privacyd::{
    proto::privacy::datasource::v1::data_source_service_server::DataSourceServiceServer,
    sql_source::{Settings, SqlSource},
};
use tonic::{
    Request, Status,
    transport::{Identity, ServerTlsConfig, server::TcpIncoming},
};

#[derive(Parser)]
#[command(name = "sql-datasource", about = "A privacyd data source for a SQL database, driven by a dataset file")]
struct Args {
    /// postgres://…, mysql://… (MariaDB too; mariadb:// is accepted) or sqlite://path.db.
    #[arg(long, env = "SQL_DATASOURCE_DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// The dataset file (TOML; docs/connectors.md).
    #[arg(long, env = "SQL_DATASOURCE_DATASET")]
    dataset: PathBuf,
    /// Address to serve the plugin protocol on.
    #[arg(long, env = "SQL_DATASOURCE_LISTEN", default_value = "127.0.0.1:7002")]
    listen: SocketAddr,
    /// A file holding the bearer token every call must carry.
    #[arg(long, env = "SQL_DATASOURCE_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// PEM certificate chain: serve TLS (with --tls-key).
    #[arg(long, env = "SQL_DATASOURCE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "SQL_DATASOURCE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A file holding the secret key (at least 16 bytes) of keyed_hash masks.
    #[arg(long, env = "SQL_DATASOURCE_HASH_KEY_FILE")]
    hash_key_file: Option<PathBuf>,
    /// The folder that `path` file columns are relative to.
    #[arg(long, env = "SQL_DATASOURCE_FILES_ROOT")]
    files_root: Option<PathBuf>,
    /// Database connections at most.
    #[arg(long, env = "SQL_DATASOURCE_MAX_CONNECTIONS", default_value_t = 8)]
    max_connections: u32,
}

fn read_secret(path: &PathBuf, what: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading the {what} file {}", path.display()))?;
    // A trailing newline from `echo` is not part of the secret.
    let trimmed = bytes.trim_ascii_end().to_vec();
    anyhow::ensure!(!trimmed.is_empty(), "the {what} file {} is empty", path.display());
    Ok(trimmed)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let args = Args::parse();
    let token = args.token_file.as_ref().map(|p| read_secret(p, "token")).transpose()?;
    let hash_key = args.hash_key_file.as_ref().map(|p| read_secret(p, "hash key")).transpose()?;
    let source = SqlSource::start(Settings {
        database_url: args.database_url,
        dataset: args.dataset,
        hash_key,
        files_root: args.files_root,
        max_connections: args.max_connections,
    })
    .await?;

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<DataSourceServiceServer<SqlSource>>().await;
    let expected = token.map(|t| [b"Bearer ".as_slice(), &t].concat());
    let service = DataSourceServiceServer::with_interceptor(source, move |request: Request<()>| match &expected {
        Some(expected) => {
            let presented = request.metadata().get("authorization").map(|v| v.as_bytes());
            // Constant time: a token is a secret.
            if presented.is_some_and(|p| subtle::ConstantTimeEq::ct_eq(p, expected.as_slice()).into()) {
                Ok(request)
            } else {
                Err(Status::unauthenticated("a valid bearer token is required"))
            }
        }
        None => Ok(request),
    });

    let mut server = tonic::transport::Server::builder();
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let identity = Identity::from_pem(
            std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?,
            std::fs::read(key).with_context(|| format!("reading {}", key.display()))?,
        );
        server = server.tls_config(ServerTlsConfig::new().identity(identity))?;
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("sql-datasource listening on {}", listener.local_addr()?);
    server
        .add_service(health_service)
        .add_service(service)
        // TCP_NODELAY: privacyd's small calls must not wait on Nagle and delayed ACK.
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
