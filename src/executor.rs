//! The executor: the one mechanism that runs privacyd's background work. Work is a row in the
//! `jobs` table; each replica leases due jobs, runs them with bounded concurrency, renews the
//! lease while a job runs, and records the outcome with retry and backoff. A replica that dies
//! mid-job loses its lease and another (or itself, restarted) picks the job up. Handlers say
//! what a job does; the executor says when, where and how often.
//!
//! Two bounds, because most of a job's time is spent waiting on a data source: a job holds
//! one of `concurrency` slots while privacyd works on it, and gives the slot up while it
//! waits on a source ([`without_slot`]); `max_in_flight` bounds the jobs a replica holds in
//! all, waiting ones included. How many of a source's jobs run at once, across replicas, is
//! the source's `max_concurrent_calls`, which the claim itself enforces (`Store::claim_jobs`),
//! so a job never waits for a source's turn while holding anything.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use futures::FutureExt;
use tokio::{
    sync::{Notify, OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::{
    domain::NewAuditEvent,
    shutdown::Shutdown,
    store::{ClaimedJob, JobKind, JobRecord, Store},
};

/// Why a job attempt failed.
#[derive(Debug, Clone)]
pub struct JobError {
    /// For the operator; must not contain personal data or secrets.
    pub message: String,
    /// Whether another attempt may succeed.
    pub retryable: bool,
}

/// What a job attempt did: its result, and audit events to record atomically with it.
#[derive(Debug)]
pub struct JobOutcome {
    pub result: Result<(), JobError>,
    pub events: Vec<NewAuditEvent>,
}

impl JobOutcome {
    pub fn done() -> Self {
        JobOutcome { result: Ok(()), events: Vec::new() }
    }

    pub fn failed(message: String, retryable: bool) -> Self {
        JobOutcome { result: Err(JobError { message, retryable }), events: Vec::new() }
    }
}

/// Runs jobs of one kind.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, job: &ClaimedJob) -> JobOutcome;

    /// Records an attempt that panicked (a bug in privacyd) as a failed attempt, which the
    /// executor retries until the job's attempts run out, like any other failure. `message`
    /// says only that it panicked, never the panic's own message (see
    /// `telemetry::install_panic_hook`). Handlers that keep per-attempt state elsewhere (a
    /// source's run on its request) override it to record the failure there too.
    async fn panicked(&self, _job: &ClaimedJob, message: &str) -> JobOutcome {
        JobOutcome::failed(message.to_owned(), true)
    }
}

/// What a panicked attempt is recorded as.
pub const PANICKED: &str = "privacyd failed while running this job (a bug; the log says where)";

impl ClaimedJob {
    /// Whether a failure of this attempt will be followed by another. Handlers use it to word
    /// their audit events; the executor uses it to decide.
    pub fn will_retry(&self, retryable: bool) -> bool {
        retryable && self.attempts < self.max_attempts
    }
}

/// The executor slot of the job running on the current task (see [`without_slot`]).
struct JobSlot {
    slots: Arc<Semaphore>,
    held: Mutex<Option<OwnedSemaphorePermit>>,
    /// Wakes the executor to claim more work when the slot is given up, if the last claim
    /// left due jobs behind (`backlog`).
    wake: Arc<Notify>,
    backlog: Arc<AtomicBool>,
}

tokio::task_local! {
    static SLOT: JobSlot;
}

/// Runs `wait`, which waits on something outside privacyd (a data source's answer), without
/// the current job's executor slot, so that other jobs run meanwhile; the job takes a slot
/// again (waiting its turn, first come first served) before it goes on. This is what lets a
/// replica with 128 slots keep 500 sources' calls in flight at once instead of calling them
/// in waves of 128 (issue 11, section 5). Outside a job (registering a source, a test) or
/// when the slot is already given up, it only runs `wait`.
pub async fn without_slot<F: Future>(wait: F) -> F::Output {
    let released = SLOT
        .try_with(|slot| {
            let permit = slot.held.lock().expect("slot lock is never poisoned").take();
            permit.map(|permit| {
                drop(permit);
                // Only when work is waiting for a slot: a claim is a write, and on SQLite one
                // per wait would keep the single writer from the jobs' own writes.
                if slot.backlog.load(Ordering::Relaxed) {
                    slot.wake.notify_one();
                }
                slot.slots.clone()
            })
        })
        .ok()
        .flatten();
    let output = wait.await;
    if let Some(slots) = released {
        let permit = slots.acquire_owned().await.expect("semaphore is never closed");
        SLOT.with(|slot| *slot.held.lock().expect("slot lock is never poisoned") = Some(permit));
    }
    output
}

/// Tuning for the executor.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// Jobs privacyd works on at once on this replica (see [`without_slot`] for the jobs
    /// that wait on a source, which do not count).
    pub concurrency: usize,
    /// Jobs this replica holds at once, working or waiting on a source; at least
    /// `concurrency`.
    pub max_in_flight: usize,
    /// How long a claim lasts without renewal; a dead replica's jobs wait this long.
    pub lease: Duration,
    /// How often to look for due jobs when nothing wakes the executor.
    pub poll_interval: Duration,
    /// First retry delay; doubles per attempt.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        ExecutorConfig {
            concurrency: 16,
            max_in_flight: 256,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
        }
    }
}

impl ExecutorConfig {
    /// Exponential backoff: base, 2 base, 4 base, ... capped at `retry_max`.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
        self.retry_base.saturating_mul(2u32.saturating_pow(exponent)).min(self.retry_max)
    }

    /// How long a job that fails every time waits in all before its last attempt: the sum of
    /// the backoffs between `max_attempts` attempts. It is how long a data source may stay down
    /// before a request fails because of it (the attempts' own time comes on top).
    pub fn retry_window(&self, max_attempts: i32) -> Duration {
        (1..max_attempts).map(|attempt| self.backoff(attempt)).fold(Duration::ZERO, Duration::saturating_add)
    }
}

/// The executor of one replica.
pub struct Executor {
    store: Store,
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
    owner: String,
    config: ExecutorConfig,
    wake: Arc<Notify>,
    /// Whether the last claim took as many jobs as there were free slots, so that more may
    /// be due.
    backlog: Arc<AtomicBool>,
    /// This replica's running jobs that may go on, as last read (see [`LiveJobs`]).
    live: Arc<LiveJobs>,
}

/// Which of this replica's running jobs may go on: one query a poll interval for all of them,
/// shared by every running job, rather than one per job. A replica may hold hundreds of jobs
/// waiting on sources (`--job-max-in-flight`), and a query each per poll interval crowded a
/// small connection pool out (seen with 2 connections and 8 sources on a busy machine: a
/// `GetPrivacyRequest` waited 30 s for a connection).
struct LiveJobs {
    /// When the set was read, and the ids of the jobs leased to this replica and not cancelled.
    read: tokio::sync::Mutex<Option<(tokio::time::Instant, Arc<std::collections::HashSet<String>>)>>,
}

impl LiveJobs {
    /// Whether job `id` (leased to `owner` at `claimed`) was cancelled, or is gone: read at
    /// most once per `fresh_for` for all jobs; the first job to find the set stale reads it for
    /// the others, who wait and share its answer. A set read before the job was claimed cannot
    /// hold it, so it is stale for that job. A failed read cancels nothing.
    async fn cancelled(
        &self,
        store: &Store,
        owner: &str,
        id: &str,
        claimed: tokio::time::Instant,
        fresh_for: Duration,
    ) -> bool {
        let mut read = self.read.lock().await;
        let now = tokio::time::Instant::now();
        let stale = read.as_ref().is_none_or(|(at, _)| *at < claimed || now.duration_since(*at) >= fresh_for);
        if stale {
            match store.live_jobs(owner).await {
                Ok(ids) => *read = Some((now, Arc::new(ids))),
                Err(err) => {
                    warn!(error = %err, "reading which jobs were cancelled failed");
                    return false;
                }
            }
        }
        read.as_ref().is_some_and(|(_, live)| !live.contains(id))
    }
}

impl Executor {
    pub fn new(store: Store, config: ExecutorConfig) -> Self {
        Executor {
            store,
            handlers: HashMap::new(),
            // Unique per process, so a restarted replica never mistakes its predecessor's
            // leases for its own.
            owner: format!("replica-{}", uuid::Uuid::now_v7()),
            config,
            wake: Arc::new(Notify::new()),
            backlog: Arc::new(AtomicBool::new(false)),
            live: Arc::new(LiveJobs { read: tokio::sync::Mutex::new(None) }),
        }
    }

    pub fn register(&mut self, kind: JobKind, handler: Arc<dyn JobHandler>) {
        self.handlers.insert(kind, handler);
    }

    /// Wakes the executor now rather than at its next poll; call after enqueueing.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until shutdown, then waits for the jobs in flight.
    pub async fn run(self, mut shutdown: Shutdown) {
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(this.config.concurrency));
        let in_flight = Arc::new(Semaphore::new(this.config.max_in_flight.max(this.config.concurrency)));
        let mut running = JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            // A slot given up by a waiting job is free for a new one, as long as the replica
            // holds fewer than max_in_flight.
            let free = slots.available_permits().min(in_flight.available_permits());
            let claimed = if free == 0 || shutdown.is_triggered() {
                Vec::new()
            } else {
                let now = crate::domain::now();
                let lease_until = now + chrono::Duration::from_std(this.config.lease).unwrap_or_default();
                match this.store.claim_jobs(&this.owner, now, lease_until, free as u32).await {
                    Ok(jobs) => jobs,
                    Err(err) => {
                        warn!(error = %err, "claiming jobs failed");
                        Vec::new()
                    }
                }
            };
            let full = claimed.len() == free && free > 0;
            this.backlog.store(full, Ordering::Relaxed);
            for job in claimed {
                let held = in_flight.clone().try_acquire_owned().expect("claimed no more than the free permits");
                // Taken here, so the next claim counts it; a job back from a source may have
                // taken a free slot since, and then this one waits its turn in `run_one`.
                let slot = slots.clone().try_acquire_owned().ok();
                let this = this.clone();
                let slots = slots.clone();
                let span = info_span!(
                    "job",
                    otel.name = format!("job {}", job.kind.as_str()),
                    kind = job.kind.as_str(),
                    job_id = %job.id,
                    request_id = %job.request_id,
                    attempt = job.attempts,
                );
                // Each attempt is a child of the span that queued the job (the call that
                // processed the request, or the job that finished before it), not a new trace
                // linked to it: a request's processing is then one trace, call, fan-out,
                // archive and email together, whichever replica ran each part and however long
                // after (retries, an erasure's cooling-off period). A link would suit a job
                // that many callers' work fed into; every job here has exactly one cause.
                if let Some(context) = &job.trace_context {
                    context.continue_in(&span);
                }
                running.spawn(
                    async move {
                        this.run_one(job, slots, slot).await;
                        drop(held);
                        // A free slot: look for more work now rather than at the next poll.
                        this.wake.notify_one();
                    }
                    .instrument(span),
                );
            }
            if shutdown.is_triggered() {
                break;
            }
            // A full batch means more may be due: claim again at once.
            if full {
                continue;
            }
            tokio::select! {
                _ = this.wake.notified() => {}
                _ = tokio::time::sleep(this.config.poll_interval) => {}
                _ = shutdown.wait() => {}
            }
        }
        // Jobs not finished in time keep their leases, which lapse: the next start (or another
        // replica) runs them again.
        let _ =
            tokio::time::timeout(Duration::from_secs(10), async { while running.join_next().await.is_some() {} }).await;
    }

    async fn run_one(&self, job: ClaimedJob, slots: Arc<Semaphore>, slot: Option<OwnedSemaphorePermit>) {
        let Some(handler) = self.handlers.get(&job.kind).cloned() else {
            warn!("no handler for this job kind on this replica; leaving it to its lease");
            return;
        };
        let outcome = {
            // A panic ends the attempt, not the replica's task: left uncaught it would leave
            // the job leased, to be taken up and panic again every lease, without end. A slot
            // not taken at the claim is waited for inside the work, under the lease renewal.
            let (wake, backlog) = (self.wake.clone(), self.backlog.clone());
            let work = std::panic::AssertUnwindSafe(async {
                let permit = match slot {
                    Some(permit) => permit,
                    None => slots.clone().acquire_owned().await.expect("semaphore is never closed"),
                };
                let slot = JobSlot { slots, held: Mutex::new(Some(permit)), wake, backlog };
                SLOT.scope(slot, handler.run(&job)).await
            })
            .catch_unwind();
            // Boxed, so it can be dropped (and what it holds released) before the job is
            // released below.
            let mut work = Box::pin(work);
            // The checks run beside the work, never instead of it: both are polled by one
            // select, so while a check waits (for the shared cancellation read, for a
            // connection, for the writer) the work goes on. A check run in a select arm would
            // leave the work unpolled meanwhile, holding whatever it held (a connection whose
            // query had answered); with the pool's connections so held, every job's check
            // waited for one and privacyd stalled (found by `privacy-bench soak`, issue 14).
            let ended = {
                let checks = self.supervise(&job);
                tokio::pin!(checks);
                tokio::select! {
                    outcome = &mut work => Ok(outcome),
                    stop = &mut checks => Err(stop),
                }
                // The checks end here, and with them any shared read they were in.
            };
            match ended {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(_panic)) => {
                    // The payload is dropped unread: it may quote a source's data.
                    warn!("a job attempt panicked; recording it as a failed attempt");
                    let recorded = std::panic::AssertUnwindSafe(handler.panicked(&job, PANICKED)).catch_unwind().await;
                    recorded.unwrap_or_else(|_| JobOutcome::failed(PANICKED.to_owned(), true))
                }
                Err(stop) => {
                    // Dropping the work cuts its call to the source; the request records what
                    // that means (SourceState::Cancelled), not this job.
                    drop(work);
                    match stop {
                        Stop::Cancelled => {
                            info!("the job's request was cancelled; stopping it");
                            if let Err(err) = self.store.release_cancelled_job(&job.id, &self.owner).await {
                                warn!(error = %err, "releasing a cancelled job failed; its lease will lapse");
                            }
                        }
                        Stop::LeaseLost => warn!("lost the lease on a running job; abandoning it"),
                    }
                    return;
                }
            }
        };
        let now = crate::domain::now();
        let record = match &outcome.result {
            Ok(()) => JobRecord::Done,
            Err(err) if job.will_retry(err.retryable) => JobRecord::Retry {
                error: err.message.clone(),
                run_at: now + chrono::Duration::from_std(self.config.backoff(job.attempts)).unwrap_or_default(),
            },
            Err(err) => JobRecord::Failed { error: err.message.clone() },
        };
        match &record {
            JobRecord::Done => debug!("job done"),
            JobRecord::Retry { error, .. } => warn!(%error, "job failed; will retry"),
            JobRecord::Failed { error } => warn!(%error, "job failed for good"),
        }
        match self.store.finish_job(&job, &self.owner, &record, &outcome.events, now).await {
            Ok(true) => {}
            Ok(false) => warn!("job was taken over by another replica before it finished"),
            Err(err) => warn!(error = %err, "recording a job outcome failed; it will run again after its lease"),
        }
    }
}

/// Why a running job's checks stopped it.
enum Stop {
    /// Its request was cancelled (or the job is gone).
    Cancelled,
    /// Another replica holds its lease now.
    LeaseLost,
}

impl Executor {
    /// The checks on a running job, until one says to stop it: renewing its lease (a third of
    /// the lease each time) and, about once a poll interval, whether its request was cancelled
    /// (through the replica's one shared read, `LiveJobs`: a cancelled request's jobs are
    /// stopped through the database, since they may run on any replica). Runs beside the
    /// job's work (see `run_one`); never returns while the job may go on.
    async fn supervise(&self, job: &ClaimedJob) -> Stop {
        let renew_every = self.config.lease / 3;
        // An interval, not a sleep per round: the cancellation check below wakes this loop
        // every poll interval, and must not keep pushing the renewal away.
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + renew_every, renew_every);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut cancel_check = tokio::time::interval(self.config.poll_interval);
        let claimed = tokio::time::Instant::now();
        cancel_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel_check.tick() => {
                    if self.live.cancelled(&self.store, &self.owner, &job.id, claimed, self.config.poll_interval).await {
                        // Not among this replica's live jobs: cancelled, gone, or leased to
                        // another replica (this one was too slow to renew). One read tells
                        // which, so the log says what happened.
                        return match self.store.job_cancelled(&job.id).await {
                            Ok(false) => Stop::LeaseLost,
                            Ok(true) | Err(_) => Stop::Cancelled,
                        };
                    }
                }
                _ = renew.tick() => {
                    let until = crate::domain::now() + chrono::Duration::from_std(self.config.lease).unwrap_or_default();
                    match self.store.renew_lease(&job.id, &self.owner, until).await {
                        Ok(true) => {}
                        Ok(false) => return Stop::LeaseLost,
                        Err(err) => warn!(error = %err, "renewing a lease failed"),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let config = ExecutorConfig {
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(10),
            ..ExecutorConfig::default()
        };
        let delays: Vec<u64> = (1..=6).map(|a| config.backoff(a).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn the_retry_window_adds_up_the_backoffs() {
        let config = ExecutorConfig::default();
        // The defaults before issue 9 (5 attempts): 30 s + 1 min + 2 min + 4 min.
        assert_eq!(config.retry_window(5), Duration::from_secs(450));
        assert_eq!(config.retry_window(1), Duration::ZERO);
        assert_eq!(config.retry_window(8), Duration::from_secs(3810));
    }

    /// Issue 9, item 26: with the defaults a source that was down for 7.5 minutes failed the
    /// request, shorter than a routine deploy or database failover; they now ride out an hour.
    #[test]
    fn by_default_a_source_may_be_down_for_an_hour() {
        let config = crate::config::Config::defaults();
        let executor =
            ExecutorConfig { retry_base: config.retry_base, retry_max: config.retry_max, ..Default::default() };
        assert!(executor.retry_window(config.source_max_attempts) >= Duration::from_secs(3600));
    }
}
