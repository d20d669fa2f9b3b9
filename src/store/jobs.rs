//! The durable job queue behind the executor. Jobs are rows; a replica claims a batch by
//! leasing it (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so replicas never block on or
//! double-claim each other's jobs), and a job whose lease lapses, because the replica running
//! it died, becomes claimable again.

use std::collections::HashMap;

use sqlx::{Any, AssertSqlSafe, Row, Transaction};
use uuid::Uuid;

use super::{
    Dialect, Store, db_error, from_micros, micros, opt_from_micros, parse_column, placeholders,
    requests::{append_event, parse_id},
};
use crate::domain::{DeliveryState, EmailDelivery, EmailKind, Error, NewAuditEvent, RequestId, SourceName, Timestamp};

/// The PostgreSQL advisory lock that serializes claims across replicas ("privacyd" "claim" in
/// ASCII); sqlx's migrator takes a different one.
const CLAIM_LOCK: i64 = 0x7072_6976_636c_6169;

/// What a job does. Stored as text; the executor has one handler per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Send one email about a request; the payload names the [`EmailKind`].
    Email,
    /// Export one data source's data for a request; the payload names the source.
    ExportSource,
    /// Build the export archive from the sources' spools.
    AssembleExport,
    /// Erase one data source's data for a request, then verify; the payload names the source.
    EraseSource,
    /// Start an erasure whose cooling-off period has passed.
    StartErasure,
    /// Complete an erasure whose sources all succeeded.
    FinishErasure,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Email => "EMAIL",
            JobKind::ExportSource => "EXPORT_SOURCE",
            JobKind::AssembleExport => "ASSEMBLE_EXPORT",
            JobKind::EraseSource => "ERASE_SOURCE",
            JobKind::StartErasure => "START_ERASURE",
            JobKind::FinishErasure => "FINISH_ERASURE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "EMAIL" => Some(JobKind::Email),
            "EXPORT_SOURCE" => Some(JobKind::ExportSource),
            "ASSEMBLE_EXPORT" => Some(JobKind::AssembleExport),
            "ERASE_SOURCE" => Some(JobKind::EraseSource),
            "START_ERASURE" => Some(JobKind::StartErasure),
            "FINISH_ERASURE" => Some(JobKind::FinishErasure),
            _ => None,
        }
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: JobKind,
    pub request_id: RequestId,
    /// Never personal data or secrets: the job's handler reads those from the request when it
    /// runs.
    pub payload: serde_json::Value,
    pub max_attempts: i32,
    /// Not before this time; `None` for as soon as possible.
    pub run_at: Option<Timestamp>,
    /// The trace the job continues; `None` for the current span's, read as it is queued.
    /// Set where the job is made on a task other than its cause's (see `batch`).
    pub trace_context: Option<crate::traces::StoredContext>,
}

impl NewJob {
    pub fn email(request_id: RequestId, kind: EmailKind, max_attempts: i32) -> Self {
        NewJob {
            kind: JobKind::Email,
            request_id,
            payload: serde_json::json!({ "email": kind.as_str() }),
            max_attempts,
            run_at: None,
            trace_context: None,
        }
    }

    /// One job per data source: the fan-out that exports (and erasures) share.
    pub fn for_source(kind: JobKind, request_id: RequestId, source: &SourceName, max_attempts: i32) -> Self {
        NewJob {
            kind,
            request_id,
            payload: serde_json::json!({ "source": source.as_str() }),
            max_attempts,
            run_at: None,
            trace_context: None,
        }
    }

    pub fn source(payload: &serde_json::Value) -> Option<SourceName> {
        payload.get("source")?.as_str().and_then(|s| SourceName::parse(s).ok())
    }

    pub fn assemble_export(request_id: RequestId) -> Self {
        NewJob {
            kind: JobKind::AssembleExport,
            request_id,
            payload: serde_json::json!({}),
            max_attempts: 5,
            run_at: None,
            trace_context: None,
        }
    }

    pub fn finish_erasure(request_id: RequestId) -> Self {
        NewJob {
            kind: JobKind::FinishErasure,
            request_id,
            payload: serde_json::json!({}),
            max_attempts: 10,
            run_at: None,
            trace_context: None,
        }
    }

    /// Starts a scheduled erasure at `at`.
    pub fn start_erasure(request_id: RequestId, at: Timestamp) -> Self {
        NewJob {
            kind: JobKind::StartErasure,
            request_id,
            payload: serde_json::json!({}),
            max_attempts: 10,
            run_at: Some(at),
            trace_context: None,
        }
    }

    pub fn email_kind(payload: &serde_json::Value) -> Option<EmailKind> {
        payload.get("email")?.as_str().and_then(EmailKind::parse)
    }
}

/// A job this replica has leased and must finish (or let the lease lapse).
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    pub kind: JobKind,
    pub request_id: RequestId,
    pub payload: serde_json::Value,
    /// Including this one.
    pub attempts: i32,
    pub max_attempts: i32,
    /// The trace of the call or job that queued this one, if it was traced.
    pub trace_context: Option<crate::traces::StoredContext>,
}

/// How a job attempt ended, as the executor records it.
#[derive(Debug, Clone)]
pub enum JobRecord {
    Done,
    /// Try again at the given time.
    Retry {
        error: String,
        run_at: Timestamp,
    },
    /// Give up.
    Failed {
        error: String,
    },
}

const QUEUED: &str = "QUEUED";
const DONE: &str = "DONE";
const FAILED: &str = "FAILED";
/// Stopped with its request (a cancellation while PROCESSING). A running one keeps its lease
/// until its replica notices and lets go, so that the request's files are removed only after.
const CANCELLED: &str = "CANCELLED";

impl Store {
    pub(super) async fn enqueue(
        &self,
        tx: &mut Transaction<'static, Any>,
        job: &NewJob,
        now: Timestamp,
    ) -> Result<(), Error> {
        // The trace of whatever queues the job (a call, or another job), read here rather than
        // passed by each caller, so no way of queueing a job can forget it.
        let trace_context = job.trace_context.clone().or_else(crate::traces::StoredContext::current);
        sqlx::query(
            "INSERT INTO jobs (id, kind, request_id, payload, state, attempts, max_attempts, create_time, \
             run_at, trace_context, source) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $10)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(job.kind.as_str())
        .bind(job.request_id.to_string())
        .bind(job.payload.to_string())
        .bind(QUEUED)
        .bind(job.max_attempts)
        .bind(micros(now))
        .bind(micros(job.run_at.unwrap_or(now)))
        .bind(trace_context.as_ref().map(|c| c.as_str().to_owned()))
        .bind(NewJob::source(&job.payload).map(|source| source.as_str().to_owned()))
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Leases up to `limit` due jobs to `owner` until `lease_until`, oldest first, but no more
    /// of a data source's jobs than its `max_concurrent_calls` leaves room for beside those of
    /// its jobs that hold a lease already (on any replica). A job runs its source's calls one
    /// after another, so this bounds the calls in flight to the source across the replicas,
    /// and a job over the limit stays queued, holding nothing, until one of its source's jobs
    /// ends. On PostgreSQL claims take a transaction-level advisory lock, so two replicas
    /// claiming at once cannot both fill the same room; SQLite has one writer.
    pub async fn claim_jobs(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>, Error> {
        // `place` numbers each source's due jobs oldest first; `leased` counts its jobs that
        // run now (only running jobs hold a lease: finishing, retrying and letting go of a
        // cancelled job clear it). A source deleted meanwhile has the default limit: its jobs
        // only fail. The outer conditions are checked again on PostgreSQL against a row
        // another transaction changed since the statement's snapshot.
        const CLAIM: &str = "UPDATE jobs SET lease_owner = $1, lease_expire_time = $2, attempts = attempts + 1 \
             WHERE state = 'QUEUED' AND (lease_expire_time IS NULL OR lease_expire_time < $3) AND id IN ( \
               WITH due AS ( \
                 SELECT id, source, run_at, \
                   ROW_NUMBER() OVER (PARTITION BY source ORDER BY run_at, id) AS place \
                 FROM jobs WHERE state = 'QUEUED' AND run_at <= $3 \
                 AND (lease_expire_time IS NULL OR lease_expire_time < $3)), \
               leased AS ( \
                 SELECT source, COUNT(*) AS calls FROM jobs \
                 WHERE source IS NOT NULL AND lease_expire_time IS NOT NULL AND lease_expire_time >= $3 \
                 GROUP BY source) \
               SELECT due.id FROM due \
               LEFT JOIN data_sources ON data_sources.name = due.source \
               LEFT JOIN leased ON leased.source = due.source \
               WHERE due.source IS NULL \
                 OR due.place + COALESCE(leased.calls, 0) <= COALESCE(data_sources.max_concurrent_calls, $5) \
               ORDER BY due.run_at, due.id LIMIT $4) \
             RETURNING id, kind, request_id, payload, attempts, max_attempts, trace_context";
        let mut tx = self.begin_write().await?;
        if self.dialect == Dialect::Postgres {
            // Selected from, so the statement returns a type sqlx's Any driver reads (the
            // function returns void).
            sqlx::query("SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock($1)) AS claim_lock")
                .bind(CLAIM_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        let rows = sqlx::query(CLAIM)
            .bind(owner.to_owned())
            .bind(micros(lease_until))
            .bind(micros(now))
            .bind(i64::from(limit))
            .bind(i64::from(crate::domain::MaxConcurrentCalls::DEFAULT.get()))
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
                let payload = serde_json::from_str(&text("payload")?)
                    .map_err(|e| Error::Internal(format!("job payload is not JSON: {e}")))?;
                Ok(ClaimedJob {
                    id: text("id")?,
                    kind: parse_column("kind", &text("kind")?, JobKind::parse)?,
                    request_id: parse_id(&text("request_id")?)?,
                    payload,
                    attempts: row.try_get::<i64, _>("attempts").map_err(db_error)? as i32,
                    max_attempts: row.try_get::<i64, _>("max_attempts").map_err(db_error)? as i32,
                    trace_context: row
                        .try_get::<Option<String>, _>("trace_context")
                        .map_err(db_error)?
                        .as_deref()
                        .and_then(crate::traces::StoredContext::parse),
                })
            })
            .collect()
    }

    /// Records how a job attempt ended, with the audit events its handler produced, in one
    /// transaction. Only the lease holder may finish a job: a replica that lost its lease (it
    /// stalled past it and another replica took over) changes nothing and gets `false`.
    pub async fn finish_job(
        &self,
        job: &ClaimedJob,
        owner: &str,
        record: &JobRecord,
        events: &[NewAuditEvent],
        now: Timestamp,
    ) -> Result<bool, Error> {
        let (state, error, run_at, finish) = match record {
            JobRecord::Done => (DONE, String::new(), None, Some(micros(now))),
            JobRecord::Retry { error, run_at } => (QUEUED, error.clone(), Some(micros(*run_at)), None),
            JobRecord::Failed { error } => (FAILED, error.clone(), None, Some(micros(now))),
        };
        let mut tx = self.begin_write().await?;
        // Events lock the request (watchers rely on each request's audit events being in
        // commit order) and so does an email's outcome, which the request shows. Other jobs
        // recorded what they did through the request already; their end is the executor's
        // business, and a hundred sources ending together must not queue for one row lock.
        // The request's row is taken before the job's, the order every other write that
        // touches both takes them (a deletion's cascade, a cancellation): the other way round
        // PostgreSQL found a deadlock between an email job ending and its request being
        // deleted, and aborted the deletion ("internal error", console_list_api's batch test
        // under load; tests/api/job_lock_order.rs).
        if !events.is_empty() || job.kind == JobKind::Email {
            Store::touch_request(&mut tx, job.request_id, now).await?;
        }
        let updated = sqlx::query(
            "UPDATE jobs SET state = $3, last_error = $4, run_at = COALESCE($5, run_at), finish_time = $6, \
             lease_owner = NULL, lease_expire_time = NULL WHERE id = $1 AND lease_owner = $2",
        )
        .bind(job.id.clone())
        .bind(owner.to_owned())
        .bind(state)
        .bind(error)
        .bind(run_at)
        .bind(finish)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected();
        if updated == 0 {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        for event in events {
            append_event(&mut tx, event).await?;
        }
        tx.commit().await.map_err(db_error)?;
        self.announce(job.request_id);
        Ok(true)
    }

    /// Cancels every unfinished job of a request but its emails, in the caller's transaction.
    pub(super) async fn cancel_jobs(
        tx: &mut Transaction<'static, Any>,
        request_id: RequestId,
        now: Timestamp,
    ) -> Result<(), Error> {
        sqlx::query(
            "UPDATE jobs SET state = $2, last_error = 'the request was cancelled', finish_time = $3 \
             WHERE request_id = $1 AND state = $4 AND kind <> 'EMAIL'",
        )
        .bind(request_id.to_string())
        .bind(CANCELLED)
        .bind(micros(now))
        .bind(QUEUED)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Whether a running job was cancelled with its request (or its request deleted), so its
    /// replica should stop it. A read on the pool: each running job asks about once a poll
    /// interval.
    /// The ids of the jobs leased to `owner` that are not cancelled: a running job missing
    /// from them was cancelled, or its row is gone (a deleted request), or its lease lost.
    pub async fn live_jobs(&self, owner: &str) -> Result<std::collections::HashSet<String>, Error> {
        sqlx::query_scalar("SELECT id FROM jobs WHERE lease_owner = $1 AND state <> 'CANCELLED'")
            .bind(owner.to_owned())
            .fetch_all(&self.pool)
            .await
            .map(|ids| ids.into_iter().collect())
            .map_err(db_error)
    }

    pub async fn job_cancelled(&self, job_id: &str) -> Result<bool, Error> {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1")
            .bind(job_id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(state.is_none_or(|state| state == CANCELLED))
    }

    /// The replica that ran a cancelled job has stopped it: it lets go of the lease.
    pub async fn release_cancelled_job(&self, job_id: &str, owner: &str) -> Result<(), Error> {
        sqlx::query("UPDATE jobs SET lease_owner = NULL, lease_expire_time = NULL WHERE id = $1 AND lease_owner = $2")
            .bind(job_id.to_owned())
            .bind(owner.to_owned())
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// How many of a request's cancelled jobs may still be running somewhere: their replica
    /// holds an unexpired lease and has not yet noticed.
    pub async fn cancelled_jobs_running(&self, request_id: RequestId, now: Timestamp) -> Result<i64, Error> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE request_id = $1 AND state = $2 AND lease_owner IS NOT NULL \
             AND lease_expire_time > $3",
        )
        .bind(request_id.to_string())
        .bind(CANCELLED)
        .bind(micros(now))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)
    }

    /// Extends the lease of a job still running, so long jobs are not taken over.
    pub async fn renew_lease(&self, job_id: &str, owner: &str, lease_until: Timestamp) -> Result<bool, Error> {
        let updated = sqlx::query("UPDATE jobs SET lease_expire_time = $3 WHERE id = $1 AND lease_owner = $2")
            .bind(job_id.to_owned())
            .bind(owner.to_owned())
            .bind(micros(lease_until))
            .execute(&self.writer)
            .await
            .map_err(db_error)?
            .rows_affected();
        Ok(updated == 1)
    }

    /// The email jobs of each of `ids`, oldest first.
    pub(super) async fn email_deliveries(
        &self,
        ids: &[RequestId],
    ) -> Result<HashMap<RequestId, Vec<EmailDelivery>>, Error> {
        let mut out: HashMap<RequestId, Vec<EmailDelivery>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT request_id, payload, state, attempts, last_error, create_time, finish_time, run_at \
             FROM jobs WHERE kind = 'EMAIL' AND request_id IN ({}) ORDER BY create_time, id",
            placeholders(ids.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.to_string());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_error)?;
        for row in rows {
            let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
            let int = |name: &str| row.try_get::<i64, _>(name).map_err(db_error);
            let payload: serde_json::Value = serde_json::from_str(&text("payload")?)
                .map_err(|e| Error::Internal(format!("job payload is not JSON: {e}")))?;
            let kind = NewJob::email_kind(&payload)
                .ok_or_else(|| Error::Internal("email job without an email kind".into()))?;
            let attempts = int("attempts")? as i32;
            let state = match text("state")?.as_str() {
                DONE => DeliveryState::Sent,
                FAILED => DeliveryState::Failed,
                _ => DeliveryState::Pending,
            };
            let finish_time = opt_from_micros(row.try_get::<Option<i64>, _>("finish_time").map_err(db_error)?);
            out.entry(parse_id(&text("request_id")?)?).or_default().push(EmailDelivery {
                kind,
                state,
                attempts,
                last_error: text("last_error")?,
                create_time: from_micros(int("create_time")?),
                send_time: if state == DeliveryState::Sent { finish_time } else { None },
                next_attempt_time: (state == DeliveryState::Pending && attempts > 0)
                    .then(|| from_micros(int("run_at").unwrap_or_default())),
            });
        }
        Ok(out)
    }
}
