//! Retention (see `domain::retention`): removing what finished requests no longer need, one
//! request per transaction, so that no statement deletes more than one request's rows (about
//! two per registered source) and several replicas can sweep at once: each takes the request's
//! row lock and checks again, under it, that the work is still to do.

use sqlx::{Any, Row, Transaction};

use super::{Store, db_error, micros, requests::RowLock};
use crate::domain::{
    Actor, AuditEventType, ErasureOutcome, ErasureSummary, Error, NewAuditEvent, PrivacyRequest, RequestId,
    RequestSubject, Timestamp,
};

/// The final states; must match `State::is_final` and the partial indexes of migration 0011,
/// whose WHERE clauses the scans below repeat word for word so that both SQLite and PostgreSQL
/// use them.
macro_rules! final_states {
    () => {
        "('COMPLETED', 'DENIED', 'CANCELLED', 'EXPIRED')"
    };
}

/// Requests whose step is due, from `$table` (the table, on SQLite with the partial index it
/// must use: SQLite's planner has no statistics on a young database and took the wider
/// `privacy_requests_by_state` index, then sorted every finished request, a cost that grows
/// with the table; PostgreSQL picks the partial index by its costs).
macro_rules! due {
    ($table:expr, $done:expr) => {
        concat!(
            "SELECT id, update_time FROM ",
            $table,
            " WHERE ",
            $done,
            " IS NULL AND state IN ",
            final_states!(),
            " AND update_time < $1 AND (update_time > $2 OR (update_time = $2 AND id > $3)) \
             ORDER BY update_time, id LIMIT $4"
        )
    };
}
const SOURCES_DUE: &str = due!("privacy_requests", "sources_remove_time");
const SOURCES_DUE_SQLITE: &str =
    due!("privacy_requests INDEXED BY privacy_requests_sources_to_remove", "sources_remove_time");
const SUBJECT_DUE: &str = due!("privacy_requests", "subject_purge_time");
const SUBJECT_DUE_SQLITE: &str =
    due!("privacy_requests INDEXED BY privacy_requests_subject_to_purge", "subject_purge_time");
/// Jobs but emails still to run or running ($2: now).
const WORK_RUNNING: &str = "SELECT COUNT(*) FROM jobs WHERE request_id = $1 AND kind <> 'EMAIL' \
     AND (state = 'QUEUED' OR (lease_owner IS NOT NULL AND lease_expire_time > $2))";
/// Jobs still to run or running, and archives still downloadable ($2: now).
const PURGE_BLOCKED: &str = "SELECT (SELECT COUNT(*) FROM jobs WHERE request_id = $1 \
       AND (state = 'QUEUED' OR (lease_owner IS NOT NULL AND lease_expire_time > $2))) \
     + (SELECT COUNT(*) FROM export_archives WHERE request_id = $1 AND delete_time IS NULL)";
const DELETE_RUNS: &str = "DELETE FROM source_runs WHERE request_id = $1";
const DELETE_JOBS: &str = "DELETE FROM jobs WHERE request_id = $1 AND kind <> 'EMAIL'";
const DELETE_STATUS_LINKS: &str = "DELETE FROM status_links WHERE request_id = $1";
const CLEAR_EMAIL_ERRORS: &str =
    "UPDATE jobs SET last_error = '' WHERE request_id = $1 AND kind = 'EMAIL' AND last_error <> ''";

/// Each statement of the retention sweep that finds rows (as SQLite runs it, then as
/// PostgreSQL does), with the indexes it must use (by their SQLite names, then their
/// PostgreSQL names), for a test to EXPLAIN on both backends: the tables it reads grow by
/// millions of rows a month.
#[doc(hidden)]
pub const INDEXED_STATEMENTS: &[(&str, &str, &[&str], &[&str])] = &[
    (SOURCES_DUE_SQLITE, SOURCES_DUE, &["privacy_requests_sources_to_remove"], &["privacy_requests_sources_to_remove"]),
    (SUBJECT_DUE_SQLITE, SUBJECT_DUE, &["privacy_requests_subject_to_purge"], &["privacy_requests_subject_to_purge"]),
    (WORK_RUNNING, WORK_RUNNING, &["jobs_by_request"], &["jobs_by_request"]),
    (
        PURGE_BLOCKED,
        PURGE_BLOCKED,
        &["jobs_by_request", "sqlite_autoindex_export_archives_1"],
        &["jobs_by_request", "export_archives_pkey"],
    ),
    (DELETE_RUNS, DELETE_RUNS, &["sqlite_autoindex_source_runs_1"], &["source_runs_pkey"]),
    (DELETE_JOBS, DELETE_JOBS, &["jobs_by_request"], &["jobs_by_request"]),
    (CLEAR_EMAIL_ERRORS, CLEAR_EMAIL_ERRORS, &["jobs_by_request"], &["jobs_by_request"]),
    (DELETE_STATUS_LINKS, DELETE_STATUS_LINKS, &["status_links_by_request"], &["status_links_by_request"]),
];

/// Which removal a scan looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionStep {
    /// Source runs and finished jobs (`--job-retention`).
    Sources,
    /// The subject's personal data (`--request-retention`).
    Subject,
}

/// Where a scan resumes: the last request of the previous batch (by update time, then id), so
/// that requests skipped for now (work still running) do not fill every batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RetentionCursor {
    update_time: i64,
    id: String,
}

impl Store {
    /// Up to `limit` finished requests, oldest first after `cursor`, whose `step` is due: they
    /// last changed before `finished_before` and it was not done yet. A read on the pool; each
    /// is checked again under its lock when the work is done.
    pub async fn retention_due(
        &self,
        step: RetentionStep,
        finished_before: Timestamp,
        cursor: Option<&RetentionCursor>,
        limit: u32,
    ) -> Result<(Vec<RequestId>, Option<RetentionCursor>), Error> {
        let sqlite = self.dialect == super::Dialect::Sqlite;
        let sql = match (step, sqlite) {
            (RetentionStep::Sources, true) => SOURCES_DUE_SQLITE,
            (RetentionStep::Sources, false) => SOURCES_DUE,
            (RetentionStep::Subject, true) => SUBJECT_DUE_SQLITE,
            (RetentionStep::Subject, false) => SUBJECT_DUE,
        };
        let start = RetentionCursor { update_time: i64::MIN, id: String::new() };
        let cursor = cursor.unwrap_or(&start);
        let rows = sqlx::query(sql)
            .bind(micros(finished_before))
            .bind(cursor.update_time)
            .bind(cursor.id.clone())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in &rows {
            let id: String = row.try_get("id").map_err(db_error)?;
            ids.push(super::requests::parse_id(&id)?);
            last = Some(RetentionCursor { update_time: row.try_get("update_time").map_err(db_error)?, id });
        }
        Ok((ids, last))
    }

    /// Removes a finished request's source runs and finished jobs but its emails, keeping a
    /// COMPLETED erasure's summary on the request. `false` (nothing changed) when the request is
    /// gone, not finished before `finished_before`, already done, or has work still running.
    pub async fn remove_sources(
        &self,
        id: RequestId,
        finished_before: Timestamp,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let mut tx = self.begin_write().await?;
        let Some(request) = self.lock_due(&mut tx, id, finished_before).await? else {
            return Ok(false);
        };
        if request.sources_removed.is_some() || !remove_sources_on(&mut tx, request, now).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    /// Purges the subject of a finished request: the email address, its key, the user id, the
    /// idempotency key and digest (a hash of the address), and the errors of the request's email
    /// deliveries (an SMTP error can quote the address); its sources go too if they are still
    /// there. Appends a SUBJECT_PURGED event. `false` (nothing changed) when the request is
    /// gone, not finished before `finished_before`, already purged, has a job still to run (an
    /// email being retried needs the address), or an export archive not yet deleted (the file
    /// holds the subject's data; the archive sweeper removes it at its expiry).
    pub async fn purge_subject(
        &self,
        id: RequestId,
        finished_before: Timestamp,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let mut tx = self.begin_write().await?;
        let Some(request) = self.lock_due(&mut tx, id, finished_before).await? else {
            return Ok(false);
        };
        let busy: i64 = sqlx::query_scalar(PURGE_BLOCKED)
            .bind(id.to_string())
            .bind(micros(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        if matches!(request.subject, RequestSubject::Purged { .. }) || busy > 0 {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        if request.sources_removed.is_none() && !remove_sources_on(&mut tx, request, now).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE privacy_requests SET subject_email = '', subject_email_key = '', subject_user_id = NULL, \
             idempotency_key = NULL, idempotency_digest = NULL, subject_purge_time = $2 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(micros(now))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(CLEAR_EMAIL_ERRORS).bind(id.to_string()).execute(&mut *tx).await.map_err(db_error)?;
        // A status link works until its subject is purged: the page it opens exists for them.
        sqlx::query(DELETE_STATUS_LINKS).bind(id.to_string()).execute(&mut *tx).await.map_err(db_error)?;
        let event = NewAuditEvent::new(id, Actor::system("sweeper"), AuditEventType::SubjectPurged, now).with_detail(
            "the subject's email address and user id were removed after the retention period \
                 (--request-retention; GDPR Art. 5(1)(e))",
        );
        super::requests::append_event(&mut tx, &event).await?;
        tx.commit().await.map_err(db_error)?;
        self.announce(id);
        Ok(true)
    }

    /// The request under its row lock, if it still exists, is finished, and last changed before
    /// `finished_before` (a replica that read it as due may find it changed since).
    async fn lock_due(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: RequestId,
        finished_before: Timestamp,
    ) -> Result<Option<PrivacyRequest>, Error> {
        match self.lock_request(tx, id, RowLock::Exclusive).await {
            Ok(request) if request.state.is_final() && request.update_time < finished_before => Ok(Some(request)),
            Ok(_) | Err(Error::NotFound(_)) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// After purges: on SQLite, empties the write-ahead log, whose older frames still hold the
    /// purged rows as they were (see [`super::truncate_sqlite_log`]). PostgreSQL's old row
    /// versions go at the next (auto)vacuum.
    pub async fn after_purge(&self) {
        if self.dialect == super::Dialect::Sqlite {
            super::truncate_sqlite_log(&self.writer).await;
        }
    }
}

/// [`Store::remove_sources`] inside the caller's transaction, on the locked `request`. `false`
/// when one of its jobs but an email is still queued or running: a cancelled job whose replica
/// has not noticed yet writes to its run and its files until its lease lapses.
async fn remove_sources_on(
    tx: &mut Transaction<'static, Any>,
    mut request: PrivacyRequest,
    now: Timestamp,
) -> Result<bool, Error> {
    let id = request.id.to_string();
    let running: i64 = sqlx::query_scalar(WORK_RUNNING)
        .bind(id.clone())
        .bind(micros(now))
        .fetch_one(&mut **tx)
        .await
        .map_err(db_error)?;
    if running > 0 {
        return Ok(false);
    }
    Store::load_progress_on(tx, std::slice::from_mut(&mut request)).await?;
    let summary = request.erasure_summary().map(|s| summary_json(&s));
    for delete in [DELETE_RUNS, DELETE_JOBS] {
        sqlx::query(delete).bind(id.clone()).execute(&mut **tx).await.map_err(db_error)?;
    }
    sqlx::query("UPDATE privacy_requests SET sources_remove_time = $2, erasure_summary = $3 WHERE id = $1")
        .bind(id)
        .bind(micros(now))
        .bind(summary)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    Ok(true)
}

/// The stored form of an erasure's summary (column `erasure_summary`, migration 0011).
fn summary_json(s: &ErasureSummary) -> String {
    serde_json::json!({
        "outcome": s.outcome.as_str(),
        "items_removed": s.items_removed,
        "items_retained": s.items_retained,
        "verified": s.verified,
        "sources_skipped": s.sources_skipped,
    })
    .to_string()
}

pub(super) fn parse_summary(json: &str) -> Result<ErasureSummary, Error> {
    let bad = || Error::Internal("malformed erasure_summary in database".into());
    let v: serde_json::Value = serde_json::from_str(json).map_err(|_| bad())?;
    Ok(ErasureSummary {
        outcome: v["outcome"].as_str().and_then(ErasureOutcome::parse).ok_or_else(bad)?,
        items_removed: v["items_removed"].as_i64().ok_or_else(bad)?,
        items_retained: v["items_retained"].as_i64().ok_or_else(bad)?,
        verified: v["verified"].as_bool().ok_or_else(bad)?,
        sources_skipped: v["sources_skipped"].as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(bad)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_summary_reads_back_as_it_was() {
        let summary = ErasureSummary {
            outcome: ErasureOutcome::PartlyErased,
            items_removed: 12,
            items_retained: 3,
            verified: false,
            sources_skipped: 2,
        };
        assert_eq!(parse_summary(&summary_json(&summary)).unwrap(), summary);
    }
}
