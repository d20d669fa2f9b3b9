//! The verification export: after a source says it erased a subject, privacyd asks it for
//! the subject's data again, under every form of the address (see
//! `SubjectEmail::verification_forms`), and counts what is left, per group. Nothing is kept
//! but counts: the data itself is dropped as it arrives.

use std::{
    collections::{BTreeSet, HashSet},
    hash::{BuildHasher, RandomState},
};

use crate::{
    domain::{Found, PrivacyRequest, SourceErasure},
    proto::privacy::datasource::v1::{self as pb, export_response::Payload},
    source_client::{CallError, SourceClient},
};

/// Items and files remembered, over all groups and address forms, to count each once however
/// many messages (or forms) carry it. Past this, every further one counts as new: a source
/// that streams more than this after an erasure is over-counted, never under-counted, so it
/// can fail verification but never pass one it should fail.
const MAX_REMEMBERED: usize = 250_000;

/// Counts a verification export, in memory bounded whatever the source sends: at most
/// [`MAX_REMEMBERED`] 64-bit fingerprints (ids are hashed with a per-count random key, so a
/// source cannot make two ids collide on purpose) and [`Found::MAX_GROUPS`] named groups
/// besides the retained ones (at most a hundred, by the protocol's limit on retentions).
pub struct Counter<'a> {
    retained: BTreeSet<&'a str>,
    found: Found,
    seen: HashSet<u64>,
    keys: RandomState,
}

impl<'a> Counter<'a> {
    pub fn new(erasure: &'a SourceErasure) -> Self {
        Counter {
            retained: erasure.retained_groups(),
            found: Found::default(),
            seen: HashSet::new(),
            keys: RandomState::new(),
        }
    }

    /// Whether (kind, group, id) was not seen before; `true` once memory is full.
    fn first_time(&mut self, kind: u8, group: &str, id: &str) -> bool {
        let fingerprint = self.keys.hash_one((kind, group, id));
        if self.seen.len() >= MAX_REMEMBERED {
            return !self.seen.contains(&fingerprint);
        }
        self.seen.insert(fingerprint)
    }

    /// Adds one item (`is_file`: one file) to its group's count, or to the groups past the
    /// named ones. The error is a protocol violation: a count past 64 bits.
    fn count(&mut self, group: &str, is_file: bool) -> Result<(), String> {
        let overflow = || "the verification export counted more than a 64-bit count holds".to_owned();
        let known = self.found.groups.contains_key(group);
        let counter = if known || self.found.groups.len() < Found::MAX_GROUPS || self.retained.contains(group) {
            if !known {
                self.found.groups.insert(group.to_owned(), (0, 0));
            }
            let counts = self.found.groups.get_mut(group).expect("inserted above");
            if is_file { &mut counts.1 } else { &mut counts.0 }
        } else {
            // A group past the named ones: counted with the others. Whether it was seen before
            // is remembered as a fingerprint, in the same bounded memory as item ids.
            if self.first_time(2, group, "") {
                self.found.others.0 = self.found.others.0.checked_add(1).ok_or_else(overflow)?;
            }
            if is_file { &mut self.found.others.2 } else { &mut self.found.others.1 }
        };
        *counter = counter.checked_add(1).ok_or_else(overflow)?;
        Ok(())
    }

    /// One message of the export.
    pub fn add(&mut self, message: pb::ExportResponse) -> Result<(), String> {
        match message.payload {
            Some(Payload::Item(item)) => {
                if self.first_time(0, &item.group_id, &item.item_id) {
                    self.count(&item.group_id, false)?;
                }
            }
            // A file is counted at its first chunk, which carries its group; by path, so that
            // the same file exported under two forms of the address counts once.
            Some(Payload::FileChunk(chunk)) if chunk.offset == 0 => {
                if self.first_time(1, &chunk.group_id, &chunk.path) {
                    self.count(&chunk.group_id, true)?;
                }
            }
            Some(Payload::FileChunk(_)) | None => {}
        }
        Ok(())
    }

    pub fn found(self) -> Found {
        self.found
    }
}

/// Streams the subject's export under each form of the address and counts items and files
/// per group. The error says whether asking again may help.
pub async fn exported_groups(
    client: &SourceClient,
    request: &PrivacyRequest,
    subject: &crate::domain::Subject,
    erasure: &SourceErasure,
) -> Result<Found, CallError> {
    let mut counter = Counter::new(erasure);
    for form in subject.email.verification_forms() {
        let message = pb::ExportRequest {
            privacy_request_id: request.id.to_string(),
            subject: Some(crate::source_client::subject_message_as(subject, &form)),
        };
        // Under the source's stream limits, as any export (see `ExportStream`).
        let mut stream = client.export_stream(message).await?;
        while let Some(next) = stream.next().await {
            counter.add(next?).map_err(|message| CallError {
                code: tonic::Code::OutOfRange,
                message: format!("protocol violation: {message}"),
            })?;
        }
    }
    Ok(counter.found())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(group: &str, id: &str) -> pb::ExportResponse {
        pb::ExportResponse {
            payload: Some(Payload::Item(pb::ExportItem {
                group_id: group.into(),
                item_id: id.into(),
                ..Default::default()
            })),
        }
    }

    fn erasure(retained: &[(&str, i64)]) -> SourceErasure {
        let retentions = retained
            .iter()
            .map(|&(group, items)| crate::domain::Retention {
                group_id: group.into(),
                items,
                reason: "tax law".into(),
                legal_basis: crate::domain::LegalBasis::LegalObligation,
                retention_period: String::new(),
            })
            .collect();
        let total = retained.iter().map(|(_, n)| n).sum();
        SourceErasure::parse(0, total, retentions, vec![], crate::domain::now()).unwrap()
    }

    #[test]
    fn each_item_counts_once_however_often_it_is_sent() {
        let erasure = erasure(&[]);
        let mut counter = Counter::new(&erasure);
        for _ in 0..3 {
            counter.add(item("comments", "c-1")).unwrap();
        }
        counter.add(item("comments", "c-2")).unwrap();
        assert_eq!(counter.found().groups["comments"], (2, 0));
    }

    #[test]
    fn a_million_groups_are_counted_in_bounded_memory_and_retained_groups_by_name() {
        let erasure = erasure(&[("orders", 1)]);
        let mut counter = Counter::new(&erasure);
        for i in 0..1_000_000 {
            counter.add(item(&format!("g{i}"), "x")).unwrap();
        }
        // The retained group comes last, after the named groups are used up.
        counter.add(item("orders", "o-1")).unwrap();
        counter.add(item("orders", "o-2")).unwrap();
        assert!(counter.seen.len() <= MAX_REMEMBERED);
        let found = counter.found();
        assert_eq!(found.groups.len(), Found::MAX_GROUPS + 1);
        assert_eq!(found.groups["orders"], (2, 0));
        // Each group past the named ones counts once while memory lasts, and at least once.
        let (groups, items, _) = found.others;
        assert_eq!(items, 1_000_000 - Found::MAX_GROUPS as i64);
        assert!(groups >= (MAX_REMEMBERED / 2) as i64 && groups <= items, "{groups}");
        let v = crate::domain::Verification::check(&erasure, &found, crate::domain::now());
        assert_eq!(v.state, crate::domain::VerificationState::Failed);
        assert!(v.detail.contains("orders: 1 item beyond the 1 reported retained"), "{}", v.detail);
        assert!(v.leftovers.len() <= Found::MAX_GROUPS + 1);
    }
}

/// Property tests of the verification's count (case counts: see
/// `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;
    use crate::testing::proptest_cases::cases;

    /// A message of a verification export: an item, or a file's chunk at some offset.
    fn message() -> impl Strategy<Value = (bool, String, String, i64)> {
        // Few names, so that repeats (the same item sent twice, under two forms) are common.
        (any::<bool>(), "[a-c]{0,1}", "[x-z]{1,2}", prop_oneof![2 => Just(0i64), 1 => 1..100i64])
    }

    proptest! {
        #![proptest_config(cases(256))]

        /// Each group's count is the number of distinct items and of distinct files (by the
        /// path of a first chunk) sent in it, however often each was sent.
        #[test]
        fn counts_each_item_and_file_once(messages in prop::collection::vec(message(), 0..30)) {
            let erasure = SourceErasure::parse(0, 0, Vec::new(), Vec::new(), crate::domain::now()).unwrap();
            let mut counter = Counter::new(&erasure);
            let mut items: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            let mut files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (is_file, group, id, offset) in messages {
                let payload = if is_file {
                    if offset == 0 {
                        files.entry(group.clone()).or_default().insert(id.clone());
                        items.entry(group.clone()).or_default();
                    }
                    Payload::FileChunk(pb::FileChunk { path: id, group_id: group, offset, data: vec![1], ..Default::default() })
                } else {
                    items.entry(group.clone()).or_default().insert(id.clone());
                    files.entry(group.clone()).or_default();
                    Payload::Item(pb::ExportItem { group_id: group, item_id: id, ..Default::default() })
                };
                counter.add(pb::ExportResponse { payload: Some(payload) }).unwrap();
            }
            let expected: BTreeMap<String, (i64, i64)> = items
                .iter()
                .map(|(g, ids)| (g.clone(), (ids.len() as i64, files.get(g).map_or(0, |f| f.len() as i64))))
                .collect();
            let found = counter.found();
            prop_assert_eq!(found.groups, expected);
            prop_assert_eq!(found.others, (0, 0, 0));
        }
    }
}
