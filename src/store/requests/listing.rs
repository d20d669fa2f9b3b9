//! Listing, counting and period statistics of requests: the reads behind ListPrivacyRequests,
//! CountPrivacyRequests, GetRequestStatistics and the console's request table. Each is one
//! static statement per order (NULL parameters switch a filter off) that runs along an index,
//! never a sort of the whole table; `LIST_STATEMENTS` names the index each must use, for a
//! test to EXPLAIN on both backends.

use sqlx::Row;

use super::super::{Store, db_error, micros};
use crate::domain::{
    Action, ActionStatistics, Error, ListFilter, ListOrder, PrivacyRequest, RequestId, State, StatisticsPeriod,
};

/// Keyset position: the last request of the previous page, by the list's sort key (UTC
/// microseconds of `create_time` or `due_time`, as the order says) and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestCursor {
    pub key: i64,
    pub id: RequestId,
}

/// The filters of [`ListFilter`], as parameters $1 to $7 (see [`bind_filter`]).
macro_rules! filter_sql {
    () => {
        "($1 IS NULL OR action = $1) AND ($2 IS NULL OR state = $2) \
         AND ($3 IS NULL OR subject_email_key = $3) \
         AND ($4 IS NULL OR subject_email_key LIKE $4 ESCAPE '\\') \
         AND ($5 IS NULL OR create_time >= $5) AND ($6 IS NULL OR create_time < $6) \
         AND ($7 IS NULL OR due_time < $7)"
    };
}

/// A page in one order: after the keyset position ($8, $9), at most $10 rows.
macro_rules! list_sql {
    ($table:literal, $after:literal, $order:literal) => {
        concat!(
            "SELECT ",
            request_columns!(),
            " FROM ",
            $table,
            " WHERE ",
            filter_sql!(),
            " AND ($8 IS NULL OR ",
            $after,
            ") ORDER BY ",
            $order,
            " LIMIT $10"
        )
    };
}

const BY_CREATE_DESC: &str =
    list_sql!("privacy_requests", "create_time < $8 OR (create_time = $8 AND id < $9)", "create_time DESC, id DESC");
const BY_DUE_ASC: &str =
    list_sql!("privacy_requests", "due_time > $8 OR (due_time = $8 AND id > $9)", "due_time ASC, id ASC");
const BY_DUE_DESC: &str =
    list_sql!("privacy_requests", "due_time < $8 OR (due_time = $8 AND id < $9)", "due_time DESC, id DESC");

/// Counts per state. On SQLite the index is named: without statistics its planner takes the
/// metrics' (state, action, due_time) index for the GROUP BY and reads every row, while the
/// named one holds every filtered column (an index-only scan; at most nine groups to sort).
/// `action IN ('EXPORT', 'ERASE')` holds for every request; it is the condition of that
/// partial index (migration 0018), which a query must state to use it.
macro_rules! count_sql {
    ($table:literal) => {
        concat!(
            "SELECT state, COUNT(*) AS n FROM ",
            $table,
            " WHERE action IN ('EXPORT', 'ERASE') AND ",
            filter_sql!(),
            " GROUP BY state"
        )
    };
}
const COUNT: &str = count_sql!("privacy_requests");
const COUNT_SQLITE: &str = count_sql!("privacy_requests INDEXED BY privacy_requests_for_counts");

/// Answered (COMPLETED or DENIED) requests: the days from receipt to answer, in
/// microseconds. A denied request's last change is its denial (a final request's
/// `update_time` stays as it was; see the proto's `update_time`).
macro_rules! answer_micros {
    () => {
        "(COALESCE(complete_time, update_time) - create_time)"
    };
}

/// Per action, the counts and the mean over the requests created in [$1, $2). AVG is cast
/// because PostgreSQL's is NUMERIC, which sqlx's Any driver does not decode.
const STATISTICS: &str = concat!(
    "SELECT action, COUNT(*) AS received, \
     COUNT(CASE WHEN state = 'COMPLETED' THEN 1 END) AS completed, \
     COUNT(CASE WHEN state = 'DENIED' THEN 1 END) AS denied, \
     COUNT(CASE WHEN state = 'CANCELLED' THEN 1 END) AS cancelled, \
     COUNT(CASE WHEN state = 'EXPIRED' THEN 1 END) AS expired, \
     COUNT(CASE WHEN state IN ",
    open_states!(),
    " THEN 1 END) AS open, \
     COUNT(CASE WHEN state IN ('COMPLETED', 'DENIED') THEN 1 END) AS answered, \
     CAST(AVG(CASE WHEN state IN ('COMPLETED', 'DENIED') THEN ",
    answer_micros!(),
    " END) AS DOUBLE PRECISION) AS mean_micros \
     FROM privacy_requests WHERE create_time >= $1 AND create_time < $2 GROUP BY action"
);

/// The middle one or two answer times of an action ($1) in [$2, $3): LIMIT $4 OFFSET $5.
/// The database sorts (spilling to disk past its work memory); privacyd holds two numbers.
const MEDIAN: &str = concat!(
    "SELECT ",
    answer_micros!(),
    " AS micros FROM privacy_requests WHERE action = $1 AND create_time >= $2 AND create_time < $3 \
     AND state IN ('COMPLETED', 'DENIED') ORDER BY micros LIMIT $4 OFFSET $5"
);

/// Each statement of the list and the counts (as SQLite runs it, then as PostgreSQL does),
/// with the index it must use on each (empty: any index, but no table scan), for a test to
/// EXPLAIN: a console shows these on every page view, over a table that only grows.
#[doc(hidden)]
pub const LIST_STATEMENTS: &[(&str, &str, &[&str], &[&str])] = &[
    (BY_CREATE_DESC, BY_CREATE_DESC, &["privacy_requests_by_time"], &["privacy_requests_by_time"]),
    (BY_DUE_ASC, BY_DUE_ASC, &["privacy_requests_by_due"], &["privacy_requests_by_due"]),
    (BY_DUE_DESC, BY_DUE_DESC, &["privacy_requests_by_due"], &["privacy_requests_by_due"]),
    (COUNT_SQLITE, COUNT, &["privacy_requests_for_counts"], &["privacy_requests_for_counts"]),
];

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

type Args<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds $1 to $7 of [`filter_sql`]; `state` is left out (NULL) when `with_state` is false.
fn bind_filter<'q>(query: Args<'q>, filter: &ListFilter, with_state: bool) -> Args<'q> {
    query
        .bind(filter.action.map(|a| a.as_str().to_owned()))
        .bind(filter.state.filter(|_| with_state).map(|s| s.as_str().to_owned()))
        .bind(filter.subject_email_key.clone())
        .bind(filter.subject_email_search.as_ref().map(|s| s.like_pattern()))
        .bind(filter.created.after.map(micros))
        .bind(filter.created.before.map(micros))
        .bind(filter.due_before.map(micros))
}

impl Store {
    /// Up to `limit` requests after `cursor`, in `order`.
    pub async fn list_requests(
        &self,
        filter: &ListFilter,
        order: ListOrder,
        cursor: Option<RequestCursor>,
        limit: u32,
    ) -> Result<Vec<PrivacyRequest>, Error> {
        let sql = match order {
            ListOrder::CreateTimeDesc => BY_CREATE_DESC,
            ListOrder::DueTimeAsc => BY_DUE_ASC,
            ListOrder::DueTimeDesc => BY_DUE_DESC,
        };
        let rows = bind_filter(sqlx::query(sql), filter, true)
            .bind(cursor.map(|c| c.key))
            .bind(cursor.map(|c| c.id.to_string()))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let mut requests = rows.iter().map(super::request_from_row).collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<RequestId> = requests.iter().map(|r| r.id).collect();
        let mut emails = self.email_deliveries(&ids).await?;
        for request in &mut requests {
            request.emails = emails.remove(&request.id).unwrap_or_default();
        }
        self.load_progress(&mut requests).await?;
        Ok(requests)
    }

    /// How many requests match `filter` (its `state` ignored) in each state; states with none
    /// are missing.
    pub async fn count_requests(&self, filter: &ListFilter) -> Result<Vec<(State, i64)>, Error> {
        let sql = match self.dialect {
            super::super::Dialect::Sqlite => COUNT_SQLITE,
            super::super::Dialect::Postgres => COUNT,
        };
        let rows = bind_filter(sqlx::query(sql), filter, false).fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state").map_err(db_error)?;
                let n: i64 = row.try_get("n").map_err(db_error)?;
                Ok((super::super::parse_column("state", &state, State::parse)?, n))
            })
            .collect()
    }

    /// The figures of each action for requests created in `period`, both actions always
    /// present (export first).
    pub async fn request_statistics(&self, period: StatisticsPeriod) -> Result<Vec<ActionStatistics>, Error> {
        let rows = sqlx::query(STATISTICS)
            .bind(micros(period.start))
            .bind(micros(period.end))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let mut out = Vec::with_capacity(2);
        for action in [Action::Export, Action::Erase] {
            let mut stats = ActionStatistics { action: Some(action), ..Default::default() };
            let row =
                rows.iter().find(|row| row.try_get::<String, _>("action").ok().as_deref() == Some(action.as_str()));
            if let Some(row) = row {
                let count = |name: &str| row.try_get::<i64, _>(name).map_err(db_error);
                stats.received = count("received")?;
                stats.completed = count("completed")?;
                stats.denied = count("denied")?;
                stats.cancelled = count("cancelled")?;
                stats.expired = count("expired")?;
                stats.open = count("open")?;
                stats.answered = count("answered")?;
                let mean: Option<f64> = row.try_get("mean_micros").map_err(db_error)?;
                stats.mean_days = mean.unwrap_or(0.0) / MICROS_PER_DAY;
            }
            if stats.answered > 0 {
                // The middle one (odd count) or the two middle ones (even count).
                let (limit, offset) =
                    if stats.answered % 2 == 1 { (1, stats.answered / 2) } else { (2, stats.answered / 2 - 1) };
                let middle: Vec<i64> = sqlx::query_scalar(MEDIAN)
                    .bind(action.as_str())
                    .bind(micros(period.start))
                    .bind(micros(period.end))
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)?;
                if !middle.is_empty() {
                    let sum: f64 = middle.iter().map(|m| *m as f64).sum();
                    stats.median_days = sum / middle.len() as f64 / MICROS_PER_DAY;
                }
            }
            out.push(stats);
        }
        Ok(out)
    }
}
