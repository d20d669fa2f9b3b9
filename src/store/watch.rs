//! The two reads a replica's watch poller makes on each tick, for every request watched on
//! the replica at once: how many watches there are changes neither how many queries there are
//! (up to [`WATCH_BATCH`] requests per query) nor how often they run.

use std::collections::HashMap;

use sqlx::{AssertSqlSafe, Row};

use super::{Store, audit::event_from_row, db_error, from_micros, placeholders, requests::parse_id};
use crate::domain::{AuditEvent, Error, RequestId, Timestamp};

/// Most requests one poll query covers: 2 bound values each keeps the events query at 1,000
/// parameters, far below SQLite's (32,766) and PostgreSQL's (65,535) limits.
pub const WATCH_BATCH: usize = 500;

impl Store {
    /// When each of `ids` last changed, as [`Store::get_request`] would report it: the later
    /// of its row's update time and its sources' runs' (a running source records its counts
    /// on its run alone). Deleted requests are missing.
    pub async fn update_times(&self, ids: &[RequestId]) -> Result<HashMap<RequestId, Timestamp>, Error> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT r.id, r.update_time, \
             (SELECT MAX(s.update_time) FROM source_runs s WHERE s.request_id = r.id) AS run_update_time \
             FROM privacy_requests r WHERE r.id IN ({})",
            placeholders(ids.len())
        );
        // Not prepared and kept: the text varies with the number of requests, and every
        // connection would keep a large statement for each number seen.
        let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for id in ids {
            query = query.bind(id.to_string());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_error)?;
        let mut times = HashMap::with_capacity(rows.len());
        for row in rows {
            let id = parse_id(&row.try_get::<String, _>("id").map_err(db_error)?)?;
            let own: i64 = row.try_get("update_time").map_err(db_error)?;
            let runs: Option<i64> = row.try_get("run_update_time").map_err(db_error)?;
            times.insert(id, from_micros(runs.map_or(own, |runs| runs.max(own))));
        }
        Ok(times)
    }

    /// The audit events of each request after its own sequence number, oldest first, at most
    /// `per_request` of each (so that a request with a long backlog cannot crowd the others
    /// out of a poll). Each request has its own cursor because sequence numbers are only in
    /// commit order within a request (its writes go through its row); across requests a
    /// lower number can commit later, so one cursor for all would skip it.
    pub async fn audit_events_after(
        &self,
        cursors: &[(RequestId, i64)],
        per_request: u32,
    ) -> Result<Vec<AuditEvent>, Error> {
        if cursors.is_empty() {
            return Ok(Vec::new());
        }
        // Each term is answered from the (request_id, sequence) index.
        let terms: Vec<String> = (0..cursors.len())
            .map(|i| format!("(request_id = ${} AND sequence > ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "SELECT sequence, request_id, time, actor_kind, actor_id, type, from_state, to_state, detail, \
             email_kind FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY sequence) AS nth \
             FROM audit_events WHERE {}) AS pending WHERE nth <= ${} ORDER BY sequence",
            terms.join(" OR "),
            2 * cursors.len() + 1
        );
        // Not prepared and kept: the text varies with the number of requests, and every
        // connection would keep a large statement for each number seen.
        let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for (id, after) in cursors {
            query = query.bind(id.to_string()).bind(*after);
        }
        let rows = query.bind(i64::from(per_request)).fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter().map(event_from_row).collect()
    }
}
