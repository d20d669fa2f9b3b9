//! Erase: every category's strategy, in one transaction with the erasure log's record, bounded
//! by the call's deadline. When the deadline passes the transaction is dropped, which rolls it
//! back, and the database is told to stop too (PostgreSQL `SET LOCAL statement_timeout`,
//! MariaDB `max_statement_time`), so nothing goes on erasing after privacyd gave up.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

// AssertSqlSafe: the only text put in these SET statements is a number the code computed.
use sqlx::{Acquire, AnyConnection, AnyPool, AssertSqlSafe};
use tonic::Status;

use super::{
    dataset::{Category, Erase, ErasureLog, Ident, MaskTo},
    export::{PAGE_SIZE, Plan, database_error, items_of, page},
    idempotency,
    masks::{HashKey, anonymize_ip},
    query::{self, Arg, Dialect, KeyKind, SubjectArgs},
};
use crate::proto::privacy::datasource::v1 as pb;

/// One UPDATE: the new values, and the keys of the rows that get them.
type Update = (Vec<(Ident, Arg)>, Vec<Arg>);

#[derive(Clone)]
pub struct Eraser {
    pub pool: AnyPool,
    pub dialect: Dialect,
    pub categories: Arc<Vec<(Category, KeyKind)>>,
    pub log: ErasureLog,
    pub hash_key: Option<HashKey>,
}

impl Eraser {
    /// Erases the subject's data once per `request_id`; a repeat re-applies the deletions
    /// (nothing is left after a correct first call) and answers with the recorded first answer.
    pub async fn erase(
        &self,
        request_id: &str,
        subject: &SubjectArgs,
        deadline: Option<Duration>,
    ) -> Result<pb::EraseResponse, Status> {
        let work = self.erase_in_transaction(request_id, subject, deadline);
        match deadline {
            // Dropping the future drops the transaction: it rolls back.
            Some(limit) => tokio::time::timeout(limit, work)
                .await
                .map_err(|_| Status::deadline_exceeded("the call's deadline passed; the erasure was rolled back"))?,
            None => work.await,
        }
    }

    async fn erase_in_transaction(
        &self,
        request_id: &str,
        subject: &SubjectArgs,
        deadline: Option<Duration>,
    ) -> Result<pb::EraseResponse, Status> {
        let mut conn = self.pool.acquire().await.map_err(database_error)?;
        if self.dialect == Dialect::MySql {
            // max_statement_time is per session: this connection must not go back to the pool
            // with it set, whatever happens below.
            conn.close_on_drop();
            if let Some(limit) = deadline {
                let seconds = limit.as_secs_f64().max(0.001);
                // MariaDB only (MySQL calls it max_execution_time, for SELECTs): best effort.
                let _ = sqlx::query(AssertSqlSafe(format!("SET SESSION max_statement_time = {seconds:.3}")))
                    .execute(&mut *conn)
                    .await;
            }
        }
        let mut tx = conn.begin().await.map_err(database_error)?;
        if let (Dialect::Postgres, Some(limit)) = (self.dialect, deadline) {
            let ms = limit.as_millis().max(1);
            sqlx::query(AssertSqlSafe(format!("SET LOCAL statement_timeout = {ms}")))
                .execute(&mut *tx)
                .await
                .map_err(database_error)?;
        }
        let first = idempotency::find(&mut tx, self.dialect, &self.log, request_id).await?;
        let mut removed = 0i64;
        let mut retentions = Vec::new();
        // Reverse order: children (reached through a parent) before the parent they join
        // through (docs/connectors.md).
        for (category, key_kind) in self.categories.iter().rev() {
            match &category.erase {
                Erase::Delete => {
                    let items = if category.explode.is_some() {
                        count_items(&mut tx, self.dialect, category, *key_kind, subject).await?
                    } else {
                        0
                    };
                    let sql = query::delete(self.dialect, category, subject);
                    let rows = sql.query().execute(&mut *tx).await.map_err(database_error)?.rows_affected() as i64;
                    removed += if category.explode.is_some() { items } else { rows };
                }
                Erase::Mask(masks) => {
                    removed += self.mask(&mut tx, category, *key_kind, masks, subject).await?;
                }
                Erase::Retain { reason, legal_basis, period } => {
                    let items = count_items(&mut tx, self.dialect, category, *key_kind, subject).await?;
                    if items > 0 {
                        retentions.push(pb::Retention {
                            group_id: category.group_id.clone(),
                            items,
                            reason: reason.clone(),
                            legal_basis: super::service::legal_basis(Some(*legal_basis)) as i32,
                            retention_period: period.clone(),
                        });
                    }
                }
                Erase::None => {}
            }
        }
        retentions.reverse();
        let answer = match first {
            Some(first) => first,
            None => {
                let answer = pb::EraseResponse {
                    items_removed: removed,
                    items_retained: retentions.iter().map(|r| r.items).sum(),
                    retentions,
                    messages: Vec::new(),
                };
                idempotency::record(&mut tx, self.dialect, &self.log, request_id, &answer).await?;
                answer
            }
        };
        tx.commit().await.map_err(database_error)?;
        Ok(answer)
    }

    /// Overwrites the masked columns of the subject's rows, a page at a time: fixed values
    /// and functions of the stored value (keyed hash, IP anonymisation) alike. Rows that get
    /// the same new values are updated by one statement.
    async fn mask(
        &self,
        conn: &mut AnyConnection,
        category: &Category,
        key_kind: KeyKind,
        masks: &[super::dataset::Mask],
        subject: &SubjectArgs,
    ) -> Result<i64, Status> {
        let plan = Plan { columns: masks.iter().map(|m| m.column.clone()).collect(), eav: Vec::new() };
        let mut after: Option<String> = None;
        let mut count = 0i64;
        loop {
            let rows = page(&mut *conn, self.dialect, category, &plan, key_kind, subject, after.as_deref())
                .await
                .map_err(database_error)?;
            let mut groups: BTreeMap<String, Update> = BTreeMap::new();
            for row in &rows {
                let mut set = Vec::new();
                for m in masks {
                    let old = row.column(&m.column);
                    let new = match &m.to {
                        MaskTo::Null => Arg::Null,
                        MaskTo::Empty => Arg::Text(String::new()),
                        MaskTo::Value(v) => v.into(),
                        MaskTo::KeyedHash { length } => match old {
                            None => Arg::Null,
                            Some(old) => {
                                let key = self.hash_key.as_ref().ok_or_else(|| {
                                    Status::failed_precondition("a keyed_hash mask needs --hash-key-file")
                                })?;
                                Arg::Text(key.hash(old, *length))
                            }
                        },
                        MaskTo::AnonymizeIp => Arg::Text(anonymize_ip(old.unwrap_or_default())),
                    };
                    set.push((m.column.clone(), new));
                }
                let entry = groups.entry(format!("{set:?}")).or_insert_with(|| (set, Vec::new()));
                entry.1.push(query::key_arg(key_kind, &row.key));
            }
            for (set, keys) in groups.into_values() {
                query::update_keys(self.dialect, category, &set, &keys)
                    .query()
                    .execute(&mut *conn)
                    .await
                    .map_err(database_error)?;
            }
            count += rows.len() as i64;
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE_SIZE => after = Some(last.key.clone()),
                _ => break,
            }
        }
        Ok(count)
    }
}

/// How many items the category holds for the subject (what Export would send).
async fn count_items(
    conn: &mut AnyConnection,
    dialect: Dialect,
    category: &Category,
    key_kind: KeyKind,
    subject: &SubjectArgs,
) -> Result<i64, Status> {
    let plan = Plan::of(category);
    let mut after: Option<String> = None;
    let mut count = 0i64;
    loop {
        let rows = page(&mut *conn, dialect, category, &plan, key_kind, subject, after.as_deref())
            .await
            .map_err(database_error)?;
        count += rows.iter().map(|r| items_of(category, r).len() as i64).sum::<i64>();
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE_SIZE => after = Some(last.key.clone()),
            _ => break,
        }
    }
    Ok(count)
}
