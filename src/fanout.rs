//! The steps every per-source job (an export stream, an erasure) takes around its own work:
//! take the source's run when an attempt starts, and record a failed attempt. What happens
//! when the last source ends is the domain's rule (`PrivacyRequest::source_finished`).

use crate::{
    domain::{Error, PrivacyRequest, SourceName, SourceOutcome, State},
    executor::{JobError, JobOutcome},
    store::{Change, ClaimedJob, NewJob, Store},
};

/// Marks the job's source as running and returns it with the request (whose other sources
/// carry only their states; see `Store::modify_run`), or the outcome to end the job with:
/// done when the request moved on (cancelled, denied, deleted) meanwhile.
pub async fn begin(store: &Store, job: &ClaimedJob) -> Result<(SourceName, PrivacyRequest), JobOutcome> {
    let Some(source) = NewJob::source(&job.payload) else {
        return Err(JobOutcome::failed("per-source job without a source".into(), false));
    };
    let attempt = job.attempts;
    if attempt > 1 {
        let method = if job.kind == crate::store::JobKind::EraseSource { "Erase" } else { "Export" };
        store.metrics().source_retry(source.as_str(), method);
    }
    let started = store
        .modify_own_run(job.request_id, &source, move |request, source| {
            if request.state != State::Processing {
                return Ok(Change::new(None));
            }
            request.source_started(source, attempt, crate::domain::now())?;
            Ok(Change::new(Some(request.clone())))
        })
        .await;
    match started {
        Ok(Some(request)) => Ok((source, request)),
        Ok(None) | Err(Error::NotFound(_)) => Err(JobOutcome::done()),
        Err(err) => Err(JobOutcome::failed(err.to_string(), true)),
    }
}

/// Records a failed attempt: the executor tries again when `retryable` and attempts remain;
/// otherwise the source has failed for good, which fails the request once the others end.
pub async fn fail(
    store: &Store,
    job: &ClaimedJob,
    request: &PrivacyRequest,
    source: &SourceName,
    message: &str,
    retryable: bool,
) -> JobOutcome {
    // The message may come from the source, which may quote the subject; it goes to the log,
    // the audit log and state_reason, which never hold personal data.
    let message = request.subject.redact(message);
    let outcome = SourceOutcome::Failed { error: message.clone(), will_retry: job.will_retry(retryable) };
    let recorded = store
        .modify_run(job.request_id, source, move |request, source| {
            let (events, _) = request.source_finished(source, outcome, crate::domain::now())?;
            let mut change = Change::new(());
            change.events = events;
            Ok(change)
        })
        .await;
    match recorded {
        Ok(_) => JobOutcome { result: Err(JobError { message, retryable }), events: Vec::new() },
        Err(Error::NotFound(_)) => JobOutcome::done(),
        Err(err) => JobOutcome::failed(err.to_string(), true),
    }
}

/// Records an attempt that panicked as a failed attempt of the job's source (see
/// `JobHandler::panicked`), so that the request shows it and fails once attempts run out.
pub async fn fail_panicked(store: &Store, job: &ClaimedJob, message: &str) -> JobOutcome {
    let Some(source) = NewJob::source(&job.payload) else {
        return JobOutcome::failed(message.to_owned(), true);
    };
    match store.get_request(job.request_id).await {
        Ok(Some(request)) if request.state == State::Processing => {
            fail(store, job, &request, &source, message, true).await
        }
        Ok(_) => JobOutcome::done(),
        Err(err) => JobOutcome::failed(err.to_string(), true),
    }
}
