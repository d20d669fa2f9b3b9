//! `/request`: the public form where a person asks for a copy of their data or its erasure.
//!
//! Only an email address and the action: the address is the identity, and the confirmation
//! link emailed to it is the identity check (the request stays PENDING until it is used). A
//! user id is not offered: a visitor could name anyone's.
//!
//! The answer to a valid submission is the same page, with the same status, whatever happens
//! to it: a new request, an open request for the same address and action (no
//! DUPLICATE_REQUEST), or an address over `--self-service-address-limit`. So the form tells a
//! visitor nothing about anyone's requests. The work is done after the page is sent (a task
//! of its own), so the time the answer takes does not tell them apart either.

use axum::{
    extract::{FromRequest, Query, Request, State},
    http::{StatusCode, header},
    response::Response,
};
use minijinja::context;

use super::{PublicState, cross_site::is_cross_site, message, render};
use crate::{
    domain::{Action, SubjectEmail},
    grpc::public_limits::retry_after_seconds,
};

/// The form's fields, as a browser sends them; everything is optional so that a field left
/// out gets the form back saying so, not a bare 422.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RequestForm {
    email: Option<String>,
    action: Option<String>,
}

/// `?action=export|erase` preselects the action, for a link from the organisation's privacy
/// notice.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FormQuery {
    action: Option<String>,
}

/// The empty form.
pub async fn form(State(state): State<PublicState>, Query(query): Query<FormQuery>) -> Response {
    if !state.self_service {
        return closed(&state);
    }
    let action = query.action.as_deref().and_then(parse_action).map(form_value);
    form_page(&state, StatusCode::OK, "", action, None)
}

/// A submission: checked (origin, rate, fields), then handed to a task of its own, and
/// answered with the one page every valid submission gets.
pub async fn submit(State(state): State<PublicState>, request: Request) -> Response {
    if !state.self_service {
        return closed(&state);
    }
    if is_cross_site(request.headers(), request.uri(), state.public_origin.as_deref()) {
        return message(
            &state,
            StatusCode::FORBIDDEN,
            "cross_site",
            "This form was sent from another website",
            "For your protection we only accept this form from our own page. Open the request page directly and \
             send it from there.",
        );
    }
    if let (Some(limiter), Some(ip)) = (&state.rate, crate::grpc::connections::client_ip(&request))
        && let Err(wait) = limiter.check(ip)
    {
        let seconds = retry_after_seconds(wait);
        let mut page = message(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests",
            format!("Too many requests were sent from your network. Please try again in {}.", in_words(seconds)),
        );
        page.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        return page;
    }
    let form = match axum::extract::Form::<RequestForm>::from_request(request, &()).await {
        Ok(axum::extract::Form(form)) => form,
        Err(_) => RequestForm::default(),
    };
    let typed = form.email.clone().unwrap_or_default();
    let action = form.action.as_deref().and_then(parse_action);
    let email = match SubjectEmail::parse(&typed) {
        Ok(email) => email,
        Err(err) => {
            // What is wrong with the address the visitor typed: says nothing about anyone else.
            let problem = match err {
                crate::domain::Error::InvalidField { message, .. } => format!("The email address {message}."),
                _ => "The email address is not valid.".to_owned(),
            };
            return form_page(&state, StatusCode::BAD_REQUEST, &typed, action.map(form_value), Some(problem));
        }
    };
    let Some(action) = action else {
        let problem = "Choose whether you want a copy of your data or its erasure.".to_owned();
        return form_page(&state, StatusCode::BAD_REQUEST, &typed, None, Some(problem));
    };
    let (workflow, limit) = (state.workflow.clone(), state.address_limit);
    tokio::spawn(async move {
        // The log says what happened, never to which address (issue 12: not in logs).
        match workflow.request_by_subject(email, action, limit).await {
            Ok(outcome) => tracing::info!(
                outcome = outcome.as_str(),
                action = action.as_str(),
                "self-service request handled (created, or nothing sent: duplicate or over the address limit)"
            ),
            Err(err) => tracing::warn!(error = %err, action = action.as_str(), "a self-service request failed"),
        }
    });
    render(&state, StatusCode::OK, "request_sent.html", context! { action => form_value(action) })
}

/// The form's value for an action.
fn form_value(action: Action) -> &'static str {
    match action {
        Action::Export => "export",
        Action::Erase => "erase",
    }
}

fn parse_action(raw: &str) -> Option<Action> {
    match raw {
        "export" => Some(Action::Export),
        "erase" => Some(Action::Erase),
        _ => None,
    }
}

fn form_page(
    state: &PublicState,
    status: StatusCode,
    email: &str,
    action: Option<&'static str>,
    problem: Option<String>,
) -> Response {
    render(state, status, "request_form.html", context! { email => email, action => action, problem => problem })
}

/// `--self-service=false`: the form is not there, and the page says where to go instead.
fn closed(state: &PublicState) -> Response {
    message(
        state,
        StatusCode::NOT_FOUND,
        "closed",
        "Requests are not taken here",
        format!(
            "{} does not take requests about personal data on this page. Please use the contact details in its \
             privacy notice.",
            state.organization
        ),
    )
}

/// "3 minutes", "1 hour": a wait in the largest whole unit, rounded up.
fn in_words(seconds: u64) -> String {
    let (count, unit) = match seconds {
        0..=59 => (seconds.max(1), "second"),
        60..=3599 => (seconds.div_ceil(60), "minute"),
        _ => (seconds.div_ceil(3600), "hour"),
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}
