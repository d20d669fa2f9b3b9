//! A source's answer to `Erase` and what its verification export found: the checks never
//! panic, accept only answers that add up, and fail every verification that found data
//! outside what was reported retained.
#![no_main]

use std::collections::BTreeMap;

// The derive names `arbitrary::...`, which libfuzzer-sys re-exports.
use libfuzzer_sys::{
    arbitrary::{self, Arbitrary},
    fuzz_target,
};
use privacyd::domain::{Found, LegalBasis, Retention, SourceErasure, Verification, VerificationState};

#[derive(Arbitrary, Debug)]
struct Input {
    removed: i64,
    retained: i64,
    retentions: Vec<(String, i64, String)>,
    messages: Vec<String>,
    found: Vec<(String, i64, i64)>,
    others: (i64, i64, i64),
}

fuzz_target!(|input: Input| {
    let retentions: Vec<Retention> = input
        .retentions
        .into_iter()
        .map(|(group_id, items, reason)| Retention {
            group_id,
            items,
            reason,
            legal_basis: LegalBasis::LegalObligation,
            retention_period: String::new(),
        })
        .collect();
    let now = chrono::DateTime::UNIX_EPOCH;
    let Ok(erasure) = SourceErasure::parse(input.removed, input.retained, retentions, input.messages, now) else {
        return;
    };
    let sum: i128 = erasure.retentions.iter().map(|r| i128::from(r.items)).sum();
    assert_eq!(sum, i128::from(erasure.items_retained));
    assert!(
        erasure.items_removed >= 0 && erasure.retentions.iter().all(|r| r.items >= 0 && !r.reason.trim().is_empty())
    );
    // A verification counts, so its counts are never negative.
    let found = Found {
        groups: input.found.into_iter().map(|(g, i, f)| (g, (i.saturating_abs(), f.saturating_abs()))).collect(),
        others: (input.others.0.saturating_abs(), input.others.1.saturating_abs(), input.others.2.saturating_abs()),
    };
    let verification = Verification::check(&erasure, &found, now);
    let retained: BTreeMap<&str, i64> = erasure.retentions.iter().map(|r| (r.group_id.as_str(), r.items)).collect();
    let clean = found.others.1 == 0
        && found.others.2 == 0
        && found.groups.iter().all(|(g, &(items, files))| match retained.get(g.as_str()) {
            None => items == 0 && files == 0,
            Some(&reported) => items <= reported,
        });
    assert_eq!(verification.state == VerificationState::Passed, clean, "{verification:?}");
});
