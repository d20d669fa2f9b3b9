//! Writes to one source's part of a request, gathered into one transaction per request.
//!
//! Each source's job writes its part a few times: "started", "answer recorded", and its end.
//! The end takes the request's row lock exclusively: its audit event must take its place in
//! the request's commit order (watchers read events in sequence), and the last one decides the
//! fan-in. The others change the source's run alone and hold the request shared, so that a
//! change to the request itself (a cancel) waits for them. A hundred sources would make a
//! hundred transactions of each kind, the exclusive ones one after another, each a handful of
//! round trips. Instead, while one transaction of a kind runs for a request, the writes of
//! that kind that arrive for it queue, and the next transaction takes them all: each is
//! applied on its own, in arrival order, to what the ones before it left, and one that fails
//! is undone alone. (This is group commit, one level up from the database's.) Only writes on
//! this replica are gathered; those of other replicas queue for the lock as before.

use std::{
    any::Any,
    collections::HashMap,
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex},
};

use futures::FutureExt;
use tokio::sync::oneshot;

use super::{
    Change, Store,
    requests::{RowLock, row_fields},
};
use crate::{
    domain::{Error, PrivacyRequest, RequestId, SourceName},
    traces::StoredContext,
};

/// What a write returns to its caller, typed again by [`Store::modify_run`].
type Output = Box<dyn Any + Send>;

/// A write to one source's part of a request, as the domain makes it.
pub(super) type RunWrite = Box<dyn FnOnce(&mut PrivacyRequest, &SourceName) -> Result<Change<Output>, Error> + Send>;

struct Pending {
    source: SourceName,
    write: RunWrite,
    reply: oneshot::Sender<Result<Output, Error>>,
    /// The caller's trace: the batch runs on a task of its own, outside the caller's span, and
    /// the jobs the write queues continue the caller's trace, not the batch's.
    trace: Option<StoredContext>,
}

/// A request, and the kind of lock its batch takes: what writes are gathered by.
type BatchKey = (RequestId, RowLock);

/// The writes waiting, per request and kind of lock. An entry exists while a batch for it runs.
#[derive(Clone, Default)]
pub(super) struct RunWriteQueues(Arc<Mutex<HashMap<BatchKey, Vec<Pending>>>>);

impl RunWriteQueues {
    /// Queues a write; true when no batch of its kind runs for the request, so the caller must
    /// start one.
    fn push(&self, id: BatchKey, pending: Pending) -> bool {
        let mut queues = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match queues.get_mut(&id) {
            Some(queue) => {
                queue.push(pending);
                false
            }
            None => {
                queues.insert(id, vec![pending]);
                true
            }
        }
    }

    /// The writes queued since the last batch; `None`, and the entry gone, when there are none.
    /// Under the same lock as `push`, so a write is never left without a batch to take it.
    fn take(&self, id: BatchKey) -> Option<Vec<Pending>> {
        let mut queues = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let queue = queues.get_mut(&id)?;
        if queue.is_empty() {
            queues.remove(&id);
            return None;
        }
        Some(std::mem::take(queue))
    }
}

impl<T: Send + 'static> Change<T> {
    fn boxed(self) -> Change<Output> {
        Change { events: self.events, jobs: self.jobs, output: Box::new(self.output), stop_work: self.stop_work }
    }
}

impl Store {
    /// [`Store::modify`] for one data source's part of a request: the write that records how
    /// an attempt of it ended, with its audit events and the jobs it starts. Only that
    /// source's run is read whole; the others carry their name, state, attempts and last
    /// error, which is all the fan-in rule looks at, and the archive is not read. Writes for
    /// the same request made at the same time share one transaction (see the module). `f`
    /// is given the source, and runs on a task of its own: it must own what it uses.
    pub async fn modify_run<T: Send + 'static>(
        &self,
        id: RequestId,
        source: &SourceName,
        f: impl FnOnce(&mut PrivacyRequest, &SourceName) -> Result<Change<T>, Error> + Send + 'static,
    ) -> Result<T, Error> {
        self.batched(id, source, RowLock::Exclusive, f).await
    }

    /// [`Store::modify_run`] for a change to that source's run alone: no audit event, no job,
    /// nothing else of the request. It holds the request's row shared, so the sources of a
    /// request start and record answers side by side, while a change to the request itself (a
    /// cancel, another source's end) still waits for them and they for it. `f` changing more
    /// than the run is a bug, and refused.
    pub async fn modify_own_run<T: Send + 'static>(
        &self,
        id: RequestId,
        source: &SourceName,
        f: impl FnOnce(&mut PrivacyRequest, &SourceName) -> Result<Change<T>, Error> + Send + 'static,
    ) -> Result<T, Error> {
        self.batched(id, source, RowLock::Shared, f).await
    }

    async fn batched<T: Send + 'static>(
        &self,
        id: RequestId,
        source: &SourceName,
        lock: RowLock,
        f: impl FnOnce(&mut PrivacyRequest, &SourceName) -> Result<Change<T>, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        let write: RunWrite = Box::new(move |request, source| f(request, source).map(Change::boxed));
        let trace = StoredContext::current();
        if self.run_writes.push((id, lock), Pending { source: source.clone(), write, reply, trace }) {
            let store = self.clone();
            // A task of its own: the batches it runs answer other callers too, so they must
            // not stop when this caller does.
            tokio::spawn(async move {
                while let Some(batch) = store.run_writes.take((id, lock)) {
                    // A write that panics (a bug) fails its batch, whose callers get an error,
                    // and not the writes queued behind it.
                    if AssertUnwindSafe(store.write_batch(id, lock, batch)).catch_unwind().await.is_err() {
                        tracing::error!(request_id = %id, "a batch of source writes panicked");
                    }
                }
            });
        }
        let output = answer.await.map_err(|_| Error::Internal("the batch with this write stopped".into()))??;
        output.downcast::<T>().map(|output| *output).map_err(|_| Error::Internal("a batched write's output".into()))
    }

    async fn write_batch(&self, id: RequestId, lock: RowLock, batch: Vec<Pending>) {
        let sources: Vec<SourceName> = batch.iter().map(|p| p.source.clone()).collect();
        let traces: Vec<Option<StoredContext>> = batch.iter().map(|p| p.trace.clone()).collect();
        let (writes, replies): (Vec<RunWrite>, Vec<_>) = batch.into_iter().map(|p| (p.write, p.reply)).unzip();
        match self.apply_batch(id, lock, &sources, &traces, writes).await {
            Ok(outputs) => {
                for (reply, output) in replies.into_iter().zip(outputs) {
                    // The caller may be gone (its job was stopped); the write stands.
                    let _ = reply.send(output);
                }
            }
            Err(err) => {
                for reply in replies {
                    let _ = reply.send(Err(err.clone()));
                }
            }
        }
    }

    /// One transaction for a batch: the writes' own results, or the transaction's error.
    async fn apply_batch(
        &self,
        id: RequestId,
        lock: RowLock,
        sources: &[SourceName],
        traces: &[Option<StoredContext>],
        writes: Vec<RunWrite>,
    ) -> Result<Vec<Result<Output, Error>>, Error> {
        // Committed synchronously, as every write that records a step of the work: see
        // `Store::begin_progress_write` for what an acknowledged commit lost to a crash did.
        let mut tx = self.begin_write().await?;
        let mut request = self.lock_request(&mut tx, id, lock).await?;
        request.sources = Store::load_runs_for(&mut tx, self.dialect, id, sources).await?;
        let before = request.clone();
        let (mut events, mut jobs, mut outputs) = (Vec::new(), Vec::new(), Vec::with_capacity(writes.len()));
        for ((write, source), trace) in writes.into_iter().zip(sources).zip(traces) {
            let undo = request.clone();
            let applied = write(&mut request, source).and_then(|change| match lock {
                RowLock::Shared => only_the_run_changed(&undo, &request, source, &change).map(|()| change),
                RowLock::Exclusive => Ok(change),
            });
            match applied {
                Ok(change) => {
                    events.extend(change.events);
                    jobs.extend(change.jobs.into_iter().map(|mut job| {
                        job.trace_context = job.trace_context.or_else(|| trace.clone());
                        job
                    }));
                    outputs.push(Ok(change.output));
                }
                Err(err) => {
                    request = undo;
                    outputs.push(Err(err));
                }
            }
        }
        // All but the last source's end change only runs, whose rows carry the time.
        let row = row_fields(&before) != row_fields(&request);
        self.write_request(&mut tx, &before, &request, &Change { events, jobs, output: (), stop_work: false }, row)
            .await?;
        tx.commit().await.map_err(super::db_error)?;
        self.announce(id);
        Ok(outputs)
    }
}

/// Refuses a shared write that changed more than its own source's run.
fn only_the_run_changed<T>(
    before: &PrivacyRequest,
    after: &PrivacyRequest,
    source: &SourceName,
    change: &Change<T>,
) -> Result<(), Error> {
    // Compared in place: this runs for every write of a batch, under the lock.
    let other_runs_kept = before.sources.len() == after.sources.len()
        && before
            .sources
            .iter()
            .zip(&after.sources)
            .all(|(was, is)| was == is || (&was.source == source && &is.source == source));
    if !change.events.is_empty()
        || !change.jobs.is_empty()
        || row_fields(before) != row_fields(after)
        || before.archive != after.archive
        || !other_runs_kept
    {
        return Err(Error::Internal(format!("a write to source {source}'s run changed more than that run")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Action, Actor, PrivacyRequest, SourceOutcome, SourceState, Subject, SubjectEmail};

    /// Each source's run written "started" (the shared batch) and then "succeeded" (the
    /// exclusive one), source after source, while PostgreSQL is killed and restarted
    /// (`pg_ctl restart -m immediate`) under the writes: every write that returned `Ok` is
    /// there at the end. Each run is written once of each kind and an end is never undone, so
    /// no later write can hide a lost one. Committed without waiting for the log's flush, they
    /// were lost (a probe of six writers and ten restarts lost 3 - 5 of each writer's): the
    /// executor then recorded the job's end on the restarted database, and a source's run
    /// stayed RUNNING for good (the chaos run, 2026-12-01).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn acknowledged_run_writes_survive_a_crash_of_the_database() {
        const WRITERS: usize = 4;
        const SOURCES_EACH: usize = 300;
        let postgres = Arc::new(crate::testing::ThrowawayPostgres::start(false).unwrap());
        let store = Store::connect(&postgres.url(), 8).await.unwrap();
        let subject = Subject { email: SubjectEmail::parse("jane@example.com").unwrap(), user_id: None };
        let now = crate::domain::now();
        let (request, event) = PrivacyRequest::new(subject, Action::Export, false, Actor::Subject, now);
        store.create_request(&request, &event, &[], None).await.unwrap();
        let id = request.id;
        let name = |w: usize, k: usize| SourceName::parse(&format!("shop-{w}-{k}")).unwrap();
        let candidates: Vec<_> =
            (0..WRITERS).flat_map(|w| (0..SOURCES_EACH).map(move |k| (name(w, k), None))).collect();
        store
            .modify(id, move |r| {
                r.start_processing(Actor::Subject, candidates, now)?;
                Ok(Change::new(()))
            })
            .await
            .unwrap();

        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // How many restarts have ended: the writes must span one, or nothing was tested.
        let restarts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (store, stop, restarts) = (store.clone(), stop.clone(), restarts.clone());
                tokio::spawn(async move {
                    // What each write that returned Ok left: the source, and whether it ended;
                    // and the restarts ended before the first and after the last of them.
                    let (mut acknowledged, mut last_error) = (Vec::new(), None);
                    let seen = || restarts.load(std::sync::atomic::Ordering::SeqCst);
                    let (first, mut last) = (seen(), seen());
                    for k in 0..SOURCES_EACH {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        let source = name(w, k);
                        let started = store
                            .modify_own_run(id, &source, |r, s| {
                                r.source_started(s, 1, crate::domain::now())?;
                                Ok(Change::new(()))
                            })
                            .await;
                        match started {
                            Ok(()) => acknowledged.push((source.clone(), false)),
                            Err(err) => last_error = Some(err.to_string()),
                        }
                        let ended = store
                            .modify_run(id, &source, |r, s| {
                                let outcome = SourceOutcome::Succeeded { items: 0, bytes: 0, summary: String::new() };
                                let (events, _) = r.source_finished(s, outcome, crate::domain::now())?;
                                let mut change = Change::new(());
                                change.events = events;
                                Ok(change)
                            })
                            .await;
                        match ended {
                            Ok(()) => {
                                acknowledged.push((source, true));
                                last = seen();
                            }
                            Err(err) => last_error = Some(err.to_string()),
                        }
                    }
                    (acknowledged, last_error, (first, last))
                })
            })
            .collect();
        for _ in 0..5 {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let postgres = postgres.clone();
            tokio::task::spawn_blocking(move || postgres.restart(true)).await.unwrap().unwrap();
            restarts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Read once every writer is done: a write acknowledged after the read would look lost.
        let mut written = Vec::new();
        for writer in writers {
            written.push(writer.await.unwrap());
        }
        let request = store.get_request(id).await.unwrap().unwrap();
        let state = |source: &SourceName| request.sources.iter().find(|run| &run.source == source).unwrap().state;
        for (acknowledged, last_error, (first, last)) in written {
            let ended = acknowledged.iter().filter(|(_, ended)| *ended).count();
            assert!(ended > 10, "too few writes between the restarts: {ended}; last error: {last_error:?}");
            // Writes before a crash and after it: a writer that ran out of sources first (a
            // fast machine) would pass without having been tested.
            assert!(
                first == 0 && last >= 1,
                "the writes did not span a restart (restarts ended before the first: {first}, \
                 before the last: {last}); give each writer more sources"
            );
            let lost: Vec<String> = acknowledged
                .iter()
                .filter(|(source, ended)| {
                    !matches!(
                        (ended, state(source)),
                        (true, SourceState::Succeeded) | (false, SourceState::Running | SourceState::Succeeded)
                    )
                })
                .map(|(source, ended)| {
                    let write = if *ended { "end" } else { "start" };
                    format!("{source}: {write} acknowledged, {:?} read", state(source))
                })
                .collect();
            assert!(lost.is_empty(), "writes acknowledged, then lost: {lost:?}");
        }
    }
}
