//! The rules an `Export` stream must follow, apart from where it is stored: every item has a
//! group and an item id, no item or file uses a group id privacyd reserves for its own groups
//! of the archive, a file's chunks come in order from offset 0 and end with `eof`, and files
//! do not interleave with each other or with items. The spool applies them to what it
//! writes to disk, and `privacyctl source check` to what it reads from a source under test,
//! so a source that passes the conformance kit is one privacyd accepts.

use crate::proto::privacy::datasource::v1 as pb;

/// The group of `export.json` that describes the export itself (WordPress's "About" group,
/// under WordPress's id).
pub const ABOUT_GROUP: &str = "about";

/// The prefix of every other group privacyd writes into `export.json` itself.
pub const RESERVED_GROUP_PREFIX: &str = "privacyd-";

/// Whether a group id is privacyd's own: `about`, or any id that starts with `privacyd-`,
/// compared without regard to ASCII case. A source may use none of them (the contract in
/// `datasource.proto`): otherwise its items would land in privacyd's groups, or beside them
/// under the same key, and a reader could take a source's "About" group for privacyd's (a
/// forged "Report generated for"). A whole namespace is reserved, not today's ids, so groups
/// privacyd adds later cannot collide with a source's either.
pub fn is_reserved_group(group_id: &str) -> bool {
    let prefix = RESERVED_GROUP_PREFIX.len();
    group_id.eq_ignore_ascii_case(ABOUT_GROUP)
        || (group_id.len() >= prefix
            && group_id.is_char_boundary(prefix)
            && group_id[..prefix].eq_ignore_ascii_case(RESERVED_GROUP_PREFIX))
}

fn reserved(what: &str, group_id: &str) -> Violation {
    Violation(format!(
        "{what} uses group_id {group_id:?}, which privacyd reserves for its own groups (\"{ABOUT_GROUP}\" and \
         \"{RESERVED_GROUP_PREFIX}*\")"
    ))
}

/// Why a stream breaks the protocol, in words for the source's developers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Violation(pub String);

/// What a message that follows the rules is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// An item.
    Item,
    /// A piece of a file: whether it is the file's first, and its size once it was the last.
    Chunk { starts_file: bool, file_size: Option<u64> },
}

struct OpenFile {
    path: String,
    size: u64,
}

/// Follows one stream, message by message.
#[derive(Default)]
pub struct StreamRules {
    open: Option<OpenFile>,
}

impl StreamRules {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next message, given all the ones before it.
    pub fn check(&mut self, message: &pb::ExportResponse) -> Result<Step, Violation> {
        match &message.payload {
            Some(pb::export_response::Payload::Item(item)) => self.check_item(item),
            Some(pb::export_response::Payload::FileChunk(chunk)) => self.check_chunk(chunk),
            None => Err(Violation("an ExportResponse with neither an item nor a file chunk".into())),
        }
    }

    fn check_item(&mut self, item: &pb::ExportItem) -> Result<Step, Violation> {
        if item.group_id.is_empty() || item.item_id.is_empty() {
            return Err(Violation("an item without a group_id or item_id".into()));
        }
        if is_reserved_group(&item.group_id) {
            return Err(reserved("an item", &item.group_id));
        }
        if self.open.is_some() {
            return Err(Violation("an item arrived in the middle of a file".into()));
        }
        Ok(Step::Item)
    }

    fn check_chunk(&mut self, chunk: &pb::FileChunk) -> Result<Step, Violation> {
        if chunk.path.is_empty() {
            return Err(Violation("a file chunk without a path".into()));
        }
        let starts_file = self.open.as_ref().is_none_or(|open| open.path != chunk.path);
        if starts_file {
            if let Some(open) = &self.open {
                return Err(Violation(format!(
                    "file {:?} started before file {:?} ended (chunks of files may not interleave)",
                    chunk.path, open.path
                )));
            }
            if chunk.offset != 0 {
                return Err(Violation(format!("file {:?} does not start at offset 0", chunk.path)));
            }
            if is_reserved_group(&chunk.group_id) {
                return Err(reserved(&format!("file {:?}", chunk.path), &chunk.group_id));
            }
            self.open = Some(OpenFile { path: chunk.path.clone(), size: 0 });
        }
        let open = self.open.as_mut().expect("a file is open");
        if chunk.offset as u64 != open.size {
            return Err(Violation(format!(
                "file {:?}: chunk at offset {} but {} bytes were sent",
                chunk.path, chunk.offset, open.size
            )));
        }
        open.size += chunk.data.len() as u64;
        let file_size = if chunk.eof { self.open.take().map(|done| done.size) } else { None };
        Ok(Step::Chunk { starts_file, file_size })
    }

    /// Checks the end of the stream: every file must have been finished.
    pub fn finish(&self) -> Result<(), Violation> {
        match &self.open {
            Some(open) => Err(Violation(format!("the stream ended in the middle of file {:?}", open.path))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A file chunk, as a source sends one (the spool's tests use it too).
    pub(crate) fn chunk(path: &str, data: &[u8], offset: i64, eof: bool) -> pb::ExportResponse {
        pb::ExportResponse {
            payload: Some(pb::export_response::Payload::FileChunk(pb::FileChunk {
                path: path.into(),
                data: data.to_vec(),
                offset,
                eof,
                ..Default::default()
            })),
        }
    }

    fn item(group_id: &str, item_id: &str) -> pb::ExportResponse {
        pb::ExportResponse {
            payload: Some(pb::export_response::Payload::Item(pb::ExportItem {
                group_id: group_id.into(),
                item_id: item_id.into(),
                ..Default::default()
            })),
        }
    }

    #[test]
    fn a_well_formed_stream_is_followed_step_by_step() {
        let mut rules = StreamRules::new();
        assert_eq!(rules.check(&item("g", "1")), Ok(Step::Item));
        assert_eq!(rules.check(&chunk("a", b"xy", 0, false)), Ok(Step::Chunk { starts_file: true, file_size: None }));
        assert_eq!(rules.check(&chunk("a", b"z", 2, true)), Ok(Step::Chunk { starts_file: false, file_size: Some(3) }));
        assert_eq!(rules.check(&chunk("a", b"", 0, true)), Ok(Step::Chunk { starts_file: true, file_size: Some(0) }));
        assert_eq!(rules.finish(), Ok(()));
    }

    #[test]
    fn each_rule_says_what_was_broken() {
        let broken = |messages: &[pb::ExportResponse]| {
            let mut rules = StreamRules::new();
            for m in messages {
                rules.check(m)?;
            }
            rules.finish()
        };
        let err = |m: &str| Err(Violation(m.into()));
        assert_eq!(broken(&[item("", "1")]), err("an item without a group_id or item_id"));
        assert_eq!(broken(&[item("g", "")]), err("an item without a group_id or item_id"));
        assert_eq!(
            broken(&[pb::ExportResponse { payload: None }]),
            err("an ExportResponse with neither an item nor a file chunk")
        );
        assert_eq!(broken(&[chunk("", b"x", 0, true)]), err("a file chunk without a path"));
        assert_eq!(broken(&[chunk("a", b"x", 5, true)]), err("file \"a\" does not start at offset 0"));
        assert_eq!(
            broken(&[chunk("a", b"x", 0, false), chunk("a", b"x", 3, true)]),
            err("file \"a\": chunk at offset 3 but 1 bytes were sent")
        );
        assert_eq!(
            broken(&[chunk("a", b"x", 0, false), chunk("b", b"y", 0, true)]),
            err("file \"b\" started before file \"a\" ended (chunks of files may not interleave)")
        );
        assert_eq!(
            broken(&[chunk("a", b"x", 0, false), item("g", "1")]),
            err("an item arrived in the middle of a file")
        );
        assert_eq!(broken(&[chunk("a", b"x", 0, false)]), err("the stream ended in the middle of file \"a\""));
    }

    #[test]
    fn privacyds_own_groups_are_reserved_in_any_case() {
        for reserved in ["about", "About", "ABOUT", "privacyd-files", "Privacyd-Processing-Information", "privacyd-"] {
            assert!(is_reserved_group(reserved), "{reserved}");
            let mut rules = StreamRules::new();
            let refused = rules.check(&item(reserved, "1")).unwrap_err();
            assert!(refused.0.contains("reserves"), "{refused}");
            let mut file = chunk("a", b"x", 0, true);
            if let Some(pb::export_response::Payload::FileChunk(c)) = &mut file.payload {
                c.group_id = reserved.into();
            }
            assert!(StreamRules::new().check(&file).is_err(), "a file of group {reserved}");
        }
        for allowed in
            ["about-me", "abouts", "privacy-processing-information", "privacyd", "comments", "pr\u{ed}vacyd-x"]
        {
            assert!(!is_reserved_group(allowed), "{allowed}");
            assert_eq!(StreamRules::new().check(&item(allowed, "1")), Ok(Step::Item));
        }
    }
}
