//! Console sessions (migration 0016): the rows behind the console's cookie. The store keeps
//! them; `console::session` decides what they mean (expiry, scopes, the token still in force).

use super::{Store, db_error, from_micros, micros};
use crate::domain::{Error, Timestamp};

/// A session to record at sign-in.
#[derive(Debug, Clone)]
pub struct NewConsoleSession {
    /// SHA-256 of the cookie's value, hex.
    pub id_hash: String,
    /// The admin token's fingerprint.
    pub actor_id: String,
    /// The token's scopes, in the tokens-file form (`read,requests`).
    pub scopes: String,
    pub csrf_token: String,
    pub create_time: Timestamp,
    pub expire_time: Timestamp,
}

/// A session as stored.
#[derive(Debug, Clone)]
pub struct StoredConsoleSession {
    pub actor_id: String,
    pub scopes: String,
    pub csrf_token: String,
    pub create_time: Timestamp,
    pub last_seen_time: Timestamp,
    pub expire_time: Timestamp,
}

impl Store {
    pub async fn insert_console_session(&self, session: &NewConsoleSession) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO console_sessions \
             (id_hash, actor_id, scopes, csrf_token, create_time, last_seen_time, expire_time) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(session.id_hash.clone())
        .bind(session.actor_id.clone())
        .bind(session.scopes.clone())
        .bind(session.csrf_token.clone())
        .bind(micros(session.create_time))
        .bind(micros(session.expire_time))
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// The session whose id hashes to `id_hash`, expired or not.
    pub async fn console_session(&self, id_hash: &str) -> Result<Option<StoredConsoleSession>, Error> {
        type Row = (String, String, String, i64, i64, i64);
        let row: Option<Row> = sqlx::query_as(
            "SELECT actor_id, scopes, csrf_token, create_time, last_seen_time, expire_time \
             FROM console_sessions WHERE id_hash = $1",
        )
        .bind(id_hash.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(|(actor_id, scopes, csrf_token, create, last_seen, expire)| StoredConsoleSession {
            actor_id,
            scopes,
            csrf_token,
            create_time: from_micros(create),
            last_seen_time: from_micros(last_seen),
            expire_time: from_micros(expire),
        }))
    }

    /// Records that the session was used at `now` (never moving the time backwards, when two
    /// replicas race).
    pub async fn touch_console_session(&self, id_hash: &str, now: Timestamp) -> Result<(), Error> {
        sqlx::query("UPDATE console_sessions SET last_seen_time = $2 WHERE id_hash = $1 AND last_seen_time < $2")
            .bind(id_hash.to_owned())
            .bind(micros(now))
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Ends one session; `false` if there was none.
    pub async fn delete_console_session(&self, id_hash: &str) -> Result<bool, Error> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash.to_owned())
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes the sessions past their absolute expiry (`expire_time <= now`) or idle since
    /// before `idle_since`; returns how many.
    pub async fn delete_expired_console_sessions(&self, now: Timestamp, idle_since: Timestamp) -> Result<u64, Error> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE expire_time <= $1 OR last_seen_time < $2")
            .bind(micros(now))
            .bind(micros(idle_since))
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }
}
