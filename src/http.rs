//! The HTTP side of privacyd, served on the gRPC port: the confirmation link a subject clicks
//! in their email. GET confirms (as the issue and WordPress do) and shows a page saying what
//! happened.

use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::Html,
    routing::get,
};
use minijinja::context;

use crate::{
    domain::{Error, RequestId},
    notifications::format_time,
    templates::Templates,
    workflow::{DownloadCredential, Workflow},
};

#[derive(Clone)]
pub struct HttpState {
    pub workflow: Workflow,
    pub templates: Templates,
    pub organization: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct ConfirmQuery {
    id: Option<String>,
    token: Option<String>,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/confirm", get(confirm).with_state(state.clone()))
        .route("/download", get(download).with_state(state))
}

#[derive(Debug, serde::Deserialize)]
pub struct DownloadQuery {
    id: Option<String>,
    token: Option<String>,
}

/// The link in the "export ready" email: streams the archive as a file download.
async fn download(State(state): State<HttpState>, Query(query): Query<DownloadQuery>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (Some(Ok(id)), Some(token)) = (query.id.as_deref().map(|id| RequestId::parse("id", id)), query.token) else {
        return (StatusCode::NOT_FOUND, "This download link is not valid.").into_response();
    };
    let download = match state.workflow.open_download(id, DownloadCredential::Token(token), 0).await {
        Ok(download) => download,
        Err(Error::InvalidToken | Error::NotFound(_)) => {
            return (StatusCode::NOT_FOUND, "This download link is not valid. Only the newest link works.")
                .into_response();
        }
        Err(Error::ArchiveExpired) => {
            return (StatusCode::GONE, "This download has expired and the file was deleted. Please ask again.")
                .into_response();
        }
        Err(err) => {
            tracing::warn!(error = %err, "download through the link failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "Something went wrong on our side; please try again later.")
                .into_response();
        }
    };
    let file = match tokio::fs::File::open(&download.path).await {
        Ok(file) => file,
        Err(err) => {
            tracing::error!(error = %err, "an archive on record cannot be opened");
            return (StatusCode::INTERNAL_SERVER_ERROR, "The file cannot be read.").into_response();
        }
    };
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024));
    let headers = [
        (axum::http::header::CONTENT_TYPE, "application/zip".to_owned()),
        (axum::http::header::CONTENT_LENGTH, download.archive.size_bytes.to_string()),
        (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", download.archive.file_name)),
    ];
    (StatusCode::OK, headers, body).into_response()
}

struct Page {
    status: StatusCode,
    outcome: &'static str,
    ok: bool,
    title: &'static str,
    message: String,
    request_id: Option<String>,
    due_time: Option<String>,
}

async fn confirm(State(state): State<HttpState>, Query(query): Query<ConfirmQuery>) -> (StatusCode, Html<String>) {
    let invalid = Page {
        status: StatusCode::NOT_FOUND,
        outcome: "invalid",
        ok: false,
        title: "This link is not valid",
        message: "Check that you opened the whole link from the email. If you asked more than once, only the newest link works.".into(),
        request_id: None,
        due_time: None,
    };
    let page = match (query.id.as_deref().map(|id| RequestId::parse("id", id)), query.token) {
        (Some(Ok(id)), Some(token)) => match state.workflow.confirm(id, &token).await {
            Ok(request) => Page {
                status: StatusCode::OK,
                outcome: "confirmed",
                ok: true,
                title: "Your request is confirmed",
                message: "Thank you. We are now working on your request and will write to you when it is done.".into(),
                request_id: Some(request.id.to_string()),
                due_time: Some(format_time(request.due_time)),
            },
            Err(Error::TokenUsed(_)) => Page {
                status: StatusCode::OK,
                outcome: "already_confirmed",
                ok: true,
                title: "Your request was already confirmed",
                message: "This link has been used already; there is nothing more to do.".into(),
                request_id: Some(id.to_string()),
                due_time: None,
            },
            Err(Error::TokenExpired) => Page {
                status: StatusCode::GONE,
                outcome: "expired",
                ok: false,
                title: "This link has expired",
                message:
                    "For your protection, confirmation links work for a limited time. Please make your request again."
                        .into(),
                request_id: Some(id.to_string()),
                due_time: None,
            },
            Err(Error::IllegalTransition { state: current, .. }) => Page {
                status: StatusCode::CONFLICT,
                outcome: "not_pending",
                ok: false,
                title: "This request can no longer be confirmed",
                message: format!("The request is {}.", current.as_str().to_lowercase()),
                request_id: Some(id.to_string()),
                due_time: None,
            },
            Err(Error::InvalidToken | Error::InvalidField { .. }) => invalid,
            Err(err) => {
                tracing::warn!(error = %err, "confirmation through the link failed");
                Page {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    outcome: "error",
                    ok: false,
                    title: "Something went wrong on our side",
                    message: "Please open the link again in a few minutes.".into(),
                    request_id: None,
                    due_time: None,
                }
            }
        },
        _ => invalid,
    };
    let ctx = context! {
        organization => state.organization.clone(),
        outcome => page.outcome,
        ok => page.ok,
        title => page.title,
        message => page.message,
        request_id => page.request_id,
        due_time => page.due_time,
    };
    match state.templates.render_page("confirm.html", &ctx) {
        Ok(html) => (page.status, Html(html)),
        Err(err) => {
            tracing::error!(error = %err, "rendering the confirmation page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Internal error</h1>".to_owned()))
        }
    }
}
