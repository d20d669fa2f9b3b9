//! Watching a request: its state, events and progress as they change, on this replica at
//! once and on others within a poll. The polling is the replica's [`super::watchers`].

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::{WatchItem, Workflow};
use crate::domain::{Actor, AuditEvent, AuditEventType, Error, RequestId, State};

/// Messages a watch may have waiting for its client; a client that lets more pile up gets the
/// rest later, read again from its cursor.
const WATCH_BUFFER: usize = 16;

/// A watch's messages, and where its replayed history ends.
pub struct Watch<S> {
    /// The sequence number of the last audit event of the request that happened before the
    /// watch began (0 if none): events up to it are its history, replayed from the audit log;
    /// later ones are live.
    pub replayed_until: i64,
    stream: S,
}

impl<S: Stream<Item = WatchItem> + Unpin> Stream for Watch<S> {
    type Item = WatchItem;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.stream).poll_next(cx)
    }
}

impl Workflow {
    /// Streams the request now; then its history, one message per audit event so far (from
    /// the audit log, so that a watch that starts late, even after the request finished, still
    /// shows what happened: issue 9, item 24); then one after every new audit event, until it
    /// is final (the history of a final request ends with the event that made it so), deleted,
    /// the receiver goes away, or privacyd shuts down. Refused with [`Error::TooManyWatches`]
    /// when `holder` (an admin token) or the replica already has as many watches open as
    /// allowed. The history goes through the replica's poller like live events, with the same
    /// bounded channel per watch, so a long history costs no more memory than a busy request.
    pub async fn watch(
        &self,
        holder: &Actor,
        id: RequestId,
    ) -> Result<Watch<impl Stream<Item = WatchItem> + Send + Unpin + use<>>, Error> {
        let slot = self.watchers.reserve(holder)?;
        // Sequence first, snapshot second: an event between the two is live rather than lost.
        let replayed_until = self.store.last_audit_sequence(id).await?;
        let request = self.get(id).await?;
        let (tx, rx) = mpsc::channel(WATCH_BUFFER);
        let seen_update = request.update_time;
        tx.try_send(Box::new(Ok((Some(request), None)))).expect("a new channel has room");
        // From the start of the log: the poller sends the history first, and ends the watch
        // after the event that made the request final, if it is.
        self.watchers.add(id, tx, 0, seen_update, slot);
        Ok(Watch { replayed_until, stream: ReceiverStream::new(rx).map(|item| *item) })
    }

    /// Watches open on this replica.
    pub fn open_watches(&self) -> usize {
        self.watchers.open()
    }

    /// How many times this replica has read the database for its watches: once per poll
    /// interval (or change), whatever the number of watches.
    pub fn watch_polls(&self) -> u64 {
        self.watchers.polls()
    }
}

/// The events to send from one poll, and whether the watch ends with them: it ends after the
/// first that makes the request final (or deletes it). Events after that one in the same poll
/// (the "fulfilled" email follows COMPLETED within milliseconds) are not sent, and above all
/// must not reopen the watch, which would then wait for events that never come.
pub(super) fn up_to_the_end(mut events: Vec<AuditEvent>) -> (Vec<AuditEvent>, bool) {
    let end = events.iter().position(|event| {
        event.event.to_state.is_some_and(State::is_final) || event.event.event_type == AuditEventType::Deleted
    });
    if let Some(end) = end {
        events.truncate(end + 1);
    }
    (events, end.is_some())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::{Actor, NewAuditEvent};

    fn events(kinds: &[(AuditEventType, Option<State>)]) -> Vec<AuditEvent> {
        events_of(RequestId::new(), kinds)
    }

    /// Audit events of request `id`, numbered from 1, of the given types and target states.
    pub(in crate::workflow) fn events_of(id: RequestId, kinds: &[(AuditEventType, Option<State>)]) -> Vec<AuditEvent> {
        let now = crate::domain::now();
        kinds
            .iter()
            .zip(1..)
            .map(|((kind, to), sequence)| {
                let mut event = NewAuditEvent::new(id, Actor::system("test"), *kind, now);
                event.to_state = *to;
                AuditEvent { sequence, event }
            })
            .collect()
    }

    fn kinds(events: &[AuditEvent]) -> Vec<AuditEventType> {
        events.iter().map(|e| e.event.event_type).collect()
    }

    #[test]
    fn a_poll_that_reads_past_the_final_event_still_ends_the_watch() {
        use AuditEventType::*;
        let (sent, ends) = up_to_the_end(events(&[
            (ArchiveCreated, None),
            (Completed, Some(State::Completed)),
            (EmailSent, None),
            (ArchiveDownloaded, None),
        ]));
        assert!(ends);
        assert_eq!(kinds(&sent), [ArchiveCreated, Completed]);

        let (sent, ends) = up_to_the_end(events(&[(SourceSucceeded, None), (EmailSent, None)]));
        assert!(!ends);
        assert_eq!(sent.len(), 2);

        let (sent, ends) = up_to_the_end(events(&[(Deleted, None), (EmailSent, None)]));
        assert!(ends);
        assert_eq!(kinds(&sent), [Deleted]);
    }
}
