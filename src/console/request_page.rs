//! A request's page, `/console/requests/{id}`: the subject, state, deadline (with the extend
//! form), each source's progress (a fragment htmx polls while the request is PROCESSING), the
//! emails and their delivery, the archive (downloaded through the console with the signed-in
//! token's `download` scope, audited as `DownloadExport`'s admin path), erasure results, the
//! receipt, and the timeline of audit events; and a button for each operation the request's
//! state allows ([`Operation::allowed`]).
//!
//! Each button POSTs (with the CSRF token) to `/console/requests/{id}/{operation}` and calls
//! the same [`Workflow`](crate::workflow::Workflow) function as the gRPC method, with the
//! signed-in [`Actor`](crate::domain::Actor) and the scope the gRPC method needs
//! (`grpc::auth::METHODS`). Success redirects back to the page (POST/redirect/GET, RFC 9110
//! §15.4.4); a refusal shows the page again with the domain error's message.

use axum::{
    Router,
    extract::{Path, Query},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use minijinja::{Value, context};
use serde_json::Value as Json;

use super::{ConsoleError, ConsoleState, ConsoleUser, CsrfForm};
use crate::{
    byte_ranges::{Representation, Selection},
    domain::{
        Actor, AuditEvent, DeliveryState, EmailKind, Error, Operation, PrivacyRequest, Reason, RequestId,
        RequestSubject, Scope, SourceRun, State, Transition,
    },
    notifications::format_time,
    workflow::{DownloadCredential, RequestPage},
};

/// This page's templates (`templates/console/`).
pub const TEMPLATES: &[(&str, &str)] = &[
    ("console/request.html", include_str!("../../templates/console/request.html")),
    ("console/request_progress.html", include_str!("../../templates/console/request_progress.html")),
    ("console/confirm_delete.html", include_str!("../../templates/console/confirm_delete.html")),
];

pub fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/console/requests/{id}", get(page))
        .route("/console/requests/{id}/progress", get(progress))
        .route("/console/requests/{id}/archive", get(archive))
        .route("/console/requests/{id}/receipt.json", get(receipt_json))
        .route("/console/requests/{id}/delete", get(confirm_delete).post(delete))
        .route("/console/requests/{id}/{operation}", axum::routing::post(operate))
}

/// The request id in the path, or the 404 page: an id that is not one is as unknown as one
/// that does not exist.
fn request_id(user: &ConsoleUser, raw: &str) -> Result<RequestId, ConsoleError> {
    RequestId::parse("id", raw).map_err(|_| not_found(user))
}

fn not_found(user: &ConsoleUser) -> ConsoleError {
    ConsoleError::page(user.error_page(
        StatusCode::NOT_FOUND,
        "No such request",
        "There is no privacy request with this id: it may have been deleted. Find it in the list of requests.",
    ))
}

/// A domain error as a console answer: the error's own message, which names what was wrong in
/// words (never a token: the domain's messages hold none), with a status that fits. The
/// database being down and internal faults are logged and shown without their detail.
fn refusal(err: &Error) -> (StatusCode, String) {
    match err {
        Error::NotFound(_) => (StatusCode::NOT_FOUND, err.to_string()),
        Error::InvalidField { .. } | Error::DeadlineExtensionExceeded { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, err.to_string())
        }
        Error::Unavailable(_) => {
            tracing::warn!(error = %err, "a console action found the database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "The database did not answer; please try again in a minute.".into())
        }
        Error::Internal(_) => {
            tracing::error!(error = %err, "a console action failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on the server; the log says what.".into())
        }
        _ => (StatusCode::CONFLICT, err.to_string()),
    }
}

/// A sentence with an upper-case first letter.
fn sentence(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => text,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    /// The operation just done (after the redirect), for the notice saying so.
    done: Option<String>,
}

async fn page(
    user: ConsoleUser,
    Path(raw): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let id = request_id(&user, &raw)?;
    let notice = query.done.as_deref().and_then(done_notice);
    render_page(&user, id, StatusCode::OK, notice.map(str::to_owned), None).await
}

/// What the page says after an operation succeeded (chosen here, so nothing from the URL is
/// shown).
fn done_notice(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "resend" => "A new confirmation email is on its way; the link in the earlier one no longer works.",
        "process" => "Processing started (or, for an erasure in its cooling-off period, was scheduled).",
        "complete" => "The request is marked complete.",
        "deny" => "The request is denied; the subject is told why by email.",
        "cancel" => "The request is cancelled.",
        "extend" => "The deadline is extended; the subject is told why by email.",
        _ => return None,
    })
}

async fn render_page(
    user: &ConsoleUser,
    id: RequestId,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let page = match user.state().workflow.request_page(id).await {
        Ok(page) => page,
        Err(Error::NotFound(_)) => return Err(not_found(user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            return Err(ConsoleError::page(user.error_page(status, "The request cannot be shown", &message)));
        }
    };
    let mut ctx = page_context(&page);
    ctx = minijinja::value::merge_maps([
        context! {
            notice => notice,
            error => error,
            can_act => user.has(Scope::Requests),
            can_download => user.has(Scope::Download),
        },
        ctx,
    ]);
    Ok(no_store(user.render_status(status, "request.html", ctx)))
}

/// The page's context: `r` (the request), `d` (deadline), `ops` (operation names), `emails`,
/// `archive`, `erasures`, `receipt`, `timeline`. Times are formatted for people
/// ([`format_time`]).
pub(crate) fn page_context(page: &RequestPage) -> Value {
    let r = &page.request;
    let d = &page.deadline;
    context! {
        r => request_context(r),
        d => context! {
            due_time => format_time(d.due_time),
            days_left => d.days_left,
            overdue => d.overdue,
            extension_days => d.extension_days,
            extension_reason => d.extension_reason.clone(),
            latest_due_time => format_time(d.latest_due_time),
            max_extension_days => d.max_extension_days,
        },
        ops => page.operations.iter().map(|op| op.as_str()).collect::<Vec<_>>(),
        emails => r.emails.iter().map(|e| context! {
            kind => e.kind.as_str(),
            label => email_label(e.kind),
            state => match e.state {
                DeliveryState::Pending => "PENDING",
                DeliveryState::Sent => "SENT",
                DeliveryState::Failed => "FAILED",
            },
            attempts => e.attempts,
            last_error => e.last_error.clone(),
            create_time => format_time(e.create_time),
            send_time => e.send_time.map(format_time),
            next_attempt_time => e.next_attempt_time.map(format_time),
        }).collect::<Vec<_>>(),
        archive => r.archive.as_ref().map(|a| context! {
            file_name => a.file_name.clone(),
            size_bytes => a.size_bytes,
            size => human_bytes(a.size_bytes),
            sha256 => a.sha256.clone(),
            create_time => format_time(a.create_time),
            expire_time => format_time(a.expire_time),
            delete_time => a.delete_time.map(format_time),
            download_count => a.download_count,
            available => a.delete_time.is_none() && a.expire_time > crate::domain::now(),
        }),
        erasures => r.sources.iter().filter(|s| s.erasure.is_some() || s.verification.is_some()).map(erasure_context).collect::<Vec<_>>(),
        receipt => page.receipt.as_ref().map(|receipt| match receipt {
            Ok((receipt, check)) => receipt_context(&receipt.document, &receipt.sha256, receipt.signature.as_ref().map(|s| s.key_id.clone()), check.intact, check.first_mismatch_sequence),
            Err(err) => context! { error => sentence(err.to_string()) },
        }),
        timeline => page.timeline.iter().map(event_context).collect::<Vec<_>>(),
    }
}

/// The request as the page and its progress fragment show it.
fn request_context(r: &PrivacyRequest) -> Value {
    context! {
        id => r.id.to_string(),
        action => r.action.as_str(),
        action_title => match r.action { crate::domain::Action::Export => "Export", crate::domain::Action::Erase => "Erasure" },
        subject => match &r.subject {
            RequestSubject::Known(s) => Some(context! {
                email => s.email.as_str().to_owned(),
                user_id => s.user_id.as_ref().map(|u| u.as_str().to_owned()),
            }),
            RequestSubject::Purged { .. } => None,
        },
        purge_time => r.subject.purge_time().map(format_time),
        state => r.state.as_str(),
        state_reason => r.state_reason.clone(),
        final => r.state.is_final(),
        live => r.state == State::Processing,
        create_time => format_time(r.create_time),
        update_time => format_time(r.update_time),
        confirm_time => r.confirm_time.map(format_time),
        complete_time => r.complete_time.map(format_time),
        scheduled_process_time => r.scheduled_process_time.map(format_time),
        confirmation_expire_time => (r.state == State::Pending).then_some(r.token_expire_time).flatten().map(format_time),
        erasure_summary => r.erasure_summary().map(|s| s.sentence()),
        sources_removed => r.sources_removed.as_ref().map(|s| format_time(s.remove_time)),
        sources => r.sources.iter().map(source_context).collect::<Vec<_>>(),
    }
}

fn source_context(s: &SourceRun) -> Value {
    context! {
        name => s.source.as_str(),
        state => s.state.as_str(),
        skip_reason => s.state.skip_reason().map(|r| r.sentence()),
        items => s.items,
        bytes => s.bytes,
        attempts => s.attempts,
        last_error => s.last_error.clone(),
        start_time => s.start_time.map(format_time),
        finish_time => s.finish_time.map(format_time),
        next_attempt_time => s.next_attempt_time.map(format_time),
    }
}

fn erasure_context(s: &SourceRun) -> Value {
    let e = s.erasure.as_ref();
    context! {
        name => s.source.as_str(),
        items_removed => e.map_or(0, |e| e.items_removed),
        items_retained => e.map_or(0, |e| e.items_retained),
        erase_time => e.map(|e| format_time(e.erase_time)),
        retentions => e.map(|e| e.retentions.iter().map(|k| context! {
            group_id => k.group_id.clone(),
            items => k.items,
            reason => k.reason.clone(),
            legal_basis => k.legal_basis.describe(),
            retention_period => k.retention_period.clone(),
        }).collect::<Vec<_>>()).unwrap_or_default(),
        messages => e.map(|e| e.messages.clone()).unwrap_or_default(),
        verification => s.verification.as_ref().map(|v| context! {
            state => v.state.as_str(),
            detail => v.detail.clone(),
            time => format_time(v.verify_time),
            leftovers => v.leftovers.iter().map(|l| context! { group_id => l.group_id.clone(), items => l.items, files => l.files }).collect::<Vec<_>>(),
        }),
    }
}

/// The receipt as a readable table: its top-level facts as rows, its sources as a table. The
/// JSON itself is what the download link serves, byte for byte.
fn receipt_context(document: &str, sha256: &str, key_id: Option<String>, intact: bool, first_mismatch: i64) -> Value {
    let json: Json = serde_json::from_str(document).unwrap_or(Json::Null);
    let text = |key: &str| match json.get(key) {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let rows: Vec<(&str, String)> = [
        ("Request", "request_id"),
        ("Organization", "organization"),
        ("Outcome", "outcome"),
        ("Items removed", "items_removed"),
        ("Items retained", "items_retained"),
        ("Created", "created"),
        ("Confirmed", "confirmed"),
        ("Completed", "completed"),
        ("Due", "due"),
        ("Issued", "issued"),
        ("Issued at completion", "issued_at_completion"),
        ("Receipt version", "receipt_version"),
    ]
    .into_iter()
    .map(|(label, key)| (label, text(key)))
    .filter(|(_, value)| !value.is_empty())
    .collect();
    context! {
        rows => rows,
        sources => Value::from_serialize(json.get("sources").cloned().unwrap_or(Json::Array(vec![]))),
        sha256 => sha256,
        signed => key_id.is_some(),
        signing_key_id => key_id,
        audit_chain_intact => intact,
        first_mismatch_sequence => first_mismatch,
    }
}

fn event_context(e: &AuditEvent) -> Value {
    let ev = &e.event;
    context! {
        time => format_time(ev.time),
        type => ev.event_type.as_str(),
        states => match (ev.from_state, ev.to_state) {
            (Some(from), Some(to)) => Some(format!("{from} \u{2192} {to}")),
            (None, Some(to)) => Some(format!("\u{2192} {to}")),
            _ => None,
        },
        actor => actor_label(&ev.actor),
        detail => ev.detail.clone(),
    }
}

/// Who acted, as the timeline names them: an admin by token fingerprint, as the audit log.
fn actor_label(actor: &Actor) -> String {
    match actor {
        Actor::Admin(fingerprint) => format!("admin {fingerprint}"),
        Actor::Subject => "the subject".to_owned(),
        Actor::System(part) => format!("privacyd ({part})"),
    }
}

fn email_label(kind: EmailKind) -> &'static str {
    match kind {
        EmailKind::ConfirmationRequest => "Confirmation link",
        EmailKind::AdminConfirmed => "To the admin: the subject confirmed",
        EmailKind::DeadlineExtended => "Deadline extended",
        EmailKind::ExportReady => "Export ready (download link)",
        EmailKind::ErasureFulfilled => "Erasure done",
        EmailKind::RequestDenied => "Request denied",
    }
}

/// "1.4 MiB": IEC units, one decimal.
fn human_bytes(bytes: i64) -> String {
    let mut value = bytes as f64;
    for unit in ["bytes", "KiB", "MiB", "GiB"] {
        if value < 1024.0 || unit == "GiB" {
            return if unit == "bytes" { format!("{bytes} bytes") } else { format!("{value:.1} {unit}") };
        }
        value /= 1024.0;
    }
    unreachable!("the loop returns at GiB")
}

/// Personal data must not stay in caches (issue 12: `Cache-Control: no-store` on anything
/// showing it); set here too, so the page is covered whatever the layer in front does.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The progress fragment htmx polls while the request is PROCESSING. Once it is not, an htmx
/// poll is answered with `HX-Refresh` so the whole page reloads with the outcome (its buttons,
/// archive or receipt); a plain GET gets the fragment.
async fn progress(user: ConsoleUser, Path(raw): Path<String>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let id = request_id(&user, &raw)?;
    let request = match user.state().workflow.get(id).await {
        Ok(request) => request,
        Err(Error::NotFound(_)) => return Err(not_found(&user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            return Err(ConsoleError::page(user.error_page(status, "The request cannot be shown", &message)));
        }
    };
    let htmx = headers.get("hx-request").is_some_and(|v| v == "true");
    let mut response = no_store(user.render("request_progress.html", context! { r => request_context(&request) }));
    if htmx && request.state != State::Processing {
        response.headers_mut().insert("hx-refresh", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The export archive, streamed to a signed-in operator whose token has the `download` scope:
/// the same checks and audit event (`ARCHIVE_DOWNLOADED` by this admin) as `DownloadExport`
/// with an admin token. An archive in an S3 store is a redirect to a presigned URL, as the
/// subject's link.
async fn archive(user: ConsoleUser, Path(raw): Path<String>) -> Result<Response, ConsoleError> {
    user.require(Scope::Download)?;
    let id = request_id(&user, &raw)?;
    let workflow = &user.state().workflow;
    let download = match workflow.open_download(id, DownloadCredential::Admin(user.actor()), 0).await {
        Ok(download) => download,
        Err(Error::NotFound(_)) => return Err(not_found(&user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            let status = if matches!(err, Error::ArchiveExpired) { StatusCode::GONE } else { status };
            return Err(ConsoleError::page(user.error_page(
                status,
                "The archive cannot be downloaded",
                &sentence(message),
            )));
        }
    };
    match download.presigned_url().await {
        Ok(Some(url)) => {
            return Ok(no_store((StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string())]).into_response()));
        }
        Ok(None) => {}
        Err(err) => {
            tracing::error!(error = %err, "signing an archive's download URL failed");
            return Err(ConsoleError::page(user.error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The archive cannot be downloaded",
                "The archive store did not answer; please try again in a minute.",
            )));
        }
    }
    let a = &download.archive;
    let representation = Representation {
        size: u64::try_from(a.size_bytes).unwrap_or(0),
        sha256: a.sha256.clone(),
        create_time: a.create_time,
        file_name: a.file_name.clone(),
    };
    let body = match download.read(0..representation.size).await {
        Ok(body) => axum::body::Body::from_stream(body),
        Err(err) => {
            tracing::error!(error = %err, "an archive on record cannot be read");
            return Err(ConsoleError::page(user.error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The archive cannot be read",
                "The archive on record cannot be read from the archive store; the log says why.",
            )));
        }
    };
    Ok(no_store((StatusCode::OK, Selection::Whole.headers(&representation), body).into_response()))
}

/// The erasure receipt's JSON document, exactly as stored and signed.
async fn receipt_json(user: ConsoleUser, Path(raw): Path<String>) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let id = request_id(&user, &raw)?;
    match user.state().workflow.erasure_receipt(id).await {
        Ok((receipt, _)) => Ok(no_store(
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"erasure-receipt-{id}.json\"")),
                ],
                receipt.document,
            )
                .into_response(),
        )),
        Err(Error::NotFound(_)) => Err(not_found(&user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            Err(ConsoleError::page(user.error_page(status, "There is no receipt to download", &sentence(message))))
        }
    }
}

/// The form fields the operation buttons send; each operation reads the ones it takes.
#[derive(Debug, Default, serde::Deserialize)]
pub struct OperationForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    days: String,
}

/// One operation button: the same workflow call as the gRPC method, then back to the page.
async fn operate(
    Path((raw, operation)): Path<(String, String)>,
    user: ConsoleUser,
    CsrfForm(form): CsrfForm<OperationForm>,
) -> Result<Response, ConsoleError> {
    let id = request_id(&user, &raw)?;
    let Some(operation) = Operation::ALL.into_iter().find(|op| op.as_str() == operation && *op != Operation::Delete)
    else {
        return Err(ConsoleError::page(user.error_page(
            StatusCode::NOT_FOUND,
            "No such action",
            "This page has no such button.",
        )));
    };
    user.require(Scope::Requests)?;
    let workflow = &user.state().workflow;
    let actor = user.actor();
    let result = async {
        match operation {
            Operation::ResendConfirmation => workflow.resend_confirmation(actor, id).await,
            Operation::Process => workflow.process(actor, id).await,
            Operation::Complete => workflow.transition(actor, id, Transition::Complete, None).await,
            Operation::Deny => {
                let reason = Reason::parse("reason", &form.reason)?;
                workflow.transition(actor, id, Transition::Deny, Some(reason)).await
            }
            Operation::Cancel => {
                let reason = Reason::parse_optional("reason", &form.reason)?;
                workflow.transition(actor, id, Transition::Cancel, reason).await
            }
            Operation::ExtendDeadline => {
                let days = form
                    .days
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| Error::invalid("extension_days", "must be a whole number of days, 1 to 62"))?;
                let reason = Reason::parse("reason", &form.reason)?;
                workflow.extend_deadline(actor, id, days, reason).await
            }
            Operation::Delete => unreachable!("delete has its own route"),
        }
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/requests/{id}?done={}", operation.as_str())).into_response()),
        Err(Error::NotFound(_)) => Err(not_found(&user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            render_page(&user, id, status, None, Some(sentence(message))).await
        }
    }
}

/// The confirmation step before deleting a request.
async fn confirm_delete(user: ConsoleUser, Path(raw): Path<String>) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let id = request_id(&user, &raw)?;
    let request = match user.state().workflow.get(id).await {
        Ok(request) => request,
        Err(Error::NotFound(_)) => return Err(not_found(&user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            return Err(ConsoleError::page(user.error_page(status, "The request cannot be shown", &message)));
        }
    };
    let consequence = if request.state.is_deletable() {
        format!(
            "This {} request is {}. Deleting it removes it and the personal data it holds (the subject's address, \
             its emails, any archive) for good; its audit events stay, and an erasure's receipt is kept.",
            request.action.verb(),
            request.state
        )
    } else {
        format!(
            "This request is {}: only a finished or failed request can be deleted. Cancel or deny it first.",
            request.state
        )
    };
    Ok(no_store(user.render(
        "confirm_delete.html",
        context! {
            title => format!("Delete request {id}?"),
            consequence => consequence,
            action => format!("/console/requests/{id}/delete"),
            back => format!("/console/requests/{id}"),
            button => "Yes, delete it",
        },
    )))
}

async fn delete(
    Path(raw): Path<String>,
    user: ConsoleUser,
    CsrfForm(_): CsrfForm<OperationForm>,
) -> Result<Response, ConsoleError> {
    let id = request_id(&user, &raw)?;
    user.require(Scope::Requests)?;
    match user.state().workflow.delete(user.actor(), id).await {
        Ok(()) => Ok(user.error_page(
            StatusCode::OK,
            "Request deleted",
            &format!("Request {id} and the personal data it held are deleted. Its audit events remain."),
        )),
        Err(Error::NotFound(_)) => Err(not_found(&user)),
        Err(err) => {
            let (status, message) = refusal(&err);
            render_page(&user, id, status, None, Some(sentence(message))).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_in_iec_units() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn refusals_say_what_and_hide_internals() {
        let (status, message) = refusal(&Error::IllegalTransition { state: State::Cancelled, attempted: "process" });
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(sentence(message), "Cannot process a request that is CANCELLED.");
        let (status, message) = refusal(&Error::Internal("secret path /var/lib/x".into()));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!message.contains("/var/lib"));
    }
}
