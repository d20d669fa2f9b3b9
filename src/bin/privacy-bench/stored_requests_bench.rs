//! `privacy-bench stored-requests` (issue 14, section 2): privacyd on a database holding N
//! requests as two years of use leave them (`privacyd::testing::stored_requests`), on SQLite
//! and on PostgreSQL (fsync on). In one run per backend:
//!
//! - CreatePrivacyRequest throughput on an empty database of the same kind, then on the full
//!   one, with the same clients: the ratio is the target's (at least 0.8);
//! - the sweeper's pass over the full table (`Application::sweep_once`), before serving;
//! - ListPrivacyRequests, first page and a deep one (a page token 90% of the way through the
//!   matching requests, made as privacyd makes its tokens) for each filter the API and the
//!   console offer, alone and combined as the console combines them, in each `order_by`;
//! - CountPrivacyRequests for each filter (the console's tabs call it on every page view);
//! - GetPrivacyRequest on random stored ids.
//!
//! One JSON line per call and case, with p50 and p99 in milliseconds of sequential calls on
//! one connection; then one summary line per backend (load time, database size, rows, sweep
//! pass, create throughput empty and full).

use std::time::Duration;

use anyhow::Context;
use privacyd::{
    config::Config,
    domain::{Action, EmailSearch, ListFilter, ListOrder, State, TimeRange},
    page_token,
    proto::privacy::v1::{self as pb, privacy_request_service_client::PrivacyRequestServiceClient},
    shutdown,
    startup::Application,
    store::Planner,
};
use rand::{Rng, SeedableRng};
use sqlx::{Connection, Row};
use tokio::time::Instant;
use tonic::{
    Request,
    metadata::{Ascii, MetadataValue},
    transport::Channel,
};

use crate::{Backend, Measured, StoredRequestsArgs, create_call, phase, postgres_database, round, tempfile_dir};

const DAY: i64 = 86_400_000_000;
const PAGE_SIZE: i32 = 50;

pub async fn run(args: StoredRequestsArgs) -> anyhow::Result<()> {
    let mut failures = Vec::new();
    if matches!(args.backend, Backend::Sqlite | Backend::Both) {
        let dir = tempfile_dir()?;
        let full = format!("sqlite://{}/full.db", dir.display());
        let empty = format!("sqlite://{}/empty.db", dir.display());
        let result = backend_run(&args, "sqlite", &full, &empty).await;
        let _ = std::fs::remove_dir_all(&dir);
        failures.extend(result?);
    }
    if matches!(args.backend, Backend::Postgres | Backend::Both) {
        // Two databases on one server (fsync on unless given another server).
        let (owned, full, _) = postgres_database(args.postgres_url.as_deref(), true).await?;
        let admin = match (&owned, &args.postgres_url) {
            (Some(pg), _) => pg.url(),
            (None, Some(url)) => url.clone(),
            (None, None) => unreachable!("postgres_database starts one when no URL is given"),
        };
        let (_, empty, _) = postgres_database(Some(&admin), true).await?;
        failures.extend(backend_run(&args, "postgres", &full, &empty).await?);
        drop(owned);
    }
    anyhow::ensure!(failures.is_empty(), "targets missed:\n{}", failures.join("\n"));
    Ok(())
}

/// A privacyd on `database_url`, built (its migrations run) but not yet serving.
struct Server {
    app: Application,
    trigger: shutdown::ShutdownTrigger,
    token: String,
    data_dir: std::path::PathBuf,
}

async fn build(database_url: &str) -> anyhow::Result<Server> {
    let data_dir = tempfile_dir()?;
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse()?;
    config.data_dir = data_dir.clone();
    config.database_url = Some(database_url.to_owned());
    config.admin_tokens = vec![token.clone()];
    config.database_max_connections = 16;
    config.log = "warn".into();
    config.max_connections_per_ip = 0;
    // The pass is timed on its own (Application::sweep_once), not while calls are measured.
    config.sweep_interval = Duration::from_secs(3600);
    let (trigger, shutdown) = shutdown::channel();
    let app = Application::build(config, shutdown).await?;
    Ok(Server { app, trigger, token, data_dir })
}

/// Serving: the address, and the server task.
struct Serving {
    channel: Channel,
    addr: std::net::SocketAddr,
    bearer: MetadataValue<Ascii>,
    trigger: shutdown::ShutdownTrigger,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    data_dir: std::path::PathBuf,
}

impl Server {
    async fn serve(self) -> anyhow::Result<Serving> {
        let addr = self.app.local_addr();
        let task = tokio::spawn(self.app.run());
        let channel = Channel::from_shared(format!("http://{addr}"))?.connect().await?;
        let bearer = format!("Bearer {}", self.token).parse()?;
        Ok(Serving { channel, addr, bearer, trigger: self.trigger, task, data_dir: self.data_dir })
    }
}

impl Serving {
    async fn stop(self) -> anyhow::Result<()> {
        self.trigger.trigger();
        self.task.await??;
        let _ = std::fs::remove_dir_all(&self.data_dir);
        Ok(())
    }

    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.metadata_mut().insert("authorization", self.bearer.clone());
        request
    }

    fn client(&self) -> PrivacyRequestServiceClient<Channel> {
        PrivacyRequestServiceClient::new(self.channel.clone())
    }
}

/// CreatePrivacyRequest with `clients` concurrent clients for `seconds`, after a warm-up.
async fn creates(server: &Serving, args: &StoredRequestsArgs, tag: &str) -> anyhow::Result<Measured> {
    let mut channels = Vec::new();
    for _ in 0..args.clients {
        channels.push(Channel::from_shared(format!("http://{}", server.addr))?.connect().await?);
    }
    let creator = |prefix: String| {
        let token = server.bearer.clone();
        move |c, i, ch| create_call(ch, token.clone(), format!("{prefix}-{c}-{i}"))
    };
    phase(&channels, Duration::from_millis(500), creator(format!("warm-{tag}"))).await?;
    let measured = phase(&channels, Duration::from_secs(args.create_seconds), creator(tag.to_owned())).await?;
    anyhow::ensure!(measured.errors == 0, "{} creates failed", measured.errors);
    Ok(measured)
}

/// One backend: the empty database's creates, the load, the sweep, then every case. Returns
/// the targets missed (when `--max-p99-ms` or `--min-create-ratio` asks for them).
async fn backend_run(
    args: &StoredRequestsArgs,
    backend: &str,
    full_url: &str,
    empty_url: &str,
) -> anyhow::Result<Vec<String>> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let mut failures = Vec::new();

    let empty = build(empty_url).await?.serve().await?;
    let empty_creates = creates(&empty, args, &format!("empty-{run}")).await?;
    empty.stop().await?;

    let server = build(full_url).await?;
    let now = chrono::Utc::now().timestamp_micros();
    let started = Instant::now();
    let loaded = privacyd::testing::stored_requests::load(full_url, args.requests, now).await?;
    let load_seconds = started.elapsed().as_secs_f64();
    let size = database_bytes(full_url).await?;
    let started = Instant::now();
    server.app.sweep_once().await;
    let sweep_seconds = started.elapsed().as_secs_f64();
    let server = server.serve().await?;

    let line = |call: &str, case: serde_json::Value, m: &Measured| {
        let mut line = serde_json::json!({
            "bench": "stored-requests", "backend": backend, "requests": args.requests, "call": call,
            "calls": m.count, "p50_ms": round(m.percentile_ms(50.0)), "p99_ms": round(m.percentile_ms(99.0)),
        });
        if let (Some(line), Some(case)) = (line.as_object_mut(), case.as_object()) {
            line.extend(case.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        println!("{line}");
    };
    let mut check = |call: &str, name: &str, m: &Measured| {
        if args.max_p99_ms > 0.0 && m.percentile_ms(99.0) > args.max_p99_ms {
            failures.push(format!("{backend} {call} {name}: p99 {:.1} ms", m.percentile_ms(99.0)));
        }
    };

    let mut db = connect(full_url).await?;
    for case in list_cases(args.requests, now) {
        let filter = case.domain()?;
        for order in [ListOrder::CreateTimeDesc, ListOrder::DueTimeAsc, ListOrder::DueTimeDesc] {
            let (matching, deep) = deep_position(
                &mut db,
                &filter,
                order,
                if backend == "sqlite" { Planner::Sqlite } else { Planner::Postgres },
            )
            .await?;
            let digest =
                page_token::filter_digest(&filter.digest_parts(order).iter().map(String::as_str).collect::<Vec<_>>());
            let deep_token = deep.map(|(key, id)| page_token::encode(&(key, id), &digest));
            for (page, token) in [("first", Some(String::new())), ("deep", deep_token)] {
                let Some(token) = token else { continue };
                let message = pb::ListPrivacyRequestsRequest {
                    page_size: PAGE_SIZE,
                    page_token: token,
                    order_by: order.as_str().to_owned(),
                    ..case.message.clone()
                };
                let (m, rows) = timed(args, || {
                    let request = server.request(message.clone());
                    let mut client = server.client();
                    async move { Ok(client.list_privacy_requests(request).await?.into_inner().privacy_requests.len()) }
                })
                .await
                .with_context(|| format!("ListPrivacyRequests {} {} {page}", case.name, order.as_str()))?;
                let json = serde_json::json!({
                    "filter": case.name, "order_by": order.as_str(), "page": page, "matching": matching, "rows": rows,
                });
                line("ListPrivacyRequests", json, &m);
                check("ListPrivacyRequests", &format!("{} {} {page}", case.name, order.as_str()), &m);
            }
        }
        if case.message.state == 0 {
            let message = pb::CountPrivacyRequestsRequest {
                action: case.message.action,
                subject_email: case.message.subject_email.clone(),
                subject_email_search: case.message.subject_email_search.clone(),
                created_after: case.message.created_after,
                created_before: case.message.created_before,
                due_before: case.message.due_before,
            };
            let (m, total) = timed(args, || {
                let request = server.request(message.clone());
                let mut client = server.client();
                async move {
                    let counts = client.count_privacy_requests(request).await?.into_inner().state_counts;
                    Ok(counts.iter().map(|c| c.count as usize).sum())
                }
            })
            .await?;
            line("CountPrivacyRequests", serde_json::json!({ "filter": case.name, "matching": total }), &m);
        }
    }

    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM privacy_requests").fetch_all(&mut db).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(14);
    let (m, _) = timed(args, || {
        let request = server.request(pb::GetPrivacyRequestRequest { id: ids[rng.random_range(0..ids.len())].clone() });
        let mut client = server.client();
        async move { Ok(client.get_privacy_request(request).await?.into_inner().privacy_request.map_or(0, |_| 1)) }
    })
    .await?;
    line("GetPrivacyRequest", serde_json::json!({ "filter": "random id" }), &m);
    check("GetPrivacyRequest", "random id", &m);
    db.close().await?;

    let full_creates = creates(&server, args, &format!("full-{run}")).await?;
    server.stop().await?;

    let ratio = full_creates.per_second() / empty_creates.per_second();
    if ratio < args.min_create_ratio {
        failures.push(format!("{backend} CreatePrivacyRequest: {ratio:.2} of the empty database's rate"));
    }
    println!(
        "{}",
        serde_json::json!({
            "bench": "stored-requests", "backend": backend, "requests": args.requests, "call": "summary",
            "loaded": loaded, "load_s": round(load_seconds), "database_bytes": size,
            "sweep_pass_s": round(sweep_seconds),
            "create_clients": args.clients,
            "create_empty_per_s": round(empty_creates.per_second()),
            "create_empty_p99_ms": round(empty_creates.percentile_ms(99.0)),
            "create_full_per_s": round(full_creates.per_second()),
            "create_full_p99_ms": round(full_creates.percentile_ms(99.0)),
            "create_ratio": round(ratio),
        })
    );
    Ok(failures)
}

/// `calls` sequential calls (after two unmeasured ones), or as many as fit in
/// `--case-seconds` if fewer; the last call's result.
async fn timed<F, Fut>(args: &StoredRequestsArgs, mut call: F) -> anyhow::Result<(Measured, usize)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, tonic::Status>>,
{
    for _ in 0..2 {
        call().await?;
    }
    let start = Instant::now();
    let budget = Duration::from_secs(args.case_seconds);
    let mut latencies = Vec::with_capacity(args.calls);
    let mut last = 0;
    while latencies.len() < args.calls && (latencies.len() < 3 || start.elapsed() < budget) {
        let t = Instant::now();
        last = call().await?;
        latencies.push(t.elapsed());
    }
    latencies.sort();
    Ok((Measured { count: latencies.len(), errors: 0, elapsed: start.elapsed(), latencies }, last))
}

/// A filter of the list, as the API takes it and as privacyd parses it (for its page tokens).
struct Case {
    name: String,
    message: pb::ListPrivacyRequestsRequest,
}

impl Case {
    fn domain(&self) -> anyhow::Result<ListFilter> {
        let m = &self.message;
        let time = |t: Option<prost_types::Timestamp>| {
            t.map(|t| chrono::DateTime::from_timestamp(t.seconds, 0).expect("in range"))
        };
        Ok(ListFilter {
            // The proto's names are the stored ones with a prefix (ACTION_EXPORT, STATE_FAILED).
            action: pb::Action::try_from(m.action)
                .ok()
                .and_then(|a| Action::parse(a.as_str_name().trim_start_matches("ACTION_"))),
            state: pb::State::try_from(m.state)
                .ok()
                .and_then(|s| State::parse(s.as_str_name().trim_start_matches("STATE_"))),
            subject_email_key: (!m.subject_email.is_empty()).then(|| m.subject_email.to_lowercase()),
            subject_email_search: EmailSearch::parse_optional("subject_email_search", &m.subject_email_search)?,
            created: TimeRange::new(time(m.created_after), time(m.created_before), "created_before")?,
            due_before: time(m.due_before),
        })
    }
}

/// The filters measured: each alone, and as the console combines them (a state's tab with an
/// action, a search, a period or the overdue ones).
fn list_cases(n: u64, now: i64) -> Vec<Case> {
    let at = |micros: i64| Some(prost_types::Timestamp { seconds: micros / 1_000_000, nanos: 0 });
    // A subject of the loaded data (row n/4, and n/4 + n/2 shares it), and a fragment that
    // few addresses hold (that subject's number followed by '@').
    let subject_number = (n / 4) % (n / 2).max(1);
    let domain = ["example.com", "example.org", "mail.example.net"][(n / 4 % 3) as usize];
    let subject = format!("subject{subject_number}@{domain}");
    let base = pb::ListPrivacyRequestsRequest::default;
    let state = |s: pb::State| pb::ListPrivacyRequestsRequest { state: s as i32, ..base() };
    let year_ago = now - 365 * DAY;
    let cases = [
        ("none", base()),
        ("action=ERASE", pb::ListPrivacyRequestsRequest { action: pb::Action::Erase as i32, ..base() }),
        ("state=COMPLETED", state(pb::State::Completed)),
        ("state=CONFIRMED", state(pb::State::Confirmed)),
        ("state=FAILED", state(pb::State::Failed)),
        ("state=PENDING", state(pb::State::Pending)),
        ("subject_email", pb::ListPrivacyRequestsRequest { subject_email: subject.clone(), ..base() }),
        (
            "subject_email_search=domain",
            pb::ListPrivacyRequestsRequest { subject_email_search: "example.org".into(), ..base() },
        ),
        (
            "subject_email_search=rare",
            pb::ListPrivacyRequestsRequest { subject_email_search: format!("subject{subject_number}@"), ..base() },
        ),
        (
            "created_after+created_before (30 days, a year ago)",
            pb::ListPrivacyRequestsRequest {
                created_after: at(year_ago),
                created_before: at(year_ago + 30 * DAY),
                ..base()
            },
        ),
        ("due_before=now", pb::ListPrivacyRequestsRequest { due_before: at(now), ..base() }),
        (
            "state=CONFIRMED+action=EXPORT",
            pb::ListPrivacyRequestsRequest { action: pb::Action::Export as i32, ..state(pb::State::Confirmed) },
        ),
        (
            "state=CONFIRMED+due_before=now+7d",
            pb::ListPrivacyRequestsRequest { due_before: at(now + 7 * DAY), ..state(pb::State::Confirmed) },
        ),
        (
            "state=COMPLETED+subject_email_search=domain",
            pb::ListPrivacyRequestsRequest {
                subject_email_search: "example.org".into(),
                ..state(pb::State::Completed)
            },
        ),
        (
            "action=EXPORT+created_after (90 days)",
            pb::ListPrivacyRequestsRequest {
                action: pb::Action::Export as i32,
                created_after: at(now - 90 * DAY),
                ..base()
            },
        ),
    ];
    cases.into_iter().map(|(name, message)| Case { name: name.to_owned(), message }).collect()
}

/// How many requests match, and the keyset position (sort key, id) 90% of the way through
/// them, from privacyd's own list statement: the position a deep page token holds. `None`
/// when all of them fit on two pages.
async fn deep_position(
    db: &mut sqlx::AnyConnection,
    filter: &ListFilter,
    order: ListOrder,
    planner: Planner,
) -> anyhow::Result<(i64, Option<(i64, String)>)> {
    let all = privacyd::store::list_statement(filter, order, None, u32::MAX, planner);
    let matching: i64 = {
        let sql = format!("SELECT COUNT(*) AS n FROM ({}) AS page", all.sql);
        let statement = privacyd::store::Statement { sql, binds: all.binds.clone() };
        statement.query().fetch_one(&mut *db).await?.try_get("n")?
    };
    if matching <= 2 * i64::from(PAGE_SIZE) {
        return Ok((matching, None));
    }
    let offset = matching * 9 / 10;
    let at = privacyd::store::list_statement(filter, order, None, u32::try_from(offset)?, planner);
    let key = match order {
        ListOrder::CreateTimeDesc => "create_time",
        ListOrder::DueTimeAsc | ListOrder::DueTimeDesc => "due_time",
    };
    let limit = format!("${}", at.binds.len());
    let sql = at.sql.replace(&format!("LIMIT {limit}"), &format!("LIMIT 1 OFFSET {limit}"));
    let sql = format!("SELECT {key} AS k, id FROM ({sql}) AS page");
    let row = privacyd::store::Statement { sql, binds: at.binds }.query().fetch_one(&mut *db).await?;
    Ok((matching, Some((row.try_get("k")?, row.try_get("id")?))))
}

async fn connect(url: &str) -> anyhow::Result<sqlx::AnyConnection> {
    sqlx::any::install_default_drivers();
    Ok(sqlx::AnyConnection::connect(url).await?)
}

/// The database's size on disk: PostgreSQL's own figure, or SQLite's file and its WAL.
async fn database_bytes(url: &str) -> anyhow::Result<i64> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let size = |p: String| std::fs::metadata(p).map(|m| m.len() as i64).unwrap_or(0);
        return Ok(size(path.to_owned()) + size(format!("{path}-wal")));
    }
    let mut db = connect(url).await?;
    let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&mut db).await?;
    db.close().await?;
    Ok(size)
}
