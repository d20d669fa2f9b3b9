//! "Add request" (`/console/requests/new`), as WordPress's Tools > Export/Erase Personal Data
//! screens have it: the person's email (and, optionally, their user id in the organisation's
//! systems), export or erasure, and "Send confirmation email", checked by default. It calls
//! [`Workflow::create`](crate::workflow::Workflow::create) with the signed-in operator as the
//! actor, exactly as CreatePrivacyRequest does, and on success goes to the request's page.
//!
//! A field the workflow refuses is shown beside that field (`aria-invalid`, and the message
//! tied to it by `aria-describedby`, WCAG 2.1 SC 3.3.1); an unfinished request of the same
//! kind for the same person links to it. Each rendering of the form carries a fresh
//! AIP-155 `request_id`, so pressing "Send request" twice (or reloading after a slow answer)
//! creates one request, not two.

use axum::{
    Router,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use minijinja::{Value, context};

use super::{ConsoleError, ConsoleUser, CsrfForm};
use crate::{
    domain::{Action, Error, IdempotencyKey, Scope, Subject, SubjectEmail, UserId},
    workflow::CreateInput,
};

pub const TEMPLATES: &[(&str, &str)] =
    &[("console/add_request.html", include_str!("../../templates/console/add_request.html"))];

pub fn routes() -> Router<super::ConsoleState> {
    Router::new().route("/console/requests/new", get(form).post(add))
}

/// The form's fields, as posted. `send_confirmation` is present only when the box is ticked
/// (HTML forms send nothing for an unticked checkbox).
#[derive(Debug, Default, serde::Deserialize)]
struct AddForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    action: String,
    send_confirmation: Option<String>,
    #[serde(default)]
    request_id: String,
}

/// What went wrong, by field (`email`, `user_id`, `action`, or `form` for the whole form).
struct FieldError {
    field: &'static str,
    message: String,
    /// For a duplicate: the request that already exists.
    existing: Option<String>,
}

async fn form(user: ConsoleUser) -> Result<Response, ConsoleError> {
    user.require(Scope::Requests)?;
    let blank = AddForm { action: "EXPORT".into(), send_confirmation: Some("on".into()), ..AddForm::default() };
    Ok(render(&user, StatusCode::OK, &blank, None))
}

async fn add(user: ConsoleUser, CsrfForm(input): CsrfForm<AddForm>) -> Result<Response, ConsoleError> {
    user.require(Scope::Requests)?;
    let created = match parse(&input) {
        Ok(create) => user.state().workflow.create(user.actor(), create).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(request) => {
            let location = format!("/console/requests/{}", request.id);
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
        }
        Err(err) => match field_error(&err) {
            Some(error) => Ok(render(&user, StatusCode::UNPROCESSABLE_ENTITY, &input, Some(error))),
            None => {
                tracing::warn!(error = %err, "adding a request through the console failed");
                Err(ConsoleError::page(user.error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The request was not added",
                    "Something went wrong on privacyd's side. Please try again in a minute.",
                )))
            }
        },
    }
}

/// The form as the workflow takes it; errors name the field as the gRPC API does
/// (`subject.email`, …).
fn parse(input: &AddForm) -> Result<CreateInput, Error> {
    let subject =
        Subject { email: SubjectEmail::parse(&input.email)?, user_id: UserId::parse_optional(&input.user_id)? };
    let action = Action::parse(&input.action).ok_or_else(|| Error::invalid("action", "choose export or erasure"))?;
    Ok(CreateInput {
        subject,
        action,
        send_confirmation: input.send_confirmation.is_some(),
        idempotency_key: IdempotencyKey::parse_optional(&input.request_id)?,
    })
}

/// The refusals an operator can fix in the form, by field; `None` for the others (the
/// database, a bug), which get an error page.
fn field_error(err: &Error) -> Option<FieldError> {
    let simple = |field, message: String| Some(FieldError { field, message, existing: None });
    match err {
        Error::InvalidField { field: "subject.email", message } => {
            simple("email", format!("The email address {message}."))
        }
        Error::InvalidField { field: "subject.user_id", message } => {
            simple("user_id", format!("The user id {message}."))
        }
        Error::InvalidField { field: "action", message } => simple("action", format!("Action: {message}.")),
        Error::DuplicateRequest { existing, action } => Some(FieldError {
            field: "email",
            message: format!("This person already has an unfinished {} request.", action.verb()),
            existing: Some(existing.to_string()),
        }),
        // The form's own request id was reused with other input: a form left open and sent
        // again after a change. A new form fixes it.
        Error::RequestIdReused(_) | Error::InvalidField { field: "request_id", .. } => {
            simple("form", "This form was already used to add a request. Reload the page to add another.".into())
        }
        _ => None,
    }
}

fn render(user: &ConsoleUser, status: StatusCode, input: &AddForm, error: Option<FieldError>) -> Response {
    let request_id =
        if input.request_id.is_empty() { uuid::Uuid::new_v4().to_string() } else { input.request_id.clone() };
    let error: Option<Value> =
        error.map(|e| context! { field => e.field, message => e.message, existing => e.existing });
    user.render_status(
        status,
        "add_request.html",
        context! {
            current => "add",
            title => "Add request",
            email => input.email,
            user_id => input.user_id,
            action => input.action,
            send_confirmation => input.send_confirmation.is_some(),
            request_id => request_id,
            error => error,
        },
    )
}
