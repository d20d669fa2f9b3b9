//! `/status`: where a request stands, for the subject, through the link in every email they
//! get (`/status?id=…&token=…`; see `notifications::EmailJob::status_url`).
//!
//! It shows only what the subject gave or is owed: the action, the state in words, the
//! deadline, progress as counts, the download once ready, and for an erasure the outcome
//! with what was kept (by the category's label, its reason, legal basis and period). It
//! shows no address, no user id, no other id than the request's own (which is in the link),
//! and no data source names: the link may be forwarded, and the names of an organisation's
//! internal systems are neither the subject's data nor needed to understand the answer (the
//! erasure email, which only the subject's mailbox gets, names them).
//!
//! GET only reads. The download button POSTs, because it makes a new download link (which
//! replaces the emailed one, as sending that email again would).

use axum::{
    extract::{Form, FromRequest, Query, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use minijinja::context;

use super::{PublicState, cross_site::is_cross_site, invalid_link, message, render, unavailable};
use crate::{
    domain::{Action, Error, RequestId, State as RequestState},
    notifications::format_time,
    workflow::{NextStep, SubjectStatus},
};

/// The link's id and token: its query string on GET, the download form's hidden fields on
/// POST.
#[derive(Debug, Default, serde::Deserialize)]
pub struct StatusLink {
    id: Option<String>,
    token: Option<String>,
}

impl StatusLink {
    fn parts(self) -> Option<(RequestId, String)> {
        Some((RequestId::parse("id", self.id.as_deref()?).ok()?, self.token?))
    }
}

pub async fn page(State(state): State<PublicState>, Query(link): Query<StatusLink>) -> Response {
    let Some((id, token)) = link.parts() else { return invalid_link(&state) };
    match state.workflow.subject_status(id, &token).await {
        Ok(status) => {
            let ctx = describe(&state, &status, &token);
            render(&state, StatusCode::OK, "status.html", ctx)
        }
        Err(err) => refused(&state, err),
    }
}

/// The download button: a new download link, and a redirect to it.
pub async fn download(State(state): State<PublicState>, request: Request) -> Response {
    if is_cross_site(request.headers(), request.uri(), state.public_origin.as_deref()) {
        return message(
            &state,
            StatusCode::FORBIDDEN,
            "cross_site",
            "This form was sent from another website",
            "For your protection, open the link from our email and press the button there.",
        );
    }
    let link = Form::<StatusLink>::from_request(request, &()).await.map(|Form(link)| link).unwrap_or_default();
    let Some((id, token)) = link.parts() else { return invalid_link(&state) };
    match state.workflow.download_link_by_status(id, &token).await {
        Ok(download) => {
            // Relative, so it works behind any proxy; 303 turns the POST into a GET.
            let location = format!("../download?id={id}&token={}", download.expose());
            (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
        }
        Err(Error::ArchiveExpired) => message(
            &state,
            StatusCode::GONE,
            "expired",
            "This download has expired",
            "The file was deleted when its time ran out. You can ask for a new copy of your data.",
        ),
        Err(Error::ArchiveNotReady(_)) => message(
            &state,
            StatusCode::CONFLICT,
            "not_ready",
            "Your data is not ready yet",
            "We will email you when it is. The status page shows how far we are.",
        ),
        Err(err) => refused(&state, err),
    }
}

fn refused(state: &PublicState, err: Error) -> Response {
    match err {
        Error::InvalidToken(_) | Error::InvalidField { .. } | Error::NotFound(_) => invalid_link(state),
        err => {
            tracing::warn!(error = %err, "showing a status page failed");
            unavailable(state)
        }
    }
}

/// The page's context: the state in words and what the subject can do.
fn describe(state: &PublicState, status: &SubjectStatus, token: &str) -> minijinja::Value {
    let request = &status.request;
    let what = match request.action {
        Action::Export => "a copy of the personal data we hold about you",
        Action::Erase => "erasure of the personal data we hold about you",
    };
    let now = crate::domain::now();
    let (headline, detail) = match request.state {
        RequestState::Pending => (
            "Waiting for you to confirm",
            match request.token_expire_time {
                Some(at) if at > now => format!(
                    "We sent you an email with a link to confirm this request. Nothing happens until you open it and \
                     press its button. The link works until {}.",
                    format_time(at)
                ),
                _ => "We are sending you an email with a link to confirm this request. Nothing happens until you \
                      open it and press its button."
                    .to_owned(),
            },
        ),
        RequestState::Confirmed => (
            "Confirmed",
            match state.workflow.next_step(request) {
                NextStep::StartsAt(at) => format!("Erasure starts automatically after {}.", format_time(at)),
                NextStep::OperatorMustAct { not_before: Some(at) } => format!(
                    "A member of our team will review the request; erasure cannot start before {}.",
                    format_time(at)
                ),
                _ => "A member of our team will review the request and start work on it.".to_owned(),
            },
        ),
        RequestState::Processing => (
            "We are working on it",
            match request.action {
                Action::Export => "We are gathering your data from our systems.".to_owned(),
                Action::Erase => "We are erasing your data from our systems.".to_owned(),
            },
        ),
        RequestState::Failed => (
            "Delayed",
            "Some of our systems could not be reached. We are working on it and will still answer by the deadline."
                .to_owned(),
        ),
        RequestState::Completed => match request.action {
            Action::Export => ("Your data is ready", String::new()),
            Action::Erase => (
                "Done",
                request
                    .erasure_summary()
                    .map(|summary| summary.sentence())
                    .unwrap_or_else(|| "We have finished erasing your data.".to_owned()),
            ),
        },
        RequestState::Denied => (
            "We declined this request",
            match request.state_reason.as_deref().filter(|r| !r.is_empty()) {
                Some(reason) => format!("Why: {reason}"),
                None => "We wrote to you with the reason.".to_owned(),
            },
        ),
        RequestState::Cancelled => ("Cancelled", "This request was cancelled; nothing more will be done.".to_owned()),
        RequestState::Expired => (
            "Not confirmed in time",
            "The confirmation link expired before it was used, so nothing was done. You can ask again.".to_owned(),
        ),
    };
    let archive = request.archive.as_ref().filter(|_| request.state == RequestState::Completed);
    let download = archive.map(|archive| {
        let live = archive.delete_time.is_none() && archive.expire_time > now;
        context! {
            live => live,
            expire_time => format_time(archive.expire_time),
            size => human_size(archive.size_bytes),
        }
    });
    let summary = request.erasure_summary();
    let progress = (request.state == RequestState::Processing && status.sources_total > 0)
        .then(|| context! { done => status.sources_done, total => status.sources_total });
    context! {
        outcome => request.state.as_str().to_lowercase(),
        id => request.id.to_string(),
        token => token,
        what => what,
        headline => headline,
        detail => detail,
        received => format_time(request.create_time),
        due_time => (!request.state.is_final()).then(|| format_time(request.due_time)),
        extension_reason => request.deadline_extension_reason.clone().filter(|_| request.deadline_extension_days > 0),
        progress => progress,
        download => download,
        removed => summary.as_ref().map(|s| s.items_removed),
        retained_count => summary.as_ref().map(|s| s.items_retained),
        retained => status.retained.clone(),
        withdraw_until => status.withdraw_until.map(format_time),
    }
}

/// "12.3 MB", "512 bytes": a size as people read it (decimal units).
fn human_size(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    match bytes {
        b if b < 1_000.0 => format!("{b} bytes"),
        b if b < 1_000_000.0 => format!("{:.1} kB", b / 1e3),
        b if b < 1_000_000_000.0 => format!("{:.1} MB", b / 1e6),
        b => format!("{:.1} GB", b / 1e9),
    }
}
