//! The requests table (`/console/requests`), WordPress's `WP_Privacy_Requests_Table` for a
//! whole organisation: tabs with counts per state, search by email, filters by action,
//! state, creation dates and deadline, sort by creation or deadline, keyset pages, a
//! checkbox per row for the bulk actions ([`super::bulk`]) and the one "Next steps" button;
//! and the same list as CSV (`/console/requests.csv`, [`csv_download`]).
//!
//! Everything is a GET form with the filters in the query string, so a filtered view can be
//! bookmarked and works without JavaScript; htmx only swaps the results in place (a request
//! with `HX-Request` gets the results fragment alone). The page calls the same workflow
//! functions as ListPrivacyRequests and CountPrivacyRequests.

use axum::{
    Router,
    body::{Body, Bytes},
    extract::RawQuery,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{NaiveDate, TimeZone};
use futures::StreamExt as _;
use minijinja::context;

use super::{ConsoleError, ConsoleUser, bulk, request_table, statistics};
use crate::domain::{Action, EmailSearch, Error, ListFilter, ListOrder, PageSize, Scope, State, TimeRange, Timestamp};

pub const TEMPLATES: &[(&str, &str)] = &[
    ("console/requests.html", include_str!("../../templates/console/requests.html")),
    ("console/requests_results.html", include_str!("../../templates/console/requests_results.html")),
    ("console/bulk_confirm.html", include_str!("../../templates/console/bulk_confirm.html")),
    ("console/bulk_result.html", include_str!("../../templates/console/bulk_result.html")),
    ("console/statistics.html", include_str!("../../templates/console/statistics.html")),
];

pub fn routes() -> Router<super::ConsoleState> {
    Router::new()
        .route("/console/requests", get(page))
        .route("/console/requests.csv", get(csv_download))
        .merge(bulk::routes())
        .merge(statistics::routes())
}

/// Rows per page of the table.
const PAGE_SIZE: i32 = 50;
/// Rows per database read of the CSV download: memory stays bounded by this, whatever the
/// number of requests.
const CSV_PAGE_SIZE: i32 = 500;

/// The table's query string, as the filter form sends it. Every field is optional.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ListQuery {
    /// Part of the subject's email address.
    pub q: String,
    /// `EXPORT`, `ERASE` or empty.
    pub action: String,
    /// A state's name (`PENDING`) or empty for all.
    pub state: String,
    /// Created on or after this day (`YYYY-MM-DD`, UTC).
    pub created_from: String,
    /// Created on or before this day (inclusive).
    pub created_to: String,
    /// Due before this day (its start, UTC).
    pub due_before: String,
    /// `created` (newest first, the default), `due` (nearest deadline first) or `due_desc`.
    pub sort: String,
    /// The keyset page token.
    pub page: String,
}

impl ListQuery {
    pub fn parse(raw: Option<&str>) -> Result<Self, Error> {
        serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|_| Error::invalid("query", "is not a query string this page makes"))
    }

    /// The query string of this view with `state` and `page` replaced: the tabs' and the
    /// pages' links.
    pub fn href(&self, path: &str, state: Option<&str>, page: Option<&str>) -> String {
        let mut query = self.clone();
        if let Some(state) = state {
            query.state = state.to_owned();
        }
        query.page = page.unwrap_or("").to_owned();
        let pairs: Vec<(&str, &str)> = [
            ("q", query.q.as_str()),
            ("action", query.action.as_str()),
            ("state", query.state.as_str()),
            ("created_from", query.created_from.as_str()),
            ("created_to", query.created_to.as_str()),
            ("due_before", query.due_before.as_str()),
            ("sort", query.sort.as_str()),
            ("page", query.page.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        let encoded = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if encoded.is_empty() { path.to_owned() } else { format!("{path}?{encoded}") }
    }

    /// The filters and the order, parsed as ListPrivacyRequests parses its fields.
    pub fn filter(&self) -> Result<(ListFilter, ListOrder), Error> {
        let action = match self.action.as_str() {
            "" => None,
            raw => Some(Action::parse(raw).ok_or_else(|| Error::invalid("action", "must be export or erasure"))?),
        };
        let state = match self.state.as_str() {
            "" => None,
            raw => Some(State::parse(raw).ok_or_else(|| Error::invalid("state", "is not a state"))?),
        };
        let after = day("created_from", &self.created_from)?;
        // "Created to" names the last day shown: the range ends at the next day's start.
        let before = day("created_to", &self.created_to)?.map(|d| d + chrono::Duration::days(1));
        let order = match self.sort.as_str() {
            "" | "created" => ListOrder::CreateTimeDesc,
            "due" => ListOrder::DueTimeAsc,
            "due_desc" => ListOrder::DueTimeDesc,
            _ => return Err(Error::invalid("sort", "must be by creation or by due date")),
        };
        Ok((
            ListFilter {
                action,
                state,
                subject_email_key: None,
                subject_email_search: EmailSearch::parse_optional("q", &self.q)?,
                created: TimeRange::new(after, before, "created_to")?,
                due_before: day("due_before", &self.due_before)?,
            },
            order,
        ))
    }
}

/// A `YYYY-MM-DD` date as the start of that day, UTC.
fn day(field: &'static str, raw: &str) -> Result<Option<Timestamp>, Error> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, "must be a date written YYYY-MM-DD"))?;
    Ok(Some(chrono::Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))))
}

/// What a filter the form sent wrong says, in words, for the page.
fn filter_error_text(err: &Error) -> String {
    let field = match err {
        Error::InvalidField { field, .. } => *field,
        Error::InvalidPageToken(_) => {
            return "This page link was made for other filters or is damaged: start again from the first page."
                .to_owned();
        }
        _ => "",
    };
    let name = match field {
        "q" => "Search",
        "created_from" => "Created from",
        "created_to" => "Created to",
        "due_before" => "Due before",
        "action" => "Action",
        "state" => "Status",
        "sort" => "Sort",
        _ => "The filters",
    };
    match err {
        Error::InvalidField { message, .. } => format!("{name} {message}."),
        _ => format!("{name} could not be used."),
    }
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

async fn page(user: ConsoleUser, headers: HeaderMap, RawQuery(raw): RawQuery) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let query = ListQuery::parse(raw.as_deref()).unwrap_or_default();
    let parsed = query.filter();
    let workflow = &user.state().workflow;
    let now = crate::domain::now();
    let (status, results) = match parsed {
        Err(err) => (StatusCode::BAD_REQUEST, context! { error => filter_error_text(&err) }),
        Ok((filter, order)) => {
            let page_size = PageSize::parse(PAGE_SIZE, 50).expect("a valid page size");
            let listed = workflow.list(filter.clone(), order, page_size, &query.page).await;
            match listed {
                Err(err @ (Error::InvalidPageToken(_) | Error::InvalidField { .. })) => {
                    (StatusCode::BAD_REQUEST, context! { error => filter_error_text(&err) })
                }
                Err(err) => return Err(unavailable(&user, &err)),
                Ok((requests, next)) => {
                    let counts = workflow.count(&filter).await.map_err(|err| unavailable(&user, &err))?;
                    let total: i64 = counts.iter().map(|(_, n)| n).sum();
                    let mut tabs = vec![context! {
                        label => "All", count => total, current => query.state.is_empty(),
                        href => query.href("/console/requests", Some(""), None),
                    }];
                    tabs.extend(counts.iter().map(|(state, count)| {
                        context! {
                            label => request_table::state_label(*state),
                            count => count,
                            current => query.state == state.as_str(),
                            href => query.href("/console/requests", Some(state.as_str()), None),
                        }
                    }));
                    let rows: Vec<_> = requests.iter().map(|r| request_table::row(r, now)).collect();
                    (
                        StatusCode::OK,
                        context! {
                            tabs => tabs,
                            rows => rows,
                            next_href => (!next.is_empty()).then(|| query.href("/console/requests", None, Some(&next))),
                            first_href => (!query.page.is_empty()).then(|| query.href("/console/requests", None, None)),
                            csv_href => query.href("/console/requests.csv", None, None),
                            here => query.href("/console/requests", None, Some(&query.page)),
                            can_act => user.has(Scope::Requests),
                            operations => bulk::OPERATIONS.iter().map(|(value, label)| context! { value, label }).collect::<Vec<_>>(),
                        },
                    )
                }
            }
        }
    };
    let context = context! {
        current => "requests",
        title => "Requests",
        query => query,
        results => results,
        states => State::ALL.iter().map(|s| context! { value => s.as_str(), label => request_table::state_label(*s) }).collect::<Vec<_>>(),
    };
    let template = if is_htmx(&headers) { "requests_results.html" } else { "requests.html" };
    Ok(user.render_status(status, template, context))
}

pub(super) fn unavailable(user: &ConsoleUser, err: &Error) -> ConsoleError {
    tracing::warn!(error = %err, "a console page could not read the requests");
    ConsoleError::page(user.error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "The requests could not be read",
        "privacyd could not reach its database. Please reload the page in a minute.",
    ))
}

/// CSV columns: the table's, plus the ids.
const CSV_HEADER: [&str; 13] = [
    "id",
    "email",
    "user_id",
    "action",
    "status",
    "status_changed_utc",
    "requested_utc",
    "due_date",
    "days_left",
    "overdue",
    "status_reason",
    "next_step",
    "subject_purged",
];

/// A cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return; OWASP "CSV Injection") gets a leading `'`, which spreadsheets show as
/// text. Applied to every text cell, which hold what subjects and operators typed (an email
/// address may well start with `=` or `+`); the numbers privacyd writes itself are left as
/// they are.
pub fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn csv_record(row: &request_table::Row) -> [String; 13] {
    let text = |s: &str| defuse(s).into_owned();
    [
        row.id.clone(),
        text(&row.email),
        text(&row.user_id),
        row.action.to_owned(),
        row.state.to_owned(),
        row.changed.clone(),
        row.requested.clone(),
        row.due.clone(),
        row.days_left.map(|d| d.to_string()).unwrap_or_default(),
        if row.overdue { "yes" } else { "no" }.to_owned(),
        text(&row.state_reason),
        row.next.as_ref().map(|n| n.label.to_owned()).unwrap_or_default(),
        if row.purged { "yes" } else { "no" }.to_owned(),
    ]
}

fn csv_bytes(records: impl IntoIterator<Item = [String; 13]>, header: Option<[&str; 13]>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if let Some(header) = header {
        writer.write_record(header).expect("writing to memory");
    }
    for record in records {
        writer.write_record(&record).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

/// `/console/requests.csv`: every request the table's filters match (all pages), streamed
/// page by page: privacyd holds one page of rows at a time, however many there are.
async fn csv_download(user: ConsoleUser, RawQuery(raw): RawQuery) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let query = ListQuery::parse(raw.as_deref()).unwrap_or_default();
    let (filter, order) = query.filter().map_err(|err| {
        ConsoleError::page(user.error_page(
            StatusCode::BAD_REQUEST,
            "The filters could not be used",
            &filter_error_text(&err),
        ))
    })?;
    let workflow = user.state().workflow.clone();
    let page_size = PageSize::parse(CSV_PAGE_SIZE, 500).expect("a valid page size");
    // The first page is read before answering, so that a database that does not answer gets
    // an error page rather than a truncated file.
    let (first, next) =
        workflow.list(filter.clone(), order, page_size, "").await.map_err(|e| unavailable(&user, &e))?;
    let now = crate::domain::now();
    let head = csv_bytes(first.iter().map(|r| csv_record(&request_table::row(r, now))), Some(CSV_HEADER));
    let rest = futures::stream::unfold(Some(next), move |token| {
        let (workflow, filter) = (workflow.clone(), filter.clone());
        async move {
            let token = token.filter(|t| !t.is_empty())?;
            match workflow.list(filter, order, page_size, &token).await {
                Ok((requests, next)) => {
                    let now = crate::domain::now();
                    let bytes = csv_bytes(requests.iter().map(|r| csv_record(&request_table::row(r, now))), None);
                    Some((Ok::<_, std::io::Error>(Bytes::from(bytes)), Some(next)))
                }
                Err(err) => {
                    // The client sees a cut-off download (the chunked body ends in error).
                    tracing::warn!(error = %err, "the CSV download stopped");
                    Some((Err(std::io::Error::other("the requests could not be read")), None))
                }
            }
        }
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(head)) }).chain(rest);
    let file_name = format!("privacy-requests-{}.csv", now.format("%Y-%m-%d"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quoting_is_csv() {
        for cell in ["=1+1", "+49 30", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(defuse(cell), format!("'{cell}"));
        }
        assert_eq!(defuse("anna@example.com"), "anna@example.com");
        let bytes =
            csv_bytes([std::array::from_fn(|i| if i == 1 { "a,\"b\"\nc".to_owned() } else { String::new() })], None);
        assert_eq!(String::from_utf8(bytes).unwrap(), ",\"a,\"\"b\"\"\nc\",,,,,,,,,,,\n");
    }

    #[test]
    fn query_round_trips_through_links() {
        let query = ListQuery::parse(Some("q=a%26b&state=PENDING&sort=due&page=tok")).unwrap();
        assert_eq!(query.q, "a&b");
        assert_eq!(
            query.href("/console/requests", Some("DENIED"), None),
            "/console/requests?q=a%26b&state=DENIED&sort=due"
        );
        let (filter, order) = ListQuery { created_to: "2026-01-31".into(), ..query }.filter().unwrap();
        assert_eq!(order, ListOrder::DueTimeAsc);
        assert_eq!(filter.created.before.unwrap().to_rfc3339(), "2026-02-01T00:00:00+00:00");
        assert!(ListQuery { due_before: "31/01/2026".into(), ..Default::default() }.filter().is_err());
        assert!(ListQuery { sort: "email".into(), ..Default::default() }.filter().is_err());
    }
}
