//! The tallies behind a count of every request or of one action (migration 0021): rows of
//! signed numbers per action and state that triggers append on each insert, state change and
//! delete of a request, and that the sweeper folds into one row per action and state.

use super::super::{Dialect, Store, db_error};
use crate::domain::Error;

/// PostgreSQL: the rows deleted are exactly the rows summed, in one statement. Rows that a
/// transaction appends while it runs, or commits after it started, are neither (the DELETE
/// sees the rows committed before it, READ COMMITTED) and wait for the next fold. Two replicas
/// folding at once: the second's DELETE waits on the first's row locks, then skips the rows it
/// deleted.
///
/// The INSERT, though its result is not read, runs (PostgreSQL runs every data-modifying
/// CTE once); the statement returns how many rows were folded.
const FOLD_POSTGRES: &str = "WITH folded AS (DELETE FROM privacy_request_tallies RETURNING action, state, n), \
     summed AS (INSERT INTO privacy_request_tallies (action, state, n) \
     SELECT action, state, SUM(n) FROM folded GROUP BY action, state HAVING SUM(n) <> 0 RETURNING 1) \
     SELECT COUNT(*) FROM folded";

/// Fewer rows than this are summed by a count in well under a millisecond: not worth a write.
/// (Two actions and eight states make at most 16 rows once folded.)
const WORTH_FOLDING: i64 = 100;

impl Store {
    /// Folds the tallies into one row per action and state (none where the sum is 0), so that
    /// a count reads a few rows however many changes were made since. The sweeper runs it on
    /// each pass; a count is exact whether it has run or not.
    ///
    /// Returns how many rows were folded: 0 when there were fewer than [`WORTH_FOLDING`].
    /// Errors: the database's.
    pub async fn fold_request_tallies(&self) -> Result<u64, Error> {
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM privacy_request_tallies")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        if rows < WORTH_FOLDING {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let folded = fold(&mut tx, self.dialect).await.map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(folded)
    }
}

/// The fold, in a write transaction of the caller's (on SQLite one begun IMMEDIATE: no other
/// writer until its commit, so the rows summed are the rows deleted; the sums are appended
/// after every row up to the last one read, and rowids only grow while those rows are there).
/// Also run by the bench's loader (`testing::stored_requests`) after its million inserts.
pub(crate) async fn fold(tx: &mut sqlx::AnyConnection, dialect: Dialect) -> Result<u64, sqlx::Error> {
    match dialect {
        Dialect::Postgres => {
            let folded: i64 = sqlx::query_scalar(FOLD_POSTGRES).fetch_one(&mut *tx).await?;
            Ok(folded as u64)
        }
        Dialect::Sqlite => {
            let last: Option<i64> =
                sqlx::query_scalar("SELECT MAX(rowid) FROM privacy_request_tallies").fetch_one(&mut *tx).await?;
            let Some(last) = last else { return Ok(0) };
            sqlx::query(
                "INSERT INTO privacy_request_tallies (action, state, n) \
                 SELECT action, state, SUM(n) FROM privacy_request_tallies WHERE rowid <= $1 \
                 GROUP BY action, state HAVING SUM(n) <> 0",
            )
            .bind(last)
            .execute(&mut *tx)
            .await?;
            let deleted = sqlx::query("DELETE FROM privacy_request_tallies WHERE rowid <= $1")
                .bind(last)
                .execute(&mut *tx)
                .await?;
            Ok(deleted.rows_affected())
        }
    }
}
