//! The erasure receipt: a JSON document for the compliance file, written once when an erasure
//! completes. It proves what each source erased and kept (and why), how verification went,
//! and, through a SHA-256 chain over the request's audit events, what the audit log said at
//! the time: if an event is later changed, the chain no longer matches.
//!
//! The receipt names the subject only by a keyed hash of their identifiers (HMAC-SHA256 under
//! a key derived from privacyd's secret key, see `keys::SecretKeys::subject_hash`), so it can
//! be kept after the request and its personal data are deleted, and whoever holds it cannot
//! test guessed addresses against it: only privacyd can.
//!
//! Each receipt is signed with Ed25519 over its exact bytes when it is issued (see
//! `keys::ReceiptSigner`). The signature covers the completion and issue times and the chain
//! head, and whether the receipt was issued by the job that completed the erasure
//! (`issued_at_completion`): someone with write access to the database who deletes a receipt
//! and has privacyd issue another gets one that says it was issued later, on read.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    domain::{Action, AuditEvent, AuditEventType, Error, PrivacyRequest, RequestId, State, Timestamp},
    keys::{Keys, ReceiptSignature},
    store::Store,
};

/// Names the chain construction, in the receipt and in the first link.
pub const CHAIN_ALGORITHM: &str = "sha256-chain-v1";

/// The receipt format this privacyd writes: 2 adds the keyed subject hashes, the signing key
/// id and `issued_at_completion` (1: salted SHA-256 with the salt beside it, unsigned).
pub const RECEIPT_VERSION: i64 = 2;

/// A written receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub document: String,
    /// Hex SHA-256 of `document`.
    pub sha256: String,
    /// Ed25519 over `document`'s UTF-8 bytes; `None` for receipts written before receipts
    /// were signed.
    pub signature: Option<ReceiptSignature>,
}

/// Whether the audit log still matches a receipt's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCheck {
    pub intact: bool,
    /// The first covered event that no longer matches (or is missing); 0 when intact.
    pub first_mismatch_sequence: i64,
}

fn time(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// An audit event as the chain hashes it. A `BTreeMap` so the keys are sorted whatever
/// serde_json's features, which keeps the encoding canonical.
fn canonical_event(event: &AuditEvent) -> BTreeMap<&'static str, Value> {
    let e = &event.event;
    BTreeMap::from([
        ("sequence", json!(event.sequence)),
        ("time", json!(time(e.time))),
        ("actor_kind", json!(e.actor.kind_str())),
        ("actor_id", json!(e.actor.id_str())),
        ("type", json!(e.event_type.as_str())),
        ("from_state", json!(e.from_state.map(State::as_str))),
        ("to_state", json!(e.to_state.map(State::as_str))),
        ("detail", json!(e.detail)),
        ("email_kind", json!(e.email_kind.map(|k| k.as_str()))),
    ])
}

/// Each event's link in the chain: SHA-256(previous link || canonical JSON of the event).
pub fn chain(request_id: RequestId, events: &[AuditEvent]) -> Vec<(i64, [u8; 32])> {
    let mut previous: [u8; 32] = Sha256::digest(format!("privacyd audit chain v1 {request_id}")).into();
    events
        .iter()
        .map(|event| {
            let encoded = serde_json::to_vec(&canonical_event(event)).expect("a map of JSON values encodes");
            let mut hasher = Sha256::new();
            hasher.update(previous);
            hasher.update(&encoded);
            previous = hasher.finalize().into();
            (event.sequence, previous)
        })
        .collect()
}

/// The events a receipt covers: the request's events up to its completion.
fn covered(events: &[AuditEvent]) -> &[AuditEvent] {
    let end =
        events.iter().position(|e| e.event.event_type == AuditEventType::Completed).map_or(events.len(), |i| i + 1);
    &events[..end]
}

/// Writes the receipt of a completed erasure, unsigned (see [`issue`]). `at_completion` says
/// whether the job that completed the erasure is writing it (otherwise a reader is, after that
/// job failed to, or after the stored receipt went missing).
pub fn build(
    request: &PrivacyRequest,
    events: &[AuditEvent],
    organization: &str,
    keys: &Keys,
    now: Timestamp,
    at_completion: bool,
) -> Result<Receipt, Error> {
    let summary =
        request.erasure_summary().ok_or_else(|| Error::Internal("a receipt for an erasure without results".into()))?;
    if request.sources_removed.is_some() {
        // The receipt went missing (past the write-once trigger) after `--job-retention`
        // removed the runs it is written from: a new one would list no source.
        return Err(Error::ReceiptLost);
    }
    let subject = request.subject.known()?;
    let email = keys.secrets.subject_hash(&subject.email.as_str().to_lowercase());
    let user_id = subject.user_id.as_ref().map(|u| keys.secrets.subject_hash(&u.as_str().to_lowercase()).hex);
    let events = covered(events);
    let links = chain(request.id, events);
    let chained: Vec<Value> = events
        .iter()
        .zip(&links)
        .map(|(event, (_, digest))| {
            let mut object = canonical_event(event);
            object.insert("digest", json!(hex::encode(digest)));
            json!(object)
        })
        .collect();
    let sources: Vec<Value> = request
        .sources
        .iter()
        .map(|run| {
            let erasure = run.erasure.as_ref();
            json!({
                "name": run.source.as_str(),
                "state": run.state.as_str(),
                "skip_reason": run.state.skip_reason().map(|r| r.sentence()),
                "attempts": run.attempts,
                "start_time": run.start_time.map(time),
                "finish_time": run.finish_time.map(time),
                "erase_time": erasure.map(|e| time(e.erase_time)),
                "items_removed": erasure.map(|e| e.items_removed),
                "items_retained": erasure.map(|e| e.items_retained),
                "retentions": erasure.map(|e| e.retentions.iter().map(|r| json!({
                    "group_id": r.group_id,
                    "items": r.items,
                    "reason": r.reason,
                    "legal_basis": r.legal_basis.describe(),
                    "retention_period": r.retention_period,
                })).collect::<Vec<_>>()).unwrap_or_default(),
                "verification": run.verification.as_ref().map(|v| json!({
                    "state": v.state.as_str(),
                    "detail": v.detail,
                    "leftovers": v.leftovers.iter().map(|l| json!({
                        "group_id": l.group_id, "items": l.items, "files": l.files,
                    })).collect::<Vec<_>>(),
                    "verify_time": time(v.verify_time),
                })),
            })
        })
        .collect();
    let document = json!({
        "receipt_version": RECEIPT_VERSION,
        "request_id": request.id.to_string(),
        "organization": organization,
        "subject": {
            "hash_algorithm": "hmac-sha256",
            "hmac_key_id": email.key_id,
            "email_hmac_sha256": email.hex,
            "user_id_hmac_sha256": user_id,
        },
        "created": time(request.create_time),
        "confirmed": request.confirm_time.map(time),
        "completed": request.complete_time.map(time),
        "due": time(request.due_time),
        "issued": time(now),
        "issued_at_completion": at_completion,
        "signing_key_id": keys.receipts.current_id(),
        "outcome": summary.outcome.as_str(),
        "items_removed": summary.items_removed,
        "items_retained": summary.items_retained,
        "verified": summary.verified,
        "sources_skipped": summary.sources_skipped,
        "sources": sources,
        "audit_chain": {
            "algorithm": CHAIN_ALGORITHM,
            "events": chained,
            "head": links.last().map(|(_, d)| hex::encode(d)),
        },
    });
    let document =
        serde_json::to_string_pretty(&document).map_err(|e| Error::Internal(format!("encoding a receipt: {e}")))?;
    let sha256 = hex::encode(Sha256::digest(document.as_bytes()));
    Ok(Receipt { document, sha256, signature: None })
}

/// Recomputes the chain over the audit log as it is now and compares it with the receipt's.
pub fn check(document: &str, request_id: RequestId, events_now: &[AuditEvent]) -> Result<ChainCheck, Error> {
    let receipt: Value =
        serde_json::from_str(document).map_err(|e| Error::Internal(format!("a stored receipt is not JSON: {e}")))?;
    let recorded: Vec<(i64, String)> = receipt["audit_chain"]["events"]
        .as_array()
        .ok_or_else(|| Error::Internal("a stored receipt has no audit chain".into()))?
        .iter()
        .map(|e| (e["sequence"].as_i64().unwrap_or(-1), e["digest"].as_str().unwrap_or_default().to_owned()))
        .collect();
    let last = recorded.last().map_or(0, |(sequence, _)| *sequence);
    let now: Vec<AuditEvent> = events_now.iter().filter(|e| e.sequence <= last).cloned().collect();
    let links = chain(request_id, &now);
    for (i, (sequence, digest)) in recorded.iter().enumerate() {
        match links.get(i) {
            Some((s, d)) if s == sequence && hex::encode(d) == *digest => {}
            // A changed event, or one inserted before this one, or this one removed.
            Some((s, _)) => return Ok(ChainCheck { intact: false, first_mismatch_sequence: (*s).min(*sequence) }),
            None => return Ok(ChainCheck { intact: false, first_mismatch_sequence: *sequence }),
        }
    }
    if let Some((extra, _)) = links.get(recorded.len()) {
        return Ok(ChainCheck { intact: false, first_mismatch_sequence: *extra });
    }
    Ok(ChainCheck { intact: true, first_mismatch_sequence: 0 })
}

/// The receipt of a completed erasure, written and signed now if it was not yet (the job that
/// completed the erasure writes it, with `at_completion`; a crash in between leaves it to the
/// first reader, and the receipt says so). `None` when the request is not a completed erasure.
pub async fn issue(
    store: &Store,
    organization: &str,
    id: RequestId,
    at_completion: bool,
) -> Result<Option<Receipt>, Error> {
    if let Some(receipt) = store.get_receipt(id).await? {
        return Ok(Some(receipt));
    }
    let Some(request) = store.get_request(id).await? else { return Ok(None) };
    if request.action != Action::Erase || request.state != State::Completed {
        return Ok(None);
    }
    let keys = store.keys()?;
    let events = store.all_audit_events(id).await?;
    let mut receipt = build(&request, &events, organization, keys, crate::domain::now(), at_completion)?;
    // Signed over the exact bytes stored and returned, so a verifier needs no canonical form.
    receipt.signature = Some(keys.receipts.sign(receipt.document.as_bytes()));
    // Two writers race only after a crash; the first receipt stays, and both return it.
    store.insert_receipt(id, &receipt, crate::domain::now()).await?;
    store.get_receipt(id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, NewAuditEvent};

    fn events(id: RequestId) -> Vec<AuditEvent> {
        let now = crate::domain::now();
        (1..=3)
            .map(|sequence| AuditEvent {
                sequence,
                event: NewAuditEvent::new(id, Actor::system("test"), AuditEventType::SourceSucceeded, now)
                    .with_detail(format!("event {sequence}")),
            })
            .collect()
    }

    fn receipt_of(id: RequestId, events: &[AuditEvent]) -> String {
        let chained: Vec<Value> = chain(id, events)
            .iter()
            .map(|(sequence, digest)| json!({ "sequence": sequence, "digest": hex::encode(digest) }))
            .collect();
        json!({ "audit_chain": { "events": chained } }).to_string()
    }

    #[test]
    fn a_changed_removed_or_inserted_event_breaks_the_chain_where_it_happened() {
        let id = RequestId::new();
        let original = events(id);
        let receipt = receipt_of(id, &original);
        assert_eq!(check(&receipt, id, &original).unwrap(), ChainCheck { intact: true, first_mismatch_sequence: 0 });

        let mut changed = original.clone();
        changed[1].event.detail = "event 2, edited".into();
        assert_eq!(check(&receipt, id, &changed).unwrap().first_mismatch_sequence, 2);

        let removed: Vec<AuditEvent> = original.iter().filter(|e| e.sequence != 3).cloned().collect();
        assert_eq!(check(&receipt, id, &removed).unwrap().first_mismatch_sequence, 3);

        // Events after the receipt's last one are not covered and do not matter.
        let mut later = original.clone();
        later.push(AuditEvent { sequence: 9, event: original[0].event.clone() });
        assert!(check(&receipt, id, &later).unwrap().intact);

        // The same events under another request id give another chain.
        assert!(!check(&receipt, RequestId::new(), &original).unwrap().intact);
    }
}
