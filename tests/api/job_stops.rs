//! Why the executor stops a running job is what it logs: a job another replica took over (its
//! lease lapsed, say while this replica was paused) is "lost the lease", not "the job's
//! request was cancelled", which is what the log said of both before (seen in chaos runs,
//! where it sent operators looking for a cancellation nobody made).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use privacyd::{
    domain::Action,
    executor::{Executor, ExecutorConfig, JobHandler, JobOutcome},
    store::{ClaimedJob, JobKind, Store},
};
use sqlx::Connection;

/// Runs until stopped, after saying it started.
struct Forever(tokio::sync::mpsc::UnboundedSender<String>);

#[async_trait::async_trait]
impl JobHandler for Forever {
    async fn run(&self, job: &ClaimedJob) -> JobOutcome {
        let _ = self.0.send(job.id.clone());
        std::future::pending().await
    }
}

/// What the executor logged, kept for the test to read.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// One thread: the executor's tasks log through this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn a_job_taken_over_by_another_replica_is_logged_as_a_lost_lease() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/privacyd.db", dir.path().display());
    let store = Store::connect(&url, 2).await.unwrap();
    crate::helpers::request_with_job(&store, "taken-over@example.com", Action::Erase, JobKind::StartErasure, 1).await;

    let config = ExecutorConfig {
        concurrency: 1,
        max_in_flight: 1,
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(20),
        retry_base: Duration::from_millis(20),
        retry_max: Duration::from_millis(40),
    };
    let (started, mut running_jobs) = tokio::sync::mpsc::unbounded_channel();
    let mut executor = Executor::new(store.clone(), config);
    executor.register(JobKind::StartErasure, Arc::new(Forever(started)));
    let (trigger, shutdown) = privacyd::shutdown::channel();
    let running = tokio::spawn(executor.run(shutdown));

    let id = tokio::time::timeout(Duration::from_secs(10), running_jobs.recv()).await.expect("the job ran").unwrap();
    // Another replica takes the job over, as it would once the lease had lapsed.
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("UPDATE jobs SET lease_owner = 'replica-other' WHERE id = ?").bind(&id).execute(&mut db).await.unwrap();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !log.text().contains("lost the lease") {
        assert!(tokio::time::Instant::now() < deadline, "no lost lease in the log:\n{}", log.text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!log.text().contains("cancelled"), "{}", log.text());
    // The other replica's lease stands.
    let owner: String =
        sqlx::query_scalar("SELECT lease_owner FROM jobs WHERE id = ?").bind(&id).fetch_one(&mut db).await.unwrap();
    assert_eq!(owner, "replica-other");
    trigger.trigger();
    running.await.unwrap();
}
