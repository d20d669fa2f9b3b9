//! Listing, counting and period statistics of requests: the reads behind ListPrivacyRequests,
//! CountPrivacyRequests, GetRequestStatistics and the console's request table. A list or count
//! statement holds the conditions of the filters a call sets and no others, so that each runs
//! along an index, never a sort or a scan of the whole table (tests/api/stored_requests.rs
//! EXPLAINs every combination on a loaded table, on both backends).

use sqlx::Row;

use super::super::{Store, db_error, micros};
use crate::domain::{
    Action, ActionStatistics, DEADLINE_DAYS, Error, LONGEST_DEADLINE_DAYS, ListFilter, ListOrder, PrivacyRequest,
    RequestId, State, StatisticsPeriod,
};

/// Keyset position: the last request of the previous page, by the list's sort key (UTC
/// microseconds of `create_time` or `due_time`, as the order says) and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestCursor {
    pub key: i64,
    pub id: RequestId,
}

/// How a list or count statement is written for its database, and on SQLite how it finds the
/// requests whose address contains a search (`subject_email_search`).
///
/// PostgreSQL's planner chooses from its statistics between pg_trgm's index (migration 0019)
/// and walking an index in the list's order. SQLite keeps no statistics that could tell a
/// search matching one request in a million from one matching a third of them, so
/// [`Store::list_requests`] asks the trigram index first (at most [`FEW_MATCHES`] rows) and
/// chooses: few matches are read from the trigram index and sorted; many are found early on a
/// walk in order, testing each row.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planner {
    Postgres,
    /// SQLite, each index named; a search tested on the rows an index walk reads.
    Sqlite,
    /// SQLite, the requests a search may match taken from `privacy_requests_email_trigrams`
    /// (migration 0020) first, then tested.
    SqliteTrigrams,
}

/// Below this many requests matching a search, SQLite reads them from the trigram index and
/// sorts them (about 5 µs a request); from this many on, at least one in 200 of a million
/// requests matches, and a page of 50 is found after reading about 10,000 rows in the list's
/// order. Either way a page costs at most a few thousand row reads (measured in README's
/// "A million stored requests").
pub const FEW_MATCHES: i64 = 5_000;

/// A value bound to a statement's `$n`.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Text(String),
    Int(i64),
}

/// One list or count statement, made for the filters a call sets, with its parameters.
///
/// Each filter that is set becomes a plain condition (`state = $2`); one that is not set is
/// left out, rather than written `($2 IS NULL OR state = $2)` in one statement for every
/// call: a condition that may be switched off cannot choose an index, so with that form every
/// filtered list walked the whole table in its order and kept the rows that matched (1.1 s for
/// a page of FAILED requests on a million stored ones). The statements differ only in which
/// conditions they hold, a few dozen in practice, each prepared once per connection.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub binds: Vec<Bound>,
}

impl Statement {
    fn bind(&mut self, value: Bound) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// The statement with its parameters bound.
    pub fn query(&self) -> Args<'_> {
        self.binds.iter().fold(sqlx::query(sqlx::AssertSqlSafe(self.sql.as_str())), |q, b| match b {
            Bound::Text(t) => q.bind(t.clone()),
            Bound::Int(i) => q.bind(*i),
        })
    }

    /// The conditions of `filter` (its state left out unless `with_state`), joined by AND
    /// after `first`; bound in the order they appear.
    ///
    /// With [`Planner::SqliteTrigrams`] every other condition's column is written `+column`,
    /// which SQLite reads as "not by an index" (lang_select.html, "the unary + operator"):
    /// otherwise it may walk the state's or the time's index and test each row against the
    /// search's few ids, which is the slow walk the trigram index is there to avoid.
    fn conditions(&mut self, first: &str, filter: &ListFilter, with_state: bool, planner: Planner) -> String {
        let unindexed = if planner == Planner::SqliteTrigrams { "+" } else { "" };
        let mut out = vec![first.to_owned()];
        if let Some(action) = filter.action {
            out.push(format!("{unindexed}action = {}", self.bind(Bound::Text(action.as_str().into()))));
        }
        if let Some(state) = filter.state.filter(|_| with_state) {
            out.push(format!("{unindexed}state = {}", self.bind(Bound::Text(state.as_str().into()))));
        }
        if let Some(key) = &filter.subject_email_key {
            out.push(format!("subject_email_key = {}", self.bind(Bound::Text(key.clone()))));
        }
        if let Some(search) = &filter.subject_email_search {
            if let (Planner::SqliteTrigrams, Some(glob)) = (planner, search.trigram_glob()) {
                out.push(format!(
                    "id IN (SELECT request_id FROM privacy_request_email_keys WHERE n IN \
                     (SELECT rowid FROM privacy_requests_email_trigrams WHERE subject_email_key GLOB {}))",
                    self.bind(Bound::Text(glob))
                ));
            }
            out.push(format!("subject_email_key LIKE {} ESCAPE '\\'", self.bind(Bound::Text(search.like_pattern()))));
        }
        if let Some(after) = filter.created.after {
            out.push(format!("{unindexed}create_time >= {}", self.bind(Bound::Int(micros(after)))));
        }
        if let Some(before) = filter.created.before {
            out.push(format!("{unindexed}create_time < {}", self.bind(Bound::Int(micros(before)))));
        }
        if let Some(due) = filter.due_before {
            out.push(format!("{unindexed}due_time < {}", self.bind(Bound::Int(micros(due)))));
        }
        out.retain(|c| !c.is_empty());
        if out.is_empty() { "TRUE".to_owned() } else { out.join(" AND ") }
    }
}

/// A page of requests matching `filter` in `order`, after `cursor`, at most `limit` rows.
///
/// The keyset condition is written as a range on the sort key (`create_time <= $n`) and a
/// tie-break on the id, so that the page starts where the index range does: a deep page costs
/// what the first one does. (As `create_time < $n OR (create_time = $n AND id < $m)` the
/// planners cannot start the index scan there, and walk every row before the page.)
///
/// On SQLite a state's list names its index (`INDEXED BY`): without statistics its planner
/// takes the metrics' (state, action, due_time) index for the equality and sorts every row of
/// the state, where the state's own index in the list's order reads one page.
#[doc(hidden)]
pub fn list_statement(
    filter: &ListFilter,
    order: ListOrder,
    cursor: Option<RequestCursor>,
    limit: u32,
    planner: Planner,
) -> Statement {
    let mut statement = Statement { sql: String::new(), binds: Vec::new() };
    // A later page's cursor row matched the filter, so its sort key is inside the filter's
    // bound on that key: the cursor's condition implies the bound, and left in, the two upper
    // bounds on one column let SQLite start the walk at the filter's instead of the cursor's.
    let mut filter = filter.clone();
    if cursor.is_some() {
        match order {
            ListOrder::CreateTimeDesc => filter.created.before = None,
            ListOrder::DueTimeDesc => filter.due_before = None,
            ListOrder::DueTimeAsc => {}
        }
    }
    let conditions = statement.conditions("", &filter, true, planner);
    let unindexed = if planner == Planner::SqliteTrigrams { "+" } else { "" };
    // Where the matching rows begin and end in the list's order, from a filter on the other
    // time: a deadline is 30 to 92 days after receipt (GDPR Art. 12(3); domain::request), so a
    // request due before D was received before D - 30 days, and one received in [A, B) is due
    // in [A + 30 days, B + 92 days). Without them a walk in due order to a creation period (or
    // in creation order to a due date) read every row before the period: 250 ms on a million
    // requests. A later page's cursor is its start already, so the bound on that side goes.
    let day = |days: i64| chrono::Duration::days(days);
    let (lower, upper) = match order {
        ListOrder::CreateTimeDesc => (None, filter.due_before.map(|due| ("create_time <", due - day(DEADLINE_DAYS)))),
        ListOrder::DueTimeAsc | ListOrder::DueTimeDesc => (
            filter.created.after.map(|after| ("due_time >=", after + day(DEADLINE_DAYS))),
            filter.created.before.map(|before| ("due_time <", before + day(LONGEST_DEADLINE_DAYS))),
        ),
    };
    let (lower, upper) = match (cursor, order) {
        (None, _) => (lower, upper),
        (Some(_), ListOrder::DueTimeAsc) => (None, upper),
        (Some(_), ListOrder::CreateTimeDesc | ListOrder::DueTimeDesc) => (lower, None),
    };
    let mut start = String::new();
    for (bound, at) in [lower, upper].into_iter().flatten() {
        start += &format!(" AND {unindexed}{bound} {}", statement.bind(Bound::Int(micros(at))));
    }
    let derived = !start.is_empty();
    let (key, before, direction) = match order {
        ListOrder::CreateTimeDesc => ("create_time", "<", "DESC"),
        ListOrder::DueTimeAsc => ("due_time", ">", "ASC"),
        ListOrder::DueTimeDesc => ("due_time", "<", "DESC"),
    };
    let after = match cursor {
        Some(cursor) => {
            let k = statement.bind(Bound::Int(cursor.key));
            let id = statement.bind(Bound::Text(cursor.id.to_string()));
            format!(" AND {unindexed}{key} {before}= {k} AND ({key} {before} {k} OR id {before} {id})")
        }
        None => String::new(),
    };
    let limit = statement.bind(Bound::Int(i64::from(limit)));
    // SQLite, without statistics, takes a range with two ends on the other time (a creation
    // period) over one on the list's own and sorts what it finds; named, the list's index is
    // walked from the bound above instead.
    let sqlite = planner == Planner::Sqlite && filter.subject_email_key.is_none();
    let table = match (sqlite && filter.state.is_some(), sqlite && derived, order) {
        (true, _, ListOrder::CreateTimeDesc) => "privacy_requests INDEXED BY privacy_requests_state_by_time",
        (true, _, ListOrder::DueTimeAsc | ListOrder::DueTimeDesc) => {
            "privacy_requests INDEXED BY privacy_requests_state_by_due"
        }
        (false, true, ListOrder::CreateTimeDesc) => "privacy_requests INDEXED BY privacy_requests_by_time",
        (false, true, ListOrder::DueTimeAsc | ListOrder::DueTimeDesc) => {
            "privacy_requests INDEXED BY privacy_requests_by_due"
        }
        (false, false, _) => "privacy_requests",
    };
    statement.sql = format!(
        "SELECT {columns} FROM {table} WHERE {conditions}{start}{after} \
         ORDER BY {key} {direction}, id {direction} LIMIT {limit}",
        columns = request_columns!(),
    );
    statement
}

/// Counts per state of the requests matching `filter` (its state ignored).
///
/// Without an exact address, the count reads `privacy_requests_for_counts` (migration 0018),
/// which holds every filtered column: an index-only scan that never reads the rows (at most
/// nine groups to sort). `action IN ('EXPORT', 'ERASE')` holds for every request; it is that
/// partial index's condition, which a query must state to use it. SQLite is told the index by
/// name: without statistics its planner takes the metrics' (state, action, due_time) index for
/// the GROUP BY and reads every row. With an exact address, the few rows of that subject are
/// found through `privacy_requests_by_subject` (migration 0019) instead.
///
/// With no filter but the action, the count is the sum of the tallies (migration 0021,
/// [`Store::fold_request_tallies`]): at most 16 rows after a sweep, plus one or two per request
/// created, changed or deleted since (SQLite tallies per row; PostgreSQL's creates and deletes
/// per statement), where the index holds every request (a third of a second at a million).
#[doc(hidden)]
pub fn count_statement(filter: &ListFilter, planner: Planner) -> Statement {
    let mut statement = Statement { sql: String::new(), binds: Vec::new() };
    if counts_every_request(filter) {
        let conditions = statement.conditions("", filter, false, planner);
        // SUM is NUMERIC on PostgreSQL, which sqlx's Any driver does not decode.
        statement.sql = format!(
            "SELECT state, CAST(SUM(n) AS BIGINT) AS n FROM privacy_request_tallies WHERE {conditions} \
             GROUP BY state HAVING SUM(n) <> 0"
        );
        return statement;
    }
    let every_request = if planner == Planner::SqliteTrigrams {
        "+action IN ('EXPORT', 'ERASE')"
    } else {
        "action IN ('EXPORT', 'ERASE')"
    };
    let conditions = statement.conditions(every_request, filter, false, planner);
    let table = if planner == Planner::Sqlite && filter.subject_email_key.is_none() {
        "privacy_requests INDEXED BY privacy_requests_for_counts"
    } else {
        "privacy_requests"
    };
    statement.sql = format!("SELECT state, COUNT(*) AS n FROM {table} WHERE {conditions} GROUP BY state");
    statement
}

/// Whether `filter` holds no condition but the action (and the state, which counts ignore):
/// a count of every request, or of every request of an action, which the tallies answer.
fn counts_every_request(filter: &ListFilter) -> bool {
    let ListFilter { action: _, state: _, subject_email_key, subject_email_search, created, due_before } = filter;
    subject_email_key.is_none()
        && subject_email_search.is_none()
        && created.after.is_none()
        && created.before.is_none()
        && due_before.is_none()
}

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

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

type Args<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

impl Store {
    /// How to find the requests `filter` matches on this database (see [`Planner`]): on SQLite
    /// with a search of three plain characters or more (and no exact address, whose own index
    /// finds its few rows), one count of at most [`FEW_MATCHES`] rows from the trigram index.
    #[doc(hidden)]
    pub async fn planner(&self, filter: &ListFilter) -> Result<Planner, Error> {
        if self.dialect == super::super::Dialect::Postgres {
            return Ok(Planner::Postgres);
        }
        let glob = filter.subject_email_search.as_ref().and_then(|search| search.trigram_glob());
        let Some(glob) = glob.filter(|_| filter.subject_email_key.is_none()) else { return Ok(Planner::Sqlite) };
        let matches: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM privacy_requests_email_trigrams \
             WHERE subject_email_key GLOB $1 LIMIT $2)",
        )
        .bind(glob)
        .bind(FEW_MATCHES)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(if matches < FEW_MATCHES { Planner::SqliteTrigrams } else { Planner::Sqlite })
    }

    /// Up to `limit` requests after `cursor`, in `order`.
    pub async fn list_requests(
        &self,
        filter: &ListFilter,
        order: ListOrder,
        cursor: Option<RequestCursor>,
        limit: u32,
    ) -> Result<Vec<PrivacyRequest>, Error> {
        let statement = list_statement(filter, order, cursor, limit, self.planner(filter).await?);
        let rows = statement.query().fetch_all(&self.pool).await.map_err(db_error)?;
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
        let statement = count_statement(filter, self.planner(filter).await?);
        let rows = statement.query().fetch_all(&self.pool).await.map_err(db_error)?;
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
