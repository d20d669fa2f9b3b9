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
//!   privacy-bench stored-requests
//!                           list (first and deep pages, each filter and order), count, get,
//!                           create and the sweeper's pass on N stored requests (default a
//!                           million), on SQLite and PostgreSQL; create beside an empty database
//!   privacy-bench wordpress export and erasure of one WordPress user with N comments through
//!                           privacyd + sql-datasource, and through WordPress's own exporter
//!                           and eraser paged as its admin screen does, in the same run
//!   privacy-bench soak      a sustained mix of whole exports and erasures (create, confirm by
//!                           the emailed link, process, watch, download) against 50 sources for
//!                           a fixed time: completions per minute, p50/p99 of each call, errors,
//!                           and privacyd's memory every 10 s, which must stay flat
//!   privacy-bench chaos     two privacyd replicas, PostgreSQL, SMTP and 20 sources under a
//!                           mix of exports and erasures while faults are injected; then
//!                           every request is checked (scripts/chaos.sh)

// One module per case; shared helpers (servers, timing, memory) stay here.
mod chaos;
mod export_bench;
mod fanout_bench;
mod items_bench;
mod latency_bench;
mod soak;
mod stored_requests_bench;
mod wordpress_bench;

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
    /// peak resident memory is its own. With `--items-only`: one source streams `--items` small
    /// items (8 fields, about 1 KiB, a few groups) instead, one line per count.
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
    /// For a fixed time, concurrent clients paced to a steady rate make whole requests, a mix
    /// of exports and erasures: CreatePrivacyRequest with a confirmation email, the emailed
    /// link opened and its button pressed (HTTP, as a browser), ProcessPrivacyRequest,
    /// WatchPrivacyRequest to the end, and each export downloaded by DownloadExport and by
    /// its emailed link (size and SHA-256 checked, opened as a zip), against in-process data
    /// sources. privacyd runs as its own process. JSON lines: privacyd's RSS every
    /// --sample-interval, completions per minute, then one summary line (p50/p99 of each
    /// call, errors). Fails on any error, or when the RSS after --warm-up changes by more than
    /// --max-rss-change.
    Soak(SoakArgs),
    /// N stored requests (two years of a realistic mix, with their audit events, emails,
    /// source runs and archives) loaded with set-based SQL into SQLite and PostgreSQL (fsync
    /// on); then, against privacyd on each: ListPrivacyRequests (first and deep pages, each
    /// filter, each order_by), CountPrivacyRequests, GetPrivacyRequest, CreatePrivacyRequest
    /// (beside the same on an empty database) and one pass of the sweeper. One line per call
    /// and case, and a summary line per backend.
    StoredRequests(StoredRequestsArgs),
    /// Chaos cycles (issue 14): two privacyd replicas (the real binary) on one PostgreSQL and
    /// one archive store (a shared folder, or an S3 bucket), the SMTP sink, and N sources (Go,
    /// Python and Java reference sources and fault-injecting ones) under a steady mix of exports and erasures; once a
    /// cycle a fault at a random moment (kill -9 a replica, restart PostgreSQL, stop SMTP, a
    /// source hangs or refuses for a while). Then every request is checked; one summary line,
    /// and a failure on any loss, double erasure, broken archive, missing email or broken
    /// audit chain.
    Chaos(ChaosArgs),
}

#[derive(clap::Args)]
struct SoakArgs {
    /// How long to start new requests for (those begun are then finished), e.g. 10m or 30s.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Requests started per second, spread evenly (paced, not open loop: see soak.rs).
    #[arg(long, default_value_t = 2.0)]
    rate: f64,
    /// Concurrent clients (each with its own gRPC connection and HTTP client): the most
    /// requests in progress at once.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Data sources, each its own gRPC server in this process.
    #[arg(long, default_value_t = 50)]
    sources: usize,
    /// Share of the requests that are erasures (the rest are exports).
    #[arg(long, default_value_t = 0.5)]
    erase_share: f64,
    /// Memory samples before this are warm-up (caches, pools and allocator arenas filling),
    /// not checked.
    #[arg(long, default_value = "1m", value_parser = humantime::parse_duration)]
    warm_up: Duration,
    /// How often privacyd's RSS is sampled.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    sample_interval: Duration,
    /// The largest change allowed between the first RSS sample after warm-up and the last,
    /// as a share (0.1 = 10%).
    #[arg(long, default_value_t = 0.1)]
    max_rss_change: f64,
    /// Which database privacyd runs on.
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    backend: Backend,
    /// With `--backend postgres`: this PostgreSQL (superuser URL; a fresh database is created
    /// in it) instead of a throwaway one (fsync on).
    #[arg(long)]
    postgres_url: Option<String>,
    /// privacyd's log filter (its log goes to stderr).
    #[arg(long, default_value = "warn")]
    privacyd_log: String,
}

#[derive(clap::Args)]
struct StoredRequestsArgs {
    /// Requests to load.
    #[arg(long, default_value_t = 1_000_000)]
    requests: u64,
    /// Sequential calls measured per case (fewer when a case takes longer than
    /// --case-seconds, but at least 3).
    #[arg(long, default_value_t = 100)]
    calls: usize,
    /// Seconds a case may take before it stops at fewer calls.
    #[arg(long, default_value_t = 10)]
    case_seconds: u64,
    /// Seconds of CreatePrivacyRequest on each database.
    #[arg(long, default_value_t = 10)]
    create_seconds: u64,
    /// Concurrent clients creating requests.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Which database backends to measure.
    #[arg(long, value_enum, default_value_t = Backend::Both)]
    backend: Backend,
    /// Use this PostgreSQL (superuser URL; fresh databases are created in it) instead of a
    /// throwaway one (fsync on).
    #[arg(long)]
    postgres_url: Option<String>,
    /// Fail when a list or get case's p99 is above this many milliseconds (0: report only).
    #[arg(long, default_value_t = 0.0)]
    max_p99_ms: f64,
    /// Fail when creates on the full database run at less than this share of the empty
    /// database's rate (0: report only).
    #[arg(long, default_value_t = 0.0)]
    min_create_ratio: f64,
}

#[derive(clap::Args)]
struct ChaosArgs {
    /// Cycles: one fault each (every kind at least once from 5 cycles on).
    #[arg(long, default_value_t = 10)]
    cycles: usize,
    /// Requests started per cycle (exports and erasures alternate).
    #[arg(long, default_value_t = 4)]
    requests_per_cycle: usize,
    /// Data sources in all: 3 x --per-language reference sources, the rest fault-injecting.
    #[arg(long, default_value_t = 20)]
    sources: usize,
    /// Reference sources of each language (Go, Python, Java).
    #[arg(long, default_value_t = 2)]
    per_language: usize,
    /// How long to wait, after the last cycle, for requests still legitimately running.
    #[arg(long, default_value = "120s", value_parser = humantime::parse_duration)]
    settle: Duration,
    /// The random seed (printed at start), to run the same faults again.
    #[arg(long)]
    seed: Option<u64>,
    /// The replicas' archive store: one folder both use (`file`: one machine, or a volume every
    /// replica mounts) or one S3 bucket (`s3`, an s3s-fs the run starts: replicas that share
    /// no disk).
    #[arg(long, value_enum, default_value_t = BenchStore::File)]
    store: BenchStore,
    /// The privacyd binary [default: beside privacy-bench].
    #[arg(long)]
    privacyd: Option<std::path::PathBuf>,
    /// privacyd's log filter (each replica's log is kept in the run's folder). Two info
    /// lines are kept for a lost request's search: the executor's when it stops a running job
    /// as cancelled, and object_store's when it retries a request to the bucket.
    #[arg(long, default_value = "warn,privacyd::executor=info,object_store=info")]
    privacyd_log: String,
    /// The folder with the Go `reference-datasource` (clients/go/ci.sh builds it).
    #[arg(long, env = "PRIVACYD_E2E_GO_BIN_DIR")]
    go_bin_dir: Option<std::path::PathBuf>,
    /// The clients venv's python, with the Python `reference-datasource` script beside it.
    #[arg(long, env = "PRIVACYD_E2E_PYTHON")]
    python: Option<std::path::PathBuf>,
    /// The Java `reference-datasource.jar`.
    #[arg(long, env = "PRIVACYD_E2E_JAVA_SOURCE_JAR")]
    java_source_jar: Option<std::path::PathBuf>,
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
    // Exports made of many small items (issue 14, §6).
    /// Stream only small items from one source (8 fields of 128 bytes each, in 4 groups), and
    /// report items per second, privacyd's CPU seconds per 100,000 items and its peak memory;
    /// `--bytes`, `--sources`, `--file-share`, `--shape`, `--item-size` and `--store` do not apply.
    #[arg(long)]
    items_only: bool,
    /// With `--items-only`: the items, one case (and privacyd) per value, e.g.
    /// 10000,100000,1000000.
    #[arg(long, value_delimiter = ',', default_value = "100000")]
    items: Vec<u64>,
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
        Bench::Export(args) if args.items_only => items_bench::run(args).await,
        Bench::Export(args) => export_bench::run(args).await,
        Bench::EraseFanout(args) => fanout_bench::run(args).await,
        Bench::Latency(args) => latency_bench::run(args).await,
        Bench::Wordpress(args) => wordpress_bench::run(args).await,
        Bench::Soak(args) => soak::run(args).await,
        Bench::StoredRequests(args) => stored_requests_bench::run(args).await,
        Bench::Chaos(args) => chaos::run(args).await,
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

/// A channel to the privacyd process just started on `addr`, once it listens: polled every
/// 20 ms, for at most 60 s (a privacyd that never listens fails the case instead of hanging).
async fn connect_when_listening(addr: &str) -> anyhow::Result<Channel> {
    let started = Instant::now();
    loop {
        match Channel::from_shared(format!("http://{addr}"))?.connect().await {
            Ok(channel) => return Ok(channel),
            Err(err) if started.elapsed() > Duration::from_secs(60) => {
                anyhow::bail!("privacyd did not start listening within 60 s: {err}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("privacy-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
