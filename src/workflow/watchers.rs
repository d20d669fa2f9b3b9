//! Every watch on a replica, served by one poller: each tick (and each change committed on
//! this replica to a watched request) it reads the new audit events and update times of all
//! watched requests at once, and hands each watcher what it has not seen yet. A watch costs a
//! bounded channel and a cursor, not a task and a query every half second, and how many
//! watches there are is capped per admin token and per replica.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::sync::mpsc::{self, error::TrySendError};

use super::{WatchItem, watch::up_to_the_end};
use crate::{
    domain::{Actor, AuditEvent, Error, PrivacyRequest, RequestId, Timestamp, WatchScope},
    shutdown::Shutdown,
    store::{Store, WATCH_BATCH},
};

/// Most events one poll reads of each request (as each watch did on its own before); when a
/// request had as many and its watches took them, the poller polls again at once rather
/// than after a tick.
const EVENTS_PER_REQUEST: u32 = 100;

/// How many watches may be open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchLimits {
    /// Per admin token (by its fingerprint, as the audit log names it), so that one client
    /// cannot take every watch of the replica.
    pub per_token: usize,
    /// On this replica, whoever holds them.
    pub total: usize,
}

impl Default for WatchLimits {
    fn default() -> Self {
        WatchLimits { per_token: 100, total: 1000 }
    }
}

/// The watches of one replica. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Watchers(Arc<Inner>);

struct Inner {
    store: Store,
    poll: Duration,
    shutdown: Shutdown,
    limits: WatchLimits,
    /// Apart from `watched`, so that a slot can be given back from anywhere, the poller's
    /// own critical sections included.
    counts: Arc<Mutex<Counts>>,
    watched: Mutex<Watched>,
    polls: AtomicU64,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_holder: HashMap<String, usize>,
}

#[derive(Default)]
struct Watched {
    requests: HashMap<RequestId, Vec<Watcher>>,
    /// Whether the poller task runs; it ends when the last watch does.
    polling: bool,
}

/// One watch, as the poller keeps it.
struct Watcher {
    /// Boxed: a channel allocates room for 32 messages up front, and a request is large
    /// (boxing saved 18 MB of RSS with 5,000 watches open in `privacy-bench create`).
    tx: mpsc::Sender<Box<WatchItem>>,
    /// The last event sent.
    last: i64,
    /// The update time of the last request sent.
    seen_update: Timestamp,
    _slot: Slot,
}

/// A place among the open watches, given back when dropped.
pub(crate) struct Slot {
    counts: Arc<Mutex<Counts>>,
    holder: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total -= 1;
        if let Some(n) = counts.per_holder.get_mut(&self.holder) {
            *n -= 1;
            if *n == 0 {
                counts.per_holder.remove(&self.holder);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing under these locks can be left half-done by a panic: carry on.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Watchers {
    pub fn new(store: Store, poll: Duration, shutdown: Shutdown, limits: WatchLimits) -> Self {
        Watchers(Arc::new(Inner {
            store,
            poll,
            shutdown,
            limits,
            counts: Default::default(),
            watched: Default::default(),
            polls: AtomicU64::new(0),
        }))
    }

    /// Takes a place for a watch by `holder`, or says which limit it would pass.
    pub fn reserve(&self, holder: &Actor) -> Result<Slot, Error> {
        let limits = self.0.limits;
        let holder = format!("{}:{}", holder.kind_str(), holder.id_str());
        let mut counts = lock(&self.0.counts);
        if counts.total >= limits.total {
            return Err(Error::TooManyWatches { limit: limits.total, scope: WatchScope::Replica });
        }
        let held = counts.per_holder.get(&holder).copied().unwrap_or(0);
        if held >= limits.per_token {
            return Err(Error::TooManyWatches { limit: limits.per_token, scope: WatchScope::Token });
        }
        counts.total += 1;
        *counts.per_holder.entry(holder.clone()).or_default() += 1;
        Ok(Slot { counts: self.0.counts.clone(), holder })
    }

    /// Hands a watch to the poller: from now on it gets the events of `id` after `last`, and
    /// snapshots of the request when it changes after `seen_update`.
    pub fn add(&self, id: RequestId, tx: mpsc::Sender<Box<WatchItem>>, last: i64, seen_update: Timestamp, slot: Slot) {
        let mut watched = lock(&self.0.watched);
        watched.requests.entry(id).or_default().push(Watcher { tx, last, seen_update, _slot: slot });
        if !watched.polling {
            watched.polling = true;
            tokio::spawn(self.clone().poll_while_watched());
        }
    }

    /// Watches open on this replica.
    pub fn open(&self) -> usize {
        lock(&self.0.counts).total
    }

    /// Reads made for watches since start: each covers every watched request (up to
    /// [`WATCH_BATCH`] of them), however many watches there are.
    pub fn polls(&self) -> u64 {
        self.0.polls.load(Ordering::Relaxed)
    }

    fn is_watched(&self, id: RequestId) -> bool {
        lock(&self.0.watched).requests.contains_key(&id)
    }

    /// The poller: reads on every tick, and at once on a change committed on this replica to
    /// a watched request (changes on other replicas are seen within a tick). Ends when nothing
    /// is watched any more, or on shutdown, which ends every watch.
    async fn poll_while_watched(self) {
        let mut changes = self.0.store.subscribe();
        let mut shutdown = self.0.shutdown.clone();
        // An interval rather than a sleep per round: changes to other requests, however many,
        // must not keep pushing the next tick away.
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + self.0.poll, self.0.poll);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // On shutdown the watches end as their streams do, cleanly: no read of a database
            // that is closing, which would end them with an error instead.
            if !shutdown.is_triggered() {
                let more = self.poll_once().await;
                if more && !lock(&self.0.watched).requests.is_empty() {
                    tokio::task::yield_now().await;
                    continue;
                }
            }
            {
                let mut watched = lock(&self.0.watched);
                if watched.requests.is_empty() || shutdown.is_triggered() {
                    watched.requests.clear();
                    watched.polling = false;
                    return;
                }
            }
            tokio::select! {
                _ = shutdown.wait() => {}
                _ = every.tick() => {}
                _ = async {
                    loop {
                        match changes.recv().await {
                            Ok(id) if !self.is_watched(id) => continue,
                            // A watched request changed, or this fell behind a burst.
                            _ => return,
                        }
                    }
                } => {}
            }
            // A burst of changes (a hundred sources finishing together) is read once.
            while changes.try_recv().is_ok() {}
        }
    }

    /// One round over every watched request; true when there was more to read than one
    /// round reads.
    async fn poll_once(&self) -> bool {
        let cursors: Vec<Cursor> = {
            let mut watched = lock(&self.0.watched);
            // A client that went away gives its place back here.
            watched.requests.retain(|_, watchers| {
                watchers.retain(|w| !w.tx.is_closed());
                !watchers.is_empty()
            });
            watched
                .requests
                .iter()
                .map(|(id, watchers)| Cursor {
                    id: *id,
                    last: watchers.iter().map(|w| w.last).min().unwrap_or(0),
                    seen_update: watchers.iter().map(|w| w.seen_update).min().unwrap_or_default(),
                })
                .collect()
        };
        let mut more = false;
        for batch in cursors.chunks(WATCH_BATCH) {
            self.0.polls.fetch_add(1, Ordering::Relaxed);
            match self.poll_batch(batch).await {
                Ok(more_here) => more |= more_here,
                // As each watch did on its own before: a failed read ends it, saying why.
                Err(err) => {
                    let mut watched = lock(&self.0.watched);
                    for cursor in batch {
                        for watcher in watched.requests.remove(&cursor.id).unwrap_or_default() {
                            let _ = watcher.tx.try_send(Box::new(Err(err.clone())));
                        }
                    }
                }
            }
        }
        more
    }

    async fn poll_batch(&self, batch: &[Cursor]) -> Result<bool, Error> {
        let store = &self.0.store;
        let ids: Vec<RequestId> = batch.iter().map(|c| c.id).collect();
        let update_times = store.update_times(&ids).await?;
        let after: Vec<(RequestId, i64)> = batch.iter().map(|c| (c.id, c.last)).collect();
        let events = store.audit_events_after(&after, EVENTS_PER_REQUEST).await?;
        let mut by_request: HashMap<RequestId, Vec<AuditEvent>> = HashMap::new();
        for event in events {
            by_request.entry(event.event.request_id).or_default().push(event);
        }
        // Only requests with something new are read whole: after their events, so that one
        // snapshot reflects each of them (and possibly later ones), as the protocol allows.
        let changed: Vec<RequestId> = batch
            .iter()
            .filter(|c| {
                by_request.contains_key(&c.id) || update_times.get(&c.id).is_some_and(|time| *time > c.seen_update)
            })
            .map(|c| c.id)
            .collect();
        let mut current: HashMap<RequestId, PrivacyRequest> =
            store.get_requests(&changed).await?.into_iter().map(|r| (r.id, r)).collect();
        let mut watched = lock(&self.0.watched);
        let mut more = false;
        for cursor in batch {
            let Some(watchers) = watched.requests.get_mut(&cursor.id) else { continue };
            let events = by_request.remove(&cursor.id).unwrap_or_default();
            let request = current.remove(&cursor.id);
            if events.is_empty() && request.is_none() {
                continue;
            }
            watchers.retain_mut(|watcher| watcher.deliver(request.as_ref(), &events));
            // Read again at once only if the watches took what was read: a client that does
            // not read must not make the poller spin.
            let full = events.len() >= EVENTS_PER_REQUEST as usize;
            let taken = watchers.iter().map(|w| w.last).min().is_none_or(|last| last > cursor.last);
            more |= full && taken;
            if watchers.is_empty() {
                watched.requests.remove(&cursor.id);
            }
        }
        Ok(more)
    }
}

/// Where the watches of one request stand: the least advanced of them.
struct Cursor {
    id: RequestId,
    last: i64,
    seen_update: Timestamp,
}

impl Watcher {
    /// Sends what this watch has not seen of one poll; false when the watch is over (its end
    /// was sent, or its client went away). A client that reads slowly is never waited for:
    /// when its channel is full, the rest waits for a later poll, which reads it again from
    /// this watch's cursor.
    fn deliver(&mut self, request: Option<&PrivacyRequest>, events: &[AuditEvent]) -> bool {
        let fresh: Vec<AuditEvent> = events.iter().filter(|e| e.sequence > self.last).cloned().collect();
        if fresh.is_empty() {
            // No event, but the request may have changed (progress of a running source).
            if let Some(request) = request
                && request.update_time > self.seen_update
            {
                match self.tx.try_send(Box::new(Ok((Some(request.clone()), None)))) {
                    Ok(()) => self.seen_update = request.update_time,
                    Err(TrySendError::Full(_)) => {}
                    Err(TrySendError::Closed(_)) => return false,
                }
            }
            return true;
        }
        // Decided by the events, not the snapshot: the snapshot may already show a final
        // state whose events this watch has not been sent yet.
        let (fresh, ends) = up_to_the_end(fresh);
        for event in fresh {
            let sequence = event.sequence;
            match self.tx.try_send(Box::new(Ok((request.cloned(), Some(event))))) {
                Ok(()) => {
                    self.last = sequence;
                    if let Some(request) = request {
                        self.seen_update = request.update_time;
                    }
                }
                Err(TrySendError::Full(_)) => return true,
                Err(TrySendError::Closed(_)) => return false,
            }
        }
        !ends
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AuditEventType, State};

    use crate::workflow::watch::tests::events_of as events;

    fn watcher(capacity: usize) -> (Watcher, mpsc::Receiver<Box<WatchItem>>, Arc<Mutex<Counts>>) {
        let counts: Arc<Mutex<Counts>> = Default::default();
        {
            let mut held = lock(&counts);
            held.total = 1;
            held.per_holder.insert("ADMIN:x".into(), 1);
        }
        let (tx, rx) = mpsc::channel(capacity);
        let slot = Slot { counts: counts.clone(), holder: "ADMIN:x".into() };
        (Watcher { tx, last: 0, seen_update: Timestamp::default(), _slot: slot }, rx, counts)
    }

    fn sequences(rx: &mut mpsc::Receiver<Box<WatchItem>>) -> Vec<i64> {
        std::iter::from_fn(|| rx.try_recv().ok()).map(|item| item.unwrap().1.unwrap().sequence).collect()
    }

    #[test]
    fn a_slow_client_is_not_waited_for_and_gets_the_rest_later_in_order() {
        use AuditEventType::*;
        let id = RequestId::new();
        let (mut watcher, mut rx, counts) = watcher(2);
        let polled = events(id, &[(Confirmed, Some(State::Confirmed)), (EmailSent, None), (EmailSent, None)]);
        assert!(watcher.deliver(None, &polled), "the watch goes on");
        assert_eq!(sequences(&mut rx), [1, 2], "as many as its channel holds, without waiting");
        // The next poll reads the same events again (the cursor is the slowest watcher's).
        let mut polled = polled;
        polled.extend(events(id, &[(Cancelled, Some(State::Cancelled)), (EmailSent, None)]).into_iter().map(
            |mut e| {
                e.sequence += 3;
                e
            },
        ));
        assert!(!watcher.deliver(None, &polled), "ends with the event that makes the request final");
        assert_eq!(sequences(&mut rx), [3, 4], "the rest, in order, and nothing after the final one");

        drop(watcher);
        assert_eq!(lock(&counts).total, 0, "an ended watch gives its place back");
        assert!(lock(&counts).per_holder.is_empty());
    }
}
