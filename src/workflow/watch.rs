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

impl Workflow {
    /// Streams the request now, then after every audit event, until it is final, deleted, the
    /// receiver goes away, or privacyd shuts down. Refused with [`Error::TooManyWatches`] when
    /// `holder` (an admin token) or the replica already has as many watches open as allowed.
    pub async fn watch(
        &self,
        holder: &Actor,
        id: RequestId,
    ) -> Result<impl Stream<Item = WatchItem> + Send + Unpin + use<>, Error> {
        let slot = self.watchers.reserve(holder)?;
        // Sequence first, snapshot second: an event between the two is sent again rather than
        // lost.
        let last = self.store.last_audit_sequence(id).await?;
        let request = self.get(id).await?;
        let (tx, rx) = mpsc::channel(WATCH_BUFFER);
        let finished = request.state.is_final();
        let seen_update = request.update_time;
        tx.try_send(Box::new(Ok((Some(request), None)))).expect("a new channel has room");
        if !finished {
            self.watchers.add(id, tx, last, seen_update, slot);
        }
        Ok(ReceiverStream::new(rx).map(|item| *item))
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
