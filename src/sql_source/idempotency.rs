//! The erasure log: one row per `privacy_request_id` with the first Erase answer, in the
//! served database, written in the erasure's own transaction. Both commit or neither does, so
//! the log never claims an erasure that rolled back nor misses one that committed (the
//! protocol's "Idempotency" rule; docs/connectors.md says more).

use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use tonic::Status;

use super::{
    dataset::ErasureLog,
    export::database_error,
    query::{Arg, Dialect, Sql},
};
use crate::proto::privacy::datasource::v1 as pb;

fn table(dialect: Dialect, log: &ErasureLog) -> String {
    match &log.schema {
        Some(schema) => format!("{}.{}", dialect.quote(schema), dialect.quote(&log.table)),
        None => dialect.quote(&log.table),
    }
}

/// `CREATE TABLE IF NOT EXISTS` the log (at start-up). Request ids are at most 255 bytes;
/// privacyd's are UUIDs.
pub fn create_sql(dialect: Dialect, log: &ErasureLog) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (request_id VARCHAR(255) NOT NULL PRIMARY KEY, answer TEXT NOT NULL, \
         erased_at VARCHAR(40) NOT NULL)",
        table(dialect, log)
    )
}

/// The first answer recorded for `request_id`, if any.
pub async fn find(
    conn: &mut AnyConnection,
    dialect: Dialect,
    log: &ErasureLog,
    request_id: &str,
) -> Result<Option<pb::EraseResponse>, Status> {
    let mut sql = Sql::new(dialect);
    sql.push(&format!("SELECT answer FROM {} WHERE request_id = ", table(dialect, log)));
    sql.bind(Arg::Text(request_id.to_owned()));
    let row = sql.query().fetch_optional(&mut *conn).await.map_err(database_error)?;
    let Some(row) = row else { return Ok(None) };
    let answer: String = row.try_get(0).map_err(database_error)?;
    decode(&answer).map(Some).ok_or_else(|| Status::internal("the erasure log holds an answer it cannot read"))
}

/// Records the answer; a concurrent call with the same id that committed first makes this
/// fail with ABORTED, which privacyd retries (and the retry finds the record).
pub async fn record(
    conn: &mut AnyConnection,
    dialect: Dialect,
    log: &ErasureLog,
    request_id: &str,
    answer: &pb::EraseResponse,
) -> Result<(), Status> {
    let mut sql = Sql::new(dialect);
    sql.push(&format!("INSERT INTO {} (request_id, answer, erased_at) VALUES (", table(dialect, log)));
    sql.bind(Arg::Text(request_id.to_owned()));
    sql.push(", ");
    sql.bind(Arg::Text(encode(answer)));
    sql.push(", ");
    sql.bind(Arg::Text(chrono::Utc::now().to_rfc3339()));
    sql.push(")");
    sql.query().execute(&mut *conn).await.map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            Status::aborted("another Erase with the same privacy_request_id committed first; retry")
        }
        _ => database_error(e),
    })?;
    Ok(())
}

pub fn encode(answer: &pb::EraseResponse) -> String {
    json!({
        "items_removed": answer.items_removed,
        "items_retained": answer.items_retained,
        "retentions": answer.retentions.iter().map(|r| json!({
            "group_id": r.group_id,
            "items": r.items,
            "reason": r.reason,
            "legal_basis": r.legal_basis,
            "retention_period": r.retention_period,
        })).collect::<Vec<_>>(),
        "messages": answer.messages,
    })
    .to_string()
}

pub fn decode(text: &str) -> Option<pb::EraseResponse> {
    let v: Value = serde_json::from_str(text).ok()?;
    let retentions = v["retentions"]
        .as_array()?
        .iter()
        .map(|r| {
            Some(pb::Retention {
                group_id: r["group_id"].as_str()?.to_owned(),
                items: r["items"].as_i64()?,
                reason: r["reason"].as_str()?.to_owned(),
                legal_basis: i32::try_from(r["legal_basis"].as_i64()?).ok()?,
                retention_period: r["retention_period"].as_str()?.to_owned(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(pb::EraseResponse {
        items_removed: v["items_removed"].as_i64()?,
        items_retained: v["items_retained"].as_i64()?,
        retentions,
        messages: v["messages"].as_array()?.iter().map(|m| m.as_str().map(str::to_owned)).collect::<Option<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_survives_the_log() {
        let answer = pb::EraseResponse {
            items_removed: 12,
            items_retained: 3,
            retentions: vec![pb::Retention {
                group_id: "orders".into(),
                items: 3,
                reason: "HGB § 257".into(),
                legal_basis: pb::LegalBasis::LegalObligation as i32,
                retention_period: "10 years".into(),
            }],
            messages: vec!["note".into()],
        };
        assert_eq!(decode(&encode(&answer)), Some(answer));
    }
}
