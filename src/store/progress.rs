//! Source runs and export archives: the parts of a request that processing fills in.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, AssertSqlSafe, Row, Transaction};

use super::{Store, db_error, from_micros, micros, opt_from_micros, placeholders, requests::parse_id};
use crate::domain::{
    ArchiveBuild, Error, ExportArchive, PrivacyRequest, RequestId, SourceName, SourceRun, SourceState, TokenHash,
};

impl Store {
    /// Fills in `sources` and `archive` of each request.
    pub(super) async fn load_progress(&self, requests: &mut [PrivacyRequest]) -> Result<(), Error> {
        if requests.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        Store::load_progress_on(&mut conn, requests).await
    }

    /// [`Store::load_progress`] on a given connection: inside a transaction, the one that
    /// holds it. (Taking a second connection from the pool while holding one deadlocks once as
    /// many transactions as the pool has connections wait for a second.)
    pub(super) async fn load_progress_on(
        conn: &mut AnyConnection,
        requests: &mut [PrivacyRequest],
    ) -> Result<(), Error> {
        if requests.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = requests.iter().map(|r| r.id.to_string()).collect();
        let sql = format!(
            "SELECT request_id, source_name, state, items, bytes, attempts, last_error, start_time, finish_time, \
             erasure, verification, skip_reason, update_time, \
             (SELECT MIN(j.run_at) FROM jobs j WHERE j.request_id = source_runs.request_id \
              AND j.kind IN ('EXPORT_SOURCE', 'ERASE_SOURCE') AND j.state = 'QUEUED' AND j.attempts > 0 \
              AND j.lease_owner IS NULL AND j.payload = '{{\"source\":\"' || source_runs.source_name || '\"}}') AS next_attempt_time \
             FROM source_runs WHERE request_id IN ({}) \
             ORDER BY request_id, position",
            placeholders(ids.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in &ids {
            query = query.bind(id.clone());
        }
        let mut runs: HashMap<RequestId, Vec<SourceRun>> = HashMap::new();
        let mut run_updates: HashMap<RequestId, i64> = HashMap::new();
        for row in query.fetch_all(&mut *conn).await.map_err(db_error)? {
            let id = parse_id(&row.try_get::<String, _>("request_id").map_err(db_error)?)?;
            let mut run = run_from_row(&row)?;
            // A retried source's job waits until its backoff ends; `NewJob::for_source` writes
            // the payload matched above.
            if run.state == SourceState::Pending {
                run.next_attempt_time =
                    opt_from_micros(row.try_get::<Option<i64>, _>("next_attempt_time").map_err(db_error)?);
            }
            runs.entry(id).or_default().push(run);
            if let Some(update) = row.try_get::<Option<i64>, _>("update_time").map_err(db_error)? {
                let latest = run_updates.entry(id).or_insert(update);
                *latest = (*latest).max(update);
            }
        }
        let sql = format!(
            "SELECT request_id, build_id, file_name, size_bytes, sha256, create_time, expire_time, delete_time, \
             download_count FROM export_archives WHERE request_id IN ({})",
            placeholders(ids.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in &ids {
            query = query.bind(id.clone());
        }
        let mut archives: HashMap<RequestId, ExportArchive> = HashMap::new();
        for row in query.fetch_all(&mut *conn).await.map_err(db_error)? {
            let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
            let int = |name: &str| row.try_get::<i64, _>(name).map_err(db_error);
            archives.insert(
                parse_id(&text("request_id")?)?,
                ExportArchive {
                    build: row
                        .try_get::<Option<String>, _>("build_id")
                        .map_err(db_error)?
                        .map(|b| {
                            ArchiveBuild::parse(&b)
                                .ok_or_else(|| Error::Internal(format!("an archive's build id is not one: {b:?}")))
                        })
                        .transpose()?,
                    file_name: text("file_name")?,
                    size_bytes: int("size_bytes")?,
                    sha256: text("sha256")?,
                    create_time: from_micros(int("create_time")?),
                    expire_time: from_micros(int("expire_time")?),
                    delete_time: opt_from_micros(row.try_get::<Option<i64>, _>("delete_time").map_err(db_error)?),
                    download_count: int("download_count")? as i32,
                },
            );
        }
        for request in requests {
            request.sources = runs.remove(&request.id).unwrap_or_default();
            request.archive = archives.remove(&request.id);
            // Progress is written to the runs alone (see `Store::modify_own_run`); the request
            // changed when any part of it did.
            if let Some(update) = run_updates.remove(&request.id) {
                request.update_time = request.update_time.max(from_micros(update));
            }
        }
        Ok(())
    }

    /// A request's runs for work on some of its `sources`: those runs whole, the others with
    /// only what the fan-in rule reads (name, state, attempts, last error). All come aggregated
    /// into one JSON row, in one round trip: a hundred rows cost far more to fetch than one
    /// row holding a hundred, and this runs while the request is locked. On the connection of
    /// the transaction that holds the request (see `load_progress_on`), and as a statement of
    /// its own after the lock is taken, so that it sees what the last holder committed.
    pub(super) async fn load_runs_for(
        conn: &mut AnyConnection,
        dialect: super::Dialect,
        id: RequestId,
        sources: &[SourceName],
    ) -> Result<Vec<SourceRun>, Error> {
        let whole = (2..sources.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let aggregate = match dialect {
            super::Dialect::Sqlite => format!(
                "SELECT json_group_array(json_array(position, source_name, state, attempts, last_error, skip_reason, \
                 json(CASE WHEN source_name IN ({whole}) THEN json_array(items, bytes, start_time, finish_time, \
                 erasure, verification) END))) FROM source_runs WHERE request_id = $1"
            ),
            super::Dialect::Postgres => format!(
                "SELECT json_agg(json_build_array(position, source_name, state, attempts, last_error, skip_reason, \
                 CASE WHEN source_name IN ({whole}) THEN json_build_array(items, bytes, start_time, finish_time, \
                 erasure, verification) END))::text FROM source_runs WHERE request_id = $1"
            ),
        };
        let mut query = sqlx::query_scalar(AssertSqlSafe(aggregate)).bind(id.to_string());
        for source in sources {
            query = query.bind(source.as_str().to_owned());
        }
        let runs: Option<String> = query.fetch_one(&mut *conn).await.map_err(db_error)?;
        /// The whole of the run being worked on: items, bytes, start, finish, erasure, verification.
        type Whole = (i64, i64, Option<i64>, Option<i64>, Option<String>, Option<String>);
        /// A run: position, source, state, attempts, last error, skip reason, and its whole.
        type Aggregated = (i64, String, String, i64, String, Option<String>, Option<Whole>);
        let mut runs: Vec<Aggregated> = match runs {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| Error::Internal(format!("aggregated source runs are not as expected: {e}")))?,
            None => Vec::new(),
        };
        runs.sort_by_key(|(position, ..)| *position);
        runs.into_iter()
            .map(|(_, name, state, attempts, last_error, skip_reason, whole)| {
                let (items, bytes, start_time, finish_time, erasure, verification) = whole.unwrap_or_default();
                Ok(SourceRun {
                    source: SourceName::parse(&name)
                        .map_err(|_| Error::Internal("stored source run has an invalid source name".into()))?,
                    state: state_column(&state, skip_reason.as_deref())?,
                    items,
                    bytes,
                    attempts: attempts as i32,
                    last_error,
                    start_time: opt_from_micros(start_time),
                    finish_time: opt_from_micros(finish_time),
                    erasure: from_json(erasure)?,
                    verification: from_json(verification)?,
                    next_attempt_time: None,
                })
            })
            .collect()
    }

    /// Writes the `sources` and `archive` that differ from what was read (`before_*`): a
    /// change to one source of a request with a hundred must not rewrite the other 99.
    pub(super) async fn save_progress(
        tx: &mut Transaction<'static, Any>,
        request: &PrivacyRequest,
        before_sources: &[SourceRun],
        before_archive: Option<&ExportArchive>,
    ) -> Result<(), Error> {
        for (position, run) in request.sources.iter().enumerate() {
            if before_sources.get(position) == Some(run) {
                continue;
            }
            sqlx::query(
                "INSERT INTO source_runs (request_id, source_name, position, state, items, bytes, attempts, last_error, \
                 start_time, finish_time, erasure, verification, update_time, skip_reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (request_id, source_name) DO UPDATE SET state = $4, items = $5, bytes = $6, \
                 attempts = $7, last_error = $8, start_time = $9, finish_time = $10, erasure = $11, \
                 verification = $12, update_time = $13, skip_reason = $14",
            )
            .bind(request.id.to_string())
            .bind(run.source.as_str().to_owned())
            .bind(position as i32)
            .bind(run.state.as_str())
            .bind(run.items)
            .bind(run.bytes)
            .bind(run.attempts)
            .bind(run.last_error.clone())
            .bind(run.start_time.map(micros))
            .bind(run.finish_time.map(micros))
            .bind(to_json(&run.erasure)?)
            .bind(to_json(&run.verification)?)
            .bind(micros(request.update_time))
            .bind(run.state.skip_reason().map(|r| r.as_str().to_owned()))
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        }
        if let Some(archive) = request.archive.as_ref().filter(|a| Some(*a) != before_archive) {
            sqlx::query(
                "INSERT INTO export_archives (request_id, file_name, size_bytes, sha256, create_time, expire_time, \
                 delete_time, download_count, build_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (request_id) DO UPDATE SET file_name = $2, size_bytes = $3, sha256 = $4, \
                 create_time = $5, expire_time = $6, delete_time = $7, download_count = $8, build_id = $9",
            )
            .bind(request.id.to_string())
            .bind(archive.file_name.clone())
            .bind(archive.size_bytes)
            .bind(archive.sha256.clone())
            .bind(micros(archive.create_time))
            .bind(micros(archive.expire_time))
            .bind(archive.delete_time.map(micros))
            .bind(archive.download_count)
            .bind(archive.build.map(|b| b.to_string()))
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        }
        Ok(())
    }

    /// Records a running source's counts so far, for live progress. Only the run's row is
    /// written: the request's stays free for the other sources.
    pub async fn update_source_progress(
        &self,
        id: RequestId,
        source: &SourceName,
        items: i64,
        bytes: i64,
    ) -> Result<(), Error> {
        let mut tx = self.begin_progress_write().await?;
        sqlx::query(
            "UPDATE source_runs SET items = $3, bytes = $4, update_time = $5 \
             WHERE request_id = $1 AND source_name = $2 AND state = 'RUNNING'",
        )
        .bind(id.to_string())
        .bind(source.as_str().to_owned())
        .bind(items)
        .bind(bytes)
        .bind(micros(crate::domain::now()))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        self.announce(id);
        Ok(())
    }

    /// The bytes each of a request's sources has on disk for its export: the counts of those
    /// streaming, as of their last progress, and the totals of those that succeeded. A source
    /// waiting for its next attempt, or failed for good, has none: a failed attempt's spool
    /// is removed (its run keeps the count it reached, to show how far it got).
    pub async fn source_bytes(&self, id: RequestId) -> Result<HashMap<SourceName, u64>, Error> {
        let rows = sqlx::query(
            "SELECT source_name, bytes FROM source_runs WHERE request_id = $1 AND state IN ('RUNNING', 'SUCCEEDED')",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut bytes = HashMap::with_capacity(rows.len());
        for row in rows {
            let name: String = row.try_get("source_name").map_err(db_error)?;
            let name = SourceName::parse(&name)
                .map_err(|_| Error::Internal(format!("unexpected source name {name:?} in source_runs")))?;
            bytes.insert(name, row.try_get::<i64, _>("bytes").map_err(db_error)?.max(0) as u64);
        }
        Ok(bytes)
    }

    /// Stores the hash of a newly issued download token, replacing (revoking) the last one.
    pub async fn set_download_token(&self, id: RequestId, hash: TokenHash) -> Result<(), Error> {
        sqlx::query("UPDATE export_archives SET download_token_hash = $2 WHERE request_id = $1")
            .bind(id.to_string())
            .bind(hash.to_hex())
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    pub async fn download_token(&self, id: RequestId) -> Result<Option<TokenHash>, Error> {
        let hash: Option<Option<String>> =
            sqlx::query_scalar("SELECT download_token_hash FROM export_archives WHERE request_id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(hash.flatten().and_then(|h| TokenHash::from_hex(&h)))
    }

    /// Requests whose archive expired at `now` and still has its file.
    pub async fn expired_archives(&self, now: crate::domain::Timestamp, limit: u32) -> Result<Vec<RequestId>, Error> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT request_id FROM export_archives WHERE delete_time IS NULL AND expire_time <= $1 \
             ORDER BY expire_time LIMIT $2",
        )
        .bind(micros(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        ids.iter().map(|id| parse_id(id)).collect()
    }
}

fn run_from_row(row: &sqlx::any::AnyRow) -> Result<SourceRun, Error> {
    let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
    let int = |name: &str| row.try_get::<i64, _>(name).map_err(db_error);
    let opt_int = |name: &str| row.try_get::<Option<i64>, _>(name).map_err(db_error);
    let opt_text = |name: &str| row.try_get::<Option<String>, _>(name).map_err(db_error);
    Ok(SourceRun {
        source: SourceName::parse(&text("source_name")?)
            .map_err(|_| Error::Internal("stored source run has an invalid source name".into()))?,
        state: state_column(&text("state")?, opt_text("skip_reason")?.as_deref())?,
        items: int("items")?,
        bytes: int("bytes")?,
        attempts: int("attempts")? as i32,
        last_error: text("last_error")?,
        start_time: opt_from_micros(opt_int("start_time")?),
        finish_time: opt_from_micros(opt_int("finish_time")?),
        erasure: from_json(opt_text("erasure")?)?,
        verification: from_json(opt_text("verification")?)?,
        next_attempt_time: None,
    })
}

/// A run's state from its two columns: `state`, and `skip_reason` for SKIPPED.
fn state_column(state: &str, skip_reason: Option<&str>) -> Result<SourceState, Error> {
    SourceState::parse(state, skip_reason).ok_or_else(|| {
        Error::Internal(format!("unexpected state {state:?} with skip_reason {skip_reason:?} in source_runs"))
    })
}

/// Erasure results are stored as JSON: nested, read back whole, never queried into.
fn to_json<T: serde::Serialize>(value: &Option<T>) -> Result<Option<String>, Error> {
    value
        .as_ref()
        .map(|v| serde_json::to_string(v).map_err(|e| Error::Internal(format!("encoding a source run: {e}"))))
        .transpose()
}

fn from_json<T: serde::de::DeserializeOwned>(text: Option<String>) -> Result<Option<T>, Error> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| Error::Internal(format!("stored source run: {e}")))).transpose()
}
