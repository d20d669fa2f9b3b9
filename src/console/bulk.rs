//! Bulk actions on the table's selected rows, as WordPress's list table has them, each with
//! a confirmation step that works without JavaScript (no `confirm()`): the table's form posts
//! the ticked ids and the operation to `/console/requests/bulk`, which lists the requests and
//! asks (with the reason for a denial); confirming posts to `/console/requests/bulk/apply`,
//! which runs [`Workflow::batch_modify`](crate::workflow::Workflow::batch_modify), exactly
//! what BatchModifyPrivacyRequests runs, and shows each row's result, a refusal's reason in
//! words. A row's "Next steps" button posts one id straight to the apply step with `back`,
//! and returns to the table when it succeeds.

use axum::{
    Router,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use minijinja::context;

use super::{ConsoleError, ConsoleUser, CsrfForm, request_table};
use crate::{
    domain::{Error, Reason, RequestId, Scope},
    workflow::{BatchOperation, MAX_BATCH},
};

/// The operations the table offers, with their labels.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("resend", "Resend confirmation"),
    ("process", "Process"),
    ("complete", "Mark complete"),
    ("cancel", "Cancel"),
    ("delete", "Delete"),
    ("deny", "Deny"),
];

pub fn routes() -> Router<super::ConsoleState> {
    Router::new().route("/console/requests/bulk", post(confirm)).route("/console/requests/bulk/apply", post(apply))
}

/// The posted form: repeated `id` fields, `operation`, and on the confirmation `reason`
/// and `back`.
struct BulkForm {
    ids: Vec<String>,
    operation: String,
    reason: String,
    back: String,
}

impl BulkForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form =
            BulkForm { ids: Vec::new(), operation: String::new(), reason: String::new(), back: String::new() };
        for (name, value) in pairs {
            match name.as_str() {
                "id" => form.ids.push(value),
                "operation" => form.operation = value,
                "reason" => form.reason = value,
                "back" => form.back = value,
                _ => {}
            }
        }
        form
    }
}

fn label(operation: BatchOperation) -> &'static str {
    OPERATIONS.iter().find(|(value, _)| *value == operation.as_str()).map(|(_, label)| *label).unwrap_or("")
}

/// Where to return after a next-step button: a page of the table, nothing else.
fn safe_back(back: &str) -> Option<&str> {
    let path = back.split('?').next().unwrap_or("");
    (path == "/console/requests" && !back.contains(['\r', '\n', '\\'])).then_some(back)
}

fn bad_form(user: &ConsoleUser, message: &str) -> ConsoleError {
    ConsoleError::page(user.error_page(StatusCode::UNPROCESSABLE_ENTITY, "Nothing was changed", message))
}

fn parse_operation(user: &ConsoleUser, raw: &str) -> Result<BatchOperation, ConsoleError> {
    BatchOperation::parse(raw).ok_or_else(|| bad_form(user, "Choose what to do with the selected requests."))
}

/// The confirmation step: the selected requests and what will be done to them.
async fn confirm(
    user: ConsoleUser,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    user.require(Scope::Requests)?;
    let form = BulkForm::from_pairs(pairs);
    let operation = parse_operation(&user, &form.operation)?;
    if form.ids.is_empty() {
        return Err(bad_form(&user, "Select at least one request with its checkbox, then choose the action again."));
    }
    if form.ids.len() > MAX_BATCH {
        return Err(bad_form(&user, &format!("Select at most {MAX_BATCH} requests at a time.")));
    }
    render_confirm(&user, StatusCode::OK, operation, &form.ids, &form.reason, None).await
}

async fn render_confirm(
    user: &ConsoleUser,
    status: StatusCode,
    operation: BatchOperation,
    ids: &[String],
    reason: &str,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let parsed: Vec<RequestId> = ids.iter().filter_map(|id| RequestId::parse("id", id).ok()).collect();
    let found = user.state().store.get_requests(&parsed).await.map_err(|e| super::requests::unavailable(user, &e))?;
    let now = crate::domain::now();
    let rows: Vec<_> = ids
        .iter()
        .map(|id| {
            let request = found.iter().find(|r| r.id.to_string() == *id);
            context! { id => id, row => request.map(|r| request_table::row(r, now)) }
        })
        .collect();
    Ok(user.render_status(
        status,
        "bulk_confirm.html",
        context! {
            current => "requests",
            title => format!("{}: confirm", label(operation)),
            operation => operation.as_str(),
            operation_label => label(operation),
            needs_reason => operation == BatchOperation::Deny,
            takes_reason => operation.takes_reason(),
            rows => rows,
            reason => reason,
            error => error,
        },
    ))
}

/// A refusal in words, for the result table.
pub fn refusal_text(err: &Error) -> String {
    match err {
        Error::Unavailable(_) | Error::Internal(_) => {
            "privacyd could not do this just now (see its log); try again in a minute".to_owned()
        }
        Error::NotFound(_) => "there is no such request (it may have been deleted)".to_owned(),
        Error::InvalidField { .. } => "this is not a request id".to_owned(),
        Error::IllegalTransition { state, attempted } => {
            format!("cannot {attempted} a request that is {}", request_table::state_label(*state).to_lowercase())
        }
        other => other.to_string(),
    }
}

async fn apply(user: ConsoleUser, CsrfForm(pairs): CsrfForm<Vec<(String, String)>>) -> Result<Response, ConsoleError> {
    user.require(Scope::Requests)?;
    let form = BulkForm::from_pairs(pairs);
    let operation = parse_operation(&user, &form.operation)?;
    let reason = match Reason::parse_optional("reason", &form.reason) {
        Ok(reason) => reason.filter(|_| operation.takes_reason()),
        Err(Error::InvalidField { message, .. }) => {
            let error = format!("The reason {message}.");
            return render_confirm(
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                operation,
                &form.ids,
                &form.reason,
                Some(error),
            )
            .await;
        }
        Err(err) => return Err(super::requests::unavailable(&user, &err)),
    };
    let outcomes = match user.state().workflow.batch_modify(user.actor(), &form.ids, operation, reason).await {
        Ok(outcomes) => outcomes,
        Err(Error::InvalidField { field: "reason", .. }) => {
            let error = "Give the reason for the denial: the person is told it (GDPR Art. 12(4)).".to_owned();
            return render_confirm(
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                operation,
                &form.ids,
                &form.reason,
                Some(error),
            )
            .await;
        }
        Err(Error::InvalidField { field: "ids", message }) => {
            return Err(bad_form(&user, &format!("The selection {message}.")));
        }
        Err(err) => return Err(super::requests::unavailable(&user, &err)),
    };
    // A next-step button: back to the table when it worked.
    if let Some(back) = safe_back(&form.back)
        && outcomes.iter().all(|o| o.result.is_ok())
    {
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, back.to_owned())]).into_response());
    }
    let now = crate::domain::now();
    let done = outcomes.iter().filter(|o| o.result.is_ok()).count();
    let rows: Vec<_> = outcomes
        .iter()
        .map(|o| {
            context! {
                id => o.id,
                row => o.request.as_ref().map(|r| request_table::row(r, now)),
                ok => o.result.is_ok(),
                result => match &o.result {
                    Ok(()) if o.request.is_none() => "Done: deleted".to_owned(),
                    Ok(()) => format!("Done: now {}", o.request.as_ref().map(|r| request_table::state_label(r.state)).unwrap_or("")),
                    Err(err) => format!("Refused: {}", refusal_text(err)),
                },
            }
        })
        .collect();
    Ok(user.render(
        "bulk_result.html",
        context! {
            current => "requests",
            title => format!("{}: results", label(operation)),
            operation_label => label(operation),
            done => done,
            refused => outcomes.len() - done,
            rows => rows,
            back => safe_back(&form.back).unwrap_or("/console/requests"),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_only_leads_to_the_table() {
        assert_eq!(safe_back("/console/requests?state=PENDING"), Some("/console/requests?state=PENDING"));
        assert_eq!(safe_back("/console/requests"), Some("/console/requests"));
        assert_eq!(safe_back("https://evil.example/console/requests"), None);
        assert_eq!(safe_back("//evil.example"), None);
        assert_eq!(safe_back("/console/requests/x"), None);
        assert_eq!(safe_back(""), None);
    }

    #[test]
    fn every_operation_has_a_label() {
        for op in BatchOperation::ALL {
            assert!(!label(op).is_empty(), "{op:?}");
        }
    }
}
