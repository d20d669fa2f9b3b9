//! privacyd's benchmarks. Each prints one JSON line per case, so runs can be compared and
//! kept.
//!
//!   privacy-bench create    CreatePrivacyRequest throughput and latency, on SQLite and
//!                           PostgreSQL, beside a no-op unary RPC on the same server; with
//!                           --watches N, while N idle WatchPrivacyRequest streams are open
//!   privacy-bench export    N sources streaming S bytes into one archive, then downloaded,
//!                           beside a bare tonic byte stream; privacyd's peak memory
//!   privacy-bench erase-fanout
//!                           an erasure across N slow sources against the same erasure with
//!                           one of them: how much of the fan-out runs concurrently
//!   privacy-bench latency   sequential unary calls from a Go gRPC client to privacyd and to
//!                           example-datasource: p50/p99 (a server socket without
//!                           TCP_NODELAY shows as ~40 ms, the client's delayed ACK)
//!   privacy-bench wordpress export and erasure of one WordPress user with N comments through
//!                           privacyd + sql-datasource, and through WordPress's own exporter
//!                           and eraser paged as its admin screen does, in the same run

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
    /// N data sources stream S bytes in total (items and files) over loopback into one export
    /// archive, which is then downloaded with DownloadExport; a bare tonic byte stream over
    /// loopback in the same run is the reference. privacyd runs as its own process, so its
    /// peak resident memory is its own.
    Export(ExportArgs),
    /// An erasure (Erase, then the verification Export) across N data sources that each add a
    /// fixed latency to every call, timed from ProcessPrivacyRequest to COMPLETED, against
    /// the same erasure with a single source, in the same process. A ratio near 1 means the
    /// sources ran concurrently; run one after another it would be N.
    EraseFanout(FanoutArgs),
    /// Sequential unary calls from a Go gRPC client (clients/go/cmd/latency, built here with
    /// `go`) on one connection: health checks and ListPrivacyRequests to privacyd, health
    /// checks to example-datasource. One line per server and call, with p50 and p99.
    Latency(LatencyArgs),
    /// One WordPress user with N comments (a real WordPress 6.1 from Debian's package on a
    /// throwaway MariaDB, durable commits): WordPress's own export (every admin-ajax page, then
    /// its export file) and erasure (every page until done), then privacyd's export and erasure
    /// (with verification) through sql-datasource and datasets/wordpress.toml, on a copy of the
    /// same database. One line per N: times, the ratio, peak memory of privacyd, the connector
    /// and PHP, and how many of the subject's comments each left unanonymised.
    Wordpress(WordPressArgs),
}

#[derive(clap::Args)]
struct WordPressArgs {
    /// The subject's bulk comments, one case per value, e.g. 1000,10000,100000.
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    comments: Vec<u64>,
    /// Fail when privacyd is less than this many times faster end to end (0: report only).
    #[arg(long, default_value_t = 0.0)]
    min_ratio: f64,
}

#[derive(clap::Args)]
struct LatencyArgs {
    /// Calls of each kind.
    #[arg(long, default_value_t = 200)]
    calls: usize,
    /// The Go toolchain.
    #[arg(long, default_value = "go")]
    go: String,
    /// The Go module holding cmd/latency.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/go"))]
    go_module: std::path::PathBuf,
    /// Fail when a median is above this many milliseconds (0: report only).
    #[arg(long, default_value_t = 0.0)]
    max_p50_ms: f64,
}

#[derive(clap::Args)]
struct FanoutArgs {
    /// Data sources in the fan-out.
    #[arg(long, default_value_t = 100)]
    sources: usize,
    /// Latency each source adds to every call.
    #[arg(long, default_value = "200ms", value_parser = humantime::parse_duration)]
    latency: Duration,
    /// Erasures timed per case; the median is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Which database privacyd runs on (`both` is not offered: one line per run).
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    backend: Backend,
    /// With `--backend postgres`: this PostgreSQL (superuser URL; a fresh database is created
    /// in it) instead of a throwaway one (fsync on).
    #[arg(long)]
    postgres_url: Option<String>,
}

#[derive(clap::Args)]
struct ExportArgs {
    /// Data sources streaming concurrently.
    #[arg(long, default_value_t = 8)]
    sources: usize,
    /// Bytes in all, e.g. 1GiB or 100MiB.
    #[arg(long, default_value = "1GiB", value_parser = parse_size)]
    bytes: u64,
    /// How archive entries are stored.
    #[arg(long, value_enum, default_value_t = privacyd::export::Compression::Stored)]
    compression: privacyd::export::Compression,
    /// Share of the bytes sent as files (the rest as items).
    #[arg(long, default_value_t = 0.9)]
    file_share: f64,
    /// privacyd's log filter (its log goes to stderr).
    #[arg(long, default_value = "warn")]
    privacyd_log: String,
    /// How the item bytes are shaped: memory must stay bounded whatever the shape.
    #[arg(long, value_enum, default_value_t = Shape::Bulk)]
    shape: Shape,
    /// Bytes of field values per item message (at most a little under 4 MiB, the largest
    /// message a source may send).
    #[arg(long, default_value = "1KiB", value_parser = parse_size)]
    item_size: u64,
    /// With `--shape repeated-name`: the fields named "Total" in the item.
    #[arg(long, default_value_t = 20_000)]
    fields: usize,
    /// Where privacyd keeps spools and archives: its data folder (`file`) or an S3 bucket
    /// (`s3`, an s3s-fs the benchmark starts, or the one `--s3-endpoint` names).
    #[arg(long, value_enum, default_value_t = BenchStore::File)]
    store: BenchStore,
    /// With `--store s3`: an S3-compatible endpoint to use instead of starting s3s-fs; the
    /// bucket and credentials come from `--s3-bucket` and the AWS_* variables.
    #[arg(long)]
    s3_endpoint: Option<String>,
    /// With `--s3-endpoint`: the bucket.
    #[arg(long, default_value = "privacyd-bench")]
    s3_bucket: String,
}

/// The archive store a benchmark runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchStore {
    File,
    S3,
}

/// Shapes of a source's items, each one a way a source could make privacyd hold its data in
/// memory (issue 9, items 8 and 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Shape {
    /// Distinct items of one group, one field each.
    Bulk,
    /// Every message is the same item: its fields arrive in `bytes / item-size` messages.
    SameItem,
    /// Every message is an item of a group of its own, with a label of `item-size` bytes.
    ManyGroups,
    /// Distinct items whose ids are `item-size` bytes long.
    LongIds,
    /// One item of `--fields` fields all named "Total", in one message (the bytes are unused).
    RepeatedName,
}

fn parse_size(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = number.parse().map_err(|_| format!("{raw:?} is not a size like 1GiB"))?;
    let factor = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => return Err(format!("unknown unit {other:?}; use B, KiB, MiB or GiB")),
    };
    Ok(n * factor)
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
    /// Open this many WatchPrivacyRequest streams (one per request, on requests that stay
    /// CONFIRMED) before measuring, and keep them open throughout: what idle watches cost.
    #[arg(long, default_value_t = 0)]
    watches: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.bench {
        Bench::Create(args) => create(args).await,
        Bench::Export(args) => export_bench::run(args).await,
        Bench::EraseFanout(args) => fanout_bench::run(args).await,
        Bench::Latency(args) => latency_bench::run(args).await,
        Bench::Wordpress(args) => wordpress_bench::run(args).await,
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
        let (_owned, url, fsync) = postgres_database(args.postgres_url.as_deref(), !args.postgres_no_fsync).await?;
        create_case(&args, "postgres", url, serde_json::json!({ "postgres_fsync": fsync })).await?;
    }
    Ok(())
}

/// A fresh database on the given PostgreSQL (a superuser URL), or on a throwaway one started
/// here, which lives as long as the returned handle; and whether fsync is on (unknown for a
/// given server).
async fn postgres_database(
    admin_url: Option<&str>,
    fsync: bool,
) -> anyhow::Result<(Option<ThrowawayPostgres>, String, Option<bool>)> {
    let (owned, admin_url, fsync) = match admin_url {
        Some(url) => (None, url.to_owned(), None),
        None => {
            let pg = ThrowawayPostgres::start(fsync)?;
            let url = pg.url();
            (Some(pg), url, Some(fsync))
        }
    };
    let name = format!("bench_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
    let url = format!("{}/{name}", admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url));
    Ok((owned, url, fsync))
}

/// One backend: a privacyd on it, then the create phase and the no-op phase.
async fn create_case(
    args: &CreateArgs,
    backend: &str,
    database_url: String,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    let data_dir = tempfile_dir()?;
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse()?;
    config.data_dir = data_dir.clone();
    config.database_url = Some(database_url);
    config.admin_tokens = vec![token.clone()];
    config.database_max_connections = 16;
    config.log = "warn".into();
    config.watch_max_per_token = config.watch_max_per_token.max(args.watches);
    config.watch_max = config.watch_max.max(args.watches);
    // Every client comes from 127.0.0.1; the per-address cap is for the open internet.
    config.max_connections_per_ip = 0;
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

    let rss_before_watches = rss_bytes();
    let watches = open_watches(addr, &bearer, args.watches, &run).await?;
    let rss_with_watches = rss_bytes();

    // Warm up connections, the pool and the database's caches.
    let creator = |prefix: String| {
        let token = bearer.clone();
        move |c, i, ch| create_call(ch, token.clone(), format!("{prefix}-{c}-{i}"))
    };
    phase(&channels, Duration::from_millis(500), creator(format!("warm-{run}"))).await?;
    let creates = phase(&channels, duration, creator(run.clone())).await?;
    let noops = phase(&channels, duration, |_, _, ch| noop_call(ch)).await?;
    let watches_open = watches.iter().filter(|w| !w.is_finished()).count();
    for watch in &watches {
        watch.abort();
    }

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
        "watches": args.watches,
        "watches_open_at_end": watches_open,
        "rss_bytes_before_watches": rss_before_watches,
        "rss_bytes_with_watches": rss_with_watches,
    });
    if let (Some(line), Some(extra)) = (line.as_object_mut(), extra.as_object()) {
        line.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    println!("{line}");
    anyhow::ensure!(creates.errors == 0 && noops.errors == 0, "{} calls failed", creates.errors + noops.errors);
    Ok(())
}

/// Creates `n` requests that stay CONFIRMED and opens a watch on each, 50 to a connection
/// (below any per-connection stream limit), each drained by a task of its own. Returns once
/// every watch got its first message.
async fn open_watches(
    addr: std::net::SocketAddr,
    bearer: &MetadataValue<Ascii>,
    n: usize,
    run: &str,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    use futures::StreamExt;
    let mut tasks = Vec::with_capacity(n);
    let mut channel = None;
    for i in 0..n {
        if i % 50 == 0 {
            channel = Some(Channel::from_shared(format!("http://{addr}"))?.connect().await?);
        }
        let channel = channel.clone().expect("connected above");
        let mut create = Request::new(pb::CreatePrivacyRequestRequest {
            subject: Some(pb::Subject { email: format!("watched-{run}-{i}@example.com"), user_id: String::new() }),
            action: pb::Action::Export as i32,
            send_confirmation: false,
            request_id: String::new(),
        });
        create.metadata_mut().insert("authorization", bearer.clone());
        let mut client = PrivacyRequestServiceClient::new(channel);
        let created = client.create_privacy_request(create).await?.into_inner().privacy_request.unwrap_or_default();
        let mut watch = Request::new(pb::WatchPrivacyRequestRequest { id: created.id });
        watch.metadata_mut().insert("authorization", bearer.clone());
        let mut stream = client.watch_privacy_request(watch).await?.into_inner();
        stream.next().await.ok_or_else(|| anyhow::anyhow!("watch {i} ended at once"))??;
        tasks.push(tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} }));
    }
    Ok(tasks)
}

/// This process's resident memory (server and clients together: the bench runs privacyd
/// in-process), from /proc; 0 where there is none.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
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

/// Serves a gRPC service on a free loopback port; returns its URL.
async fn serve<S>(service: S) -> anyhow::Result<String>
where
    S: tonic::codegen::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        > + tonic::server::NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))),
    );
    Ok(format!("http://{addr}"))
}

/// When each audit event of `kind` happened, in seconds since the epoch, oldest first.
fn event_times(events: &[pb::AuditEvent], kind: pb::AuditEventType) -> impl Iterator<Item = f64> + '_ {
    events
        .iter()
        .filter(move |e| e.r#type == kind as i32)
        .filter_map(|e| e.time)
        .map(|t| t.seconds as f64 + t.nanos as f64 / 1e9)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("privacy-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

mod export_bench {
    use std::{
        process::{Child, Command, Stdio},
        sync::Arc,
        time::{Duration, Instant},
    };

    use futures::StreamExt;
    use privacyd::proto::privacy::{
        datasource::v1::{
            self as ds,
            data_source_service_server::{DataSourceService, DataSourceServiceServer},
        },
        v1::{
            self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient,
            privacy_request_service_client::PrivacyRequestServiceClient,
        },
    };
    use sha2::{Digest, Sha256};
    use tonic::{Request, Response, Status, transport::Channel};

    use super::ExportArgs;

    /// Bytes per file chunk, and per message of the reference stream.
    const CHUNK: usize = 256 * 1024;
    /// Bytes of field values per item.
    const ITEM: usize = 1024;

    /// A source that streams `bytes` of synthetic data: items, then files in chunks.
    #[derive(Clone)]
    struct Synthetic {
        item_bytes: u64,
        file_bytes: u64,
        chunk: Arc<Vec<u8>>,
        shape: super::Shape,
        item_size: usize,
        fields: usize,
    }

    impl Synthetic {
        /// The `i`th item message of the request `tag`.
        fn item(&self, tag: &str, i: usize, value: &str) -> ds::ExportItem {
            use super::Shape;
            let mut item = ds::ExportItem {
                group_id: "records".into(),
                group_label: "Records".into(),
                group_description: String::new(),
                item_id: format!("{tag}-{i}"),
                data: vec![ds::ExportField { name: "Value".into(), value: value.to_owned() }],
            };
            match self.shape {
                Shape::Bulk => {}
                Shape::SameItem => item.item_id = "the-item".into(),
                Shape::ManyGroups => {
                    item.group_id = format!("group-{i}");
                    item.group_label = value.to_owned();
                    item.data[0].value = i.to_string();
                }
                Shape::LongIds => {
                    item.item_id = format!("{i}-{value}");
                    item.data[0].value = i.to_string();
                }
                Shape::RepeatedName => {
                    item.data = (0..self.fields)
                        .map(|n| ds::ExportField { name: "Total".into(), value: n.to_string() })
                        .collect();
                }
            }
            item
        }
    }

    #[tonic::async_trait]
    impl DataSourceService for Synthetic {
        async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
            Ok(Response::new(ds::DescribeResponse {
                name: "synthetic".into(),
                version: "1".into(),
                protocol_version: 1,
                capabilities: vec![ds::Capability::Export as i32],
                categories: vec![ds::DataCategory {
                    group_id: "records".into(),
                    label: "Records".into(),
                    ..Default::default()
                }],
            }))
        }

        type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

        async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
            let tag = request.get_ref().privacy_request_id.clone();
            let items = if self.shape == super::Shape::RepeatedName {
                1
            } else {
                (self.item_bytes / self.item_size as u64) as usize
            };
            let value = "x".repeat(self.item_size.saturating_sub(16).max(1));
            let source = self.clone();
            let item_stream = futures::stream::iter(0..items).map(move |i| {
                Ok(ds::ExportResponse {
                    payload: Some(ds::export_response::Payload::Item(source.item(&tag, i, &value))),
                })
            });
            let chunks = (self.file_bytes / CHUNK as u64) as usize;
            let per_file = 64; // 16 MiB files
            let chunk = self.chunk.clone();
            let file_stream = futures::stream::iter(0..chunks).map(move |i| {
                let (file, part) = (i / per_file, i % per_file);
                let last = part == per_file - 1 || i == chunks - 1;
                Ok(ds::ExportResponse {
                    payload: Some(ds::export_response::Payload::FileChunk(ds::FileChunk {
                        path: format!("blobs/{file}.bin"),
                        data: chunk.as_ref().clone(),
                        offset: (part * CHUNK) as i64,
                        eof: last,
                        ..Default::default()
                    })),
                })
            });
            Ok(Response::new(item_stream.chain(file_stream).boxed()))
        }

        async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
            Err(Status::unimplemented("export only"))
        }
    }

    struct Privacyd(Child);

    impl Drop for Privacyd {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// MB/s of `bytes` through one bare tonic server stream over loopback.
    async fn reference(bytes: u64, chunk: Arc<Vec<u8>>) -> anyhow::Result<f64> {
        let source = Synthetic {
            item_bytes: 0,
            file_bytes: bytes,
            chunk,
            shape: super::Shape::Bulk,
            item_size: ITEM,
            fields: 0,
        };
        let endpoint = super::serve(DataSourceServiceServer::new(source).max_encoding_message_size(8 << 20)).await?;
        let mut client = ds::data_source_service_client::DataSourceServiceClient::connect(endpoint)
            .await?
            .max_decoding_message_size(8 << 20);
        let started = Instant::now();
        let mut stream = client.export(ds::ExportRequest::default()).await?.into_inner();
        let mut received = 0u64;
        while let Some(message) = stream.next().await {
            if let Some(ds::export_response::Payload::FileChunk(c)) = message?.payload {
                received += c.data.len() as u64;
            }
        }
        Ok(received as f64 / 1e6 / started.elapsed().as_secs_f64())
    }

    pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
        let chunk = Arc::new((0..CHUNK).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>());
        let per_source = args.bytes / args.sources as u64;
        let file_bytes = ((per_source as f64 * args.file_share) as u64 / CHUNK as u64) * CHUNK as u64;
        let item_size = args.item_size.max(32);
        let item_bytes = (per_source - file_bytes) / item_size * item_size;
        let total = (file_bytes + item_bytes) * args.sources as u64;

        let raw_mb_per_s = reference(total, chunk.clone()).await?;

        let source = Synthetic {
            item_bytes,
            file_bytes,
            chunk,
            shape: args.shape,
            item_size: item_size as usize,
            fields: args.fields,
        };
        let endpoint = super::serve(DataSourceServiceServer::new(source)).await?;
        let dir = super::tempfile_dir()?;
        let port = privacyd::testing::free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let token = privacyd::domain::SecretToken::generate().expose().to_owned();
        let privacyd = std::env::current_exe()?.with_file_name("privacyd");
        let compression = match args.compression {
            privacyd::export::Compression::Stored => "stored",
            privacyd::export::Compression::Deflate => "deflate",
        };
        // With S3: an s3s-fs of our own (stopped when the benchmark ends), or the one named.
        let mut s3_server = None;
        let mut command = Command::new(&privacyd);
        if args.store == super::BenchStore::S3 {
            let (endpoint, bucket) = match &args.s3_endpoint {
                Some(endpoint) => (endpoint.clone(), args.s3_bucket.clone()),
                None => {
                    let s3 = privacyd::testing::ThrowawayS3::start()?;
                    command
                        .env("AWS_ACCESS_KEY_ID", privacyd::testing::ThrowawayS3::ACCESS_KEY)
                        .env("AWS_SECRET_ACCESS_KEY", privacyd::testing::ThrowawayS3::SECRET_KEY)
                        .env("AWS_REGION", "us-east-1");
                    let named = (s3.endpoint.clone(), s3.bucket.clone());
                    s3_server = Some(s3);
                    named
                }
            };
            command
                .args(["--archive-store", &format!("s3://{bucket}/bench")])
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("AWS_ALLOW_HTTP", "true");
        }
        let server = Privacyd(
            command
                .args(["--listen", &addr, "--log", &args.privacyd_log, "--job-poll-interval", "50ms"])
                .args(["--archive-compression", compression])
                // Through the environment: a command line is visible to every local user.
                .env("PRIVACYD_ADMIN_TOKENS", &token)
                .arg("--data-dir")
                .arg(&dir)
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| anyhow::anyhow!("starting {}: {e} (cargo build --release first)", privacyd.display()))?,
        );
        let channel = loop {
            match Channel::from_shared(format!("http://{addr}"))?.connect().await {
                Ok(channel) => break channel,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
        let auth = move |mut r: Request<()>| {
            r.metadata_mut().insert("authorization", bearer.clone());
            Ok(r)
        };
        let mut registry = DataSourceRegistryServiceClient::with_interceptor(channel.clone(), auth.clone());
        for i in 0..args.sources {
            registry
                .register_data_source(pb::RegisterDataSourceRequest {
                    name: format!("source-{i}"),
                    endpoint: endpoint.clone(),
                    call_timeout: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
                    ..Default::default()
                })
                .await?;
        }
        let mut client =
            PrivacyRequestServiceClient::with_interceptor(channel, auth).max_decoding_message_size(8 << 20);
        let created = client
            .create_privacy_request(pb::CreatePrivacyRequestRequest {
                subject: Some(pb::Subject { email: "bench@example.com".into(), user_id: String::new() }),
                action: pb::Action::Export as i32,
                send_confirmation: false,
                request_id: String::new(),
            })
            .await?
            .into_inner()
            .privacy_request
            .ok_or_else(|| anyhow::anyhow!("no request"))?;
        let id = created.id;

        let started = Instant::now();
        client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.clone() }).await?;
        let mut watch =
            client.watch_privacy_request(pb::WatchPrivacyRequestRequest { id: id.clone() }).await?.into_inner();
        let mut last = None;
        while let Some(message) = watch.next().await {
            last = message?.privacy_request.or(last);
        }
        let export_seconds = started.elapsed().as_secs_f64();
        let request = last.ok_or_else(|| anyhow::anyhow!("the watch sent nothing"))?;
        anyhow::ensure!(
            request.state == pb::State::Completed as i32,
            "the export ended {:?}: {}",
            request.state,
            request.state_reason
        );
        let archive = request.archive.ok_or_else(|| anyhow::anyhow!("no archive"))?;

        // Where the time went, from the audit log: streaming (until the last source
        // finished) and building the archive.
        let events = client
            .list_audit_events(pb::ListAuditEventsRequest {
                request_id: request.id.clone(),
                page_size: 1000,
                ..Default::default()
            })
            .await?
            .into_inner()
            .audit_events;
        let at = |kind: pb::AuditEventType| {
            super::event_times(&events, kind).fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))))
        };
        let begun = at(pb::AuditEventType::ProcessingStarted).unwrap_or_default();
        let streamed = at(pb::AuditEventType::SourceSucceeded).unwrap_or(begun);
        let built = at(pb::AuditEventType::ArchiveCreated).unwrap_or(streamed);
        let id = request.id.clone();

        let started = Instant::now();
        let mut download = client
            .download_export(pb::DownloadExportRequest { id, token: String::new(), offset: 0 })
            .await?
            .into_inner();
        let mut hasher = Sha256::new();
        let mut downloaded = 0u64;
        while let Some(message) = download.next().await {
            if let Some(pb::download_export_response::Payload::Chunk(chunk)) = message?.payload {
                downloaded += chunk.len() as u64;
                hasher.update(&chunk);
            }
        }
        let download_seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(hex::encode(hasher.finalize()) == archive.sha256, "the download does not match the archive");
        let peak = privacyd::testing::peak_rss(server.0.id())?;
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);

        let mb_per_s = total as f64 / 1e6 / export_seconds;
        let line = serde_json::json!({
            "bench": "export",
            "sources": args.sources,
            "bytes": total,
            "seconds": super::round(export_seconds),
            "mb_per_s": super::round(mb_per_s),
            "raw_stream_mb_per_s": super::round(raw_mb_per_s),
            "ratio": super::round(mb_per_s / raw_mb_per_s),
            "stream_seconds": super::round(streamed - begun),
            "assemble_seconds": super::round(built - streamed),
            "download_seconds": super::round(download_seconds),
            "download_mb_per_s": super::round(downloaded as f64 / 1e6 / download_seconds),
            "archive_bytes": archive.size_bytes,
            "peak_rss_bytes": peak,
            "compression": compression,
            "shape": format!("{:?}", args.shape),
            "item_size": item_size,
            "store": format!("{:?}", args.store).to_lowercase(),
        });
        println!("{line}");
        drop(s3_server);
        Ok(())
    }
}

mod fanout_bench {
    use std::time::{Duration, Instant};

    use futures::StreamExt;
    use privacyd::{
        config::Config,
        proto::privacy::{
            datasource::v1::{
                self as ds,
                data_source_service_server::{DataSourceService, DataSourceServiceServer},
            },
            v1 as pb,
        },
        shutdown,
        startup::Application,
    };
    use tonic::{Request, Response, Status, transport::Channel};

    use super::FanoutArgs;

    /// A source that takes `latency` to answer anything, and holds one item per subject.
    #[derive(Clone)]
    struct Slow {
        name: String,
        latency: Duration,
    }

    #[tonic::async_trait]
    impl DataSourceService for Slow {
        async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
            Ok(Response::new(ds::DescribeResponse {
                name: self.name.clone(),
                version: "bench".into(),
                protocol_version: 1,
                capabilities: vec![ds::Capability::Export as i32, ds::Capability::Erase as i32],
                categories: vec![ds::DataCategory {
                    group_id: "things".into(),
                    label: "Things".into(),
                    ..Default::default()
                }],
            }))
        }

        type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

        async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
            tokio::time::sleep(self.latency).await;
            // Erased: nothing left to export.
            Ok(Response::new(futures::stream::empty().boxed()))
        }

        async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
            tokio::time::sleep(self.latency).await;
            Ok(Response::new(ds::EraseResponse { items_removed: 1, ..Default::default() }))
        }
    }

    /// Seconds from the start of processing to completion of one erasure, as privacyd's audit
    /// log times them (PROCESSING_STARTED to COMPLETED), so how the client notices the end
    /// does not count.
    async fn erase_once<T>(
        client: &mut pb::privacy_request_service_client::PrivacyRequestServiceClient<T>,
    ) -> anyhow::Result<f64>
    where
        T: tonic::client::GrpcService<tonic::body::Body>,
        T::Error: Into<tonic::codegen::StdError>,
        T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
        <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
    {
        let created = client
            .create_privacy_request(pb::CreatePrivacyRequestRequest {
                subject: Some(pb::Subject {
                    email: format!("bench-{}@example.com", uuid::Uuid::now_v7().simple()),
                    user_id: String::new(),
                }),
                action: pb::Action::Erase as i32,
                send_confirmation: false,
                request_id: String::new(),
            })
            .await?
            .into_inner()
            .privacy_request
            .ok_or_else(|| anyhow::anyhow!("no request"))?;
        let id = created.id;
        client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.clone() }).await?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let request = client
                .get_privacy_request(pb::GetPrivacyRequestRequest { id: id.clone() })
                .await?
                .into_inner()
                .privacy_request
                .ok_or_else(|| anyhow::anyhow!("no request"))?;
            match pb::State::try_from(request.state) {
                Ok(pb::State::Completed) => break,
                Ok(pb::State::Processing) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                _ => anyhow::bail!("the erasure ended {:?}: {}", request.state, request.state_reason),
            }
        }
        let events = client
            .list_audit_events(pb::ListAuditEventsRequest { request_id: id, page_size: 1000, ..Default::default() })
            .await?
            .into_inner()
            .audit_events;
        let at = |kind: pb::AuditEventType| {
            super::event_times(&events, kind).next().ok_or_else(|| anyhow::anyhow!("no {kind:?} event"))
        };
        Ok(at(pb::AuditEventType::Completed)? - at(pb::AuditEventType::ProcessingStarted)?)
    }

    fn median(mut xs: Vec<f64>) -> f64 {
        xs.sort_by(|a, b| a.total_cmp(b));
        xs[xs.len() / 2]
    }

    pub async fn run(args: FanoutArgs) -> anyhow::Result<()> {
        anyhow::ensure!(args.sources >= 1 && args.rounds >= 1, "need at least one source and one round");
        let dir = super::tempfile_dir()?;
        let token = privacyd::domain::SecretToken::generate().expose().to_owned();
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse()?;
        config.data_dir = dir.clone();
        let (_postgres, backend) = match args.backend {
            super::Backend::Sqlite => (None, "sqlite"),
            super::Backend::Postgres => {
                let (owned, url, _) = super::postgres_database(args.postgres_url.as_deref(), true).await?;
                config.database_url = Some(url);
                (owned, "postgres")
            }
            super::Backend::Both => anyhow::bail!("--backend: sqlite or postgres, one per run"),
        };
        config.admin_tokens = vec![token.clone()];
        config.log = "warn".into();
        let (trigger, shutdown) = shutdown::channel();
        let app = Application::build(config, shutdown).await?;
        let addr = app.local_addr();
        let server = tokio::spawn(app.run());
        let channel = Channel::from_shared(format!("http://{addr}"))?.connect().await?;
        let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
        let auth = move |mut r: Request<()>| {
            r.metadata_mut().insert("authorization", bearer.clone());
            Ok(r)
        };
        let mut registry = pb::data_source_registry_service_client::DataSourceRegistryServiceClient::with_interceptor(
            channel.clone(),
            auth.clone(),
        );
        let mut client =
            pb::privacy_request_service_client::PrivacyRequestServiceClient::with_interceptor(channel, auth);
        let mut register = async |i: usize| -> anyhow::Result<()> {
            let name = format!("source-{i}");
            let endpoint =
                super::serve(DataSourceServiceServer::new(Slow { name: name.clone(), latency: args.latency })).await?;
            registry
                .register_data_source(pb::RegisterDataSourceRequest { name, endpoint, ..Default::default() })
                .await?;
            Ok(())
        };

        register(0).await?;
        let mut single = Vec::new();
        for _ in 0..args.rounds {
            single.push(erase_once(&mut client).await?);
        }
        for i in 1..args.sources {
            register(i).await?;
        }
        let mut fanout = Vec::new();
        for _ in 0..args.rounds {
            fanout.push(erase_once(&mut client).await?);
        }
        trigger.trigger();
        server.await??;
        let _ = std::fs::remove_dir_all(&dir);

        let (single, fanout) = (median(single), median(fanout));
        let line = serde_json::json!({
            "bench": "erase-fanout",
            "backend": backend,
            "sources": args.sources,
            "latency_ms": args.latency.as_millis(),
            "seconds": super::round(fanout),
            "single_source_seconds": super::round(single),
            "ratio": super::round(fanout / single),
            "rounds": args.rounds,
        });
        println!("{line}");
        Ok(())
    }
}

mod latency_bench {
    use std::{
        io::{BufRead, BufReader},
        process::{Child, Command, Stdio},
    };

    use anyhow::Context;
    use privacyd::{config::Config, shutdown, startup::Application};

    use super::LatencyArgs;

    struct Killed(Child);

    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// Runs the Go program against `addr` and returns its JSON lines.
    fn go_client(
        program: &std::path::Path,
        addr: &str,
        calls: usize,
        token: Option<&str>,
    ) -> anyhow::Result<Vec<serde_json::Value>> {
        let mut command = Command::new(program);
        command.args(["-addr", addr, "-calls", &calls.to_string()]).env_remove("PRIVACYD_ADMIN_TOKEN");
        if let Some(token) = token {
            // Through the environment: a token on a command line shows in `ps`.
            command.env("PRIVACYD_ADMIN_TOKEN", token);
        }
        let output = command.stderr(Stdio::inherit()).output()?;
        anyhow::ensure!(output.status.success(), "the Go client failed against {addr}");
        String::from_utf8(output.stdout)?.lines().map(|line| Ok(serde_json::from_str(line)?)).collect()
    }

    pub async fn run(args: LatencyArgs) -> anyhow::Result<()> {
        let dir = super::tempfile_dir()?;
        let program = dir.join("latency");
        let built = Command::new(&args.go)
            .current_dir(&args.go_module)
            .args(["build", "-o"])
            .arg(&program)
            .arg("./cmd/latency")
            .env("CGO_ENABLED", "0")
            .status()
            .with_context(|| format!("running {} (the Go toolchain)", args.go))?;
        anyhow::ensure!(built.success(), "building clients/go/cmd/latency failed");

        // Generated: privacyd refuses weak admin tokens (a UUID is mostly timestamp).
        let token = privacyd::domain::SecretToken::generate().expose().to_owned();
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse()?;
        config.data_dir = dir.join("privacyd");
        config.admin_tokens = vec![token.clone()];
        config.log = "warn".into();
        let (trigger, shutdown) = shutdown::channel();
        let app = Application::build(config, shutdown).await?;
        let privacyd = app.local_addr().to_string();
        let server = tokio::spawn(app.run());

        let port = privacyd::testing::free_port()?;
        let mut source = Killed(
            Command::new(std::env::current_exe()?.with_file_name("example-datasource"))
                .args(["--listen", &format!("127.0.0.1:{port}"), "--database"])
                .arg(dir.join("example.db"))
                .stdout(Stdio::piped())
                .spawn()
                .context("starting example-datasource (build it with cargo build --bins)")?,
        );
        // It prints where it listens once it does.
        let mut line = String::new();
        BufReader::new(source.0.stdout.take().expect("piped")).read_line(&mut line)?;
        anyhow::ensure!(line.contains("listening"), "example-datasource did not start: {line:?}");

        let calls = args.calls;
        let program2 = program.clone();
        let (to_privacyd, to_source) = tokio::task::spawn_blocking(move || {
            let to_privacyd = go_client(&program2, &privacyd, calls, Some(&token));
            let to_source = go_client(&program2, &format!("127.0.0.1:{port}"), calls, None);
            (to_privacyd, to_source)
        })
        .await?;
        drop(source);
        trigger.trigger();
        server.await??;
        let _ = std::fs::remove_dir_all(&dir);

        let mut slow = Vec::new();
        for (server, lines) in [("privacyd", to_privacyd?), ("example-datasource", to_source?)] {
            for result in lines {
                let p50 = result["p50_ms"].as_f64().unwrap_or(f64::NAN);
                let mut line = serde_json::json!({ "bench": "latency", "client": "go", "server": server });
                if let (Some(line), Some(result)) = (line.as_object_mut(), result.as_object()) {
                    line.extend(result.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                println!("{line}");
                if args.max_p50_ms > 0.0 && !(p50 <= args.max_p50_ms) {
                    slow.push(format!("{server} {}: p50 {p50} ms", result["call"]));
                }
            }
        }
        anyhow::ensure!(slow.is_empty(), "over --max-p50-ms {}: {}", args.max_p50_ms, slow.join(", "));
        Ok(())
    }
}

mod wordpress_bench {
    use std::{
        process::{Child, Command, Stdio},
        time::{Duration, Instant},
    };

    use anyhow::Context;
    use futures::StreamExt;
    use privacyd::{
        proto::privacy::v1::{
            self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient,
            privacy_request_service_client::PrivacyRequestServiceClient,
        },
        testing::{mariadb::ThrowawayMariaDb, peak_rss, wordpress::WordPressSite},
    };
    use tonic::{Request, transport::Channel};

    use super::WordPressArgs;

    /// A child process killed when the benchmark is done with it.
    struct Process(Child);

    impl Drop for Process {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn sibling(name: &str) -> anyhow::Result<std::path::PathBuf> {
        let path = std::env::current_exe()?.with_file_name(name);
        anyhow::ensure!(path.exists(), "{} is missing: cargo build --release --bin {name} first", path.display());
        Ok(path)
    }

    async fn until_listening(port: u16, child: &mut Child, what: &str) -> anyhow::Result<Channel> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("{what} exited ({status}) before listening");
            }
            if let Ok(channel) = Channel::from_shared(format!("http://127.0.0.1:{port}"))?.connect().await {
                return Ok(channel);
            }
            anyhow::ensure!(Instant::now() < deadline, "{what} did not listen within 120 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs a request to its end through WatchPrivacyRequest; returns it and the seconds from
    /// ProcessPrivacyRequest to the end.
    async fn run_request<F: tonic::service::Interceptor>(
        client: &mut PrivacyRequestServiceClient<tonic::service::interceptor::InterceptedService<Channel, F>>,
        email: &str,
        action: pb::Action,
    ) -> anyhow::Result<(pb::PrivacyRequest, f64)> {
        let created = client
            .create_privacy_request(pb::CreatePrivacyRequestRequest {
                subject: Some(pb::Subject { email: email.into(), user_id: String::new() }),
                action: action as i32,
                send_confirmation: false,
                request_id: String::new(),
            })
            .await?
            .into_inner()
            .privacy_request
            .context("no request")?;
        let started = Instant::now();
        client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() }).await?;
        let mut watch =
            client.watch_privacy_request(pb::WatchPrivacyRequestRequest { id: created.id }).await?.into_inner();
        let mut last = None;
        while let Some(message) = watch.next().await {
            last = message?.privacy_request.or(last);
        }
        let seconds = started.elapsed().as_secs_f64();
        let request = last.context("the watch sent nothing")?;
        anyhow::ensure!(
            request.state == pb::State::Completed as i32,
            "the {action:?} ended {:?}: {}",
            request.state,
            request.state_reason
        );
        Ok((request, seconds))
    }

    /// The subject's comments that still carry their address (not anonymised).
    fn comments_left(db: &ThrowawayMariaDb, database: &str, email: &str) -> anyhow::Result<u64> {
        let out =
            db.sql(&format!("SELECT COUNT(*) FROM `{database}`.wp_comments WHERE comment_author_email = '{email}'"))?;
        Ok(out.trim().parse()?)
    }

    pub async fn run(args: WordPressArgs) -> anyhow::Result<()> {
        let privacyd = sibling("privacyd")?;
        let connector = sibling("sql-datasource")?;
        let checkout = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let db = ThrowawayMariaDb::start(true)?;
        for (round, &n) in args.comments.iter().enumerate() {
            let wp_db = format!("wordpress_{round}");
            let ours_db = format!("privacyd_{round}");
            let site = WordPressSite::install(&db, &wp_db, &checkout.join("tests/support/wordpress"))?;
            let fixture = site.fill(n)?;
            db.copy_database(&wp_db, &ours_db)?;
            let email = fixture.subject_email.clone();
            let before = comments_left(&db, &wp_db, &email)?;

            // WordPress's own, as Tools > Export / Erase Personal Data page them.
            let started = Instant::now();
            let (exported, php_export_peak) = site.php_measured("export.php", &[&email, "--summary"])?;
            let wp_export_seconds = started.elapsed().as_secs_f64();
            let exported: serde_json::Value = serde_json::from_str(&exported)?;
            let started = Instant::now();
            let (_, php_erase_peak) = site.php_measured("erase.php", &[&email])?;
            let wp_erase_seconds = started.elapsed().as_secs_f64();
            let wp_left = comments_left(&db, &wp_db, &email)?;

            // privacyd and sql-datasource, each its own process on the same machine.
            let dir = super::tempfile_dir()?;
            let connector_port = privacyd::testing::free_port()?;
            let mut source = Process(
                Command::new(&connector)
                    .arg("--database-url")
                    .arg(db.url(&ours_db))
                    .arg("--dataset")
                    .arg(checkout.join("datasets/wordpress.toml"))
                    .arg("--files-root")
                    .arg(site.uploads())
                    .args(["--listen", &format!("127.0.0.1:{connector_port}")])
                    .stdout(Stdio::null())
                    .spawn()
                    .with_context(|| format!("starting {}", connector.display()))?,
            );
            until_listening(connector_port, &mut source.0, "sql-datasource").await?;
            let port = privacyd::testing::free_port()?;
            let token = privacyd::domain::SecretToken::generate().expose().to_owned();
            let mut server = Process(
                Command::new(&privacyd)
                    .args(["--listen", &format!("127.0.0.1:{port}"), "--log", "warn", "--job-poll-interval", "50ms"])
                    .env("PRIVACYD_ADMIN_TOKENS", &token)
                    .arg("--data-dir")
                    .arg(&dir)
                    .stdout(Stdio::null())
                    .spawn()
                    .with_context(|| format!("starting {}", privacyd.display()))?,
            );
            let channel = until_listening(port, &mut server.0, "privacyd").await?;
            let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
            let auth = move |mut r: Request<()>| {
                r.metadata_mut().insert("authorization", bearer.clone());
                Ok(r)
            };
            DataSourceRegistryServiceClient::with_interceptor(channel.clone(), auth.clone())
                .register_data_source(pb::RegisterDataSourceRequest {
                    name: "wordpress".into(),
                    endpoint: format!("http://127.0.0.1:{connector_port}"),
                    call_timeout: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
                    ..Default::default()
                })
                .await?;
            let mut client = PrivacyRequestServiceClient::with_interceptor(channel, auth);
            let (export, ours_export_seconds) = run_request(&mut client, &email, pb::Action::Export).await?;
            let (erasure, ours_erase_seconds) = run_request(&mut client, &email, pb::Action::Erase).await?;
            let ours_left = comments_left(&db, &ours_db, &email)?;
            let privacyd_peak = peak_rss(server.0.id())?;
            let connector_peak = peak_rss(source.0.id())?;
            drop(server);
            drop(source);
            let _ = std::fs::remove_dir_all(&dir);

            let wp_total = wp_export_seconds + wp_erase_seconds;
            let ours_total = ours_export_seconds + ours_erase_seconds;
            let line = serde_json::json!({
                "bench": "wordpress",
                "comments": n,
                "subject_comments": before,
                "wordpress_export_seconds": super::round(wp_export_seconds),
                "wordpress_export_items": exported["items"],
                "wordpress_export_pages": exported["pages"],
                "wordpress_export_file_items": exported["file_items"],
                "wordpress_export_seconds_in_php": exported["seconds"],
                "wordpress_erase_seconds": super::round(wp_erase_seconds),
                "wordpress_comments_left_after_erase": wp_left,
                "privacyd_export_seconds": super::round(ours_export_seconds),
                "privacyd_archive_bytes": export.archive.map(|a| a.size_bytes),
                "privacyd_erase_seconds": super::round(ours_erase_seconds),
                "privacyd_items_removed": erasure.erasure.as_ref().map(|e| e.items_removed),
                "privacyd_comments_left_after_erase": ours_left,
                "export_ratio": super::round(wp_export_seconds / ours_export_seconds),
                "erase_ratio": super::round(wp_erase_seconds / ours_erase_seconds),
                "ratio": super::round(wp_total / ours_total),
                "privacyd_peak_rss_bytes": privacyd_peak,
                "connector_peak_rss_bytes": connector_peak,
                "php_export_peak_rss_bytes": php_export_peak,
                "php_erase_peak_rss_bytes": php_erase_peak,
                "mariadb_durable": true,
            });
            println!("{line}");
            if args.min_ratio > 0.0 {
                anyhow::ensure!(
                    wp_total / ours_total >= args.min_ratio,
                    "privacyd was {:.1}x faster than WordPress at {n} comments, below --min-ratio {}",
                    wp_total / ours_total,
                    args.min_ratio
                );
            }
            anyhow::ensure!(ours_left == 0, "privacyd left {ours_left} of the subject's comments unanonymised");
        }
        Ok(())
    }
}
