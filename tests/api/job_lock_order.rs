//! Writes that lock both a request's row and one of its jobs' rows take the request's first.
//! An email job ending (the job's row, then the request's, which shows the email's outcome)
//! and the request being deleted (the request's row, then its jobs' by the cascade) took them
//! the other way round, and PostgreSQL ended the deadlock by aborting one of them: a deletion
//! answered "internal error", found by console_list_api's batch test on a busy machine.

use std::time::Duration;

use privacyd::{
    domain::Action,
    store::{JobKind, JobRecord, Store},
};
use sqlx::{Connection, Row};

#[tokio::test]
async fn an_email_job_ending_while_its_request_is_deleted_does_not_deadlock() {
    crate::helpers::within_time_limit(email_job_ends_while_its_request_is_deleted()).await;
}

async fn email_job_ends_while_its_request_is_deleted() {
    let url = crate::helpers::fresh_postgres_database().await;
    let store = Store::connect(&url, 4).await.unwrap();
    let request =
        crate::helpers::request_with_job(&store, "lock-order@example.com", Action::Export, JobKind::Email, 1).await;
    // After the job was made: it is due by then.
    let now = privacyd::domain::now();
    let claimed = store.claim_jobs("replica-a", now, now + chrono::Duration::seconds(60), 10).await.unwrap();
    let [email_job] = <[_; 1]>::try_from(claimed).unwrap_or_else(|jobs| panic!("claimed {}", jobs.len()));

    // The deletion has taken the request's row (its DELETE's first lock) ...
    sqlx::any::install_default_drivers();
    let mut deleter = sqlx::AnyConnection::connect(&url).await.unwrap();
    let mut deletion = deleter.begin().await.unwrap();
    sqlx::query("SELECT id FROM privacy_requests WHERE id = $1 FOR UPDATE")
        .bind(request.id.to_string())
        .execute(&mut *deletion)
        .await
        .unwrap();
    // ... when the email job ends, on another connection, and waits for a lock.
    let finishing = {
        let store = store.clone();
        tokio::spawn(async move { store.finish_job(&email_job, "replica-a", &JobRecord::Done, &[], now).await })
    };
    let mut watcher = sqlx::AnyConnection::connect(&url).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let waiting: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap()
        .get("n");
        if waiting > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the job's end never waited for the request's row");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The deletion goes on to the job's row (the cascade) and must not meet the job's end
    // holding it: PostgreSQL would abort one of the two after deadlock_timeout (1 s).
    sqlx::query("DELETE FROM privacy_requests WHERE id = $1")
        .bind(request.id.to_string())
        .execute(&mut *deletion)
        .await
        .expect("the deletion, beside an email job ending");
    deletion.commit().await.unwrap();
    let finished = finishing.await.unwrap().expect("the job's end, beside the deletion");
    assert!(!finished, "the job went with its request: nothing left to record");
}
