//! What one `Export` stream held, reduced to what the checks compare: each item (by group and
//! item id) and each file as a SHA-256, so a whole export can be compared with the next one
//! without keeping it in memory. Built message by message under privacyd's own stream rules
//! ([`crate::export::rules`]) plus one the kit adds: every group is one Describe declared.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::{
    export::rules::{Step, StreamRules, Violation},
    proto::privacy::datasource::v1 as pb,
};

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub path: String,
    pub group_id: String,
    pub size: u64,
    pub sha256: [u8; 32],
}

/// One export, reduced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// (group id, item id) -> SHA-256 of its fields, in the order they came (an item sent in
    /// several messages is merged, as privacyd merges it).
    pub items: BTreeMap<(String, String), [u8; 32]>,
    /// In the order they came.
    pub files: Vec<FileDigest>,
}

/// Items and files of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCount {
    pub items: usize,
    pub files: usize,
}

impl Snapshot {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.files.is_empty()
    }

    /// Items and files per group; files sent without a group are under "".
    pub fn groups(&self) -> BTreeMap<&str, GroupCount> {
        let mut groups: BTreeMap<&str, GroupCount> = BTreeMap::new();
        for (group, _) in self.items.keys() {
            groups.entry(group).or_default().items += 1;
        }
        for file in &self.files {
            groups.entry(&file.group_id).or_default().files += 1;
        }
        groups
    }

    /// "4 items, 1 file (200000 bytes)".
    pub fn summary(&self) -> String {
        let bytes: u64 = self.files.iter().map(|f| f.size).sum();
        format!("{}, {} ({bytes} bytes)", plural(self.items.len(), "item"), plural(self.files.len(), "file"))
    }

    /// What differs from `later`, or None when both hold the same data.
    pub fn difference(&self, later: &Snapshot) -> Option<String> {
        let mut changes = Vec::new();
        let ids = |s: &Snapshot| s.items.keys().cloned().collect::<BTreeSet<_>>();
        let (before, after) = (ids(self), ids(later));
        let name = |(group, item): &(String, String)| format!("{group}/{item}");
        let listed = |keys: Vec<String>| {
            let shown: Vec<&str> = keys.iter().take(3).map(String::as_str).collect();
            let more = if keys.len() > 3 { format!(", and {} more", keys.len() - 3) } else { String::new() };
            format!("{}{more}", shown.join(", "))
        };
        let gone: Vec<String> = before.difference(&after).map(name).collect();
        if !gone.is_empty() {
            changes.push(format!("{} gone ({})", plural(gone.len(), "item"), listed(gone)));
        }
        let new: Vec<String> = after.difference(&before).map(name).collect();
        if !new.is_empty() {
            changes.push(format!("{} new ({})", plural(new.len(), "item"), listed(new)));
        }
        let changed: Vec<String> =
            before.intersection(&after).filter(|k| self.items[*k] != later.items[*k]).map(name).collect();
        if !changed.is_empty() {
            changes.push(format!("{} changed ({})", plural(changed.len(), "item"), listed(changed)));
        }
        let files = |s: &Snapshot| s.files.iter().map(|f| (f.path.clone(), f.sha256)).collect::<BTreeSet<_>>();
        if files(self) != files(later) {
            changes.push(format!("files differ ({} before, {} after)", self.files.len(), later.files.len()));
        }
        if changes.is_empty() { None } else { Some(changes.join("; ")) }
    }
}

/// "1 item", "2 items", "3 categories".
pub fn plural(n: usize, what: &str) -> String {
    match (n, what.strip_suffix('y')) {
        (1, _) => format!("1 {what}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {what}s"),
    }
}

struct OpenFile {
    path: String,
    group_id: String,
    hasher: Sha256,
}

/// Builds a [`Snapshot`] from a stream, refusing what privacyd would refuse.
pub struct SnapshotBuilder<'a> {
    rules: StreamRules,
    declared: Option<&'a BTreeSet<String>>,
    items: BTreeMap<(String, String), Sha256>,
    open: Option<OpenFile>,
    files: Vec<FileDigest>,
    messages: usize,
}

impl<'a> SnapshotBuilder<'a> {
    /// `declared`: the group ids Describe declared, when it answered.
    pub fn new(declared: Option<&'a BTreeSet<String>>) -> Self {
        SnapshotBuilder {
            rules: StreamRules::new(),
            declared,
            items: BTreeMap::new(),
            open: None,
            files: Vec::new(),
            messages: 0,
        }
    }

    /// Messages taken so far, the one that broke a rule included.
    pub fn messages(&self) -> usize {
        self.messages
    }

    fn check_declared(&self, group_id: &str, what: impl FnOnce() -> String) -> Result<(), Violation> {
        match self.declared {
            Some(declared) if !declared.contains(group_id) => {
                Err(Violation(format!("{} is in group {group_id:?}, which Describe does not declare", what())))
            }
            _ => Ok(()),
        }
    }

    pub fn add(&mut self, message: pb::ExportResponse) -> Result<(), Violation> {
        self.messages += 1;
        let step = self.rules.check(&message)?;
        match (message.payload, step) {
            (Some(pb::export_response::Payload::Item(item)), Step::Item) => {
                self.check_declared(&item.group_id, || format!("item {:?}", item.item_id))?;
                let hasher = self.items.entry((item.group_id, item.item_id)).or_default();
                for field in &item.data {
                    // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
                    for part in [&field.name, &field.value] {
                        hasher.update((part.len() as u64).to_be_bytes());
                        hasher.update(part.as_bytes());
                    }
                }
            }
            (Some(pb::export_response::Payload::FileChunk(chunk)), Step::Chunk { starts_file, file_size }) => {
                if starts_file {
                    if !chunk.group_id.is_empty() {
                        self.check_declared(&chunk.group_id, || format!("file {:?}", chunk.path))?;
                    }
                    self.open = Some(OpenFile {
                        path: chunk.path.clone(),
                        group_id: chunk.group_id.clone(),
                        hasher: Sha256::new(),
                    });
                }
                let open = self.open.as_mut().expect("the rules opened a file");
                open.hasher.update(&chunk.data);
                if let Some(size) = file_size {
                    let done = self.open.take().expect("the rules opened a file");
                    self.files.push(FileDigest {
                        path: done.path,
                        group_id: done.group_id,
                        size,
                        sha256: done.hasher.finalize().into(),
                    });
                }
            }
            _ => unreachable!("the rules accept only items and file chunks"),
        }
        Ok(())
    }

    /// The snapshot, once the stream ended OK.
    pub fn finish(self) -> Result<Snapshot, Violation> {
        self.rules.finish()?;
        Ok(Snapshot {
            items: self.items.into_iter().map(|(key, hasher)| (key, hasher.finalize().into())).collect(),
            files: self.files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(group_id: &str, item_id: &str, value: &str) -> pb::ExportResponse {
        pb::ExportResponse {
            payload: Some(pb::export_response::Payload::Item(pb::ExportItem {
                group_id: group_id.into(),
                item_id: item_id.into(),
                data: vec![pb::ExportField { name: "v".into(), value: value.into() }],
                ..Default::default()
            })),
        }
    }

    fn snapshot(messages: Vec<pb::ExportResponse>, declared: Option<&BTreeSet<String>>) -> Result<Snapshot, Violation> {
        let mut builder = SnapshotBuilder::new(declared);
        for m in messages {
            builder.add(m)?;
        }
        builder.finish()
    }

    #[test]
    fn undeclared_groups_are_refused() {
        let declared: BTreeSet<String> = ["a".to_owned()].into();
        assert!(snapshot(vec![item("a", "1", "x")], Some(&declared)).is_ok());
        assert_eq!(
            snapshot(vec![item("b", "1", "x")], Some(&declared)).unwrap_err(),
            Violation("item \"1\" is in group \"b\", which Describe does not declare".into())
        );
        assert!(snapshot(vec![item("b", "1", "x")], None).is_ok(), "nothing to compare with");
    }

    #[test]
    fn differences_are_named() {
        let before = snapshot(vec![item("a", "1", "x"), item("a", "2", "y")], None).unwrap();
        assert_eq!(before.difference(&before.clone()), None);
        let after = snapshot(vec![item("a", "1", "changed"), item("b", "3", "z")], None).unwrap();
        assert_eq!(before.difference(&after).unwrap(), "1 item gone (a/2); 1 item new (b/3); 1 item changed (a/1)");
        assert_eq!(before.summary(), "2 items, 0 files (0 bytes)");
    }
}
