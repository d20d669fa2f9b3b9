//! `/console/statistics`: per action, the year's requests received, how they ended, and the
//! mean and median days to answer them; the table GetRequestStatistics answers (11 CCR
//! § 7102(a) asks large businesses to publish these each calendar year). A GET form chooses the
//! year (UTC).

use axum::{Router, extract::RawQuery, http::StatusCode, response::Response, routing::get};
use chrono::Datelike;
use minijinja::context;

use super::{ConsoleError, ConsoleUser, request_table};
use crate::domain::{Scope, StatisticsPeriod};

pub fn routes() -> Router<super::ConsoleState> {
    Router::new().route("/console/statistics", get(page))
}

/// The first year offered: the GDPR applies from 25 May 2018.
const FIRST_YEAR: i32 = 2018;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct StatisticsQuery {
    year: String,
}

async fn page(user: ConsoleUser, RawQuery(raw): RawQuery) -> Result<Response, ConsoleError> {
    user.require(Scope::Read)?;
    let this_year = crate::domain::now().year();
    let query: StatisticsQuery = serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let year = match query.year.trim() {
        "" => Ok(this_year),
        raw => raw.parse::<i32>().ok().filter(|y| (FIRST_YEAR..=this_year).contains(y)).ok_or(()),
    };
    let years: Vec<i32> = (FIRST_YEAR..=this_year).rev().collect();
    let Ok(year) = year else {
        let error = format!("Choose a year from {FIRST_YEAR} to {this_year}.");
        return Ok(user.render_status(
            StatusCode::BAD_REQUEST,
            "statistics.html",
            context! { current => "statistics", title => "Statistics", years, year => this_year, error },
        ));
    };
    let period = StatisticsPeriod::year(year).map_err(|e| super::requests::unavailable(&user, &e))?;
    let stats = user.state().workflow.statistics(period).await.map_err(|e| super::requests::unavailable(&user, &e))?;
    let rows: Vec<_> = stats
        .iter()
        .map(|s| {
            context! {
                action => s.action.map(request_table::action_label).unwrap_or(""),
                received => s.received,
                completed => s.completed,
                denied => s.denied,
                cancelled => s.cancelled,
                expired => s.expired,
                open => s.open,
                answered => s.answered,
                // With nothing answered there is no time to answer: a dash, not "0.0 days".
                mean => if s.answered == 0 { "—".to_owned() } else { format!("{:.1}", s.mean_days) },
                median => if s.answered == 0 { "—".to_owned() } else { format!("{:.1}", s.median_days) },
            }
        })
        .collect();
    Ok(user.render(
        "statistics.html",
        context! { current => "statistics", title => format!("Statistics {year}"), years, year, rows },
    ))
}
