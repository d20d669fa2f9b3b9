//! Serving `GET /metrics`, and the gauges it reads from the database.
//!
//! Where: on privacyd's own port by default, behind an admin token with the `read` scope; or,
//! with `--metrics-listen`, on a separate address without a token, and then not on the main
//! port at all. Why a token on the main port: that port is public (subjects open their links
//! on it), and the series say how many requests an organisation gets, which are late, and the
//! names and error rates of its internal services: nothing personal, but nothing to show
//! the internet either. Prometheus sends a bearer token with its scrape config's
//! `authorization` section. A separate address is meant for a network only the scraper
//! reaches (a pod's port not exposed by the Service, a private interface), where a token
//! would only be one more secret to rotate.

use std::time::{Duration, Instant};

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{family::Family, gauge::Gauge},
    registry::Registry,
};
use tokio::net::TcpListener;

use super::Metrics;
use crate::{
    admin_tokens::{AdminTokens, bearer_token},
    domain::{Action, Scope, State as RequestState, Timestamp},
    shutdown::Shutdown,
    store::{Gauges, JobKind, Store},
};

/// Where the metrics are served.
pub const METRICS_PATH: &str = "/metrics";

/// How long one reading of the database gauges serves scrapes. Several Prometheus servers
/// (an HA pair) scraping every replica every 15 s then cost the database one pair of
/// aggregate queries per replica per 5 s at most; the gauges move on a scale of minutes.
pub const GAUGE_CACHE: Duration = Duration::from_secs(5);

/// Every job kind, so that a kind with nothing queued reads 0 rather than vanishing.
const JOB_KINDS: [JobKind; 6] = [
    JobKind::Email,
    JobKind::ExportSource,
    JobKind::AssembleExport,
    JobKind::EraseSource,
    JobKind::StartErasure,
    JobKind::FinishErasure,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    action: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

/// The gauges read from the database; see `store::gauges` for what each counts.
pub(super) struct StoreGauges {
    requests: Family<RequestLabels, Gauge>,
    overdue: Family<ActionLabels, Gauge>,
    due_soon: Family<ActionLabels, Gauge>,
    jobs_due: Family<KindLabels, Gauge>,
    jobs_running: Family<KindLabels, Gauge>,
    jobs_scheduled: Family<KindLabels, Gauge>,
    oldest_due_age: Family<KindLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
}

impl StoreGauges {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let gauges = StoreGauges {
            requests: Family::default(),
            overdue: Family::default(),
            due_soon: Family::default(),
            jobs_due: Family::default(),
            jobs_running: Family::default(),
            jobs_scheduled: Family::default(),
            oldest_due_age: Family::default(),
        };
        registry.register(
            "privacyd_requests",
            "Privacy requests in the database, by action and state (every replica reports the same numbers)",
            gauges.requests.clone(),
        );
        registry.register(
            "privacyd_requests_overdue",
            "Open privacy requests (PENDING, CONFIRMED, PROCESSING, FAILED) past their due time (GDPR Art. 12(3)), \
             by action",
            gauges.overdue.clone(),
        );
        registry.register(
            "privacyd_requests_due_within_7_days",
            "Open privacy requests due within the next 7 days and not yet overdue, by action",
            gauges.due_soon.clone(),
        );
        registry.register(
            "privacyd_jobs_due",
            "Queued jobs that are due and wait for an executor slot on some replica, by kind",
            gauges.jobs_due.clone(),
        );
        registry.register(
            "privacyd_jobs_running",
            "Jobs leased by a replica and running, by kind",
            gauges.jobs_running.clone(),
        );
        registry.register(
            "privacyd_jobs_scheduled",
            "Queued jobs not yet due (a retry's backoff, an erasure's cooling-off period), by kind",
            gauges.jobs_scheduled.clone(),
        );
        registry.register(
            "privacyd_jobs_oldest_due_age_seconds",
            "Seconds the longest-waiting due job has waited since it became due (0 when none is due), by kind",
            gauges.oldest_due_age.clone(),
        );
        gauges
    }

    /// Sets every gauge from `gauges`, read from the database, as of `now`.
    pub(super) fn set(&self, gauges: &Gauges, now: Timestamp) {
        for action in [Action::Export, Action::Erase] {
            let labels = ActionLabels { action: action.as_str() };
            let of_action = gauges.requests.iter().filter(|r| r.action == action);
            self.overdue.get_or_create(&labels).set(of_action.clone().map(|r| r.overdue).sum());
            self.due_soon.get_or_create(&labels).set(of_action.map(|r| r.due_soon).sum());
            for state in RequestState::ALL {
                let total = gauges.requests.iter().find(|r| r.action == action && r.state == state).map(|r| r.total);
                self.requests
                    .get_or_create(&RequestLabels { action: action.as_str(), state: state.as_str() })
                    .set(total.unwrap_or(0));
            }
        }
        for kind in JOB_KINDS {
            let labels = KindLabels { kind: kind.as_str() };
            let queue = gauges.jobs.iter().find(|q| q.kind == kind.as_str());
            self.jobs_due.get_or_create(&labels).set(queue.map_or(0, |q| q.due));
            self.jobs_running.get_or_create(&labels).set(queue.map_or(0, |q| q.running));
            self.jobs_scheduled.get_or_create(&labels).set(queue.map_or(0, |q| q.scheduled));
            let age = queue
                .and_then(|q| q.oldest_due)
                .map_or(0.0, |due| (now - due).to_std().unwrap_or_default().as_secs_f64());
            self.oldest_due_age.get_or_create(&labels).set(age);
        }
    }
}

/// Renders the metrics, reading the database gauges at most once per [`GAUGE_CACHE`].
#[derive(Clone)]
pub struct Scraper {
    metrics: Metrics,
    store: Store,
    /// The last reading and when it was taken. A scrape that finds it stale reads again while
    /// holding the lock, so scrapes that arrive together cost one reading.
    last: std::sync::Arc<tokio::sync::Mutex<Option<(Instant, Gauges)>>>,
}

impl Scraper {
    pub fn new(metrics: Metrics, store: Store) -> Self {
        Scraper { metrics, store, last: Default::default() }
    }

    /// The text exposition (Prometheus text format 0.0.4), or the error that kept the
    /// database gauges from being read.
    pub async fn render(&self) -> Result<String, crate::domain::Error> {
        let mut last = self.last.lock().await;
        let fresh = last.as_ref().is_some_and(|(at, _)| at.elapsed() < GAUGE_CACHE);
        if !fresh {
            *last = Some((Instant::now(), self.store.gauges(crate::domain::now()).await?));
        }
        let gauges = last.as_ref().map(|(_, g)| g.clone()).unwrap_or_default();
        Ok(self.metrics.encode(&gauges, crate::domain::now()))
    }
}

/// The scrape's answer. When the database cannot be read the whole scrape fails (503), so
/// that Prometheus marks the target down: serving the other series with stale or zero gauges
/// would quietly resolve an "overdue requests" alert while nothing can be known.
async fn exposition(scraper: &Scraper) -> Response {
    match scraper.render().await {
        Ok(body) => {
            ([(header::CONTENT_TYPE, prometheus_client::encoding::prometheus_text::CONTENT_TYPE)], body).into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "reading the metrics gauges from the database failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "privacyd cannot read its database, which the request and job gauges come from; see its log.\n",
            )
                .into_response()
        }
    }
}

#[derive(Clone)]
struct OnMainPort {
    scraper: Scraper,
    tokens: AdminTokens,
}

/// `GET /metrics` for privacyd's own port: needs an admin token with the `read` scope.
pub fn main_port_routes(scraper: Scraper, tokens: AdminTokens) -> Router {
    Router::new().route(METRICS_PATH, get(guarded).with_state(OnMainPort { scraper, tokens }))
}

async fn guarded(State(state): State<OnMainPort>, request: axum::extract::Request) -> Response {
    let presented = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer_token);
    // The auth layer marks the admin it accepted; it accepts none on a connection without a
    // client certificate when `--tls-client-ca` requires one, and neither does this page.
    let accepted = request.extensions().get::<crate::domain::Actor>().is_some();
    match presented.and_then(|token| state.tokens.authenticate(token)).filter(|_| accepted) {
        Some(grant) if grant.scopes.contains(Scope::Read) => exposition(&state.scraper).await,
        Some(_) => (
            StatusCode::FORBIDDEN,
            "This admin token lacks the read scope that /metrics needs (or serve metrics on their own \
             address with --metrics-listen).\n",
        )
            .into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "/metrics on privacyd's main port needs an admin token with the read scope: send \
             'Authorization: Bearer <token>' (Prometheus: the scrape config's authorization section), or serve \
             metrics on their own address with --metrics-listen.\n",
        )
            .into_response(),
    }
}

/// Serves `GET /metrics` without a token on `listener` (`--metrics-listen`) until shutdown;
/// every other path is 404.
pub async fn serve(listener: TcpListener, scraper: Scraper, mut shutdown: Shutdown) -> std::io::Result<()> {
    let app = Router::new()
        .route(METRICS_PATH, get(|State(scraper): State<Scraper>| async move { exposition(&scraper).await }))
        .with_state(scraper);
    axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.wait().await }).await
}
