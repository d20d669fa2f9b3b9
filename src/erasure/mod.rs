//! Erasures: each data source's `Erase` is called by a job of its own, with the request id as
//! the idempotency key, and then checked by exporting the subject again. When the last source
//! is done one more job completes the request, emails the subject what was kept and why, and
//! writes the receipt. All of it runs on the executor beside exports, so it is retried,
//! survives restarts, and spreads over replicas.

pub mod receipt;
pub mod verify;

use std::sync::Arc;

use async_trait::async_trait;

use crate::{
    domain::{Capability, EmailKind, Error, Next, State, Verification},
    executor::{JobHandler, JobOutcome},
    fanout,
    proto::privacy::datasource::v1 as pb,
    source_client::{SourceClient, subject_message},
    store::{Change, ClaimedJob, JobKind, NewJob, Store},
    workflow::Workflow,
};

/// Erasure settings.
#[derive(Debug, Clone)]
pub struct ErasureSettings {
    /// Export each source again after its erasure and check what is left.
    pub verify: bool,
    /// Cooling-off period between confirmation and erasure, during which the request can
    /// still be cancelled.
    pub delay: chrono::Duration,
    /// Attempts per source before the request fails.
    pub source_max_attempts: i32,
    /// Attempts to send an email.
    pub mail_max_attempts: i32,
    /// The organisation's name, for receipts.
    pub organization: String,
}

/// Erases one source's data about the subject, then verifies.
pub struct EraseSourceJob {
    store: Store,
    settings: Arc<ErasureSettings>,
}

impl EraseSourceJob {
    pub fn new(store: Store, settings: Arc<ErasureSettings>) -> Self {
        EraseSourceJob { store, settings }
    }
}

#[async_trait]
impl JobHandler for EraseSourceJob {
    async fn panicked(&self, job: &ClaimedJob, message: &str) -> JobOutcome {
        crate::fanout::fail_panicked(&self.store, job, message).await
    }

    async fn run(&self, job: &ClaimedJob) -> JobOutcome {
        let (source, request) = match fanout::begin(&self.store, job).await {
            Ok(started) => started,
            Err(outcome) => return outcome,
        };
        let fail = |message: String, retryable: bool| {
            let (store, request, source) = (&self.store, &request, &source);
            async move { fanout::fail(store, job, request, source, &message, retryable).await }
        };
        let subject = match request.subject.known() {
            Ok(subject) => subject.clone(),
            Err(err) => return fail(err.to_string(), false).await,
        };
        let registered = match self.store.get_source(&source).await {
            Ok(Some(registered)) => registered,
            Ok(None) => return fail("the data source was deleted".into(), false).await,
            Err(err) => return fail(err.to_string(), true).await,
        };
        let client = match SourceClient::for_source(&registered) {
            Ok(client) => client.observed(self.store.metrics(), source.as_str()),
            Err(err) => return fail(err.to_string(), false).await,
        };
        let answered = request.sources.iter().find(|r| r.source == source).and_then(|r| r.erasure.clone());
        let erasure = match answered {
            // An earlier attempt got the answer and then failed to verify (or privacyd
            // stopped): verify again without erasing again.
            Some(erasure) => erasure,
            None => {
                let message = pb::EraseRequest {
                    privacy_request_id: request.id.to_string(),
                    subject: Some(subject_message(&subject)),
                };
                let erasure = match client.erase(message).await {
                    Ok(erasure) => erasure.redacted(&subject),
                    Err(failure) => return fail(format!("Erase: {failure}"), failure.is_retryable()).await,
                };
                let recorded = self
                    .store
                    .modify_own_run(job.request_id, &source, {
                        let erasure = erasure.clone();
                        move |request, source| {
                            if request.state == State::Cancelled {
                                // Cancelled while the call was under way, and the source
                                // answered before the job was stopped: what it erased is known
                                // now, and recorded as applied (not verified).
                                let change = Change::new(false);
                                return Ok(
                                    match request.erased_after_cancel(source, erasure, crate::domain::now())? {
                                        Some(event) => change.event(event),
                                        None => change,
                                    },
                                );
                            }
                            if request.state != State::Processing {
                                return Ok(Change::new(false));
                            }
                            request.source_erased(source, erasure, crate::domain::now())?;
                            Ok(Change::new(true))
                        }
                    })
                    .await;
                match recorded {
                    Ok(true) => erasure,
                    Ok(false) | Err(Error::NotFound(_)) => return JobOutcome::done(),
                    // Not recorded: the retry calls Erase again, which the source answers
                    // from its idempotency record.
                    Err(err) => return JobOutcome::failed(err.to_string(), true),
                }
            }
        };
        let verification = if !self.settings.verify {
            Verification::skipped("verification is off (--verify-erasure=false)", crate::domain::now())
        } else if !registered.description.supports(Capability::Export) {
            Verification::skipped("the source cannot export, so nothing could be checked", crate::domain::now())
        } else {
            match verify::exported_groups(&client, &request, &subject, &erasure).await {
                Ok(found) => Verification::check(&erasure, &found, crate::domain::now()),
                // An export changes nothing, so any failure is worth another try, but one that
                // breaks the protocol: the source would send the same again.
                Err(err) => return fail(format!("verification export: {err}"), !err.breaks_protocol()).await,
            }
        };
        let verification = verification.redacted(&subject);
        let failed_verification =
            (verification.state == crate::domain::VerificationState::Failed).then(|| verification.detail.clone());
        let recorded = self
            .store
            .modify_run(job.request_id, &source, move |request, source| {
                let (events, next) = request.source_verified(source, verification, crate::domain::now())?;
                let mut change = Change::new(());
                change.events = events;
                if next == Next::Finish {
                    change = change.job(NewJob::finish_erasure(request.id));
                }
                Ok(change)
            })
            .await;
        match (recorded, failed_verification) {
            (Ok(()), Some(detail)) => {
                self.store.metrics().verification_failed(source.as_str());
                JobOutcome::failed(format!("erasure verification failed: {detail}"), false)
            }
            (Ok(()), None) | (Err(Error::NotFound(_)), _) => JobOutcome::done(),
            (Err(err), _) => JobOutcome::failed(err.to_string(), true),
        }
    }
}

/// Completes an erasure once every source erased and passed verification: the summary over
/// all sources, the "fulfilled" email and the receipt. A job of its own (rather than part of
/// the last source's job) because it reads every source's result whole.
pub struct FinishErasureJob {
    store: Store,
    settings: Arc<ErasureSettings>,
}

#[async_trait]
impl JobHandler for FinishErasureJob {
    async fn run(&self, job: &ClaimedJob) -> JobOutcome {
        let mail_attempts = self.settings.mail_max_attempts;
        let completed = self
            .store
            .modify(job.request_id, |request| {
                use crate::domain::SourceState::{Skipped, Succeeded};
                if request.state != State::Processing
                    || !request.sources.iter().all(|r| matches!(r.state, Succeeded | Skipped(_)))
                {
                    return Ok(Change::new(false));
                }
                let (event, completed) = request.erasure_completed(crate::domain::now())?;
                let change = Change::new(completed).event(event);
                if !completed {
                    return Ok(change);
                }
                Ok(change.job(NewJob::email(request.id, EmailKind::ErasureFulfilled, mail_attempts)))
            })
            .await;
        match completed {
            Ok((_, completed)) => {
                if completed
                    && let Err(err) =
                        receipt::issue(&self.store, &self.settings.organization, job.request_id, true).await
                {
                    // GetErasureReceipt writes it on first use instead.
                    tracing::warn!(error = %err, "writing the erasure receipt failed");
                }
                JobOutcome::done()
            }
            Err(Error::NotFound(_)) => JobOutcome::done(),
            Err(err) => JobOutcome::failed(err.to_string(), true),
        }
    }
}

/// Starts an erasure whose cooling-off period is over, unless it was cancelled meanwhile.
pub struct StartErasureJob {
    workflow: Workflow,
}

#[async_trait]
impl JobHandler for StartErasureJob {
    async fn run(&self, job: &ClaimedJob) -> JobOutcome {
        match self.workflow.start_scheduled_erasure(job.request_id).await {
            Ok(_) | Err(Error::IllegalTransition { .. } | Error::NotFound(_)) => JobOutcome::done(),
            Err(err) => JobOutcome::failed(err.to_string(), true),
        }
    }
}

/// Registers the erasure jobs on an executor.
pub fn register(
    executor: &mut crate::executor::Executor,
    store: &Store,
    workflow: &Workflow,
    settings: Arc<ErasureSettings>,
) {
    executor.register(JobKind::EraseSource, Arc::new(EraseSourceJob::new(store.clone(), settings.clone())));
    executor.register(JobKind::FinishErasure, Arc::new(FinishErasureJob { store: store.clone(), settings }));
    executor.register(JobKind::StartErasure, Arc::new(StartErasureJob { workflow: workflow.clone() }));
}
