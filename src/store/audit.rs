use sqlx::{Any, Row, Transaction, any::AnyRow};

use super::{Store, db_error, from_micros, micros, parse_column, requests::parse_id};
use crate::domain::{
    Actor, AuditEvent, AuditEventType, EmailKind, Error, NewAuditEvent, NewRegistryEvent, RegistryChange,
    RegistryEvent, RequestId, SourceName, State,
};

impl Store {
    /// Request audit events after `after_sequence`, oldest first, optionally for one request
    /// (registry events, which belong to no request, are not among them).
    pub async fn list_audit_events(
        &self,
        request_id: Option<RequestId>,
        after_sequence: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, Error> {
        let rows = sqlx::query(
            "SELECT sequence, request_id, time, actor_kind, actor_id, type, from_state, to_state, \
             detail, email_kind FROM audit_events \
             WHERE ($1 IS NULL OR request_id = $1) AND data_source IS NULL AND sequence > $2 \
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

impl Store {
    /// Registry events after `after_sequence`, oldest first, optionally for one source.
    pub async fn list_registry_events(
        &self,
        source: Option<&SourceName>,
        after_sequence: Option<i64>,
        limit: u32,
    ) -> Result<Vec<RegistryEvent>, Error> {
        let rows = sqlx::query(
            "SELECT sequence, data_source, time, actor_kind, actor_id, type, detail FROM audit_events \
             WHERE data_source IS NOT NULL AND ($1 IS NULL OR data_source = $1) AND sequence > $2 \
             ORDER BY sequence LIMIT $3",
        )
        .bind(source.map(|s| s.as_str().to_owned()))
        .bind(after_sequence.unwrap_or(0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(registry_event_from_row).collect()
    }
}

/// Appends a registry event in the transaction that makes the change, so the registry never
/// changes without its event.
pub(super) async fn append_registry_event(
    tx: &mut Transaction<'static, Any>,
    event: &NewRegistryEvent,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO audit_events (request_id, data_source, time, actor_kind, actor_id, type, detail) \
         VALUES ('', $1, $2, $3, $4, $5, $6)",
    )
    .bind(event.source.as_str().to_owned())
    .bind(micros(event.time))
    .bind(event.actor.kind_str())
    .bind(event.actor.id_str().to_owned())
    .bind(event.change.event_type().as_str())
    .bind(event.detail.clone())
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(())
}

fn actor_from_row(row: &AnyRow) -> Result<Actor, Error> {
    let actor_kind = row.try_get::<String, _>("actor_kind").map_err(db_error)?;
    Actor::from_parts(&actor_kind, row.try_get::<String, _>("actor_id").map_err(db_error)?)
        .ok_or_else(|| Error::Internal(format!("unexpected actor kind {actor_kind:?}")))
}

fn registry_event_from_row(row: &AnyRow) -> Result<RegistryEvent, Error> {
    let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
    let event_type = parse_column("type", &text("type")?, AuditEventType::parse)?;
    Ok(RegistryEvent {
        sequence: row.try_get::<i64, _>("sequence").map_err(db_error)?,
        event: NewRegistryEvent {
            source: parse_column("data_source", &text("data_source")?, |s| SourceName::parse(s).ok())?,
            time: from_micros(row.try_get::<i64, _>("time").map_err(db_error)?),
            actor: actor_from_row(row)?,
            change: parse_column("type", event_type.as_str(), |_| RegistryChange::from_event_type(event_type))?,
            detail: text("detail")?,
        },
    })
}

pub(super) fn event_from_row(row: &AnyRow) -> Result<AuditEvent, Error> {
    let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
    let opt_text = |name: &str| row.try_get::<Option<String>, _>(name).map_err(db_error);
    let state = |name: &str| -> Result<Option<State>, Error> {
        opt_text(name)?.map(|s| parse_column(name, &s, State::parse)).transpose()
    };
    let actor = actor_from_row(row)?;
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
