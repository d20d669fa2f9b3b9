//! Metrics: `GET /metrics` in Prometheus text format, on the main port behind an admin token
//! or on `--metrics-listen` without one; per-RPC series under go-grpc-prometheus's names;
//! what privacyd's jobs did (source calls, retries, emails, archives, failed verifications);
//! and gauges read from the database (requests by state, due soon and overdue, the job queue).
//! No email address and no token in any of it.

use std::{
    io::{Read, Write},
    net::SocketAddr,
    time::Duration,
};

use privacyd::{admin_tokens::mint, domain::Scopes, proto::privacy::v1 as pb};
use prometheus_parse::{Scrape, Value};
use sqlx::Connection;
use tonic::Code;

use crate::{
    erasing_source::{Behaviour, ErasingSource},
    helpers::{Backend, SmtpSink, TestApp, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    an_export_and_an_erasure_move_the_counters_and_the_gauges,
    due_overdue_and_the_job_queue_come_from_the_database,
    the_gauge_queries_read_indexes_only,
);

/// A GET over loopback with an optional bearer token: (status, head, body).
fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).expect("an HTTP/1.1 answer in UTF-8");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// The exposition, scraped as Prometheus would from the main port.
async fn scrape_text(app: &TestApp) -> String {
    let (addr, token) = (app.addr, app.admin_token.clone());
    let (status, head, body) = tokio::task::spawn_blocking(move || get(addr, "/metrics", Some(&token))).await.unwrap();
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(head.to_lowercase().contains("content-type: text/plain; version=0.0.4"), "{head}");
    body
}

async fn scrape(app: &TestApp) -> Scrape {
    parse(&scrape_text(app).await)
}

/// Parses the exposition strictly: every line is a HELP, a TYPE or a well-formed sample (the
/// text format 0.0.4 grammar), and every sample belongs to a family with HELP text and a type
/// declared before it. prometheus-parse then gives the values.
fn parse(text: &str) -> Scrape {
    let name = r"[a-zA-Z_:][a-zA-Z0-9_:]*";
    let label = r#"[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*""#;
    let sample = regex::Regex::new(&format!(
        r"^({name})(?:\{{{label}(?:,{label})*\}})? (?:[-+]?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf)$"
    ))
    .unwrap();
    let help = regex::Regex::new(&format!(r"^# HELP ({name}) \S.*$")).unwrap();
    let kind = regex::Regex::new(&format!(r"^# TYPE ({name}) (counter|gauge|histogram)$")).unwrap();
    let (mut helped, mut typed) = (std::collections::HashMap::new(), std::collections::HashMap::new());
    for line in text.lines() {
        if let Some(c) = help.captures(line) {
            helped.insert(c[1].to_owned(), ());
        } else if let Some(c) = kind.captures(line) {
            typed.insert(c[1].to_owned(), c[2].to_owned());
        } else if let Some(c) = sample.captures(line) {
            let metric = &c[1];
            let family = typed
                .keys()
                .find(|family| {
                    metric == family.as_str()
                        || (typed[*family] == "histogram"
                            && ["_bucket", "_sum", "_count"].iter().any(|s| metric == format!("{family}{s}")))
                })
                .unwrap_or_else(|| panic!("sample {line:?} has no TYPE before it"));
            assert!(helped.contains_key(family), "family {family} has no HELP text");
        } else {
            panic!("not a line of the Prometheus text format: {line:?}");
        }
    }
    assert!(!typed.is_empty(), "an empty exposition");
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

/// The value of the sample of `metric` with these labels (others may be present); 0 when
/// there is none, as Prometheus treats a counter that has not counted yet.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            ref other => panic!("{metric} is {other:?}"),
        })
        .collect();
    assert!(found.len() <= 1, "{metric}{labels:?} matches {} samples", found.len());
    found.first().copied().unwrap_or(0.0)
}

/// Scrapes until `done` holds (database gauges are cached for a few seconds), failing after
/// 20 s with the last scrape.
async fn eventually(app: &TestApp, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = scrape_text(app).await;
        let scrape = parse(&text);
        if done(&scrape) {
            return scrape;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}; last scrape:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn rpc(method: &'static str) -> [(&'static str, &'static str); 3] {
    [("grpc_type", "unary"), ("grpc_service", "privacy.v1.PrivacyRequestService"), ("grpc_method", method)]
}

fn rpc_code(method: &'static str, code: &'static str) -> [(&'static str, &'static str); 4] {
    let [t, s, m] = rpc(method);
    [t, s, m, ("grpc_code", code)]
}

async fn register(app: &TestApp, source: &ErasingSource) {
    let endpoint = source.serve().await;
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: source.name.clone(),
            endpoint,
            call_timeout: Some(prost_types::Duration { seconds: 10, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn process(app: &TestApp, id: &str) {
    app.client.clone().process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.into() }).await.unwrap();
}

async fn an_export_and_an_erasure_move_the_counters_and_the_gauges(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    // shop fails its first Erase (retried); forum says it erased and keeps everything, which
    // the verification export finds.
    let shop = ErasingSource::new("shop", Behaviour { fail_first: Some((1, Code::Unavailable)), ..Default::default() });
    shop.hold(&email, "orders", 2);
    let forum = ErasingSource::new("forum", Behaviour { lie: true, ..Default::default() });
    forum.hold(&email, "comments", 1);
    register(&app, &shop).await;
    register(&app, &forum).await;
    let before = scrape(&app).await;

    let export = app.create(&email, pb::Action::Export, false).await;
    process(&app, &export.id).await;
    let export = app
        .wait_for(&export.id, "the export to complete", |r| state(r) == pb::State::Completed && r.archive.is_some())
        .await;
    SmtpSink::global().wait_for(&email, 1).await;
    // A call refused for want of a token is an RPC too, with its code.
    let refused = app.public.clone().get_privacy_request(pb::GetPrivacyRequestRequest { id: export.id.clone() }).await;
    assert_eq!(refused.unwrap_err().code(), Code::Unauthenticated);

    let erase = app.create(&email, pb::Action::Erase, false).await;
    process(&app, &erase.id).await;
    let erase = app
        .wait_for(&erase.id, "the erasure to end", |r| matches!(state(r), pb::State::Completed | pb::State::Failed))
        .await;
    assert_eq!(state(&erase), pb::State::Failed, "forum's verification fails: {erase:#?}");

    let after = eventually(&app, "the finished requests and the sent email", |s| {
        value(s, "privacyd_requests", &[("action", "ERASE"), ("state", "FAILED")]) == 1.0
            && value(s, "privacyd_emails_sent_total", &[("kind", "export_ready")]) == 1.0
    })
    .await;
    let moved = |metric: &str, labels: &[(&str, &str)]| value(&after, metric, labels) - value(&before, metric, labels);

    // Per RPC, as go-grpc-prometheus counts them.
    assert_eq!(moved("grpc_server_started_total", &rpc("CreatePrivacyRequest")), 2.0);
    assert_eq!(moved("grpc_server_handled_total", &rpc_code("CreatePrivacyRequest", "OK")), 2.0);
    assert_eq!(moved("grpc_server_handling_seconds_count", &rpc("CreatePrivacyRequest")), 2.0);
    assert!(moved("grpc_server_handling_seconds_sum", &rpc("CreatePrivacyRequest")) > 0.0);
    assert_eq!(moved("grpc_server_handled_total", &rpc_code("ProcessPrivacyRequest", "OK")), 2.0);
    assert_eq!(moved("grpc_server_handled_total", &rpc_code("GetPrivacyRequest", "Unauthenticated")), 1.0);
    assert!(moved("grpc_server_handled_total", &rpc_code("GetPrivacyRequest", "OK")) >= 2.0);
    let registered = [
        ("grpc_type", "unary"),
        ("grpc_service", "privacy.v1.DataSourceRegistryService"),
        ("grpc_method", "RegisterDataSource"),
        ("grpc_code", "OK"),
    ];
    assert_eq!(value(&after, "grpc_server_handled_total", &registered), 2.0);

    // Calls to the sources: shop was exported twice (the export, the verification) and asked
    // to erase twice (a failure, then the retry).
    let shop_export = [("source", "shop"), ("method", "Export")];
    let shop_erase = [("source", "shop"), ("method", "Erase")];
    // (a verification export asks with each form of the address: one call or more)
    assert!(moved("privacyd_source_call_duration_seconds_count", &shop_export) >= 2.0);
    assert_eq!(moved("privacyd_source_call_duration_seconds_count", &shop_erase), 2.0);
    assert_eq!(
        value(
            &after,
            "privacyd_source_call_errors_total",
            &[("source", "shop"), ("method", "Erase"), ("grpc_code", "Unavailable")]
        ),
        1.0
    );
    assert_eq!(value(&after, "privacyd_source_call_retries_total", &shop_erase), 1.0);
    assert_eq!(value(&after, "privacyd_source_call_retries_total", &shop_export), 0.0);
    assert_eq!(value(&after, "privacyd_source_call_errors_total", &[("source", "forum")]), 0.0);
    assert_eq!(value(&after, "privacyd_erasure_verification_failures_total", &[("source", "forum")]), 1.0);
    assert_eq!(value(&after, "privacyd_erasure_verification_failures_total", &[("source", "shop")]), 0.0);

    // The archive and the email.
    let archive = export.archive.as_ref().unwrap();
    assert_eq!(value(&after, "privacyd_archive_written_bytes_total", &[]), archive.size_bytes as f64);
    assert_eq!(value(&after, "privacyd_archives_built_total", &[]), 1.0);
    assert_eq!(value(&after, "privacyd_emails_failed_total", &[("kind", "export_ready")]), 0.0);

    // The gauges: each request in its state, nothing late, nothing left in the queue.
    assert_eq!(value(&after, "privacyd_requests", &[("action", "EXPORT"), ("state", "COMPLETED")]), 1.0);
    assert_eq!(value(&after, "privacyd_requests", &[("action", "EXPORT"), ("state", "PENDING")]), 0.0);
    for action in ["EXPORT", "ERASE"] {
        assert_eq!(value(&after, "privacyd_requests_overdue", &[("action", action)]), 0.0);
        assert_eq!(value(&after, "privacyd_requests_due_within_7_days", &[("action", action)]), 0.0);
    }
    for kind in ["EXPORT_SOURCE", "ERASE_SOURCE", "ASSEMBLE_EXPORT"] {
        assert_eq!(value(&after, "privacyd_jobs_due", &[("kind", kind)]), 0.0);
        assert_eq!(value(&after, "privacyd_jobs_oldest_due_age_seconds", &[("kind", kind)]), 0.0);
    }

    // Nothing personal and no secret: no address at all, no token, no request id.
    let text = scrape_text(&app).await;
    assert!(!text.contains('@'), "an email address in the metrics");
    assert!(!text.contains(&app.admin_token));
    assert!(!text.contains(&export.id) && !text.contains(&erase.id), "a request id in the metrics");
}

async fn due_overdue_and_the_job_queue_come_from_the_database(backend: Backend) {
    // No executor slots: the jobs stay queued where the gauges can see them.
    let app = TestApp::spawn_with(backend, |c| c.job_concurrency = 0).await;
    let late = app.create(&unique_email(), pb::Action::Export, true).await;
    let soon = app.create(&unique_email(), pb::Action::Export, false).await;
    let later = app.create(&unique_email(), pb::Action::Erase, true).await;
    let closed = app.create(&unique_email(), pb::Action::Export, false).await;
    app.client
        .clone()
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: closed.id.clone(), reason: String::new() })
        .await
        .unwrap();

    // Created with a confirmation email: PENDING; without: CONFIRMED (the operator checked).
    let fresh = eventually(&app, "the new requests", |s| {
        value(s, "privacyd_requests", &[("action", "EXPORT"), ("state", "PENDING")]) == 1.0
            && value(s, "privacyd_requests", &[("action", "EXPORT"), ("state", "CONFIRMED")]) == 1.0
    })
    .await;
    assert_eq!(value(&fresh, "privacyd_requests", &[("action", "ERASE"), ("state", "PENDING")]), 1.0);
    assert_eq!(value(&fresh, "privacyd_requests", &[("action", "EXPORT"), ("state", "CANCELLED")]), 1.0);
    // 30 days to go for each.
    assert_eq!(value(&fresh, "privacyd_requests_overdue", &[("action", "EXPORT")]), 0.0);
    assert_eq!(value(&fresh, "privacyd_requests_due_within_7_days", &[("action", "EXPORT")]), 0.0);
    assert_eq!(value(&fresh, "privacyd_jobs_due", &[("kind", "EMAIL")]), 2.0);
    assert_eq!(value(&fresh, "privacyd_jobs_running", &[("kind", "EMAIL")]), 0.0);

    // Move the deadlines: one open request late, one due in 3 days, and a closed one late
    // (which is nobody's deadline any more). Make one email 10 minutes overdue and put the
    // other off by an hour.
    let now = chrono::Utc::now().timestamp_micros();
    let hour = 3_600_000_000_i64;
    let mut db = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
    for (id, due) in [(&late.id, now - hour), (&soon.id, now + 72 * hour), (&closed.id, now - hour)] {
        sqlx::query("UPDATE privacy_requests SET due_time = $1 WHERE id = $2")
            .bind(due)
            .bind(id.clone())
            .execute(&mut db)
            .await
            .unwrap();
    }
    for (id, run_at) in [(&late.id, now - hour / 6), (&later.id, now + hour)] {
        sqlx::query("UPDATE jobs SET run_at = $1 WHERE request_id = $2 AND kind = 'EMAIL'")
            .bind(run_at)
            .bind(id.clone())
            .execute(&mut db)
            .await
            .unwrap();
    }
    db.close().await.unwrap();

    let moved = eventually(&app, "the moved deadlines", |s| {
        value(s, "privacyd_requests_overdue", &[("action", "EXPORT")]) == 1.0
            && value(s, "privacyd_jobs_scheduled", &[("kind", "EMAIL")]) == 1.0
    })
    .await;
    assert_eq!(value(&moved, "privacyd_requests_due_within_7_days", &[("action", "EXPORT")]), 1.0);
    assert_eq!(value(&moved, "privacyd_requests_overdue", &[("action", "ERASE")]), 0.0);
    assert_eq!(value(&moved, "privacyd_jobs_due", &[("kind", "EMAIL")]), 1.0);
    let age = value(&moved, "privacyd_jobs_oldest_due_age_seconds", &[("kind", "EMAIL")]);
    assert!((600.0..700.0).contains(&age), "the overdue email has waited 10 minutes, not {age} s");
    assert_eq!(value(&moved, "privacyd_jobs_due", &[("kind", "EXPORT_SOURCE")]), 0.0);
}

/// The scrape's queries read the request tallies and indexes, never the whole table (its rows
/// hold personal data and grow without end): of the requests, only the open ones. On PostgreSQL sequential scans are switched off for the check, since on a table
/// this small the planner rightly prefers one.
async fn the_gauge_queries_read_indexes_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (now, soon) = (chrono::Utc::now().timestamp_micros(), chrono::Utc::now().timestamp_micros() + 1);
    let literal = |sql: &str| sql.replace("$2", &soon.to_string()).replace("$1", &now.to_string());
    let mut db = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
    let (explain, column) = match backend {
        Backend::Sqlite => ("EXPLAIN QUERY PLAN", "detail"),
        Backend::Postgres => {
            sqlx::raw_sql("SET enable_seqscan = off").execute(&mut db).await.unwrap();
            ("EXPLAIN", "QUERY PLAN")
        }
    };
    let mut plans = Vec::new();
    for sql in [privacyd::store::REQUESTS_SQL, privacyd::store::OPEN_REQUESTS_SQL, privacyd::store::JOBS_SQL] {
        use sqlx::Row;
        let rows =
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("{explain} {}", literal(sql)))).fetch_all(&mut db).await.unwrap();
        plans.push(rows.iter().map(|r| r.try_get::<String, _>(column).unwrap()).collect::<Vec<_>>().join("\n"));
    }
    let [totals, open, jobs] = &plans[..] else { unreachable!() };
    assert!(totals.contains("privacy_request_tallies") && !totals.contains("privacy_requests"), "totals:\n{totals}");
    // Only the open requests' entries: SQLite searches the state's range of the covering
    // index; PostgreSQL may take that index or the partial index of open requests
    // (`privacy_requests_one_open`, which holds those and no others), by its statistics.
    let open_only = match backend {
        Backend::Sqlite => {
            open.contains("SEARCH privacy_requests USING COVERING INDEX privacy_requests_by_state (state=?)")
        }
        // The partial index's own condition implies the states, so the plan does not repeat
        // it; the other index must be searched by them.
        Backend::Postgres => {
            !open.contains("Seq Scan")
                && (open.contains("privacy_requests_one_open")
                    || (open.contains("privacy_requests_by_state") && open.contains("state = ANY (")))
        }
    };
    assert!(open_only, "the open requests' deadlines:\n{open}");
    assert!(jobs.contains("jobs_runnable"), "the job queue query's plan:\n{jobs}");
}

/// Without a token the main port refuses to show its metrics, and says how to get them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_port_needs_an_admin_token() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let addr = app.addr;
    let (status, head, body) = tokio::task::spawn_blocking(move || get(addr, "/metrics", None)).await.unwrap();
    assert_eq!(status, 401, "{head}\n{body}");
    assert!(head.contains("WWW-Authenticate: Bearer") || head.contains("www-authenticate: Bearer"), "{head}");
    assert!(body.contains("--metrics-listen") && body.contains("read scope"), "{body}");
    let (status, _, _) =
        tokio::task::spawn_blocking(move || get(addr, "/metrics", Some("not-a-token-of-this-privacyd"))).await.unwrap();
    assert_eq!(status, 401);
    scrape(&app).await;
}

/// The `read` scope is what a dashboard's token has; a token without it is refused (403).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_port_needs_the_read_scope() {
    let (reader, reader_line) = mint("dashboard", Scopes::parse("read").unwrap()).unwrap();
    let (operator, operator_line) = mint("operator", Scopes::parse("requests,sources").unwrap()).unwrap();
    let file = tempfile::NamedTempFile::new().unwrap().into_temp_path().keep().unwrap();
    std::fs::write(&file, format!("{}\n{}\n", reader_line.line(), operator_line.line())).unwrap();
    let path = file.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.admin_tokens_file = Some(path)).await;
    let addr = app.addr;
    let (status, _, body) =
        tokio::task::spawn_blocking(move || get(addr, "/metrics", Some(operator.expose()))).await.unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("read scope"), "{body}");
    let (status, _, body) =
        tokio::task::spawn_blocking(move || get(addr, "/metrics", Some(reader.expose()))).await.unwrap();
    assert_eq!(status, 200);
    parse(&body);
    std::fs::remove_file(file).unwrap();
}

/// A server stream is handled when it ends: one the client drops counts as Canceled, with
/// its type, as grpc-go reports it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_server_stream_counts_as_canceled() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    let mut stream = app
        .client
        .clone()
        .watch_privacy_request(pb::WatchPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap()
        .into_inner();
    stream.message().await.unwrap().expect("the request as it is now");
    let watch = [
        ("grpc_type", "server_stream"),
        ("grpc_service", "privacy.v1.PrivacyRequestService"),
        ("grpc_method", "WatchPrivacyRequest"),
    ];
    let open = scrape(&app).await;
    assert_eq!(value(&open, "grpc_server_started_total", &watch), 1.0);
    assert_eq!(value(&open, "grpc_server_handled_total", &watch), 0.0, "the stream is still open");
    drop(stream);
    let canceled = [watch[0], watch[1], watch[2], ("grpc_code", "Canceled")];
    let ended =
        eventually(&app, "the dropped stream", |s| value(s, "grpc_server_handled_total", &canceled) == 1.0).await;
    assert_eq!(value(&ended, "grpc_server_handling_seconds_count", &watch), 1.0);
}

/// `--metrics-listen` serves the metrics on its own address, without a token, and the main
/// port then has no /metrics at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_serves_them_elsewhere_instead() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let (main, metrics) = (app.addr, app.metrics_addr.expect("the metrics address"));
    assert_ne!(main, metrics);
    // An RPC on the main port shows on the other address.
    app.client.clone().list_privacy_requests(pb::ListPrivacyRequestsRequest::default()).await.unwrap();
    let (status, head, body) = tokio::task::spawn_blocking(move || get(metrics, "/metrics", None)).await.unwrap();
    assert_eq!(status, 200, "{head}\n{body}");
    let scrape = parse(&body);
    assert_eq!(value(&scrape, "grpc_server_handled_total", &rpc_code("ListPrivacyRequests", "OK")), 1.0);
    let token = app.admin_token.clone();
    let (status, _, _) = tokio::task::spawn_blocking(move || get(main, "/metrics", Some(&token))).await.unwrap();
    assert_eq!(status, 404, "the main port has no /metrics when --metrics-listen is set");
    let (status, _, _) = tokio::task::spawn_blocking(move || get(metrics, "/confirm", None)).await.unwrap();
    assert_eq!(status, 404, "the metrics address serves nothing else");
}

/// A scrape that cannot read the database fails whole (503), so that Prometheus marks the
/// target down, rather than reporting the overdue requests as 0 while nothing can be known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_that_cannot_read_the_database_fails_rather_than_say_zero() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    scrape(&app).await;
    let status_within = |want: u16| {
        let (addr, token) = (app.addr, app.admin_token.clone());
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            loop {
                let token = token.clone();
                let (status, _, body) =
                    tokio::task::spawn_blocking(move || get(addr, "/metrics", Some(&token))).await.unwrap();
                if status == want {
                    return body;
                }
                assert!(tokio::time::Instant::now() < deadline, "still {status}, not {want}: {body}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let mut db = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
    sqlx::raw_sql("ALTER TABLE jobs RENAME TO jobs_away").execute(&mut db).await.unwrap();
    let body = status_within(503).await;
    assert!(body.contains("database"), "{body}");
    sqlx::raw_sql("ALTER TABLE jobs_away RENAME TO jobs").execute(&mut db).await.unwrap();
    parse(&status_within(200).await);
}

/// With `--tls-client-ca`, an admin token counts on the main port only on a connection with a
/// client certificate, for `/metrics` as for admin calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_client_ca_the_main_port_metrics_need_a_client_certificate() {
    let pki = crate::pki::pki();
    pki.ca("clients");
    pki.leaf("dashboard", "clients", crate::pki::Usage::Client);
    let configure = |c: &mut privacyd::config::Config| {
        pki.server(c);
        c.tls_client_ca = Some(pki.path("clients.pem"));
    };
    let app = TestApp::spawn_tls(Backend::Sqlite, pki.client_config("ca", Some("dashboard")), configure).await;
    let url = format!("https://{}/metrics", app.addr);
    let (ca, cert, key) = (pki.path("ca.pem"), pki.path("dashboard.pem"), pki.path("dashboard.key"));
    let header = format!("Authorization: Bearer {}", app.admin_token);
    let curl = |extra: &[&str]| {
        let mut args = vec!["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-H", &header, &url]);
        let out = std::process::Command::new("curl").args(&args).output().expect("curl runs");
        assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(curl(&[]), "401", "a token without a client certificate");
    assert_eq!(curl(&["--cert", cert.to_str().unwrap(), "--key", key.to_str().unwrap()]), "200");
}
