//! The rules of a source's `Export` stream, fed any sequence of items and file chunks: the
//! checker never panics, and what it accepts is what the rules say.
#![no_main]

// The derive names `arbitrary::...`, which libfuzzer-sys re-exports.
use libfuzzer_sys::{
    arbitrary::{self, Arbitrary},
    fuzz_target,
};
use privacyd::{
    export::rules::{Step, StreamRules, is_reserved_group},
    proto::privacy::datasource::v1 as pb,
};

#[derive(Arbitrary, Debug)]
enum Message {
    Item { group_id: String, item_id: String },
    Chunk { path: String, group_id: String, len: u8, offset: i64, eof: bool },
    Empty,
}

fuzz_target!(|messages: Vec<Message>| {
    let mut rules = StreamRules::new();
    // The file being sent and its bytes so far, as the rules should see it.
    let mut open: Option<(String, u64)> = None;
    for message in messages {
        let wire = match &message {
            Message::Item { group_id, item_id } => pb::export_response::Payload::Item(pb::ExportItem {
                group_id: group_id.clone(),
                item_id: item_id.clone(),
                ..Default::default()
            }),
            Message::Chunk { path, group_id, len, offset, eof } => {
                pb::export_response::Payload::FileChunk(pb::FileChunk {
                    path: path.clone(),
                    group_id: group_id.clone(),
                    data: vec![0; usize::from(*len)],
                    offset: *offset,
                    eof: *eof,
                    ..Default::default()
                })
            }
            Message::Empty => {
                assert!(rules.check(&pb::ExportResponse { payload: None }).is_err());
                return;
            }
        };
        let result = rules.check(&pb::ExportResponse { payload: Some(wire) });
        match message {
            Message::Item { group_id, item_id } => {
                let ok = !group_id.is_empty() && !item_id.is_empty() && !is_reserved_group(&group_id) && open.is_none();
                assert_eq!(result.is_ok(), ok, "{result:?}");
                if !ok {
                    return;
                }
            }
            Message::Chunk { path, group_id, len, offset, eof } => {
                let starts = open.as_ref().is_none_or(|(p, _)| *p != path);
                let sent = if starts { 0 } else { open.as_ref().unwrap().1 };
                let ok = !path.is_empty()
                    && !(starts && open.is_some())
                    && !(starts && is_reserved_group(&group_id))
                    && offset >= 0
                    && offset as u64 == sent;
                assert_eq!(result.is_ok(), ok, "{result:?}");
                if !ok {
                    return;
                }
                let size = sent + u64::from(len);
                let expected = Step::Chunk { starts_file: starts, file_size: eof.then_some(size) };
                assert_eq!(result.unwrap(), expected);
                open = if eof { None } else { Some((path, size)) };
            }
            Message::Empty => unreachable!(),
        }
    }
    assert_eq!(rules.finish().is_ok(), open.is_none());
});
