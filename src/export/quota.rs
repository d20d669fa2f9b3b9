//! How much a data source may stream into an export, so that the spools' disk stays bounded
//! whatever a source sends: a quota per source and one per request, counted on the bytes of
//! each message as it arrives (its encoded size), before any of it is written.
//!
//! A request's other sources are counted as exactly as this replica knows them: those
//! streaming or ended here from a ledger updated with each message, those on other replicas
//! from the counts they record (about once a second) in the database. Sources on other
//! replicas can therefore take a request past its quota by what they stream between two of
//! those records, and never a source past its own quota.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use crate::domain::{RequestId, SourceName};

/// The quotas, as configured (defaults and why: [`crate::config::Config`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportQuotas {
    /// Most bytes one source may stream into one request's export (`--export-source-quota`).
    pub per_source: u64,
    /// Most bytes all sources together may stream into one request's export
    /// (`--export-request-quota`).
    pub per_request: u64,
}

/// Which quota a stream ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Source(u64),
    Request(u64),
}

impl Quota {
    /// The failure a source is recorded with: stable text first (tools match on it), then the
    /// source, the quota and the flag that sets it.
    pub fn failure(self, source: &SourceName) -> String {
        let (what, bytes, flag) = match self {
            Quota::Source(bytes) => ("per-source", bytes, "--export-source-quota"),
            Quota::Request(bytes) => ("per-request", bytes, "--export-request-quota"),
        };
        format!(
            "EXPORT_QUOTA_EXCEEDED: data source {source:?} streamed past the {what} export quota of {} \
             ({bytes} bytes, {flag}); its partial export was removed and it is not retried",
            bytesize::ByteSize(bytes)
        )
    }
}

#[derive(Default)]
struct RequestLedger {
    /// Bytes streamed so far by the sources streaming on this replica.
    live: HashMap<SourceName, u64>,
    /// What sources that ended here left on disk; kept while another source of the request
    /// still streams here, so that it counts them exactly rather than from the database.
    ended: HashMap<SourceName, u64>,
}

/// The bytes streamed into each request's exports on this replica. Cheap to clone.
#[derive(Clone, Default)]
pub struct Ledger(Arc<Mutex<HashMap<RequestId, RequestLedger>>>);

impl Ledger {
    /// Starts counting a stream of `source` for `request`; the count ends with the guard.
    pub fn start(&self, request: RequestId, source: SourceName) -> Metered {
        let mut ledgers = self.lock();
        let ledger = ledgers.entry(request).or_default();
        ledger.ended.remove(&source);
        ledger.live.insert(source.clone(), 0);
        Metered { ledger: self.clone(), request, source, bytes: 0, kept: 0 }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, RequestLedger>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One source's stream, counted in the ledger.
pub struct Metered {
    ledger: Ledger,
    request: RequestId,
    source: SourceName,
    bytes: u64,
    /// What stays on disk when the stream ends: its bytes if its spool is kept, 0 if removed.
    kept: u64,
}

impl Metered {
    /// Records what the stream has sent so far.
    pub fn set(&mut self, bytes: u64) {
        self.bytes = bytes;
        if let Some(ledger) = self.ledger.lock().get_mut(&self.request) {
            ledger.live.insert(self.source.clone(), bytes);
        }
    }

    /// The spool is kept (the stream ended, well or to be retried): its bytes stay counted.
    pub fn keep(&mut self) {
        self.kept = self.bytes;
    }

    /// The spool was removed after all: nothing of the stream stays counted.
    pub fn discard(&mut self) {
        self.kept = 0;
    }

    /// The request's other sources' bytes: this replica's own count where it has one, else
    /// what the database last recorded (`recorded`, per source).
    pub fn others(&self, recorded: &HashMap<SourceName, u64>) -> u64 {
        let ledgers = self.ledger.lock();
        let Some(ledger) = ledgers.get(&self.request) else { return 0 };
        let here = |source: &SourceName| ledger.live.get(source).or_else(|| ledger.ended.get(source)).copied();
        let mut total: u64 = 0;
        for (source, bytes) in ledger.live.iter().chain(&ledger.ended) {
            if source != &self.source {
                total = total.saturating_add(*bytes);
            }
        }
        for (source, bytes) in recorded {
            if source != &self.source && here(source).is_none() {
                total = total.saturating_add(*bytes);
            }
        }
        total
    }

    /// How many more bytes the stream may send, and the quota that says so.
    pub fn room(&self, quotas: ExportQuotas, recorded: &HashMap<SourceName, u64>) -> (u64, Quota) {
        let request_room = quotas.per_request.saturating_sub(self.others(recorded));
        if quotas.per_source <= request_room {
            (quotas.per_source, Quota::Source(quotas.per_source))
        } else {
            (request_room, Quota::Request(quotas.per_request))
        }
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        let mut ledgers = self.ledger.lock();
        let Some(ledger) = ledgers.get_mut(&self.request) else { return };
        ledger.live.remove(&self.source);
        if ledger.live.is_empty() {
            // Nothing streams here for the request any more: a stream that starts later reads
            // the database, where the ends of these are recorded by then.
            ledgers.remove(&self.request);
        } else {
            ledger.ended.insert(self.source.clone(), self.kept);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> SourceName {
        SourceName::parse(s).unwrap()
    }

    #[test]
    fn other_sources_count_from_here_first_then_from_the_database() {
        let ledger = Ledger::default();
        let id = RequestId::new();
        let mut a = ledger.start(id, name("a"));
        let mut b = ledger.start(id, name("b"));
        a.set(100);
        b.set(30);
        let recorded = HashMap::from([(name("a"), 10), (name("b"), 5), (name("remote"), 7)]);
        assert_eq!(a.others(&recorded), 30 + 7, "b from here, the remote one from the database");
        let quotas = ExportQuotas { per_source: 1000, per_request: 200 };
        assert_eq!(a.room(quotas, &recorded), (200 - 37, Quota::Request(200)));
        let quotas = ExportQuotas { per_source: 50, per_request: 200 };
        assert_eq!(a.room(quotas, &recorded), (50, Quota::Source(50)));

        // b ends with its spool removed: it counts 0 for a, not its old record.
        drop(b);
        assert_eq!(a.others(&recorded), 7);
        // A retry of b starts from nothing, and never counts its earlier attempt.
        let mut b = ledger.start(id, name("b"));
        b.set(1);
        assert_eq!(b.others(&HashMap::new()), 100);
        b.keep();
        drop(b);
        assert_eq!(a.others(&HashMap::new()), 1);
        drop(a);
        assert!(ledger.lock().is_empty(), "nothing is kept once no stream of the request runs");
    }
}
