//! What the metrics scrape reads from the database: how many requests are in each state, how
//! many open ones are due soon or overdue, and how the job queue stands. Three aggregate
//! queries, none of which reads more than the open requests' index entries and the queued jobs
//! (the request tallies of migration 0021, migration 0014's index, the jobs table's partial
//! index), so a scrape costs the same however many finished requests are stored.

use sqlx::Row;

use super::{Store, db_error, micros};
use crate::domain::{Action, Error, State, Timestamp};

/// How far ahead "due soon" looks: a week is the margin a privacy team needs to chase a
/// request before its Art. 12(3) deadline.
pub const DUE_SOON: chrono::Duration = chrono::Duration::days(7);

/// Requests by state and action, every one: the sums of the request tallies (migration 0021).
/// Before them, a count of every entry of an index: a quarter of a second per scrape at a
/// million stored requests.
pub const REQUESTS_SQL: &str = "SELECT state, action, CAST(SUM(n) AS BIGINT) AS total \
     FROM privacy_request_tallies GROUP BY state, action HAVING SUM(n) <> 0";

/// The open requests' deadlines by state and action: `$1` is now, `$2` now plus
/// [`DUE_SOON`] (UTC microseconds). Only the open requests are read, never the finished ones:
/// SQLite reads the open states' range of `privacy_requests_by_state` (state, action,
/// due_time) from the index alone; PostgreSQL, by its statistics, that or the partial index of
/// open requests (`privacy_requests_one_open`) and their rows.
pub const OPEN_REQUESTS_SQL: &str = "SELECT state, action, \
     SUM(CASE WHEN due_time < $1 THEN 1 ELSE 0 END) AS overdue, \
     SUM(CASE WHEN due_time >= $1 AND due_time < $2 THEN 1 ELSE 0 END) AS due_soon \
     FROM privacy_requests WHERE state IN ('PENDING', 'CONFIRMED', 'PROCESSING', 'FAILED') GROUP BY state, action";

/// Queued jobs by kind: running (leased), due (waiting for an executor slot) and scheduled
/// (a retry's backoff or an erasure's cooling-off period), and the oldest due one's due time.
/// `$1` is now. Reads only queued jobs, through the `jobs_runnable` partial index.
pub const JOBS_SQL: &str = "SELECT kind, \
     SUM(CASE WHEN lease_expire_time >= $1 THEN 1 ELSE 0 END) AS running, \
     SUM(CASE WHEN (lease_expire_time IS NULL OR lease_expire_time < $1) AND run_at <= $1 THEN 1 ELSE 0 END) AS due, \
     SUM(CASE WHEN (lease_expire_time IS NULL OR lease_expire_time < $1) AND run_at > $1 THEN 1 ELSE 0 END) AS scheduled, \
     MIN(CASE WHEN (lease_expire_time IS NULL OR lease_expire_time < $1) AND run_at <= $1 THEN run_at END) AS oldest_due \
     FROM jobs WHERE state = 'QUEUED' GROUP BY kind";

/// Requests of one action in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCount {
    pub action: Action,
    pub state: State,
    pub total: i64,
    /// Open requests only (see [`State::is_open`]): past their due time.
    pub overdue: i64,
    /// Open requests only: due within [`DUE_SOON`], not yet overdue.
    pub due_soon: i64,
}

/// Queued jobs of one kind (kinds as stored: `EXPORT_SOURCE`, `EMAIL`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobQueue {
    pub kind: String,
    pub running: i64,
    pub due: i64,
    pub scheduled: i64,
    /// When the longest-waiting due job became due; `None` when none is due.
    pub oldest_due: Option<Timestamp>,
}

/// Everything a scrape reads from the database: three reads a moment apart, each consistent.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    pub requests: Vec<RequestCount>,
    pub jobs: Vec<JobQueue>,
}

impl Store {
    /// Reads [`Gauges`] as of `now`: three aggregate queries on the read pool.
    pub async fn gauges(&self, now: Timestamp) -> Result<Gauges, Error> {
        let open = sqlx::query(OPEN_REQUESTS_SQL)
            .bind(micros(now))
            .bind(micros(now + DUE_SOON))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let rows = sqlx::query(REQUESTS_SQL).fetch_all(&self.pool).await.map_err(db_error)?;
        let text = |row: &sqlx::any::AnyRow, name: &str| row.try_get::<String, _>(name).map_err(db_error);
        let number = |row: &sqlx::any::AnyRow, name: &str| {
            row.try_get::<Option<i64>, _>(name).map(Option::unwrap_or_default).map_err(db_error)
        };
        let mut requests = Vec::with_capacity(rows.len());
        for row in &rows {
            let (state, action) = (text(row, "state")?, text(row, "action")?);
            let (Some(parsed_state), Some(parsed_action)) = (State::parse(&state), Action::parse(&action)) else {
                // A value a newer version wrote; counting it under a made-up label would lie.
                continue;
            };
            let mut count = RequestCount {
                action: parsed_action,
                state: parsed_state,
                total: number(row, "total")?,
                overdue: 0,
                due_soon: 0,
            };
            // Read a moment apart from the totals: a request that changed state between the
            // two reads is counted in each as it was then.
            for deadlines in &open {
                if text(deadlines, "state")? == state && text(deadlines, "action")? == action {
                    count.overdue = number(deadlines, "overdue")?;
                    count.due_soon = number(deadlines, "due_soon")?;
                }
            }
            requests.push(count);
        }
        let rows = sqlx::query(JOBS_SQL).bind(micros(now)).fetch_all(&self.pool).await.map_err(db_error)?;
        let mut jobs = Vec::with_capacity(rows.len());
        for row in &rows {
            let number =
                |name: &str| row.try_get::<Option<i64>, _>(name).map(Option::unwrap_or_default).map_err(db_error);
            jobs.push(JobQueue {
                kind: row.try_get::<String, _>("kind").map_err(db_error)?,
                running: number("running")?,
                due: number("due")?,
                scheduled: number("scheduled")?,
                oldest_due: row.try_get::<Option<i64>, _>("oldest_due").map_err(db_error)?.map(super::from_micros),
            });
        }
        Ok(Gauges { requests, jobs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The open states are written out in the query (so that tests can EXPLAIN it as it is);
    /// they must be the states `State::is_open` names, or a gauge would miss a deadline.
    #[test]
    fn the_open_requests_query_names_exactly_the_open_states() {
        let open: Vec<String> =
            State::ALL.iter().filter(|state| state.is_open()).map(|state| format!("'{}'", state.as_str())).collect();
        assert!(OPEN_REQUESTS_SQL.contains(&format!("state IN ({})", open.join(", "))), "{OPEN_REQUESTS_SQL}");
    }
}
