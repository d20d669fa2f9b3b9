//! Watching a request: its state, events and progress as they change, on this replica at
//! once and on others within a poll.

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::{WatchItem, Workflow};
use crate::domain::{AuditEvent, AuditEventType, Error, RequestId, State};

impl Workflow {
    /// Streams the request now, then after every audit event, until it is final, deleted, the
    /// receiver goes away, or privacyd shuts down.
    pub async fn watch(&self, id: RequestId) -> Result<ReceiverStream<WatchItem>, Error> {
        // Sequence first, snapshot second: an event between the two is sent again rather than
        // lost.
        let mut last = self.store.last_audit_sequence(id).await?;
        let request = self.get(id).await?;
        let (tx, rx) = mpsc::channel(16);
        let store = self.store.clone();
        let poll = self.settings.watch_poll;
        let mut shutdown = self.shutdown.clone();
        let mut changes = store.subscribe();
        tokio::spawn(async move {
            let mut finished = request.state.is_final();
            let mut seen_update = request.update_time;
            if tx.send(Ok((Some(request), None))).await.is_err() {
                return;
            }
            while !finished {
                tokio::select! {
                    _ = tx.closed() => return,
                    _ = shutdown.wait() => return,
                    _ = tokio::time::sleep(poll) => {}
                    changed = changes.recv() => match changed {
                        Ok(changed) if changed != id => continue,
                        _ => {}
                    },
                }
                // A burst of changes (a hundred sources finishing together) is read once.
                while changes.try_recv().is_ok() {}
                let events = match store.list_audit_events(Some(id), Some(last), 100).await {
                    Ok(events) => events,
                    Err(err) => {
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                };
                if events.is_empty() {
                    // No event, but the request may have changed (progress of a running
                    // source): send a snapshot when it did.
                    match store.get_request(id).await {
                        Ok(Some(current)) if current.update_time > seen_update => {
                            seen_update = current.update_time;
                            if tx.send(Ok((Some(current), None))).await.is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        Err(err) => {
                            let _ = tx.send(Err(err)).await;
                            return;
                        }
                    }
                    continue;
                }
                // One snapshot for the batch, read after its events: it reflects each of them
                // (and possibly later ones), as the protocol allows.
                let current = match store.get_request(id).await {
                    Ok(current) => current,
                    Err(err) => {
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                };
                // Decided by the events, not the snapshot: the snapshot may already show a
                // final state whose events this loop has not sent yet.
                let (events, ends) = up_to_the_end(events);
                finished = ends;
                for event in events {
                    last = event.sequence;
                    let current = current.clone();
                    if let Some(current) = &current {
                        seen_update = current.update_time;
                    }
                    if tx.send(Ok((current, Some(event)))).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(ReceiverStream::new(rx))
    }
}

/// The events to send from one poll, and whether the watch ends with them: it ends after the
/// first that makes the request final (or deletes it). Events after that one in the same poll
/// (the "fulfilled" email follows COMPLETED within milliseconds) are not sent, and above all
/// must not reopen the watch, which would then wait for events that never come.
fn up_to_the_end(mut events: Vec<AuditEvent>) -> (Vec<AuditEvent>, bool) {
    let end = events.iter().position(|event| {
        event.event.to_state.is_some_and(State::is_final) || event.event.event_type == AuditEventType::Deleted
    });
    if let Some(end) = end {
        events.truncate(end + 1);
    }
    (events, end.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, NewAuditEvent};

    fn events(kinds: &[(AuditEventType, Option<State>)]) -> Vec<AuditEvent> {
        let id = RequestId::new();
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
