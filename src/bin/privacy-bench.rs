//! privacyd's benchmarks. Each prints one JSON line per case, so runs can be compared and
//! kept.
//!
//!   privacy-bench create    CreatePrivacyRequest throughput and latency, on SQLite and
//!                           PostgreSQL, beside a no-op unary RPC on the same server

use std::{process::ExitCode, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};
use privacyd::{
    config::Config,
    proto::privacy::v1::{self as pb, privacy_request_service_client::PrivacyRequestServiceClient},
    shutdown,
    startup::Application,
    testing::ThrowawayPostgres,
};
use sqlx::Connection;
use tokio::time::Instant;
use tonic::{
    Request,
    metadata::{Ascii, MetadataValue},
    transport::Channel,
};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

#[derive(Parser)]
#[command(name = "privacy-bench", about = "privacyd benchmarks; each case prints one JSON line")]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// CreatePrivacyRequest (send_confirmation=false) over loopback with concurrent clients,
    /// and the health check (a no-op unary RPC) on the same server in the same run.
    Create(CreateArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
    Both,
}

#[derive(clap::Args)]
struct CreateArgs {
    /// Seconds to measure each phase for.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent clients, each on its own connection.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Which database backends to measure.
    #[arg(long, value_enum, default_value_t = Backend::Both)]
    backend: Backend,
    /// Use this PostgreSQL (superuser URL; a fresh database is created in it) instead of a
    /// throwaway one.
    #[arg(long)]
    postgres_url: Option<String>,
    /// Start the throwaway PostgreSQL with fsync off (faster, not a production figure).
    #[arg(long)]
    postgres_no_fsync: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.bench {
        Bench::Create(args) => create(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("privacy-bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn create(args: CreateArgs) -> anyhow::Result<()> {
    if matches!(args.backend, Backend::Sqlite | Backend::Both) {
        let dir = tempfile_dir()?;
        let url = format!("sqlite://{}/privacyd.db", dir.display());
        let result = create_case(&args, "sqlite", url, serde_json::json!({"sqlite_synchronous": "NORMAL"})).await;
        let _ = std::fs::remove_dir_all(&dir);
        result?;
    }
    if matches!(args.backend, Backend::Postgres | Backend::Both) {
        let (_owned, admin_url, fsync) = match &args.postgres_url {
            Some(url) => (None, url.clone(), None),
            None => {
                let pg = ThrowawayPostgres::start(!args.postgres_no_fsync)?;
                let url = pg.url();
                (Some(pg), url, Some(!args.postgres_no_fsync))
            }
        };
        let name = format!("bench_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
        let url = format!("{}/{name}", admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url));
        create_case(&args, "postgres", url, serde_json::json!({ "postgres_fsync": fsync })).await?;
    }
    Ok(())
}

/// One backend: a privacyd on it, then the create phase and the no-op phase.
async fn create_case(
    args: &CreateArgs,
    backend: &str,
    database_url: String,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    let data_dir = tempfile_dir()?;
    let token = format!("bench-token-{}", uuid::Uuid::now_v7());
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse()?;
    config.data_dir = data_dir.clone();
    config.database_url = Some(database_url);
    config.admin_tokens = vec![token.clone()];
    config.database_max_connections = 16;
    config.log = "warn".into();
    let (trigger, shutdown) = shutdown::channel();
    let app = Application::build(config, shutdown).await?;
    let addr = app.local_addr();
    let server = tokio::spawn(app.run());

    let mut channels = Vec::new();
    for _ in 0..args.clients {
        channels.push(Channel::from_shared(format!("http://{addr}"))?.connect().await?);
    }
    let duration = Duration::from_secs(args.seconds);
    let run = uuid::Uuid::now_v7().simple().to_string();
    let bearer: MetadataValue<Ascii> = format!("Bearer {token}").parse()?;

    // Warm up connections, the pool and the database's caches.
    let creator = |prefix: String| {
        let token = bearer.clone();
        move |c, i, ch| create_call(ch, token.clone(), format!("{prefix}-{c}-{i}"))
    };
    phase(&channels, Duration::from_millis(500), creator(format!("warm-{run}"))).await?;
    let creates = phase(&channels, duration, creator(run.clone())).await?;
    let noops = phase(&channels, duration, |_, _, ch| noop_call(ch)).await?;

    trigger.trigger();
    server.await??;
    let _ = std::fs::remove_dir_all(&data_dir);

    let mut line = serde_json::json!({
        "bench": "create",
        "backend": backend,
        "clients": args.clients,
        "seconds": duration.as_secs_f64(),
        "requests": creates.count,
        "requests_per_s": round(creates.per_second()),
        "p50_ms": round(creates.percentile_ms(50.0)),
        "p99_ms": round(creates.percentile_ms(99.0)),
        "noop_requests_per_s": round(noops.per_second()),
        "noop_p50_ms": round(noops.percentile_ms(50.0)),
        "ratio_to_noop": round(creates.per_second() / noops.per_second()),
        "errors": creates.errors + noops.errors,
    });
    if let (Some(line), Some(extra)) = (line.as_object_mut(), extra.as_object()) {
        line.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    println!("{line}");
    anyhow::ensure!(creates.errors == 0 && noops.errors == 0, "{} calls failed", creates.errors + noops.errors);
    Ok(())
}

async fn create_call(channel: Channel, bearer: MetadataValue<Ascii>, tag: String) -> bool {
    let mut request = Request::new(pb::CreatePrivacyRequestRequest {
        subject: Some(pb::Subject { email: format!("bench-{tag}@example.com"), user_id: String::new() }),
        action: pb::Action::Export as i32,
        send_confirmation: false,
        request_id: String::new(),
    });
    request.metadata_mut().insert("authorization", bearer);
    PrivacyRequestServiceClient::new(channel).create_privacy_request(request).await.is_ok()
}

async fn noop_call(channel: Channel) -> bool {
    HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await.is_ok()
}

struct Measured {
    count: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measured {
    fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let index = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[index].as_secs_f64() * 1000.0
    }
}

/// Runs `call` in a closed loop on every client until `duration` passes.
async fn phase<F, Fut>(channels: &[Channel], duration: Duration, call: F) -> anyhow::Result<Measured>
where
    F: Fn(usize, usize, Channel) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for (client, channel) in channels.iter().cloned().enumerate() {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut i = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                if call(client, i, channel.clone()).await {
                    latencies.push(t.elapsed());
                } else {
                    errors += 1;
                }
                i += 1;
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed();
    latencies.sort();
    Ok(Measured { count: latencies.len(), errors, elapsed, latencies })
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("privacy-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
