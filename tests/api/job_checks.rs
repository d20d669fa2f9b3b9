//! A running job's work goes on while the executor checks on it (whether its request was
//! cancelled, renewing its lease). Those checks read and write the database; a job's work
//! that is left unpolled meanwhile may be holding a connection from the same small pool (its
//! query answered, the answer not yet taken), and the checks of all the jobs wait for one
//! another. Found by `privacy-bench soak` (issue 14, section 3): after one to four minutes of
//! mixed load on SQLite, every connection of the read pool was held by a job whose work the
//! executor had stopped polling, each job's check waited 30 s for a connection and then the
//! next one did, and privacyd answered nothing but "pool timed out" until it was restarted.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use privacyd::{
    domain::Action,
    executor::{Executor, ExecutorConfig, JobHandler, JobOutcome},
    store::{ClaimedJob, JobKind, Store},
};

use crate::{helpers::Backend, on_both_backends};

on_both_backends!(jobs_reading_the_database_are_not_stalled_by_their_own_checks);

/// Jobs at once, more than the pool has connections.
const JOBS: usize = 6;
/// Reads each job makes: each `get_request` is several queries, one of them over a connection
/// held for two.
const READS: usize = 150;

/// Reads its request from the database, again and again, as a job's work does between its
/// calls to data sources.
struct Reads {
    store: Store,
    finished: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl JobHandler for Reads {
    async fn run(&self, job: &ClaimedJob) -> JobOutcome {
        for _ in 0..READS {
            if let Err(err) = self.store.get_request(job.request_id).await {
                return JobOutcome::failed(err.to_string(), false);
            }
        }
        self.finished.fetch_add(1, Ordering::SeqCst);
        JobOutcome::done()
    }
}

async fn jobs_reading_the_database_are_not_stalled_by_their_own_checks(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/privacyd.db", dir.path().display()),
        Backend::Postgres => crate::helpers::fresh_postgres_database().await,
    };
    // Two connections (SQLite's read pool, or all of PostgreSQL's): fewer than the jobs.
    let store = Store::connect(&url, 2).await.unwrap();
    for i in 0..JOBS {
        let email = format!("checked-{i}@example.com");
        crate::helpers::request_with_job(&store, &email, Action::Erase, JobKind::StartErasure, 1).await;
    }

    // A poll interval of a millisecond: each job checks for cancellation that often, so a
    // check comes while its work holds a connection on nearly every read.
    let config = ExecutorConfig {
        concurrency: JOBS,
        max_in_flight: JOBS,
        lease: Duration::from_secs(3),
        poll_interval: Duration::from_millis(1),
        retry_base: Duration::from_millis(20),
        retry_max: Duration::from_millis(40),
    };
    let finished = Arc::new(AtomicUsize::new(0));
    let mut executor = Executor::new(store.clone(), config);
    executor.register(JobKind::StartErasure, Arc::new(Reads { store: store.clone(), finished: finished.clone() }));
    let (trigger, shutdown) = privacyd::shutdown::channel();
    let running = tokio::spawn(executor.run(shutdown));

    // Unstalled, this takes well under a second; stalled, a check waits for the pool's 30 s
    // acquire timeout, and then the next one does.
    let give_up = tokio::time::Instant::now() + Duration::from_secs(20);
    while finished.load(Ordering::SeqCst) < JOBS {
        assert!(
            tokio::time::Instant::now() < give_up,
            "{} of {JOBS} jobs finished in 20 s: the executor's checks stalled the jobs' work",
            finished.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    trigger.trigger();
    running.await.unwrap();
}
