use sqlx::{
    Any, Row, Transaction,
    any::{AnyArguments, AnyRow},
    query::Query,
};

use super::{NewJob, Store, db_error, from_micros, is_unique_violation, micros, opt_from_micros, parse_column};
use crate::domain::{
    Action, Actor, AuditEventType, DeliveryState, EmailDelivery, Error, IdempotencyKey, NewAuditEvent, PrivacyRequest,
    RequestId, RequestSubject, SourcesRemoved, State, Subject, SubjectEmail, Timestamp, TokenHash, UserId,
};

macro_rules! request_columns {
    () => {
        "id, action, subject_email, subject_user_id, state, state_reason, create_time, \
         update_time, confirm_time, complete_time, due_time, deadline_extension_days, \
         deadline_extension_reason, token_hash, token_expire_time, token_used_time, \
         scheduled_process_time, subject_purge_time, sources_remove_time, erasure_summary"
    };
}

/// The columns a request's life changes, in the order [`bind_mutable`] binds them.
macro_rules! mutable_columns {
    () => {
        "state, state_reason, update_time, confirm_time, complete_time, due_time, \
         deadline_extension_days, deadline_extension_reason, token_hash, token_expire_time, \
         token_used_time, scheduled_process_time"
    };
}

/// The states that make a request "unfinished"; must match the partial unique index
/// `privacy_requests_one_open` in the migrations.
macro_rules! open_states {
    () => {
        "('PENDING', 'CONFIRMED', 'PROCESSING', 'FAILED')"
    };
}

// After the macros above, which it uses.
mod listing;
mod tallies;
pub use listing::{Bound, FEW_MATCHES, Planner, RequestCursor, Statement, count_statement, list_statement};
pub(crate) use tallies::fold as fold_request_tallies;

/// What a create did.
#[derive(Debug)]
pub enum CreateOutcome {
    Created(PrivacyRequest),
    /// The `request_id` was seen before with the same request: this is the request it made.
    Replayed(PrivacyRequest),
}

/// What a modification wants written beside the request itself.
pub struct Change<T> {
    pub events: Vec<NewAuditEvent>,
    pub jobs: Vec<NewJob>,
    pub output: T,
    /// Cancel the request's work (every job but its emails) in the same transaction; see
    /// [`Change::stop_work`].
    pub stop_work: bool,
}

impl<T> Change<T> {
    pub fn new(output: T) -> Self {
        Change { events: Vec::new(), jobs: Vec::new(), output, stop_work: false }
    }

    /// Marks the request's jobs, queued and running, as cancelled (emails excepted: each
    /// checks the request's state itself). No replica claims them again, and the replica
    /// running one notices and abandons it (`Store::job_cancelled`): the signal goes through
    /// the database because the job may run on another replica.
    pub fn stop_work(mut self) -> Self {
        self.stop_work = true;
        self
    }

    pub fn event(mut self, event: NewAuditEvent) -> Self {
        self.events.push(event);
        self
    }

    pub fn job(mut self, job: NewJob) -> Self {
        self.jobs.push(job);
        self
    }
}

impl Store {
    /// Inserts a new request with its creation event and first jobs, atomically. Enforces
    /// "one unfinished request per subject and action" and AIP-155 idempotency through unique
    /// indexes, so concurrent creates on several replicas are safe.
    pub async fn create_request(
        &self,
        request: &PrivacyRequest,
        event: &NewAuditEvent,
        jobs: &[NewJob],
        idempotency: Option<(&IdempotencyKey, &str)>,
    ) -> Result<CreateOutcome, Error> {
        if let Some((key, digest)) = idempotency
            && let Some(existing) = self.replay(key, digest).await?
        {
            return Ok(CreateOutcome::Replayed(existing));
        }
        let subject = request.subject.known()?;
        let mut tx = self.begin_write().await?;
        let inserted = bind_mutable(
            sqlx::query(concat!(
                "INSERT INTO privacy_requests (id, action, subject_email, subject_user_id, subject_email_key, \
                 create_time, idempotency_key, idempotency_digest, ",
                mutable_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
            ))
            .bind(request.id.to_string())
            .bind(request.action.as_str())
            .bind(subject.email.as_str())
            .bind(subject.user_id.as_ref().map(|u| u.as_str().to_owned()))
            .bind(subject.email.key())
            .bind(micros(request.create_time))
            .bind(idempotency.map(|(k, _)| k.as_str().to_owned()))
            .bind(idempotency.map(|(_, d)| d.to_owned())),
            request,
        )
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            if !is_unique_violation(&err) {
                return Err(db_error(err));
            }
            tx.rollback().await.map_err(db_error)?;
            // Either a concurrent create with the same request_id won the race, or the
            // subject has an unfinished request of this action.
            if let Some((key, digest)) = idempotency
                && let Some(existing) = self.replay(key, digest).await?
            {
                return Ok(CreateOutcome::Replayed(existing));
            }
            let existing = self.find_open(&subject.email, request.action).await?;
            return Err(match existing {
                Some(existing) => Error::DuplicateRequest { existing, action: request.action },
                None => Error::Unavailable("a concurrent change conflicted; retry".into()),
            });
        }
        append_event(&mut tx, event).await?;
        for job in jobs {
            self.enqueue(&mut tx, job, request.create_time).await?;
        }
        tx.commit().await.map_err(db_error)?;
        self.announce(request.id);
        // Everything about the new request is known here; reading it back would only cost
        // two round trips on the hottest write path.
        let mut created = request.clone();
        created.emails = jobs
            .iter()
            .filter_map(|job| NewJob::email_kind(&job.payload))
            .map(|kind| EmailDelivery {
                kind,
                state: DeliveryState::Pending,
                attempts: 0,
                last_error: String::new(),
                create_time: request.create_time,
                send_time: None,
                next_attempt_time: None,
            })
            .collect();
        Ok(CreateOutcome::Created(created))
    }

    async fn replay(&self, key: &IdempotencyKey, digest: &str) -> Result<Option<PrivacyRequest>, Error> {
        let row = sqlx::query("SELECT id, idempotency_digest FROM privacy_requests WHERE idempotency_key = $1")
            .bind(key.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let stored: Option<String> = row.try_get("idempotency_digest").map_err(db_error)?;
        if stored.as_deref() != Some(digest) {
            return Err(Error::RequestIdReused(key.as_str().to_owned()));
        }
        let id: String = row.try_get("id").map_err(db_error)?;
        self.get_request(parse_id(&id)?).await
    }

    async fn find_open(&self, email: &SubjectEmail, action: Action) -> Result<Option<RequestId>, Error> {
        let id: Option<String> = sqlx::query_scalar(concat!(
            "SELECT id FROM privacy_requests WHERE subject_email_key = $1 AND action = $2 AND state IN ",
            open_states!()
        ))
        .bind(email.key())
        .bind(action.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        id.as_deref().map(parse_id).transpose()
    }

    /// One request, with its email deliveries.
    pub async fn get_request(&self, id: RequestId) -> Result<Option<PrivacyRequest>, Error> {
        let row = sqlx::query(concat!("SELECT ", request_columns!(), " FROM privacy_requests WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let mut request = request_from_row(&row)?;
        request.emails = self.email_deliveries(&[id]).await?.remove(&id).unwrap_or_default();
        self.load_progress(std::slice::from_mut(&mut request)).await?;
        Ok(Some(request))
    }

    /// Each of `ids` that exists, whole (as [`Store::get_request`] reads one), in a handful of
    /// queries whatever their number. Deleted ids are missing from the result.
    pub async fn get_requests(&self, ids: &[RequestId]) -> Result<Vec<PrivacyRequest>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            concat!("SELECT ", request_columns!(), " FROM privacy_requests WHERE id IN ({})"),
            super::placeholders(ids.len())
        );
        // Not prepared and kept: see `Store::update_times`.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for id in ids {
            query = query.bind(id.to_string());
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db_error)?;
        let mut requests = rows.iter().map(request_from_row).collect::<Result<Vec<_>, _>>()?;
        let found: Vec<RequestId> = requests.iter().map(|r| r.id).collect();
        let mut emails = self.email_deliveries(&found).await?;
        for request in &mut requests {
            request.emails = emails.remove(&request.id).unwrap_or_default();
        }
        self.load_progress(&mut requests).await?;
        Ok(requests)
    }

    /// The hash of the confirmation token last emailed for a request: `None` for an unknown id
    /// as for a request whose link has not been sent. One primary-key lookup from the read
    /// pool, taking no lock, so a guessed token is checked before anything else is read and
    /// without queueing behind the writer.
    pub async fn confirmation_token(&self, id: RequestId) -> Result<Option<TokenHash>, Error> {
        let hash: Option<Option<String>> = sqlx::query_scalar("SELECT token_hash FROM privacy_requests WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(hash.flatten().and_then(|h| TokenHash::from_hex(&h)))
    }

    /// Reads a request under a write lock, lets `f` change it (in the domain), and writes the
    /// request, the events and the jobs `f` asks for in one transaction. If `f` fails nothing
    /// is written.
    pub async fn modify<T>(
        &self,
        id: RequestId,
        f: impl FnOnce(&mut PrivacyRequest) -> Result<Change<T>, Error>,
    ) -> Result<(PrivacyRequest, T), Error> {
        let mut tx = self.begin_write().await?;
        let mut request = self.lock_request(&mut tx, id, RowLock::Exclusive).await?;
        Store::load_progress_on(&mut tx, std::slice::from_mut(&mut request)).await?;
        let before = request.clone();
        let change = f(&mut request)?;
        self.write_request(&mut tx, &before, &request, &change, true).await?;
        tx.commit().await.map_err(db_error)?;
        self.announce(id);
        request.emails = self.email_deliveries(&[id]).await?.remove(&id).unwrap_or_default();
        Ok((request, change.output))
    }

    /// Reads a request, holding its row as `lock` says (on PostgreSQL; SQLite's BEGIN
    /// IMMEDIATE already made this the only writer), without its sources or archive.
    pub(super) async fn lock_request(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: RequestId,
        lock: RowLock,
    ) -> Result<PrivacyRequest, Error> {
        let select = match (self.dialect, lock) {
            (super::Dialect::Sqlite, _) => {
                concat!("SELECT ", request_columns!(), " FROM privacy_requests WHERE id = $1")
            }
            (super::Dialect::Postgres, RowLock::Exclusive) => {
                concat!("SELECT ", request_columns!(), " FROM privacy_requests WHERE id = $1 FOR UPDATE")
            }
            (super::Dialect::Postgres, RowLock::Shared) => {
                concat!("SELECT ", request_columns!(), " FROM privacy_requests WHERE id = $1 FOR SHARE")
            }
        };
        let row = sqlx::query(select)
            .bind(id.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_error)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        request_from_row(&row)
    }

    /// Writes what changed from `before` to `request`, and the change's events and jobs. The
    /// request's own row only when `row` says so: a change to runs alone has its time in the
    /// runs' rows.
    pub(super) async fn write_request<T>(
        &self,
        tx: &mut Transaction<'static, Any>,
        before: &PrivacyRequest,
        request: &PrivacyRequest,
        change: &Change<T>,
        row: bool,
    ) -> Result<(), Error> {
        if row {
            bind_mutable(
                sqlx::query(concat!(
                    "UPDATE privacy_requests SET (",
                    mutable_columns!(),
                    ") = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) WHERE id = $1"
                ))
                .bind(request.id.to_string()),
                request,
            )
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        }
        Store::save_progress(tx, request, &before.sources, before.archive.as_ref()).await?;
        for event in &change.events {
            append_event(tx, event).await?;
        }
        if change.stop_work {
            Store::cancel_jobs(tx, request.id, request.update_time).await?;
        }
        for job in &change.jobs {
            self.enqueue(tx, job, request.update_time).await?;
        }
        Ok(())
    }

    /// Deletes a finished request and its personal data; its audit events stay, and a DELETED
    /// event is added.
    pub async fn delete_request(&self, id: RequestId, actor: Actor, now: Timestamp) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM privacy_requests WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let state = parse_column("state", &state.ok_or_else(|| Error::NotFound(id.to_string()))?, State::parse)?;
        if !state.is_deletable() {
            return Err(Error::IllegalTransition { state, attempted: "delete" });
        }
        sqlx::query("DELETE FROM privacy_requests WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let event = NewAuditEvent::new(id, actor, AuditEventType::Deleted, now).with_states(Some(state), None);
        append_event(&mut tx, &event).await?;
        tx.commit().await.map_err(db_error)?;
        self.announce(id);
        if self.dialect == super::Dialect::Sqlite {
            super::truncate_sqlite_log(&self.writer).await;
        }
        Ok(())
    }

    /// PENDING requests whose confirmation token expired at or before `now`.
    pub async fn pending_expired(&self, now: Timestamp, limit: u32) -> Result<Vec<RequestId>, Error> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM privacy_requests WHERE state = 'PENDING' AND token_expire_time <= $1 \
             ORDER BY token_expire_time LIMIT $2",
        )
        .bind(micros(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        ids.iter().map(|id| parse_id(id)).collect()
    }
}

pub(super) async fn append_event(tx: &mut Transaction<'static, Any>, event: &NewAuditEvent) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO audit_events (request_id, time, actor_kind, actor_id, type, from_state, to_state, \
         detail, email_kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(event.request_id.to_string())
    .bind(micros(event.time))
    .bind(event.actor.kind_str())
    .bind(event.actor.id_str().to_owned())
    .bind(event.event_type.as_str())
    .bind(event.from_state.map(|s| s.as_str().to_owned()))
    .bind(event.to_state.map(|s| s.as_str().to_owned()))
    .bind(event.detail.clone())
    .bind(event.email_kind.map(|k| k.as_str().to_owned()))
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Binds the values of [`mutable_columns`], in order, after the parameters already bound.
fn bind_mutable<'q>(query: Query<'q, Any, AnyArguments>, request: &PrivacyRequest) -> Query<'q, Any, AnyArguments> {
    query
        .bind(request.state.as_str())
        .bind(request.state_reason.clone())
        .bind(micros(request.update_time))
        .bind(request.confirm_time.map(micros))
        .bind(request.complete_time.map(micros))
        .bind(micros(request.due_time))
        .bind(request.deadline_extension_days)
        .bind(request.deadline_extension_reason.clone())
        .bind(request.token_hash.map(|h| h.to_hex()))
        .bind(request.token_expire_time.map(micros))
        .bind(request.token_used_time.map(micros))
        .bind(request.scheduled_process_time.map(micros))
}

pub(super) fn parse_id(raw: &str) -> Result<RequestId, Error> {
    RequestId::parse("id", raw).map_err(|_| Error::Internal(format!("unexpected request id {raw:?} in database")))
}

fn request_from_row(row: &AnyRow) -> Result<PrivacyRequest, Error> {
    let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
    let opt_text = |name: &str| row.try_get::<Option<String>, _>(name).map_err(db_error);
    let int = |name: &str| row.try_get::<i64, _>(name).map_err(db_error);
    let opt_int = |name: &str| row.try_get::<Option<i64>, _>(name).map_err(db_error);

    let subject = match opt_from_micros(opt_int("subject_purge_time")?) {
        Some(purge_time) => RequestSubject::Purged { purge_time },
        None => RequestSubject::Known(Subject {
            email: SubjectEmail::parse(&text("subject_email")?)
                .map_err(|_| Error::Internal("stored subject email no longer parses".into()))?,
            user_id: UserId::parse_optional(&opt_text("subject_user_id")?.unwrap_or_default())
                .map_err(|_| Error::Internal("stored user id no longer parses".into()))?,
        }),
    };
    let sources_removed = opt_from_micros(opt_int("sources_remove_time")?)
        .map(|remove_time| {
            let erasure =
                opt_text("erasure_summary")?.map(|json| super::retention::parse_summary(&json)).transpose()?;
            Ok::<_, Error>(SourcesRemoved { remove_time, erasure })
        })
        .transpose()?;
    let token_hash = opt_text("token_hash")?
        .map(|h| TokenHash::from_hex(&h).ok_or_else(|| Error::Internal("malformed token hash".into())))
        .transpose()?;
    Ok(PrivacyRequest {
        id: parse_id(&text("id")?)?,
        action: parse_column("action", &text("action")?, Action::parse)?,
        subject,
        state: parse_column("state", &text("state")?, State::parse)?,
        state_reason: opt_text("state_reason")?,
        create_time: from_micros(int("create_time")?),
        update_time: from_micros(int("update_time")?),
        confirm_time: opt_from_micros(opt_int("confirm_time")?),
        complete_time: opt_from_micros(opt_int("complete_time")?),
        due_time: from_micros(int("due_time")?),
        deadline_extension_days: int("deadline_extension_days")? as i32,
        deadline_extension_reason: opt_text("deadline_extension_reason")?,
        token_hash,
        token_expire_time: opt_from_micros(opt_int("token_expire_time")?),
        token_used_time: opt_from_micros(opt_int("token_used_time")?),
        emails: Vec::new(),
        sources: Vec::new(),
        archive: None,
        scheduled_process_time: opt_from_micros(opt_int("scheduled_process_time")?),
        sources_removed,
    })
}

/// How a write holds the request's row (on PostgreSQL; SQLite has one writer at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum RowLock {
    /// The write may change anything of the request: nobody else writes it meanwhile.
    Exclusive,
    /// The write changes one source's run alone: others doing the same go ahead, a change to
    /// the request waits.
    Shared,
}

/// What [`bind_mutable`] writes of a request, but its update time.
#[derive(PartialEq)]
pub(super) struct RowFields<'a> {
    state: State,
    state_reason: &'a Option<String>,
    confirm_time: Option<Timestamp>,
    complete_time: Option<Timestamp>,
    due_time: Timestamp,
    deadline_extension_days: i32,
    deadline_extension_reason: &'a Option<String>,
    token_hash: Option<TokenHash>,
    token_expire_time: Option<Timestamp>,
    token_used_time: Option<Timestamp>,
    scheduled_process_time: Option<Timestamp>,
}

pub(super) fn row_fields(r: &PrivacyRequest) -> RowFields<'_> {
    RowFields {
        state: r.state,
        state_reason: &r.state_reason,
        confirm_time: r.confirm_time,
        complete_time: r.complete_time,
        due_time: r.due_time,
        deadline_extension_days: r.deadline_extension_days,
        deadline_extension_reason: &r.deadline_extension_reason,
        token_hash: r.token_hash,
        token_expire_time: r.token_expire_time,
        token_used_time: r.token_used_time,
        scheduled_process_time: r.scheduled_process_time,
    }
}
