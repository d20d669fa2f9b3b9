//! A spool's own index of its items (`items-index.jsonl`): where each *run* and each *start*
//! of the spool's `items.jsonl` is ([`super::item_index`] says what they are and how the
//! archive is written from them). The spool writes it as the messages arrive, since it knows
//! each message's ids and where its line goes; building the archive then reads these few
//! lines instead of reading every message back and parsing its ids (issue 14, §6: that pass
//! was 0.1 s of CPU per 100,000 items of 1 KiB). Spools written before it had one are cut into
//! the same stretches by reading them ([`Stretches`] is the one place either is done).
//!
//! The file is a JSON line per stretch, in the order the stretches closed, then an
//! [`Stretch::End`] line with the spool's message and byte counts, so that an index cut short,
//! or one beside another spool's items, is refused rather than taken for whole. Its size is
//! bounded by the spool's: at most one run and one start a message, each holding ids the
//! message holds too.

use serde::{Deserialize, Serialize};

/// The name of the index in a spool's folder and in the store.
pub const INDEX: &str = "items-index.jsonl";

/// A stretch of a spool whose messages share a group, label and description: the bytes
/// `offset..end` of its `items.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// The number of its first message: in the spool, counted from 0; in the archive's index,
    /// counted across the sources, in their order.
    pub first_seq: i64,
    pub group_id: String,
    /// As the spool holds it: the group's label, or its id when the message had none.
    pub label: String,
    pub description: String,
    /// The source's number in the archive's index (not in the spool's file).
    #[serde(skip)]
    pub source: i64,
    pub offset: i64,
    pub end: i64,
    /// How many starts begin in it: a group's items are its runs' starts, less the extra
    /// starts of its items that come back later.
    pub starts: i64,
}

/// A stretch of a spool whose messages share a group and an item id: one item, or the part of
/// an item sent before the source went on to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Start {
    /// The number of its first message, as for [`Run::first_seq`].
    pub seq: i64,
    pub group_id: String,
    #[serde(skip)]
    pub source: i64,
    pub item_id: String,
    pub offset: i64,
    pub end: i64,
}

/// A line of a spool's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stretch {
    Run(Run),
    Start(Start),
    /// The last line: the spool's messages, and the size of its `items.jsonl` in bytes.
    End {
        messages: i64,
        bytes: i64,
    },
}

/// The stretches one message closed, to be written or indexed.
#[derive(Debug, Default)]
pub struct Closed {
    pub run: Option<Run>,
    pub start: Option<Start>,
}

impl Stretch {
    /// Writes it as an index line.
    pub fn write_line(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

impl Closed {
    /// The run, then the start, that closed.
    pub fn stretches(self) -> impl Iterator<Item = Stretch> {
        self.run.map(Stretch::Run).into_iter().chain(self.start.map(Stretch::Start))
    }

    /// Writes them as index lines.
    pub fn write(self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        self.stretches().try_for_each(|stretch| stretch.write_line(out))
    }
}

/// Cuts one source's messages, in the order they arrived, into runs and starts.
#[derive(Debug, Default)]
pub struct Stretches {
    run: Option<Run>,
    start: Option<Start>,
    messages: i64,
    bytes: i64,
}

impl Stretches {
    /// Takes the next message, whose line is `len` bytes; returns the stretches it closed.
    pub fn push(&mut self, group_id: &str, label: &str, description: &str, item_id: &str, len: i64) -> Closed {
        let (seq, offset, end) = (self.messages, self.bytes, self.bytes + len);
        let mut closed = Closed::default();
        match self.run.as_mut() {
            Some(run) if run.group_id == group_id && run.label == label && run.description == description => {
                run.end = end;
            }
            _ => {
                closed.run = self.run.replace(Run {
                    first_seq: seq,
                    group_id: group_id.to_owned(),
                    label: label.to_owned(),
                    description: description.to_owned(),
                    source: 0,
                    offset,
                    end,
                    starts: 0,
                });
            }
        }
        match self.start.as_mut() {
            Some(start) if start.group_id == group_id && start.item_id == item_id => start.end = end,
            _ => {
                closed.start = self.start.replace(Start {
                    seq,
                    group_id: group_id.to_owned(),
                    source: 0,
                    item_id: item_id.to_owned(),
                    offset,
                    end,
                });
                self.run.as_mut().expect("set above").starts += 1;
            }
        }
        self.messages += 1;
        self.bytes = end;
        closed
    }

    /// Ends the source: the stretches still open, and its [`Stretch::End`].
    pub fn finish(self) -> (Closed, Stretch) {
        (Closed { run: self.run, start: self.start }, Stretch::End { messages: self.messages, bytes: self.bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_change_inside_an_item_cuts_the_run_not_the_start() {
        let mut stretches = Stretches::default();
        let mut lines = Vec::new();
        for (group, label, item) in
            [("g", "g", "a"), ("g", "g", "b"), ("g", "G", "b"), ("h", "h", "b"), ("g", "g", "a")]
        {
            stretches.push(group, label, "", item, 10).write(&mut lines).unwrap();
        }
        let (open, end) = stretches.finish();
        open.write(&mut lines).unwrap();
        let read: Vec<Stretch> = lines
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        let runs: Vec<(i64, &str, &str, i64, i64, i64)> = read
            .iter()
            .filter_map(|s| match s {
                Stretch::Run(r) => {
                    Some((r.first_seq, r.group_id.as_str(), r.label.as_str(), r.offset, r.end, r.starts))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            runs,
            [(0, "g", "g", 0, 20, 2), (2, "g", "G", 20, 30, 0), (3, "h", "h", 30, 40, 1), (4, "g", "g", 40, 50, 1)]
        );
        let starts: Vec<(i64, &str, &str, i64, i64)> = read
            .iter()
            .filter_map(|s| match s {
                Stretch::Start(s) => Some((s.seq, s.group_id.as_str(), s.item_id.as_str(), s.offset, s.end)),
                _ => None,
            })
            .collect();
        assert_eq!(starts, [(0, "g", "a", 0, 10), (1, "g", "b", 10, 30), (3, "h", "b", 30, 40), (4, "g", "a", 40, 50)]);
        assert_eq!(end, Stretch::End { messages: 5, bytes: 50 });
    }
}
