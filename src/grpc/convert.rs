//! Between protobuf messages and domain types. Parsing here is where "parse, don't validate"
//! happens for gRPC input: what leaves this module is a domain value or a precise error.

use prost_types::Timestamp as ProtoTimestamp;

use crate::domain::{ErasureOutcome, SourceErasure, SourceState, Verification, VerificationState};

use crate::{
    domain::{
        self, Action, Actor, AuditEvent, DeliveryState, EmailKind, Error, State, Subject, SubjectEmail, Timestamp,
        UserId,
    },
    proto::privacy::v1 as pb,
};

pub fn timestamp(t: Timestamp) -> ProtoTimestamp {
    ProtoTimestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

fn opt_timestamp(t: Option<Timestamp>) -> Option<ProtoTimestamp> {
    t.map(timestamp)
}

pub fn parse_subject(subject: Option<pb::Subject>) -> Result<Subject, Error> {
    let subject = subject.ok_or_else(|| Error::invalid("subject", "is required"))?;
    Ok(Subject { email: SubjectEmail::parse(&subject.email)?, user_id: UserId::parse_optional(&subject.user_id)? })
}

pub fn parse_action(raw: i32) -> Result<Option<Action>, Error> {
    match pb::Action::try_from(raw) {
        Ok(pb::Action::Unspecified) => Ok(None),
        Ok(pb::Action::Export) => Ok(Some(Action::Export)),
        Ok(pb::Action::Erase) => Ok(Some(Action::Erase)),
        Err(_) => Err(Error::invalid("action", format!("{raw} is not an Action"))),
    }
}

pub fn parse_state(raw: i32) -> Result<Option<State>, Error> {
    let state = pb::State::try_from(raw).map_err(|_| Error::invalid("state", format!("{raw} is not a State")))?;
    Ok(match state {
        pb::State::Unspecified => None,
        pb::State::Pending => Some(State::Pending),
        pb::State::Confirmed => Some(State::Confirmed),
        pb::State::Processing => Some(State::Processing),
        pb::State::Completed => Some(State::Completed),
        pb::State::Failed => Some(State::Failed),
        pb::State::Denied => Some(State::Denied),
        pb::State::Cancelled => Some(State::Cancelled),
        pb::State::Expired => Some(State::Expired),
    })
}

pub fn action(a: Action) -> pb::Action {
    match a {
        Action::Export => pb::Action::Export,
        Action::Erase => pb::Action::Erase,
    }
}

pub fn state(s: State) -> pb::State {
    match s {
        State::Pending => pb::State::Pending,
        State::Confirmed => pb::State::Confirmed,
        State::Processing => pb::State::Processing,
        State::Completed => pb::State::Completed,
        State::Failed => pb::State::Failed,
        State::Denied => pb::State::Denied,
        State::Cancelled => pb::State::Cancelled,
        State::Expired => pb::State::Expired,
    }
}

fn email_kind(k: EmailKind) -> pb::EmailKind {
    match k {
        EmailKind::ConfirmationRequest => pb::EmailKind::ConfirmationRequest,
        EmailKind::AdminConfirmed => pb::EmailKind::AdminConfirmed,
        EmailKind::DeadlineExtended => pb::EmailKind::DeadlineExtended,
        EmailKind::ExportReady => pb::EmailKind::ExportReady,
        EmailKind::ErasureFulfilled => pb::EmailKind::ErasureFulfilled,
        EmailKind::RequestDenied => pb::EmailKind::RequestDenied,
    }
}

fn source_erasure(e: SourceErasure) -> pb::SourceErasure {
    use crate::proto::privacy::datasource::v1 as ds;
    pb::SourceErasure {
        items_removed: e.items_removed,
        items_retained: e.items_retained,
        retentions: e
            .retentions
            .into_iter()
            .map(|r| ds::Retention {
                group_id: r.group_id,
                items: r.items,
                reason: r.reason,
                legal_basis: crate::source_client::legal_basis_message(r.legal_basis),
                retention_period: r.retention_period,
            })
            .collect(),
        messages: e.messages,
        erase_time: Some(timestamp(e.erase_time)),
    }
}

fn verification(v: Verification) -> pb::ErasureVerification {
    pb::ErasureVerification {
        state: match v.state {
            VerificationState::Passed => pb::VerificationState::Passed,
            VerificationState::Failed => pb::VerificationState::Failed,
            VerificationState::Skipped => pb::VerificationState::Skipped,
        } as i32,
        leftovers: v
            .leftovers
            .into_iter()
            .map(|l| pb::Leftover { group_id: l.group_id, items: l.items, files: l.files })
            .collect(),
        detail: v.detail,
        verify_time: Some(timestamp(v.verify_time)),
    }
}

pub fn privacy_request(r: domain::PrivacyRequest) -> pb::PrivacyRequest {
    let erasure = r.erasure_summary().map(|s| pb::ErasureSummary {
        outcome: match s.outcome {
            ErasureOutcome::NothingFound => pb::ErasureOutcome::NothingFound,
            ErasureOutcome::AllErased => pb::ErasureOutcome::AllErased,
            ErasureOutcome::NothingErased => pb::ErasureOutcome::NothingErased,
            ErasureOutcome::PartlyErased => pb::ErasureOutcome::PartlyErased,
        } as i32,
        items_removed: s.items_removed,
        items_retained: s.items_retained,
        verified: s.verified,
        sources_skipped: i32::try_from(s.sources_skipped).unwrap_or(i32::MAX),
    });
    pb::PrivacyRequest {
        scheduled_process_time: opt_timestamp(r.scheduled_process_time),
        erasure,
        id: r.id.to_string(),
        action: action(r.action) as i32,
        subject_purge_time: opt_timestamp(r.subject.purge_time()),
        // A purged subject is unset rather than an empty Subject: nothing is known of them.
        subject: match r.subject {
            domain::RequestSubject::Known(subject) => Some(pb::Subject {
                email: subject.email.as_str().to_owned(),
                user_id: subject.user_id.map(|u| u.as_str().to_owned()).unwrap_or_default(),
            }),
            domain::RequestSubject::Purged { .. } => None,
        },
        state: state(r.state) as i32,
        create_time: Some(timestamp(r.create_time)),
        confirm_time: opt_timestamp(r.confirm_time),
        complete_time: opt_timestamp(r.complete_time),
        due_time: Some(timestamp(r.due_time)),
        update_time: Some(timestamp(r.update_time)),
        confirmation_expire_time: if r.state == State::Pending { opt_timestamp(r.token_expire_time) } else { None },
        state_reason: r.state_reason.unwrap_or_default(),
        deadline_extension_days: r.deadline_extension_days,
        deadline_extension_reason: r.deadline_extension_reason.unwrap_or_default(),
        sources: r
            .sources
            .into_iter()
            .map(|run| pb::SourceProgress {
                source_name: run.source.to_string(),
                state: match run.state {
                    SourceState::Pending => pb::SourceState::Pending,
                    SourceState::Running => pb::SourceState::Running,
                    SourceState::Succeeded => pb::SourceState::Succeeded,
                    SourceState::Failed => pb::SourceState::Failed,
                    SourceState::Skipped(_) => pb::SourceState::Skipped,
                    SourceState::Cancelled => pb::SourceState::Cancelled,
                } as i32,
                items: run.items,
                bytes: run.bytes,
                attempts: run.attempts,
                last_error: run.last_error,
                start_time: opt_timestamp(run.start_time),
                finish_time: opt_timestamp(run.finish_time),
                erasure: run.erasure.map(source_erasure),
                verification: run.verification.map(verification),
                skip_reason: run.state.skip_reason().map(|r| r.sentence().to_owned()).unwrap_or_default(),
                next_attempt_time: opt_timestamp(run.next_attempt_time),
            })
            .collect(),
        archive: r.archive.map(|a| pb::ExportArchive {
            file_name: a.file_name,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            create_time: Some(timestamp(a.create_time)),
            expire_time: Some(timestamp(a.expire_time)),
            delete_time: opt_timestamp(a.delete_time),
            download_count: a.download_count,
        }),
        emails: r
            .emails
            .into_iter()
            .map(|e| pb::EmailDelivery {
                kind: email_kind(e.kind) as i32,
                state: match e.state {
                    DeliveryState::Pending => pb::DeliveryState::Pending,
                    DeliveryState::Sent => pb::DeliveryState::Sent,
                    DeliveryState::Failed => pb::DeliveryState::Failed,
                } as i32,
                attempts: e.attempts,
                last_error: e.last_error,
                create_time: Some(timestamp(e.create_time)),
                send_time: opt_timestamp(e.send_time),
                next_attempt_time: opt_timestamp(e.next_attempt_time),
            })
            .collect(),
    }
}

fn actor(actor: &Actor) -> pb::Actor {
    let (kind, id) = match actor {
        Actor::Admin(id) => (pb::ActorKind::Admin, id.clone()),
        Actor::Subject => (pb::ActorKind::Subject, String::new()),
        Actor::System(id) => (pb::ActorKind::System, id.clone()),
    };
    pb::Actor { kind: kind as i32, id }
}

/// A registry event: `request_id` empty, `data_source` set.
pub fn registry_event(e: domain::RegistryEvent) -> pb::AuditEvent {
    let ev = e.event;
    pb::AuditEvent {
        sequence: e.sequence,
        time: Some(timestamp(ev.time)),
        actor: Some(actor(&ev.actor)),
        r#type: audit_event_type(ev.change.event_type()) as i32,
        detail: ev.detail,
        data_source: ev.source.as_str().to_owned(),
        ..Default::default()
    }
}

fn audit_event_type(event_type: domain::AuditEventType) -> pb::AuditEventType {
    use domain::AuditEventType as T;
    match event_type {
        T::Created => pb::AuditEventType::Created,
        T::Confirmed => pb::AuditEventType::Confirmed,
        T::ConfirmationResent => pb::AuditEventType::ConfirmationResent,
        T::ProcessingStarted => pb::AuditEventType::ProcessingStarted,
        T::Completed => pb::AuditEventType::Completed,
        T::Failed => pb::AuditEventType::Failed,
        T::Denied => pb::AuditEventType::Denied,
        T::Cancelled => pb::AuditEventType::Cancelled,
        T::Expired => pb::AuditEventType::Expired,
        T::Deleted => pb::AuditEventType::Deleted,
        T::DeadlineExtended => pb::AuditEventType::DeadlineExtended,
        T::EmailSent => pb::AuditEventType::EmailSent,
        T::EmailFailed => pb::AuditEventType::EmailFailed,
        T::SourceSucceeded => pb::AuditEventType::SourceSucceeded,
        T::SourceFailed => pb::AuditEventType::SourceFailed,
        T::SourceCancelled => pb::AuditEventType::SourceCancelled,
        T::SubjectPurged => pb::AuditEventType::SubjectPurged,
        T::ArchiveCreated => pb::AuditEventType::ArchiveCreated,
        T::ArchiveDownloaded => pb::AuditEventType::ArchiveDownloaded,
        T::ArchiveDeleted => pb::AuditEventType::ArchiveDeleted,
        T::ErasureScheduled => pb::AuditEventType::ErasureScheduled,
        T::ErasureVerificationFailed => pb::AuditEventType::ErasureVerificationFailed,
        T::DataSourceRegistered => pb::AuditEventType::DataSourceRegistered,
        T::DataSourceUpdated => pb::AuditEventType::DataSourceUpdated,
        T::DataSourceDeleted => pb::AuditEventType::DataSourceDeleted,
    }
}

pub fn audit_event(e: AuditEvent) -> pb::AuditEvent {
    let ev = e.event;
    pb::AuditEvent {
        sequence: e.sequence,
        request_id: ev.request_id.to_string(),
        time: Some(timestamp(ev.time)),
        actor: Some(actor(&ev.actor)),
        r#type: audit_event_type(ev.event_type) as i32,
        from_state: ev.from_state.map(|s| state(s) as i32).unwrap_or_default(),
        to_state: ev.to_state.map(|s| state(s) as i32).unwrap_or_default(),
        detail: ev.detail,
        email_kind: ev.email_kind.map(|k| email_kind(k) as i32).unwrap_or_default(),
        data_source: String::new(),
    }
}
