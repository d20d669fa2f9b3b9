//! Persistence. One `Store` serves SQLite (the embedded default) and PostgreSQL (production)
//! through sqlx's `Any` driver: the SQL is written once, in the common subset of the two
//! dialects, and [`Dialect`] covers the few places they differ (DDL, row locks).

mod audit;
mod batch;
mod console_sessions;
mod gauges;
mod jobs;
mod progress;
mod receipts;
mod requests;
mod retention;
mod self_service;
mod sources;
mod watch;

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    Any, AnyPool, Transaction,
    any::AnyPoolOptions,
    migrate::{Migration, MigrationType, Migrator},
};
use tokio::sync::broadcast;

use crate::{
    domain::{Error, RequestId, Timestamp},
    keys::Keys,
    metrics::Metrics,
};

pub use crate::domain::ListFilter;
pub use console_sessions::{NewConsoleSession, StoredConsoleSession};
pub use gauges::{DUE_SOON, Gauges, JOBS_SQL, JobQueue, OPEN_REQUESTS_SQL, REQUESTS_SQL, RequestCount};
pub use jobs::{ClaimedJob, JobKind, JobRecord, NewJob};
pub(crate) use requests::fold_request_tallies;
pub use requests::{
    Bound, Change, CreateOutcome, FEW_MATCHES, Planner, RequestCursor, Statement, count_statement, list_statement,
};
pub use retention::{INDEXED_STATEMENTS, RetentionCursor, RetentionStep};
pub use watch::WATCH_BATCH;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A handle on the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// Reads, and on PostgreSQL writes too.
    pool: AnyPool,
    /// Writes. On SQLite a single connection: SQLite has one writer at a time anyway, and
    /// queueing writers here avoids `SQLITE_BUSY` from transactions racing to upgrade their
    /// locks. On PostgreSQL the same pool as `pool`.
    writer: AnyPool,
    dialect: Dialect,
    /// Every committed change to a request is announced here, so watchers on this replica
    /// wake at once (watchers also poll, for changes made by other replicas).
    changes: broadcast::Sender<RequestId>,
    /// Writes to sources' parts of requests, waiting to be batched (see `batch`).
    run_writes: batch::RunWriteQueues,
    /// The keys secrets are encrypted with at rest and receipts are signed with. Held here,
    /// beside the rows they protect, so that every component that reads a source gets its
    /// token in clear and no code path can write one unencrypted. `None` on a store opened
    /// without keys (tools, tests): it refuses to read or write tokens and to issue receipts.
    keys: Option<Arc<Keys>>,
    /// Where the jobs and calls that reach the store through it count what they do (see
    /// `metrics`); a store opened without `with_metrics` counts into a set nobody serves.
    metrics: Metrics,
}

impl Store {
    /// Connects, and brings the schema up to date. `url` is `sqlite://path` or
    /// `postgres://...`.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            anyhow::bail!("database URL must start with sqlite: or postgres:");
        };
        let (pool, writer) = match dialect {
            Dialect::Sqlite => {
                // Create the file on first start; the URL may already carry options.
                let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
                make_sqlite_files_private(&url)?;
                let options = || {
                    AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30)).after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; NORMAL sync is durable
                            // across application crashes (the WAL is fsynced at checkpoints).
                            // No checkpoints on commit: they fsync, and the single writer
                            // would wait for the disk while every job queues behind it. A
                            // background task checkpoints instead (see `checkpoint_sqlite`).
                            // secure_delete: a deleted row's bytes are overwritten with zeros,
                            // not left in a free page for anyone with the file to read (a
                            // deleted request's email address, issue 10, item 12).
                            sqlx::raw_sql(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                                     PRAGMA wal_autocheckpoint = 0; PRAGMA secure_delete = ON;",
                            )
                            .execute(conn)
                            .await?;
                            Ok(())
                        })
                    })
                };
                let writer = options().max_connections(1).connect(&url).await?;
                let pool = options().max_connections(max_connections.max(2)).connect(&url).await?;
                tokio::spawn(checkpoint_sqlite(pool.clone()));
                (pool, writer)
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let store = Store {
            pool,
            writer,
            dialect,
            changes: broadcast::channel(1024).0,
            run_writes: Default::default(),
            keys: None,
            metrics: Metrics::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        // Per dialect where the SQL differs (0001: identity columns, triggers); shared where
        // the common subset suffices.
        let migrations: &[(i64, &str, &'static str)] = match self.dialect {
            Dialect::Sqlite => &[
                (1, "init", include_str!("../../migrations/sqlite/0001_init.sql")),
                (2, "data_sources", include_str!("../../migrations/common/0002_data_sources.sql")),
                (3, "processing", include_str!("../../migrations/common/0003_processing.sql")),
                (4, "erasure", include_str!("../../migrations/common/0004_erasure.sql")),
                (5, "receipts_immutable", include_str!("../../migrations/sqlite/0005_receipts_immutable.sql")),
                (6, "run_update_time", include_str!("../../migrations/common/0006_run_update_time.sql")),
                (7, "keys", include_str!("../../migrations/common/0007_keys.sql")),
                (8, "registry_audit", include_str!("../../migrations/common/0008_registry_audit.sql")),
                (9, "skipped_sources", include_str!("../../migrations/common/0009_skipped_sources.sql")),
                (10, "source_timeouts", include_str!("../../migrations/common/0010_source_timeouts.sql")),
                (11, "retention", include_str!("../../migrations/common/0011_retention.sql")),
                (12, "source_limits", include_str!("../../migrations/sqlite/0012_source_limits.sql")),
                (13, "jobs_by_lease_owner", include_str!("../../migrations/common/0013_jobs_by_lease_owner.sql")),
                (14, "requests_by_state", include_str!("../../migrations/common/0014_requests_by_state.sql")),
                (15, "job_trace_context", include_str!("../../migrations/common/0015_job_trace_context.sql")),
                (16, "console_sessions", include_str!("../../migrations/common/0016_console_sessions.sql")),
                (17, "self_service", include_str!("../../migrations/common/0017_self_service.sql")),
                (18, "console_list", include_str!("../../migrations/common/0018_console_list.sql")),
                (19, "stored_requests", include_str!("../../migrations/sqlite/0019_stored_requests.sql")),
                // SQLite only: PostgreSQL's trigram index came with 0019 (pg_trgm).
                (20, "email_trigrams", include_str!("../../migrations/sqlite/0020_email_trigrams.sql")),
                (21, "request_tallies", include_str!("../../migrations/sqlite/0021_request_tallies.sql")),
                (22, "trigram_merges", include_str!("../../migrations/sqlite/0022_trigram_merges.sql")),
                (23, "archive_builds", include_str!("../../migrations/common/0023_archive_builds.sql")),
            ],
            Dialect::Postgres => &[
                (1, "init", include_str!("../../migrations/postgres/0001_init.sql")),
                (2, "data_sources", include_str!("../../migrations/common/0002_data_sources.sql")),
                (3, "processing", include_str!("../../migrations/common/0003_processing.sql")),
                (4, "erasure", include_str!("../../migrations/common/0004_erasure.sql")),
                (5, "receipts_immutable", include_str!("../../migrations/postgres/0005_receipts_immutable.sql")),
                (6, "run_update_time", include_str!("../../migrations/common/0006_run_update_time.sql")),
                (7, "keys", include_str!("../../migrations/common/0007_keys.sql")),
                (8, "registry_audit", include_str!("../../migrations/common/0008_registry_audit.sql")),
                (9, "skipped_sources", include_str!("../../migrations/common/0009_skipped_sources.sql")),
                (10, "source_timeouts", include_str!("../../migrations/common/0010_source_timeouts.sql")),
                (11, "retention", include_str!("../../migrations/common/0011_retention.sql")),
                (12, "source_limits", include_str!("../../migrations/postgres/0012_source_limits.sql")),
                (13, "jobs_by_lease_owner", include_str!("../../migrations/common/0013_jobs_by_lease_owner.sql")),
                (14, "requests_by_state", include_str!("../../migrations/common/0014_requests_by_state.sql")),
                (15, "job_trace_context", include_str!("../../migrations/common/0015_job_trace_context.sql")),
                (16, "console_sessions", include_str!("../../migrations/common/0016_console_sessions.sql")),
                (17, "self_service", include_str!("../../migrations/common/0017_self_service.sql")),
                (18, "console_list", include_str!("../../migrations/common/0018_console_list.sql")),
                (19, "stored_requests", include_str!("../../migrations/postgres/0019_stored_requests.sql")),
                (21, "request_tallies", include_str!("../../migrations/postgres/0021_request_tallies.sql")),
                (23, "archive_builds", include_str!("../../migrations/common/0023_archive_builds.sql")),
            ],
        };
        // sqlx's migrator takes a lock (an advisory lock on PostgreSQL), so replicas starting
        // together apply each migration once.
        let migrator = Migrator::with_migrations(
            migrations
                .iter()
                .map(|(version, name, sql)| {
                    Migration::new(
                        *version,
                        (*name).into(),
                        MigrationType::Simple,
                        sqlx::SqlSafeStr::into_sql_str(*sql),
                        false,
                    )
                })
                .collect(),
        );
        migrator.run(&self.writer).await?;
        Ok(())
    }

    /// This store with `keys` to encrypt secrets and sign receipts with.
    pub fn with_keys(mut self, keys: Arc<Keys>) -> Self {
        self.keys = Some(keys);
        self
    }

    /// The keys, or an error saying this store was opened without them.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn keys(&self) -> Result<&Keys, Error> {
        self.keys.as_deref().ok_or_else(|| Error::Internal("this store was opened without privacyd's keys".into()))
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Subscribes to the ids of requests that change on this replica.
    pub fn subscribe(&self) -> broadcast::Receiver<RequestId> {
        self.changes.subscribe()
    }

    /// Marks a request as changed. Every write that concerns a request goes through its row,
    /// which serialises them and keeps the request's audit events in commit order.
    async fn touch_request(tx: &mut Transaction<'static, Any>, id: RequestId, now: Timestamp) -> Result<(), Error> {
        sqlx::query("UPDATE privacy_requests SET update_time = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(micros(now))
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    fn announce(&self, id: RequestId) {
        // No receivers is normal: nobody is watching.
        let _ = self.changes.send(id);
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Any>, Error> {
        match self.dialect {
            // Take SQLite's write lock up front: a deferred transaction that reads and then
            // writes cannot wait for another process's writer (busy_timeout does not apply to
            // the upgrade) and fails with "database is locked" instead.
            Dialect::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(db_error),
            Dialect::Postgres => self.writer.begin().await.map_err(db_error),
        }
    }

    /// [`Store::begin_write`] for a source's live progress counts alone, which commit without
    /// waiting for the fsync (`synchronous_commit` off): one lost to a crash of the database is
    /// rewritten by the next or by a successful end (a failed run may keep a stale count).
    /// Nothing else may commit this way. A commit PostgreSQL acknowledged and then lost with a
    /// crash is a write the caller believes done: when the run writes (a source's end)
    /// committed so, the executor recorded the job as done on the restarted database, and the
    /// source's run stayed RUNNING for good, its request never finishing (found by the chaos
    /// run, 2026-12-01; see `batch::tests::acknowledged_run_writes_survive_a_crash_of_the_database`).
    async fn begin_progress_write(&self) -> Result<Transaction<'static, Any>, Error> {
        match self.dialect {
            Dialect::Sqlite => self.begin_write().await,
            // One round trip for both.
            Dialect::Postgres => {
                self.writer.begin_with("BEGIN; SET LOCAL synchronous_commit TO OFF").await.map_err(db_error)
            }
        }
    }

    /// Closes the pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// Cheap round trip, for readiness.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(db_error)
    }
}

/// Creates the SQLite database file 0600 before SQLite does (it would create it 0644 under the
/// usual umask; its `-wal` and `-shm` files take the database file's mode), and tightens an
/// existing one and its companions, saying so in the log. An in-memory database has no file.
fn make_sqlite_files_private(url: &str) -> anyhow::Result<()> {
    use crate::private_files::{FILE_MODE, create_new_file, tighten_if_present};
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    let path = options.get_filename();
    if url.contains(":memory:") || url.contains("mode=memory") || path.as_os_str().is_empty() {
        return Ok(());
    }
    create_new_file(path).map_err(|e| anyhow::anyhow!("creating the database file {}: {e}", path.display()))?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = std::path::PathBuf::from(file);
        if tighten_if_present(&file, FILE_MODE)? {
            tracing::warn!(file = %file.display(), "the database file was readable by other users; its mode is now 0600");
        }
    }
    Ok(())
}

/// After personal data was deleted: a TRUNCATE checkpoint copies the write-ahead log's pages
/// (with `secure_delete`'s zeros) into the database file and empties the log, whose older
/// frames still hold the rows as they were. It waits (`busy_timeout`) for readers on older
/// snapshots; if one outlasts that, the log keeps the frames until the next truncation, and
/// this says so. Nothing to do on PostgreSQL, whose dead rows go at VACUUM.
pub(crate) async fn truncate_sqlite_log(pool: &AnyPool) {
    match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(pool).await {
        Ok((0, _, _)) => {}
        Ok(_) => {
            tracing::warn!("a reader kept the SQLite log from being truncated after a delete; it will be at the next")
        }
        Err(err) => tracing::warn!(error = %err, "truncating the SQLite log after a delete failed"),
    }
}

/// Moves SQLite's write-ahead log into the database file once a second, beside the writer
/// rather than in its way: a PASSIVE checkpoint waits for no reader or writer, and its fsync
/// blocks only this task. Ends when the store is closed.
async fn checkpoint_sqlite(pool: AnyPool) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %err, "checkpointing the SQLite log failed");
        }
    }
}

/// Maps a database error to the domain: connection trouble is UNAVAILABLE (retryable), the
/// rest is internal. Never includes bound values, which may be personal data.
pub(crate) fn db_error(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            Error::Unavailable(err.to_string())
        }
        _ => Error::Internal(format!("database: {err}")),
    }
}

pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// "$1, $2, ..., $n" for an IN list: only placeholders are generated; every value is bound.
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(v: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_micros(v).unwrap_or_default()
}

pub(crate) fn opt_from_micros(v: Option<i64>) -> Option<Timestamp> {
    v.map(from_micros)
}

/// Decodes a text column into a domain enum, failing loudly on values no version of privacyd
/// writes (a corrupted or hand-edited row).
pub(crate) fn parse_column<T>(column: &str, raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, Error> {
    parse(raw).ok_or_else(|| Error::Internal(format!("unexpected value {raw:?} in column {column}")))
}

impl FromStr for Dialect {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sqlite" => Ok(Dialect::Sqlite),
            "postgres" => Ok(Dialect::Postgres),
            other => anyhow::bail!("unknown database backend {other:?}"),
        }
    }
}
