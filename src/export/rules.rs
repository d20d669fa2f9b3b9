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

    /// An item of no fields, as a source sends one.
    pub(crate) fn item(group_id: &str, item_id: &str) -> pb::ExportResponse {
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

/// Property tests (case counts: see `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::{tests::chunk, *};
    use crate::testing::proptest_cases::cases;

    /// One entry of a stream that follows the rules: an item, or a file in chunks.
    #[derive(Debug, Clone)]
    enum Entry {
        Item { group_id: String, item_id: String },
        File { path: String, group_id: String, chunks: Vec<Vec<u8>> },
    }

    fn group_id() -> impl Strategy<Value = String> {
        // Close to the reserved ids, and any text.
        prop_oneof!["[a-z]{1,8}", "(about|privacyd)[a-z-]{1,4}", "\\PC{1,8}"]
            .prop_filter("not reserved", |g| !is_reserved_group(g))
    }

    fn entry() -> impl Strategy<Value = Entry> {
        prop_oneof![
            (group_id(), "\\PC{1,8}").prop_map(|(group_id, item_id)| Entry::Item { group_id, item_id }),
            (
                "[a-c/]{1,4}",
                prop_oneof![Just(String::new()), group_id()],
                prop::collection::vec(prop::collection::vec(any::<u8>(), 0..5), 1..5)
            )
                .prop_map(|(path, group_id, chunks)| Entry::File { path, group_id, chunks }),
        ]
    }

    /// The messages of `entries`, with each file's size.
    fn messages(entries: &[Entry]) -> Vec<(pb::ExportResponse, Option<u64>)> {
        let mut out = Vec::new();
        for entry in entries {
            match entry {
                Entry::Item { group_id, item_id } => out.push((
                    pb::ExportResponse {
                        payload: Some(pb::export_response::Payload::Item(pb::ExportItem {
                            group_id: group_id.clone(),
                            item_id: item_id.clone(),
                            ..Default::default()
                        })),
                    },
                    None,
                )),
                Entry::File { path, group_id, chunks } => {
                    let mut offset = 0;
                    for (i, data) in chunks.iter().enumerate() {
                        let last = i + 1 == chunks.len();
                        let mut message = chunk(path, data, offset as i64, last);
                        if let Some(pb::export_response::Payload::FileChunk(c)) = &mut message.payload {
                            c.group_id = group_id.clone();
                        }
                        offset += data.len() as u64;
                        out.push((message, last.then_some(offset)));
                    }
                }
            }
        }
        out
    }

    /// Runs the rules over a whole stream: the first violation, if any.
    fn run(messages: &[pb::ExportResponse]) -> Result<(), Violation> {
        let mut rules = StreamRules::new();
        for message in messages {
            rules.check(message)?;
        }
        rules.finish()
    }

    proptest! {
        #![proptest_config(cases(256))]

        /// A stream that follows the rules passes, message by message, each file's size told
        /// at its last chunk and its start at its first.
        #[test]
        fn streams_that_follow_the_rules_pass(entries in prop::collection::vec(entry(), 0..12)) {
            let mut rules = StreamRules::new();
            let mut previous_ended = true;
            for (message, size) in messages(&entries) {
                let step = rules.check(&message).map_err(|v| TestCaseError::fail(v.0))?;
                match (&message.payload, step) {
                    (Some(pb::export_response::Payload::Item(_)), Step::Item) => {}
                    (Some(pb::export_response::Payload::FileChunk(_)), Step::Chunk { starts_file, file_size }) => {
                        prop_assert_eq!(starts_file, previous_ended);
                        prop_assert_eq!(file_size, size);
                        previous_ended = size.is_some();
                    }
                    (_, step) => prop_assert!(false, "{:?}", step),
                }
            }
            prop_assert_eq!(rules.finish(), Ok(()));
        }

        /// Broken anywhere in one of the ways the rules name, a stream is refused.
        #[test]
        fn streams_that_break_a_rule_are_refused(
            entries in prop::collection::vec(entry(), 1..12),
            at in any::<prop::sample::Index>(),
            how in 0..7u8,
            shift in 1..1000i64,
            reserved in "(about|ABOUT|privacyd-[a-z]{0,4}|PrivacyD-x)",
        ) {
            let mut stream: Vec<pb::ExportResponse> = messages(&entries).into_iter().map(|(m, _)| m).collect();
            let at = at.index(stream.len());
            let chunk_at = stream.iter().position(|m| matches!(m.payload, Some(pb::export_response::Payload::FileChunk(_))));
            match how {
                // An empty message.
                0 => stream.insert(at, pb::ExportResponse { payload: None }),
                // An item without an id, or in a reserved group.
                1 | 2 => {
                    let (group_id, item_id) = if how == 1 { ("g".to_owned(), String::new()) } else { (reserved, "1".to_owned()) };
                    stream.insert(at, pb::ExportResponse {
                        payload: Some(pb::export_response::Payload::Item(pb::ExportItem { group_id, item_id, ..Default::default() })),
                    });
                }
                // A chunk at the wrong offset.
                3 => {
                    let Some(i) = chunk_at else { return Ok(()) };
                    if let Some(pb::export_response::Payload::FileChunk(c)) = &mut stream[i].payload {
                        c.offset += if at % 2 == 0 { shift } else { -shift };
                    }
                }
                // A file's last chunk lost, at the end: the stream ends inside it.
                4 => stream.push(chunk("z", b"x", 0, false)),
                // An item, or another file, in the middle of a file.
                5 | 6 => {
                    stream.insert(at, chunk("middle", b"x", 0, false));
                    let intruder = if how == 5 {
                        pb::ExportResponse {
                            payload: Some(pb::export_response::Payload::Item(pb::ExportItem {
                                group_id: "g".into(), item_id: "1".into(), ..Default::default()
                            })),
                        }
                    } else {
                        chunk("other", b"y", 0, true)
                    };
                    stream.insert(at + 1, intruder);
                }
                _ => unreachable!(),
            }
            prop_assert!(run(&stream).is_err(), "accepted after break {}: {:?}", how, stream);
        }

        /// Reserved means: `about` or the `privacyd-` prefix in any ASCII case, and nothing
        /// else, for any text (no panic on a multi-byte character at the prefix's end).
        #[test]
        fn reserved_groups_are_exactly_the_namespace(group in prop_oneof!["(?i)(about|privacyd-)\\PC{0,3}", "\\PC{0,12}", "privacy\\PC{1,3}"]) {
            let lower = group.to_ascii_lowercase();
            let expected = lower == ABOUT_GROUP || lower.starts_with(RESERVED_GROUP_PREFIX);
            prop_assert_eq!(is_reserved_group(&group), expected, "{:?}", group);
        }
    }
}
