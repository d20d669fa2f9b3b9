//! A job whose attempt panics (a bug in privacyd, or text from a source it mishandles) fails
//! that attempt like any other failure: retried until its attempts run out, then failed for
//! good, and what is recorded never carries the panic's message (issue 9, item 7).

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
use sqlx::{Connection, Row};

use crate::{helpers::Backend, on_both_backends};

on_both_backends!(a_panicking_job_is_a_failed_attempt_that_counts_toward_its_limit);

/// Panics on every attempt, quoting an address as Rust's own messages quote the text they
/// were handling.
struct Panics {
    attempts: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl JobHandler for Panics {
    async fn run(&self, _job: &ClaimedJob) -> JobOutcome {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        panic!("byte index 3 is not a char boundary; it is inside 'İ' of `İİpanic-victim@example.com`");
    }
}

async fn a_panicking_job_is_a_failed_attempt_that_counts_toward_its_limit(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/privacyd.db", dir.path().display()),
        Backend::Postgres => crate::helpers::fresh_postgres_database().await,
    };
    let store = Store::connect(&url, 4).await.unwrap();
    crate::helpers::request_with_job(&store, "panic-victim@example.com", Action::Erase, JobKind::StartErasure, 3).await;

    // A short lease: a job left leased by a panic would be taken up again within a second.
    let lease = Duration::from_millis(600);
    let config = ExecutorConfig {
        concurrency: 2,
        max_in_flight: 2,
        lease,
        poll_interval: Duration::from_millis(50),
        retry_base: Duration::from_millis(20),
        retry_max: Duration::from_millis(40),
    };
    let attempts = Arc::new(AtomicUsize::new(0));
    let mut executor = Executor::new(store.clone(), config);
    executor.register(JobKind::StartErasure, Arc::new(Panics { attempts: attempts.clone() }));
    let (trigger, shutdown) = privacyd::shutdown::channel();
    let running = tokio::spawn(executor.run(shutdown));

    let give_up = tokio::time::Instant::now() + Duration::from_secs(20);
    while attempts.load(Ordering::SeqCst) < 3 {
        assert!(tokio::time::Instant::now() < give_up, "3 attempts did not happen in 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Several leases later, still 3: the job failed for good instead of coming back.
    tokio::time::sleep(4 * lease).await;
    assert_eq!(attempts.load(Ordering::SeqCst), 3, "a panicking job must stop at its attempt limit");
    trigger.trigger();
    running.await.unwrap();

    let mut db = sqlx::AnyConnection::connect(&url).await.unwrap();
    let row = sqlx::query("SELECT state, attempts, last_error FROM jobs").fetch_one(&mut db).await.unwrap();
    assert_eq!(row.try_get::<String, _>("state").unwrap(), "FAILED");
    assert_eq!(row.try_get::<i64, _>("attempts").unwrap(), 3);
    let error: String = row.try_get("last_error").unwrap();
    assert_eq!(error, privacyd::executor::PANICKED);
    assert!(!error.contains("panic-victim"), "{error}");
}
