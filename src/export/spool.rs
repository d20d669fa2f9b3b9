//! Where a source's export lands while it streams in: items as JSON lines, files as zip
//! entries, all on disk, so memory stays small whatever a source sends.
//!
//! The items go to `items.jsonl`, a [`SpooledItem`] a line, in the order they came, and where
//! each run of a group and each item's start is goes to `items-index.jsonl`
//! ([`super::stretches`]), so the archive is written from them without reading every line
//! twice.
//!
//! The files are written once, as they will be in the archive: one after the other in
//! `files.zip`, each a finished zip entry (local header, data stored or deflated) named
//! `files/<source>/<path>` ([`super::zip_layout`]), and listed in `files.jsonl` with what the
//! archive's central directory needs. The archive is these segments put side by side, so no
//! file byte is copied again ([`super::archive`]). The spool also enforces the
//! stream's rules ([`super::rules`]: items have ids; a file's chunks come in order, unmixed)
//! before it writes anything, and gives each file a safe, distinct name ([`super::file_names`]).

use std::{io::Write, path::Path};

use serde::{Deserialize, Serialize};

use super::{
    file_names::{self, Namer},
    rules::{Step, StreamRules},
    stretches::{INDEX, Stretches},
    zip_layout::{Counting, DosTime, Entry, Limits, Method, SegmentEntry},
};
use crate::{private_files, proto::privacy::datasource::v1 as pb, write_behind::WriteBehind};

/// One spooled item.
#[derive(Debug, Serialize, Deserialize)]
pub struct SpooledItem {
    pub group_id: String,
    pub group_label: String,
    pub group_description: String,
    pub item_id: String,
    pub fields: Vec<(String, String)>,
}

/// One spooled file.
#[derive(Debug, Serialize, Deserialize)]
pub struct SpooledFile {
    /// Where the file is in the archive under `files/<source>/`: relative, `/`-separated,
    /// safe and distinct on every operating system ([`file_names`]).
    pub path: String,
    /// The path as the source sent it (up to [`file_names::MAX_SENT_PATH_BYTES`]), to show
    /// the subject beside `path`: unsafe, and perhaps not unique, so never used on disk.
    #[serde(default)]
    pub sent_path: String,
    pub content_type: String,
    pub group_id: String,
    pub item_id: String,
    pub size: u64,
    /// Its zip entry in the spool's `files.zip`, at `entry.offset` from the segment's start.
    pub entry: Entry,
}

/// The segment of a spool that holds its files as zip entries.
pub const SEGMENT: &str = "files.zip";

/// The name of a source's file in the archive (and in its zip entry).
pub fn entry_name(source: &str, path: &str) -> String {
    format!("files/{source}/{path}")
}

/// Why a source's stream was refused.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("protocol violation: {0}")]
    Protocol(String),
    #[error("writing the spool: {0}")]
    Io(#[from] std::io::Error),
    /// The message would take the stream past the most it may send (see [`Spool::limit`]).
    #[error("the stream passed its limit of {limit} bytes")]
    OverLimit { limit: u64 },
}

struct OpenFile {
    meta: SpooledFile,
    entry: SegmentEntry,
}

/// Bytes buffered before a write to the segment: a chunk of 256 KiB or more skips the
/// buffer (`BufWriter` writes those straight through), small files and headers share writes.
const SEGMENT_BUFFER: usize = 256 << 10;

/// The most a message's line buffer keeps between messages: rows are about 1 KiB.
const LINE_KEPT: usize = 64 << 10;

/// The spool of one source for one request.
pub struct Spool {
    items: std::io::BufWriter<WriteBehind>,
    /// A message's line, made in memory and written in one call (serde_json writes a piece at
    /// a time: a call through the writer for every quote and key).
    line: Vec<u8>,
    /// The spool's own index of its items ([`super::stretches`]), and what cuts it.
    index: std::io::BufWriter<WriteBehind>,
    stretches: Stretches,
    files: std::io::BufWriter<WriteBehind>,
    segment: Counting<std::io::BufWriter<WriteBehind>>,
    source: String,
    method: Method,
    modified: DosTime,
    /// Where entries need ZIP64 fields ([`Limits::ZIP`]; lowered by tests).
    pub limits: Limits,
    names: Namer,
    rules: StreamRules,
    open: Option<OpenFile>,
    pub item_count: i64,
    pub byte_count: i64,
    pub file_count: i64,
    /// Bytes the source sent so far: the encoded size of each message, as it arrived.
    pub streamed: u64,
    /// The most `streamed` may reach; a message that would pass it is refused before any of
    /// it is written, so the spool stays within it. Its owner may lower or raise it between
    /// messages (an export's quota is shared with the request's other sources).
    pub limit: u64,
}

impl Spool {
    /// A fresh, empty spool in `dir` (anything from an earlier attempt is removed) for
    /// `source`, its files' entries stored with `method` and dated `modified` (the time the
    /// spool began, UTC).
    pub fn create(dir: &Path, source: &str, method: Method, modified: DosTime) -> std::io::Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        private_files::create_dir(dir)?;
        // Fsynced when the spool goes into the store; written behind until then.
        let create = |name: &str| private_files::create_file(&dir.join(name)).map(|f| WriteBehind::new(f, true));
        let open = |name: &str| create(name).map(std::io::BufWriter::new);
        Ok(Spool {
            items: open("items.jsonl")?,
            line: Vec::new(),
            index: open(INDEX)?,
            stretches: Stretches::default(),
            files: open("files.jsonl")?,
            segment: Counting {
                inner: std::io::BufWriter::with_capacity(SEGMENT_BUFFER, create(SEGMENT)?),
                position: 0,
            },
            source: source.to_owned(),
            method,
            modified,
            limits: Limits::ZIP,
            names: Namer::default(),
            rules: StreamRules::new(),
            open: None,
            item_count: 0,
            byte_count: 0,
            file_count: 0,
            streamed: 0,
            limit: u64::MAX,
        })
    }

    /// This spool without its files' early writeback ([`WriteBehind`]): for a spool that is
    /// uploaded from scratch space and never fsynced.
    pub fn without_write_behind(mut self) -> Self {
        self.items.get_mut().disable();
        self.index.get_mut().disable();
        self.files.get_mut().disable();
        self.segment.inner.get_mut().disable();
        self
    }

    pub fn add(&mut self, message: pb::ExportResponse) -> Result<(), SpoolError> {
        let size = prost::Message::encoded_len(&message) as u64;
        if self.streamed.saturating_add(size) > self.limit {
            return Err(SpoolError::OverLimit { limit: self.limit });
        }
        self.streamed += size;
        let step = self.rules.check(&message).map_err(|violation| SpoolError::Protocol(violation.0))?;
        match (message.payload, step) {
            (Some(pb::export_response::Payload::Item(item)), _) => self.add_item(item),
            (Some(pb::export_response::Payload::FileChunk(chunk)), Step::Chunk { starts_file, file_size }) => {
                self.add_chunk(chunk, starts_file, file_size.is_some())
            }
            _ => unreachable!("the rules accept only items and file chunks"),
        }
    }

    fn add_item(&mut self, item: pb::ExportItem) -> Result<(), SpoolError> {
        let size: usize = item.data.iter().map(|f| f.name.len() + f.value.len()).sum();
        let spooled = SpooledItem {
            group_label: if item.group_label.is_empty() { item.group_id.clone() } else { item.group_label },
            group_id: item.group_id,
            group_description: item.group_description,
            item_id: item.item_id,
            fields: item.data.into_iter().map(|f| (f.name, f.value)).collect(),
        };
        self.line.clear();
        serde_json::to_writer(&mut self.line, &spooled).map_err(std::io::Error::from)?;
        self.line.push(b'\n');
        self.items.write_all(&self.line)?;
        let len = i64::try_from(self.line.len()).map_err(std::io::Error::other)?;
        // A message may be up to the stream's largest; that much is not kept for the rest.
        self.line.shrink_to(LINE_KEPT);
        self.stretches
            .push(&spooled.group_id, &spooled.group_label, &spooled.group_description, &spooled.item_id, len)
            .write(&mut self.index)?;
        self.item_count += 1;
        self.byte_count += size as i64;
        Ok(())
    }

    fn add_chunk(&mut self, chunk: pb::FileChunk, starts_file: bool, ends_file: bool) -> Result<(), SpoolError> {
        if starts_file {
            let path = self.names.place(&chunk.path);
            let entry =
                SegmentEntry::begin(&mut self.segment, &entry_name(&self.source, &path), self.method, self.modified)?;
            self.open = Some(OpenFile {
                meta: SpooledFile {
                    path,
                    sent_path: file_names::sent_path(&chunk.path),
                    content_type: chunk.content_type.clone(),
                    group_id: chunk.group_id.clone(),
                    item_id: chunk.item_id.clone(),
                    size: 0,
                    entry: Entry {
                        method: self.method,
                        modified: self.modified,
                        crc32: 0,
                        compressed_size: 0,
                        size: 0,
                        offset: 0,
                        descriptor: false,
                        zip64_local: false,
                    },
                },
                entry,
            });
        }
        let open = self.open.as_mut().expect("a file is open");
        open.entry.write(&chunk.data, &mut self.segment)?;
        open.meta.size += chunk.data.len() as u64;
        self.byte_count += chunk.data.len() as i64;
        if ends_file {
            let mut done = self.open.take().expect("a file is open");
            done.meta.entry = done.entry.finish(&mut self.segment, self.limits)?;
            serde_json::to_writer(&mut self.files, &done.meta).map_err(std::io::Error::from)?;
            self.files.write_all(b"\n")?;
            self.file_count += 1;
        }
        Ok(())
    }

    /// Ends the spool: every file must have been finished.
    pub fn finish(mut self) -> Result<(), SpoolError> {
        self.rules.finish().map_err(|violation| SpoolError::Protocol(violation.0))?;
        let (open, end) = std::mem::take(&mut self.stretches).finish();
        open.write(&mut self.index)?;
        end.write_line(&mut self.index)?;
        self.index.flush()?;
        self.items.flush()?;
        self.files.flush()?;
        self.segment.flush()?;
        for file in [self.items.get_mut(), self.index.get_mut(), self.files.get_mut(), self.segment.inner.get_mut()] {
            file.write_behind_rest();
        }
        Ok(())
    }
}

/// Reads a spool's items back, in the order they arrived.
pub fn read_items(dir: &Path) -> std::io::Result<impl Iterator<Item = std::io::Result<SpooledItem>> + use<>> {
    read_lines(&dir.join("items.jsonl"))
}

/// Reads a spool's finished files back.
pub fn read_files(dir: &Path) -> std::io::Result<impl Iterator<Item = std::io::Result<SpooledFile>> + use<>> {
    read_lines(&dir.join("files.jsonl"))
}

/// Reads a file of JSON lines, a `T` a line.
pub(super) fn read_lines<T: serde::de::DeserializeOwned>(
    path: &Path,
) -> std::io::Result<impl Iterator<Item = std::io::Result<T>> + use<T>> {
    use std::io::BufRead;
    let reader = std::io::BufReader::new(std::fs::File::open(path)?);
    Ok(reader.lines().map(|line| line.and_then(|l| serde_json::from_str(&l).map_err(std::io::Error::from))))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use crate::export::{rules::tests::chunk, zip_layout::CentralDirectory};

    const MODIFIED: DosTime = DosTime { date: 0x5b7e, time: 0x6000 };

    fn create(dir: &Path) -> std::io::Result<Spool> {
        Spool::create(dir, "shop", Method::Stored, MODIFIED)
    }

    /// The spool's segment made a zip with a central directory, and opened with the `zip`
    /// crate: the files as an archive holds them.
    pub fn open_as_zip(dir: &Path) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
        let mut bytes = std::fs::read(dir.join(SEGMENT)).unwrap();
        let start = bytes.len() as u64;
        let mut directory = CentralDirectory::new(&mut bytes, start, Limits::ZIP);
        for file in read_files(dir).unwrap() {
            let file = file.unwrap();
            directory.add(&entry_name("shop", &file.path), &file.entry, file.entry.offset).unwrap();
        }
        directory.finish().unwrap();
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap()
    }

    fn read(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, path: &str) -> Vec<u8> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(&entry_name("shop", path)).unwrap(), &mut out).unwrap();
        out
    }

    #[test]
    fn files_are_written_and_duplicates_do_not_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = create(dir.path()).unwrap();
        spool.add(chunk("a/x.txt", b"one", 0, false)).unwrap();
        spool.add(chunk("a/x.txt", b"two", 3, true)).unwrap();
        spool.add(chunk("./a//x.txt", b"second", 0, true)).unwrap();
        spool.finish().unwrap();
        let mut zip = open_as_zip(dir.path());
        assert_eq!(read(&mut zip, "a/x.txt"), b"onetwo");
        assert_eq!(read(&mut zip, "a/x-2.txt"), b"second");
        assert_eq!(read_files(dir.path()).unwrap().count(), 2);
    }

    /// A file and a folder of one name, or names that only differ in case, trailing dots or
    /// Unicode form, are all written (they failed with "File exists" on every retry), each
    /// under its own path, with the name the source sent kept beside it.
    #[test]
    fn any_names_are_written_side_by_side_with_the_sent_name_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = create(dir.path()).unwrap();
        let sent =
            ["x", "x/y", "...", "..../x.txt", "Readme.txt", "README.TXT", "report.", "report", "写真.jpg", "CON"];
        for (i, name) in sent.iter().enumerate() {
            spool.add(chunk(name, format!("{i}").as_bytes(), 0, true)).unwrap();
        }
        spool.finish().unwrap();
        let files: Vec<SpooledFile> = read_files(dir.path()).unwrap().map(Result::unwrap).collect();
        let placed: Vec<(&str, &str)> = files.iter().map(|f| (f.sent_path.as_str(), f.path.as_str())).collect();
        assert_eq!(
            placed,
            [
                ("x", "x"),
                ("x/y", "x-2/y"),
                ("...", "_"),
                ("..../x.txt", "_-2/x.txt"),
                ("Readme.txt", "Readme.txt"),
                ("README.TXT", "README-2.TXT"),
                ("report.", "report"),
                ("report", "report-2"),
                ("写真.jpg", "写真.jpg"),
                ("CON", "CON_"),
            ]
        );
        let mut zip = open_as_zip(dir.path());
        for (i, file) in files.iter().enumerate() {
            assert_eq!(read(&mut zip, &file.path), format!("{i}").as_bytes());
        }
    }

    /// Spools hold a subject's data: 0700 folders and 0600 files, whatever the umask (the
    /// usual 022 is set here; it is process-wide, and every test expects it anyway).
    #[cfg(unix)]
    #[test]
    fn spool_folders_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        // SAFETY: umask swaps a process-wide integer.
        unsafe { libc::umask(0o022) };
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("exports/request/sources/shop");
        let mut spool = create(&dir).unwrap();
        spool.add(chunk("photos/x.png", b"one", 0, true)).unwrap();
        spool.finish().unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        for folder in ["exports", "exports/request/sources/shop"] {
            assert_eq!(mode(&root.path().join(folder)), 0o700, "{folder}");
        }
        for file in ["items.jsonl", INDEX, "files.jsonl", SEGMENT] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
        }
    }

    #[test]
    fn a_message_past_the_limit_is_refused_before_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = create(dir.path()).unwrap();
        let first = chunk("a", &[7; 100], 0, false);
        let size = prost::Message::encoded_len(&first) as u64;
        spool.limit = size + 50;
        spool.add(first).unwrap();
        assert_eq!(spool.streamed, size);
        let refused = spool.add(chunk("a", &[7; 100], 100, true));
        assert!(matches!(refused, Err(SpoolError::OverLimit { limit }) if limit == size + 50), "{refused:?}");
        assert_eq!((spool.streamed, spool.byte_count), (size, 100), "nothing of the refused chunk counted");
        let written = spool.segment.position;
        drop(spool);
        let header = 30 + entry_name("shop", "a").len() as u64 + 20;
        assert_eq!(written, header + 100, "nor written");
        assert_eq!(std::fs::metadata(dir.path().join(SEGMENT)).unwrap().len(), header + 100);
    }

    #[test]
    fn broken_streams_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = create(dir.path()).unwrap();
        spool.add(chunk("a", b"x", 0, false)).unwrap();
        assert!(matches!(spool.add(chunk("b", b"y", 0, true)), Err(SpoolError::Protocol(_))));
        let mut spool = create(dir.path()).unwrap();
        assert!(spool.add(chunk("a", b"x", 5, true)).is_err());
        let mut spool = create(dir.path()).unwrap();
        spool.add(chunk("a", b"x", 0, false)).unwrap();
        assert!(spool.finish().is_err());
        let mut spool = create(dir.path()).unwrap();
        let empty_item =
            pb::ExportResponse { payload: Some(pb::export_response::Payload::Item(pb::ExportItem::default())) };
        assert!(spool.add(empty_item).is_err());
    }
}
