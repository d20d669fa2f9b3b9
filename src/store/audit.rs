use sqlx::{Row, any::AnyRow};

use super::{Store, db_error, from_micros, parse_column, requests::parse_id};
use crate::domain::{Actor, AuditEvent, AuditEventType, EmailKind, Error, NewAuditEvent, RequestId, State};

impl Store {
    /// Audit events after `after_sequence`, oldest first, optionally for one request.
    pub async fn list_audit_events(
        &self,
        request_id: Option<RequestId>,
        after_sequence: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, Error> {
        let rows = sqlx::query(
            "SELECT sequence, request_id, time, actor_kind, actor_id, type, from_state, to_state, \
             detail, email_kind FROM audit_events \
             WHERE ($1 IS NULL OR request_id = $1) AND sequence > $2 \
             ORDER BY sequence LIMIT $3",
        )
        .bind(request_id.map(|id| id.to_string()))
        .bind(after_sequence.unwrap_or(0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(event_from_row).collect()
    }
}

pub(super) fn event_from_row(row: &AnyRow) -> Result<AuditEvent, Error> {
    let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
    let opt_text = |name: &str| row.try_get::<Option<String>, _>(name).map_err(db_error);
    let state = |name: &str| -> Result<Option<State>, Error> {
        opt_text(name)?.map(|s| parse_column(name, &s, State::parse)).transpose()
    };
    let actor_kind = text("actor_kind")?;
    let actor = Actor::from_parts(&actor_kind, text("actor_id")?)
        .ok_or_else(|| Error::Internal(format!("unexpected actor kind {actor_kind:?}")))?;
    Ok(AuditEvent {
        sequence: row.try_get::<i64, _>("sequence").map_err(db_error)?,
        event: NewAuditEvent {
            request_id: parse_id(&text("request_id")?)?,
            time: from_micros(row.try_get::<i64, _>("time").map_err(db_error)?),
            actor,
            event_type: parse_column("type", &text("type")?, AuditEventType::parse)?,
            from_state: state("from_state")?,
            to_state: state("to_state")?,
            detail: text("detail")?,
            email_kind: opt_text("email_kind")?
                .map(|k| parse_column("email_kind", &k, EmailKind::parse))
                .transpose()?,
        },
    })
}

impl Store {
    /// The newest event's sequence for a request (0 if none).
    pub async fn last_audit_sequence(&self, request_id: RequestId) -> Result<i64, Error> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(sequence) FROM audit_events WHERE request_id = $1")
            .bind(request_id.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(last.unwrap_or(0))
    }
}
