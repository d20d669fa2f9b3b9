//! The HTTP side of privacyd, served on the gRPC port: the links a subject clicks in their
//! email. GET /confirm only shows what the request is and what confirming will do; its button
//! POSTs to /confirm, which confirms and shows what happened. GET and HEAD must change nothing
//! (RFC 9110 §9.2.1): mail scanners and link previews fetch links before any person does, and
//! with `--auto-process` a fetch that confirmed would start an erasure nobody asked for. For an
//! erasure in its cooling-off period the result page offers to withdraw it, by POST too.
//! GET /download serves an export, whole or one byte range; HEAD describes it without serving it.
//! GET /.well-known/privacyd/receipt-keys publishes the public keys that verify erasure
//! receipts, for auditors to pin.

use axum::{
    Router,
    extract::{Form, Query, State},
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse},
    routing::{get, post},
};
use std::sync::Arc;

use minijinja::context;

use crate::{
    byte_ranges::{Representation, Selection},
    domain::{Action, Error, ExportArchive, RequestId},
    keys::PublicKey,
    notifications::format_time,
    templates::Templates,
    workflow::{ConfirmationPreview, DownloadCredential, NextStep, Workflow},
};

#[derive(Clone)]
pub struct HttpState {
    pub workflow: Workflow,
    pub templates: Templates,
    pub organization: String,
    /// The receipt signing public keys to publish, current first.
    pub receipt_keys: Arc<Vec<PublicKey>>,
}

/// Where the receipt signing public keys are published, without a token (RFC 8615 well-known
/// URI, in privacyd's own namespace).
pub const RECEIPT_KEYS_PATH: &str = "/.well-known/privacyd/receipt-keys";

/// The id and token of a confirmation link: its query string on GET, the page's hidden form
/// fields on POST.
#[derive(Debug, serde::Deserialize)]
pub struct ConfirmParams {
    id: Option<String>,
    token: Option<String>,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        // axum answers HEAD with the GET handler, minus the body: it reads, and changes nothing.
        .route("/confirm", get(confirm_page).post(confirm).with_state(state.clone()))
        .route("/withdraw", post(withdraw).with_state(state.clone()))
        .route(RECEIPT_KEYS_PATH, get(receipt_keys).with_state(state.clone()))
        .route("/download", get(download).head(download_head).with_state(state))
}

/// The public keys that verify erasure receipts, as JSON:
/// `{"keys": [{"key_id", "algorithm": "ed25519", "public_key": base64 raw 32 bytes, "current"}]}`.
/// Public: they are public keys, and an auditor must be able to pin them.
async fn receipt_keys(State(state): State<HttpState>) -> axum::response::Response {
    let body = serde_json::json!({ "keys": state.receipt_keys.as_slice() });
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

#[derive(Debug, serde::Deserialize)]
pub struct DownloadQuery {
    id: Option<String>,
    token: Option<String>,
}

/// The link in the "export ready" email: streams the archive as a file download, or the one
/// byte range asked for (RFC 9110 §14, [`byte_ranges`]), so a broken download resumes where it
/// stopped. Every GET that sends data is a download, counted and audited; a range past the
/// end sends none and is neither. After the checks and the audit event, an archive in an S3
/// store is fetched from there: a 303 redirect to a presigned URL (which serves the same
/// range itself); a local one privacyd streams.
async fn download(
    State(state): State<HttpState>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> axum::response::Response {
    let Some((id, token)) = query.link() else {
        return invalid_download_link();
    };
    let archive = match state.workflow.peek_download(id, DownloadCredential::Token(token.clone())).await {
        Ok(archive) => Representation::of(&archive),
        Err(err) => return download_refused(err),
    };
    let selection = Selection::of(&headers, &archive);
    if selection == Selection::Unsatisfiable {
        return (selection.status(), selection.headers(&archive)).into_response();
    }
    let (start, length) = selection.span(&archive);
    let offset = i64::try_from(start).expect("within the archive's i64 size");
    let download = match state.workflow.open_download(id, DownloadCredential::Token(token), offset).await {
        Ok(download) => download,
        Err(err) => return download_refused(err),
    };
    // An archive in a bucket is fetched from there: a redirect to a URL that works for about
    // a minute (so a copied or logged one is soon useless), after the checks and the audit
    // event above. A local one privacyd streams itself.
    match download.presigned_url().await {
        Ok(Some(url)) => {
            let headers = [
                (axum::http::header::LOCATION, url.to_string()),
                (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
            ];
            return (StatusCode::SEE_OTHER, headers).into_response();
        }
        Ok(None) => {}
        Err(err) => {
            tracing::error!(error = %err, "signing an archive's download URL failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "Something went wrong on our side; please try again later.")
                .into_response();
        }
    }
    let body = match download.read(start..start + length).await {
        Ok(body) => axum::body::Body::from_stream(body),
        Err(err) => {
            tracing::error!(error = %err, "an archive on record cannot be read");
            return (StatusCode::INTERNAL_SERVER_ERROR, "The file cannot be read.").into_response();
        }
    };
    (selection.status(), selection.headers(&archive), body).into_response()
}

/// HEAD of the download link: the headers a GET would answer with (size, type, ranges,
/// validators), after the same checks, but no data; so it is not a download, and neither
/// counted nor audited as one (RFC 9110 §9.3.2). Routed on its own because axum would
/// otherwise run the GET handler and drop its body, after recording a download.
async fn download_head(
    State(state): State<HttpState>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> axum::response::Response {
    let Some((id, token)) = query.link() else {
        return invalid_download_link();
    };
    match state.workflow.peek_download(id, DownloadCredential::Token(token)).await {
        Ok(archive) => {
            let archive = Representation::of(&archive);
            let selection = Selection::of(&headers, &archive);
            (selection.status(), selection.headers(&archive)).into_response()
        }
        Err(err) => download_refused(err),
    }
}

impl DownloadQuery {
    /// The link's request id and token, if it has both and the id is one.
    fn link(self) -> Option<(RequestId, String)> {
        let id = RequestId::parse("id", self.id.as_deref()?).ok()?;
        Some((id, self.token?))
    }
}

impl Representation {
    fn of(archive: &ExportArchive) -> Self {
        Representation {
            size: u64::try_from(archive.size_bytes).unwrap_or(0),
            sha256: archive.sha256.clone(),
            create_time: archive.create_time,
            file_name: archive.file_name.clone(),
        }
    }
}

fn invalid_download_link() -> axum::response::Response {
    (StatusCode::NOT_FOUND, "This download link is not valid.").into_response()
}

/// Why a download link cannot be served, in words for the subject.
fn download_refused(err: Error) -> axum::response::Response {
    match err {
        Error::InvalidToken(_) | Error::NotFound(_) => {
            (StatusCode::NOT_FOUND, "This download link is not valid. Only the newest link works.").into_response()
        }
        Error::ArchiveExpired => {
            (StatusCode::GONE, "This download has expired and the file was deleted. Please ask again.").into_response()
        }
        err => {
            tracing::warn!(error = %err, "download through the link failed");
            (StatusCode::SERVICE_UNAVAILABLE, "Something went wrong on our side; please try again later.")
                .into_response()
        }
    }
}

struct Page {
    template: &'static str,
    status: StatusCode,
    outcome: &'static str,
    ok: bool,
    title: &'static str,
    message: String,
    request_id: Option<String>,
    due_time: Option<String>,
    /// For a confirmed erasure in its cooling-off period: the form's hidden fields (id, token)
    /// to withdraw it, and until when.
    withdraw: Option<(String, String, String)>,
    /// On the page before confirming: what the request is and the confirm form.
    ask: Option<minijinja::Value>,
}

impl Page {
    fn new(status: StatusCode, outcome: &'static str, ok: bool, title: &'static str, message: String) -> Self {
        Page {
            template: "confirm.html",
            status,
            outcome,
            ok,
            title,
            message,
            request_id: None,
            due_time: None,
            withdraw: None,
            ask: None,
        }
    }

    fn about(mut self, id: impl ToString) -> Self {
        self.request_id = Some(id.to_string());
        self
    }
}

/// The emailed link: a page saying what the request is and what pressing its button will do.
/// Reads only. An unknown id and a wrong token get the same page.
async fn confirm_page(
    State(state): State<HttpState>,
    Query(query): Query<ConfirmParams>,
) -> (StatusCode, Html<String>) {
    let page = match (query.id.as_deref().map(|id| RequestId::parse("id", id)), query.token) {
        (Some(Ok(id)), Some(token)) => match state.workflow.preview_confirmation(id, &token).await {
            Ok(preview) => match preview.would {
                Ok(()) => ask_page(&preview, token),
                Err(err) => {
                    let mut page = refused_page(err, id);
                    if let Some(at) = preview.withdraw_until {
                        // The used link still leads to the withdraw button while it can be used.
                        page.withdraw = Some((id.to_string(), token, format_time(at)));
                    }
                    page
                }
            },
            Err(err) => refused_page(err, id),
        },
        _ => invalid_link(),
    };
    render(&state, page)
}

/// The page before confirming. What it says pressing will do is what privacyd is configured to
/// do: start at once or wait for an operator (`--auto-process`), and for an erasure whether a
/// cooling-off period (`--erase-delay`) leaves time to withdraw it.
fn ask_page(preview: &ConfirmationPreview, token: String) -> Page {
    let request = &preview.request;
    let (title, button, description) = match request.action {
        Action::Export => (
            "Confirm your request for a copy of your data",
            "Confirm my request",
            "a copy of the personal data we hold about you",
        ),
        Action::Erase => (
            "Confirm your request to erase your data",
            "Confirm the erasure",
            "erasure of the personal data we hold about you",
        ),
    };
    let effect = match (request.action, preview.erase_delay, preview.auto_process) {
        (Action::Export, _, true) => {
            "Pressing the button confirms the request and we start gathering your data at once. \
             We will email you a link to download it when it is ready."
                .to_owned()
        }
        (Action::Export, _, false) => {
            "Pressing the button confirms the request. We then gather your data and email you a \
             link to download it."
                .to_owned()
        }
        (Action::Erase, Some(delay), true) => format!(
            "Pressing the button confirms the request. Erasure starts automatically {} later; until then you can \
             withdraw it on the page that follows, or by opening this link again. Once it starts it cannot be undone.",
            format_duration(delay)
        ),
        (Action::Erase, Some(delay), false) => format!(
            "Pressing the button confirms the request. We then review it, and erasure does not start until {} after \
             you confirm; until then you can withdraw it on the page that follows, or by opening this link again. Once \
             it starts it cannot be undone.",
            format_duration(delay)
        ),
        (Action::Erase, None, true) => {
            "Pressing the button confirms the request and starts erasing your data at once. This cannot be undone."
                .to_owned()
        }
        (Action::Erase, None, false) => "Pressing the button confirms the request. We then review it and erase your \
             data; once erasure starts it cannot be undone."
            .to_owned(),
    };
    let mut page = Page::new(
        StatusCode::OK,
        "confirm",
        true,
        title,
        "If you did not make this request, close this page: nothing happens unless you press the button.".into(),
    )
    .about(request.id);
    page.template = "confirm_form.html";
    page.due_time = Some(format_time(request.due_time));
    page.ask = Some(context! {
        id => request.id.to_string(),
        token => token,
        action_description => description,
        // A purged subject (`--request-retention`) leaves nothing to show.
        email => request.subject.known().map(|s| s.email.masked()).unwrap_or_default(),
        effect => effect,
        button => button,
        expire_time => request.token_expire_time.map(format_time),
    });
    page
}

/// "3 days", "1 hour", "90 seconds": the largest unit that divides the period exactly.
fn format_duration(period: chrono::Duration) -> String {
    let seconds = period.num_seconds();
    let (count, unit) = [(86_400, "day"), (3_600, "hour"), (60, "minute")]
        .into_iter()
        .find(|(size, _)| seconds % size == 0)
        .map_or((seconds, "second"), |(size, unit)| (seconds / size, unit));
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

/// The confirm button: confirms, and shows what happened.
async fn confirm(State(state): State<HttpState>, Form(form): Form<ConfirmParams>) -> (StatusCode, Html<String>) {
    let page = match (form.id.as_deref().map(|id| RequestId::parse("id", id)), form.token) {
        (Some(Ok(id)), Some(token)) => match state.workflow.confirm(id, &token).await {
            Ok(request) => {
                let mut page = Page::new(
                    StatusCode::OK,
                    "confirmed",
                    true,
                    "Your request is confirmed",
                    what_happens_next(state.workflow.next_step(&request), request.action),
                )
                .about(request.id);
                page.due_time = Some(format_time(request.due_time));
                if let Some(at) = state.workflow.withdrawable_until(&request) {
                    page.withdraw = Some((request.id.to_string(), token, format_time(at)));
                }
                page
            }
            Err(err) => refused_page(err, id),
        },
        _ => invalid_link(),
    };
    render(&state, page)
}

/// The sentence after "Your request is confirmed": what privacyd will do next, as it will
/// really happen (see [`NextStep`]). Only a request that is being processed is "being worked
/// on"; one that waits for an operator says so, with the earliest start of an erasure in its
/// cooling-off period.
fn what_happens_next(next: NextStep, action: Action) -> String {
    let done = match action {
        Action::Export => "we will email you a link to download your data when it is ready",
        Action::Erase => "we will write to you when your data has been erased",
    };
    match next {
        NextStep::Working => format!("Thank you. We are now working on your request, and {done}."),
        NextStep::StartsAt(at) => format!(
            "Thank you. We will erase your data after {}: erasure starts automatically then. Until then you can still \
             withdraw the request below; afterwards {done}.",
            format_time(at)
        ),
        NextStep::OperatorMustAct { not_before: Some(at) } => format!(
            "Thank you. A member of our team will now review your request before anything is erased, and erasure \
             cannot start before {}. Until then you can still withdraw the request below; afterwards {done}.",
            format_time(at)
        ),
        NextStep::OperatorMustAct { not_before: None } => format!(
            "Thank you. A member of our team will now review your request and start work on it; nothing happens \
             before then. Once it is under way, {done}."
        ),
        NextStep::Other(current) => format!("The request is {}.", current.as_str().to_lowercase()),
    }
}

/// The page for a link that does not (or no longer) confirm anything, the same for a GET of
/// the link and a press of its button.
fn refused_page(err: Error, id: RequestId) -> Page {
    match err {
        Error::TokenUsed(_) => Page::new(
            StatusCode::OK,
            "already_confirmed",
            true,
            "Your request was already confirmed",
            "This link has been used already; there is nothing more to do.".into(),
        )
        .about(id),
        Error::TokenExpired => Page::new(
            StatusCode::GONE,
            "expired",
            false,
            "This link has expired",
            "For your protection, confirmation links work for a limited time. Please make your request again.".into(),
        )
        .about(id),
        Error::IllegalTransition { state: current, .. } => Page::new(
            StatusCode::CONFLICT,
            "not_pending",
            false,
            "This request can no longer be confirmed",
            format!("The request is {}.", current.as_str().to_lowercase()),
        )
        .about(id),
        Error::InvalidToken(_) | Error::InvalidField { .. } => invalid_link(),
        err => {
            tracing::warn!(error = %err, "confirmation through the link failed");
            unavailable()
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct WithdrawForm {
    id: Option<String>,
    token: Option<String>,
}

/// The withdraw button on the confirmation page of an erasure in its cooling-off period. An
/// unknown id and a wrong token get the same page; anything but an erasure in its cooling-off
/// period is refused, saying so.
async fn withdraw(State(state): State<HttpState>, Form(form): Form<WithdrawForm>) -> (StatusCode, Html<String>) {
    let page = match (form.id.as_deref().map(|id| RequestId::parse("id", id)), form.token) {
        (Some(Ok(id)), Some(token)) => match state.workflow.withdraw(id, &token).await {
            Ok(request) => Page::new(
                StatusCode::OK,
                "withdrawn",
                true,
                "Your request is withdrawn",
                "Nothing has been erased. You can make a new request at any time.".into(),
            )
            .about(request.id),
            Err(Error::NotWithdrawable(why)) => Page::new(
                StatusCode::CONFLICT,
                "not_withdrawable",
                false,
                "This request cannot be withdrawn",
                format!("Only an erasure can be withdrawn, and only while it waits to start: {why}."),
            )
            .about(id),
            Err(Error::InvalidToken(_) | Error::InvalidField { .. }) => invalid_link(),
            Err(err) => {
                tracing::warn!(error = %err, "withdrawing through the page failed");
                unavailable()
            }
        },
        _ => invalid_link(),
    };
    render(&state, page)
}

fn invalid_link() -> Page {
    Page::new(
        StatusCode::NOT_FOUND,
        "invalid",
        false,
        "This link is not valid",
        "Check that you opened the whole link from the email. If you asked more than once, only the newest link works."
            .into(),
    )
}

fn unavailable() -> Page {
    Page::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "error",
        false,
        "Something went wrong on our side",
        "Please open the link again in a few minutes.".into(),
    )
}

fn render(state: &HttpState, page: Page) -> (StatusCode, Html<String>) {
    let ctx = context! {
        organization => state.organization.clone(),
        outcome => page.outcome,
        ok => page.ok,
        title => page.title,
        message => page.message,
        request_id => page.request_id,
        due_time => page.due_time,
        withdraw => page.withdraw.map(|(id, token, at)| context! { id => id, token => token, at => at }),
        ask => page.ask,
    };
    match state.templates.render_page(page.template, &ctx) {
        Ok(html) => (page.status, Html(html)),
        Err(err) => {
            tracing::error!(error = %err, "rendering the confirmation page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Internal error</h1>".to_owned()))
        }
    }
}
