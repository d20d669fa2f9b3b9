//! What the subject's own pages keep (migration 0017): the per-address limit of the public
//! `/request` form, and the hashes of the status links in the subject's emails.

use super::{Dialect, Store, db_error, micros};
use crate::domain::{Error, RequestId, SubjectEmail, Timestamp, TokenHash};

impl Store {
    /// Counts one self-service request for `email` if fewer than `limit` were counted since
    /// `since`: `true` if it was counted (the request may go ahead), `false` if the limit is
    /// reached (nothing is written). Only a keyed hash of the address is stored (see
    /// `SecretKeys::address_hash`). The row is written, then the window counted with it, in
    /// one transaction that is rolled back when over the limit, so both answers do the same
    /// database work; on PostgreSQL a transaction lock on the address's hash makes concurrent
    /// submissions on several replicas count one after the other (SQLite's single writer
    /// already does).
    pub async fn count_self_service_submission(
        &self,
        email: &SubjectEmail,
        limit: u32,
        since: Timestamp,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let hash = self.keys()?.secrets.address_hash(email.as_str());
        let mut tx = self.begin_write().await?;
        if self.dialect == Dialect::Postgres {
            let lock_key = i64::from_str_radix(&hash[..15], 16).expect("hex digits");
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock_key).execute(&mut *tx).await.map_err(db_error)?;
        }
        sqlx::query("INSERT INTO self_service_submissions (address_hash, create_time) VALUES ($1, $2)")
            .bind(&hash)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let counted: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM self_service_submissions WHERE address_hash = $1 AND create_time > $2",
        )
        .bind(&hash)
        .bind(micros(since))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        if counted > i64::from(limit) {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    /// Deletes the per-address limit's entries made at or before `before` (they no longer
    /// count). Returns how many.
    pub async fn sweep_self_service_submissions(&self, before: Timestamp) -> Result<u64, Error> {
        let done = sqlx::query("DELETE FROM self_service_submissions WHERE create_time <= $1")
            .bind(micros(before))
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    /// Records a status link's token (its hash) for a request.
    pub async fn add_status_link(&self, id: RequestId, token: &TokenHash, now: Timestamp) -> Result<(), Error> {
        sqlx::query("INSERT INTO status_links (token_hash, request_id, create_time) VALUES ($1, $2, $3)")
            .bind(token.to_hex())
            .bind(id.to_string())
            .bind(micros(now))
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Whether `token` is one of request `id`'s status links. One lookup by the token's hash,
    /// whatever the id: an unknown id and a wrong token take the same path.
    pub async fn is_status_link(&self, id: RequestId, token: &TokenHash) -> Result<bool, Error> {
        let owner: Option<String> = sqlx::query_scalar("SELECT request_id FROM status_links WHERE token_hash = $1")
            .bind(token.to_hex())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(owner.is_some_and(|owner| owner == id.to_string()))
    }
}
