//! Fills an empty privacyd database with `n` requests as two years of use would leave them
//! (issue 14, section 2): a realistic mix of actions, states and ages, with the rows a real
//! request has beside it (audit events, email jobs, source runs, export archives), the
//! retention sweeper's work done as it would have been. For `privacy-bench stored-requests`
//! and for the test that EXPLAINs the hot queries on a table large enough that the planner
//! would scan it if no index served.
//!
//! Set-based SQL, one statement per table (a recursive CTE on SQLite, `generate_series` on
//! PostgreSQL): a million requests load in a minute, not the hours a million gRPC calls take.
//! Every value is a deterministic function of the row number, so two loads are the same.
//!
//! The shape, for requests created uniformly over the last 730 days (`now` minus the age):
//! - 60% exports, 40% erasures;
//! - open requests only where they can be: PENDING younger than a day (the confirmation
//!   link's default lifetime), CONFIRMED and FAILED younger than 30 days, PROCESSING younger
//!   than 3 days (together about 0.4% of a million);
//! - the rest final: about 72% COMPLETED, 18% EXPIRED, 6% DENIED, 4% CANCELLED;
//! - due 30 days after receipt (GDPR Art. 12(3)), 2% extended by two months;
//! - a subject in two requests a year apart (so an address search finds two);
//! - the default `--job-retention` (30 days) applied: source runs of requests finished longer
//!   ago are gone and `sources_remove_time` set, an erasure's summary kept; archives past
//!   their 72 h lifetime deleted. No subject purged (the default `--request-retention` is 3
//!   years).
//!
//! Not loaded: data sources, erasure receipts, status links, export and erase jobs of
//! requests still running (none of them read by the calls the benchmark times).

use anyhow::{Context, ensure};
use sqlx::{AnyConnection, Connection};

use crate::store::Dialect;

/// Microseconds in a day; every time in privacyd's schema is UTC microseconds.
const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;
/// How far back the requests go.
pub const SPAN_DAYS: i64 = 730;

/// What [`load`] inserted, per table.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Loaded {
    pub requests: u64,
    pub audit_events: u64,
    pub jobs: u64,
    pub source_runs: u64,
    pub export_archives: u64,
}

// The loader's SQL per database, beside the store's own.
impl Dialect {
    /// The row numbers 1..=n.
    fn numbers(self, n: u64) -> String {
        match self {
            Dialect::Sqlite => {
                format!("WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {n}) ")
            }
            Dialect::Postgres => format!("WITH seq(n) AS (SELECT generate_series(1, {n})::BIGINT) "),
        }
    }

    /// `expr` (a non-negative integer) as `width` lower-case hex digits.
    fn hex(self, expr: &str, width: usize) -> String {
        match self {
            Dialect::Sqlite => format!("printf('%0{width}x', {expr})"),
            Dialect::Postgres => format!("lpad(to_hex({expr}), {width}, '0')"),
        }
    }
}

/// A pseudo-random number in 0..1000 from the row number, one stream per multiplier.
fn spread(multiplier: u64) -> String {
    format!("((n * {multiplier}) % 1000003 % 1000)")
}

/// Loads `n` requests into the empty privacyd database at `database_url` (migrated already:
/// start privacyd on it once, or build its `Application`), as of `now` (UTC microseconds).
/// On PostgreSQL it then runs VACUUM ANALYZE, as autovacuum does soon after a load this size
/// (statistics, and the visibility map index-only scans rely on); SQLite
/// is left without statistics, as privacyd leaves it.
///
/// Errors: the database cannot be reached, or it holds requests already.
pub async fn load(database_url: &str, n: u64, now: i64) -> anyhow::Result<Loaded> {
    sqlx::any::install_default_drivers();
    let dialect = if database_url.starts_with("sqlite:") { Dialect::Sqlite } else { Dialect::Postgres };
    let mut conn = AnyConnection::connect(database_url).await.context("connecting to load requests")?;
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM privacy_requests").fetch_one(&mut conn).await?;
    ensure!(existing == 0, "the database holds {existing} requests already; load into an empty one");
    // Beside a running privacyd (the tests load under one), whose sweeper and checkpoints
    // write too: on SQLite the load takes the write lock at its start, waiting for it rather
    // than failing "database is locked" when a deferred transaction cannot upgrade its read.
    let mut tx = match dialect {
        Dialect::Sqlite => {
            sqlx::query("PRAGMA busy_timeout = 60000").execute(&mut conn).await?;
            conn.begin_with("BEGIN IMMEDIATE").await?
        }
        Dialect::Postgres => conn.begin().await?,
    };
    let mut loaded = Loaded::default();
    let exec = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));

    loaded.requests = exec(requests_sql(dialect, n, now)).execute(&mut *tx).await.context("requests")?.rows_affected();
    for sql in audit_sql() {
        loaded.audit_events += exec(sql).execute(&mut *tx).await.context("audit events")?.rows_affected();
    }
    for sql in email_jobs_sql() {
        loaded.jobs += exec(sql).execute(&mut *tx).await.context("email jobs")?.rows_affected();
    }
    loaded.source_runs = exec(source_runs_sql()).execute(&mut *tx).await.context("source runs")?.rows_affected();
    loaded.export_archives =
        exec(archives_sql(now)).execute(&mut *tx).await.context("export archives")?.rows_affected();
    // A million requests tallied one by one (SQLite's triggers run per row), folded as
    // privacyd's sweeper would soon fold them.
    crate::store::fold_request_tallies(&mut tx, dialect).await.context("folding the request tallies")?;
    tx.commit().await?;
    match dialect {
        Dialect::Postgres => {
            sqlx::query("VACUUM ANALYZE").execute(&mut conn).await?;
        }
        // privacyd checkpoints its WAL itself (store::truncate_sqlite_log); fold the load in
        // now, so the database's size is its own.
        Dialect::Sqlite => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await?;
        }
    }
    conn.close().await?;
    Ok(loaded)
}

/// The requests: row `n` is `(N - n) / N` of the span old, so higher numbers are newer.
fn requests_sql(d: Dialect, n: u64, now: i64) -> String {
    let span = SPAN_DAYS * DAY;
    let half = (n / 2).max(1);
    let ms = "(create_time / 1000)";
    let id = [
        d.hex(&format!("({ms} >> 16)"), 8),
        "'-'".into(),
        d.hex(&format!("({ms} & 65535)"), 4),
        "'-7'".into(),
        d.hex("(n % 4096)", 3),
        "'-'".into(),
        d.hex("(32768 + (n / 4096) % 16384)", 4),
        "'-'".into(),
        d.hex("n", 12),
    ]
    .join(" || ");
    // Finished: answered within 1 to 25 days, or half its age if younger than that.
    let answer = format!("(1 + {} % 25) * {DAY}", spread(2_246_822_519));
    let final_states = "('COMPLETED', 'DENIED', 'CANCELLED', 'EXPIRED')";
    format!(
        "{numbers}, \
         aged AS (SELECT n, ({n} - n) * {per_row} + {jitter} * 1000 AS age, \
                  {action_roll} AS action_roll, {state_roll} AS state_roll, {extension_roll} AS extension_roll \
                  FROM seq), \
         stated AS (SELECT n, age, {now} - age AS create_time, \
                    CASE WHEN action_roll < 600 THEN 'EXPORT' ELSE 'ERASE' END AS action, \
                    CASE WHEN age < {DAY} AND state_roll < 60 THEN 'PENDING' \
                         WHEN age < 30 * {DAY} AND state_roll < 110 THEN 'CONFIRMED' \
                         WHEN age < 3 * {DAY} AND state_roll < 130 THEN 'PROCESSING' \
                         WHEN age < 30 * {DAY} AND state_roll < 140 THEN 'FAILED' \
                         WHEN age >= {DAY} AND state_roll < 180 THEN 'EXPIRED' \
                         WHEN state_roll < 220 THEN 'CANCELLED' \
                         WHEN state_roll < 280 THEN 'DENIED' \
                         ELSE 'COMPLETED' END AS state, \
                    CASE WHEN extension_roll < 20 THEN 60 ELSE 0 END AS extension_days \
                    FROM aged), \
         timed AS (SELECT n, age, create_time, action, state, extension_days, \
                   CASE state \
                     WHEN 'PENDING' THEN create_time \
                     WHEN 'EXPIRED' THEN create_time + {DAY} \
                     WHEN 'CONFIRMED' THEN create_time + CASE WHEN age < 2 * {HOUR} THEN age / 2 ELSE {HOUR} END \
                     WHEN 'CANCELLED' THEN create_time + CASE WHEN age < 4 * {DAY} THEN age / 2 ELSE 2 * {DAY} END \
                     WHEN 'FAILED' THEN create_time + CASE WHEN age < 4 * {DAY} THEN age / 2 ELSE 2 * {DAY} END \
                     WHEN 'PROCESSING' THEN create_time + age / 2 \
                     ELSE create_time + CASE WHEN {answer} < age THEN {answer} ELSE age / 2 END END AS update_time \
                   FROM stated) \
         INSERT INTO privacy_requests (id, action, subject_email, subject_email_key, subject_user_id, state, \
           state_reason, create_time, update_time, confirm_time, complete_time, due_time, \
           deadline_extension_days, deadline_extension_reason, token_hash, token_expire_time, token_used_time, \
           idempotency_key, idempotency_digest, scheduled_process_time, subject_purge_time, sources_remove_time, \
           erasure_summary) \
         SELECT {id}, action, email, lower(email), NULL, state, \
           CASE state WHEN 'DENIED' THEN 'manifestly unfounded (GDPR Art. 12(5))' \
                      WHEN 'CANCELLED' THEN 'withdrawn by the subject' \
                      WHEN 'EXPIRED' THEN 'the subject did not confirm before the link expired' \
                      WHEN 'FAILED' THEN 'a data source kept failing' END, \
           create_time, update_time, \
           CASE WHEN state IN ('PENDING', 'EXPIRED') THEN NULL \
                ELSE create_time + CASE WHEN age < 4 * {HOUR} THEN age / 4 ELSE {HOUR} END END, \
           CASE WHEN state = 'COMPLETED' THEN update_time END, \
           create_time + (30 + extension_days) * {DAY}, extension_days, \
           CASE WHEN extension_days > 0 THEN 'complex request: many systems to search' END, \
           replace({id}, '-', '') || replace({id}, '-', ''), create_time + {DAY}, \
           CASE WHEN state IN ('PENDING', 'EXPIRED') THEN NULL \
                ELSE create_time + CASE WHEN age < 4 * {HOUR} THEN age / 4 ELSE {HOUR} END END, \
           NULL, NULL, NULL, NULL, \
           CASE WHEN state IN {final_states} AND update_time < {now} - 30 * {DAY} - {HOUR} \
                THEN update_time + 30 * {DAY} + 60000000 END, \
           CASE WHEN state = 'COMPLETED' AND action = 'ERASE' AND update_time < {now} - 30 * {DAY} - {HOUR} \
                THEN '{{\"outcome\":\"ALL_ERASED\",\"items_removed\":12,\"items_retained\":1,\"verified\":true,\"sources_skipped\":0}}' \
                END \
         FROM (SELECT timed.*, \
                 CASE n % 5 WHEN 0 THEN 'Subject' ELSE 'subject' END || (n % {half}) || '@' || \
                 CASE n % 3 WHEN 0 THEN 'example.com' WHEN 1 THEN 'example.org' ELSE 'mail.example.net' END AS email \
               FROM timed) AS r",
        numbers = d.numbers(n),
        per_row = span / n.max(1) as i64,
        jitter = spread(40_503),
        action_roll = spread(2_654_435_761),
        state_roll = spread(3_266_489_917),
        extension_roll = spread(668_265_263),
    )
}

/// One statement per event a request's history has, each in time order.
fn audit_sql() -> Vec<String> {
    let insert = "INSERT INTO audit_events (request_id, time, actor_kind, actor_id, type, from_state, to_state, \
                  detail, email_kind) ";
    vec![
        format!(
            "{insert} SELECT id, create_time, 'ADMIN', 'bench-admin', 'CREATED', NULL, 'PENDING', '', NULL \
             FROM privacy_requests"
        ),
        format!(
            "{insert} SELECT id, create_time + 1000000, 'SYSTEM', 'mailer', 'EMAIL_SENT', NULL, NULL, '', \
             'confirmation_request' FROM privacy_requests"
        ),
        format!(
            "{insert} SELECT id, confirm_time, 'SUBJECT', '', 'CONFIRMED', 'PENDING', 'CONFIRMED', '', NULL \
             FROM privacy_requests WHERE confirm_time IS NOT NULL"
        ),
        format!(
            "{insert} SELECT id, (confirm_time + update_time) / 2, 'ADMIN', 'bench-admin', 'PROCESSING_STARTED', \
             'CONFIRMED', 'PROCESSING', '', NULL \
             FROM privacy_requests WHERE state IN ('PROCESSING', 'COMPLETED', 'FAILED')"
        ),
        format!(
            "{insert} SELECT id, update_time, CASE state WHEN 'EXPIRED' THEN 'SYSTEM' ELSE 'ADMIN' END, \
             CASE state WHEN 'EXPIRED' THEN 'sweeper' ELSE 'bench-admin' END, state, \
             CASE state WHEN 'EXPIRED' THEN 'PENDING' WHEN 'DENIED' THEN 'CONFIRMED' \
                        WHEN 'CANCELLED' THEN 'CONFIRMED' ELSE 'PROCESSING' END, \
             state, COALESCE(state_reason, ''), NULL \
             FROM privacy_requests WHERE state IN ('COMPLETED', 'DENIED', 'CANCELLED', 'EXPIRED', 'FAILED')"
        ),
    ]
}

/// The emails: every request's confirmation request, and the answer of an answered one.
/// Sent (DONE) jobs, kept past `--job-retention` as retention keeps emails.
fn email_jobs_sql() -> Vec<String> {
    let insert = "INSERT INTO jobs (id, kind, request_id, payload, state, attempts, max_attempts, run_at, \
                  lease_owner, lease_expire_time, last_error, create_time, finish_time) ";
    let job = |number: u32, kind: &str, time: &str, filter: &str| {
        format!(
            "{insert} SELECT substr(id, 1, 24) || '00000000000{number}', 'EMAIL', id, \
             '{{\"email\":\"{kind}\"}}', 'DONE', 1, 5, {time}, NULL, NULL, '', {time}, {time} + 1000000 \
             FROM privacy_requests {filter}"
        )
    };
    vec![
        job(1, "confirmation_request", "create_time", ""),
        job(2, "export_ready", "update_time", "WHERE state = 'COMPLETED' AND action = 'EXPORT'"),
        job(3, "erasure_fulfilled", "update_time", "WHERE state = 'COMPLETED' AND action = 'ERASE'"),
        job(4, "request_denied", "update_time", "WHERE state = 'DENIED'"),
    ]
}

/// Three sources per request that was processed and whose runs retention has not removed.
fn source_runs_sql() -> String {
    "INSERT INTO source_runs (request_id, source_name, position, state, items, bytes, attempts, last_error, \
     start_time, finish_time, update_time) \
     SELECT r.id, s.name, s.position, \
       CASE r.state WHEN 'COMPLETED' THEN 'SUCCEEDED' WHEN 'PROCESSING' THEN 'RUNNING' \
         ELSE CASE s.position WHEN 2 THEN 'FAILED' ELSE 'SUCCEEDED' END END, \
       40 * (s.position + 1), 65536 * (s.position + 1), 1, \
       CASE WHEN r.state = 'FAILED' AND s.position = 2 THEN 'UNAVAILABLE: connection refused' ELSE '' END, \
       (r.confirm_time + r.update_time) / 2, \
       CASE WHEN r.state = 'PROCESSING' THEN NULL ELSE r.update_time END, r.update_time \
     FROM privacy_requests r CROSS JOIN \
       (SELECT 'crm' AS name, 0 AS position UNION ALL SELECT 'billing', 1 UNION ALL SELECT 'support', 2) AS s \
     WHERE r.state IN ('PROCESSING', 'COMPLETED', 'FAILED') AND r.sources_remove_time IS NULL"
        .to_owned()
}

/// Every completed export's archive, deleted once past its 72 h lifetime (`--archive-ttl`).
fn archives_sql(now: i64) -> String {
    format!(
        "INSERT INTO export_archives (request_id, file_name, size_bytes, sha256, create_time, expire_time, \
         delete_time, download_count, download_token_hash) \
         SELECT id, 'privacy-export.zip', 1048576, replace(id, '-', '') || replace(id, '-', ''), update_time, \
           update_time + 72 * {HOUR}, \
           CASE WHEN update_time + 72 * {HOUR} < {now} THEN update_time + 72 * {HOUR} END, 1, NULL \
         FROM privacy_requests WHERE state = 'COMPLETED' AND action = 'EXPORT'"
    )
}
