//! The zip records an archive is made of, written by privacyd itself so that an archive can be
//! put together from pieces written at different times on different replicas: each source's
//! spool is a run of finished entries (local header and data), the archive is those runs one
//! after the other, then `export.json` and `index.html`, then the central directory that lists
//! them all at their offsets in the whole. No zip library writes a central directory for
//! entries it did not write itself (the `zip` crate's writer, `rawzip` and `async_zip` all
//! list only what went through them), so this module does, following PKWARE's APPNOTE.TXT
//! 6.3.10 (section numbers below are its own), and nothing else: it is checked against
//! the `zip` crate's reader, Python's `zipfile` and Info-ZIP's `unzip -t` in the tests.
//!
//! - A spooled entry ([`SegmentEntry`]) is written to a local file and finished by seeking
//!   back to its local header (4.3.7) to fill in the CRC-32 and the sizes, so it needs no data
//!   descriptor. Its header reserves 20 bytes of extra field: a ZIP64 extended information
//!   field (4.5.3) when the entry reached 4 GiB, else the same bytes as a padding field that
//!   every reader skips (4.6.1: unknown ids are ignored), since a file's size is known only at
//!   its end.
//! - A streamed entry ([`EntryWriter`], for the reports in the archive's tail, written front to
//!   back while they are hashed) has general purpose bit 3 and a data descriptor (4.3.9) with 4-byte sizes: at most 4 GiB.
//! - The central directory (4.3.12) takes ZIP64 fields for exactly the values that need them
//!   (sizes, offsets), and the ZIP64 end of central directory record and locator (4.3.14,
//!   4.3.15) when the entries, or the directory's size or offset, pass the classic fields.
//!
//! Names are UTF-8 and say so (bit 11, appendix D), dates are MS-DOS dates (4.4.6).

use std::io::{Seek, SeekFrom, Write};

use serde::{Deserialize, Serialize};

/// Where the classic fields end: a value at or above these goes into a ZIP64 field. Tests
/// lower them to exercise the ZIP64 path with a few bytes instead of 4 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries in a classic end of central directory record (16 bits, 4.4.21).
    pub entries: u64,
    /// Sizes and offsets in classic fields (32 bits, 4.4.8, 4.4.9, 4.4.16).
    pub bytes: u64,
}

impl Limits {
    /// The format's own: `0xFFFF` entries and `0xFFFF_FFFF` bytes, values that themselves
    /// mean "see the ZIP64 field" (4.4.1.4).
    pub const ZIP: Limits = Limits { entries: 0xFFFF, bytes: 0xFFFF_FFFF };
}

/// How an entry's data is stored (4.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    Stored,
    Deflated,
}

impl Method {
    fn code(self) -> u16 {
        match self {
            Method::Stored => 0,
            Method::Deflated => 8,
        }
    }
}

/// An MS-DOS date and time (4.4.6), as the `zip` crate computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DosTime {
    pub date: u16,
    pub time: u16,
}

impl From<zip::DateTime> for DosTime {
    fn from(t: zip::DateTime) -> Self {
        DosTime { date: t.datepart(), time: t.timepart() }
    }
}

/// An entry's name in the archive, and the entry.
pub type NamedEntry = (String, Entry);

/// A finished entry, as its central directory record needs it. `offset` is where its local
/// header starts in the piece it was written to (a spool's segment, or the archive's tail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub method: Method,
    pub modified: DosTime,
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    pub offset: u64,
    /// Written with a data descriptor (bit 3).
    pub descriptor: bool,
    /// Its local header holds a ZIP64 field with the sizes.
    pub zip64_local: bool,
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
/// Bit 3: sizes and CRC in a data descriptor; bit 11: the name is UTF-8.
const FLAG_DESCRIPTOR: u16 = 1 << 3;
const FLAG_UTF8: u16 = 1 << 11;
/// Version needed (4.4.3.2): 2.0 for deflate and folders, 4.5 for ZIP64.
const VERSION_DEFAULT: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// Version made by (4.4.2): Unix (3), spec 4.5, so that the external attributes are a mode.
const MADE_BY: u16 = (3 << 8) | VERSION_ZIP64;
/// A regular file, rw-r--r-- (the mode in the high 16 bits, 4.4.15 with made-by Unix).
const FILE_ATTRIBUTES: u32 = 0o100644 << 16;
const ZIP64_FIELD: u16 = 0x0001;
/// The id the reserved bytes take when they are not needed: Android's zipalign padding field,
/// a registered-in-practice id that readers skip like any unknown one (4.6.1).
const PADDING_FIELD: u16 = 0xd935;
/// The reserved extra field: a 4-byte field header and two 8-byte sizes.
const RESERVED_EXTRA: u16 = 20;

fn u16_of(n: usize, what: &str) -> std::io::Result<u16> {
    u16::try_from(n).map_err(|_| std::io::Error::other(format!("a zip entry's {what} is over 65,535 bytes")))
}

/// A local file header (4.3.7); `sizes` are `(crc, compressed, size)` or zeros.
fn local_header(name: &str, method: Method, modified: DosTime, flags: u16, extra: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut h = Vec::with_capacity(30 + name.len() + extra.len());
    h.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
    h.extend_from_slice(&VERSION_DEFAULT.to_le_bytes());
    h.extend_from_slice(&(flags | FLAG_UTF8).to_le_bytes());
    h.extend_from_slice(&method.code().to_le_bytes());
    h.extend_from_slice(&modified.time.to_le_bytes());
    h.extend_from_slice(&modified.date.to_le_bytes());
    h.extend_from_slice(&[0; 12]); // CRC-32 and sizes: patched, or in the data descriptor
    h.extend_from_slice(&u16_of(name.len(), "name")?.to_le_bytes());
    h.extend_from_slice(&u16_of(extra.len(), "extra field")?.to_le_bytes());
    h.extend_from_slice(name.as_bytes());
    h.extend_from_slice(extra);
    Ok(h)
}

/// An entry's data on its way out: counted and CRC-32'd as given, deflated if asked.
pub struct Body {
    crc: crc32fast::Hasher,
    size: u64,
    deflate: Option<flate2::write::DeflateEncoder<Vec<u8>>>,
}

impl Body {
    pub fn new(method: Method) -> Self {
        let deflate = match method {
            Method::Stored => None,
            Method::Deflated => Some(flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default())),
        };
        Body { crc: crc32fast::Hasher::new(), size: 0, deflate }
    }

    /// Writes `data` (or what deflate makes of it so far) to `out`.
    pub fn write(&mut self, data: &[u8], out: &mut impl Write) -> std::io::Result<()> {
        self.crc.update(data);
        self.size += data.len() as u64;
        match &mut self.deflate {
            None => out.write_all(data),
            Some(encoder) => {
                encoder.write_all(data)?;
                // What deflate has output so far goes out at once: its buffer stays about a
                // message's size.
                out.write_all(encoder.get_ref())?;
                encoder.get_mut().clear();
                Ok(())
            }
        }
    }

    /// Ends the data (the rest of deflate's output goes to `out`); returns `(crc32, size)`.
    pub fn finish(self, out: &mut impl Write) -> std::io::Result<(u32, u64)> {
        if let Some(encoder) = self.deflate {
            out.write_all(&encoder.finish()?)?;
        }
        Ok((self.crc.finalize(), self.size))
    }
}

/// Counts what passes through, so that an entry knows its offset and compressed size.
pub struct Counting<W> {
    pub inner: W,
    pub position: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.position += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// An entry being written into a seekable segment (a spool's `files.zip`): the header now,
/// the data as it comes, and the header patched at the end.
pub struct SegmentEntry {
    offset: u64,
    name_len: u64,
    data_start: u64,
    method: Method,
    modified: DosTime,
    body: Body,
}

impl SegmentEntry {
    /// Writes the local header of `name` at `out`'s position.
    pub fn begin<W: Write>(
        out: &mut Counting<W>,
        name: &str,
        method: Method,
        modified: DosTime,
    ) -> std::io::Result<Self> {
        let offset = out.position;
        let mut reserved = Vec::with_capacity(RESERVED_EXTRA as usize);
        reserved.extend_from_slice(&PADDING_FIELD.to_le_bytes());
        reserved.extend_from_slice(&(RESERVED_EXTRA - 4).to_le_bytes());
        reserved.resize(RESERVED_EXTRA as usize, 0);
        out.write_all(&local_header(name, method, modified, 0, &reserved)?)?;
        Ok(SegmentEntry {
            offset,
            name_len: name.len() as u64,
            data_start: out.position,
            method,
            modified,
            body: Body::new(method),
        })
    }

    pub fn write<W: Write>(&mut self, data: &[u8], out: &mut Counting<W>) -> std::io::Result<()> {
        self.body.write(data, out)
    }

    /// Ends the data and fills in the header; `out` is left at the entry's end.
    pub fn finish<W: Write + Seek>(self, out: &mut Counting<W>, limits: Limits) -> std::io::Result<Entry> {
        let (crc32, size) = self.body.finish(out)?;
        let end = out.position;
        let compressed_size = end - self.data_start;
        let zip64 = size >= limits.bytes || compressed_size >= limits.bytes;
        // From the version needed (offset 4) to the sizes (offset 26), then the extra field.
        let mut fixed = Vec::with_capacity(22);
        fixed.extend_from_slice(&(if zip64 { VERSION_ZIP64 } else { VERSION_DEFAULT }).to_le_bytes());
        fixed.extend_from_slice(&FLAG_UTF8.to_le_bytes());
        fixed.extend_from_slice(&self.method.code().to_le_bytes());
        fixed.extend_from_slice(&self.modified.time.to_le_bytes());
        fixed.extend_from_slice(&self.modified.date.to_le_bytes());
        fixed.extend_from_slice(&crc32.to_le_bytes());
        let extra = if zip64 {
            fixed.extend_from_slice(&u32::MAX.to_le_bytes());
            fixed.extend_from_slice(&u32::MAX.to_le_bytes());
            let mut extra = Vec::with_capacity(RESERVED_EXTRA as usize);
            extra.extend_from_slice(&ZIP64_FIELD.to_le_bytes());
            extra.extend_from_slice(&16u16.to_le_bytes());
            extra.extend_from_slice(&size.to_le_bytes());
            extra.extend_from_slice(&compressed_size.to_le_bytes());
            Some(extra)
        } else {
            fixed.extend_from_slice(&(compressed_size as u32).to_le_bytes());
            fixed.extend_from_slice(&(size as u32).to_le_bytes());
            None
        };
        out.flush()?;
        let file = &mut out.inner;
        file.seek(SeekFrom::Start(self.offset + 4))?;
        file.write_all(&fixed)?;
        if let Some(extra) = extra {
            file.seek(SeekFrom::Start(self.offset + 30 + self.name_len))?;
            file.write_all(&extra)?;
        }
        file.seek(SeekFrom::Start(end))?;
        Ok(Entry {
            method: self.method,
            modified: self.modified,
            crc32,
            compressed_size,
            size,
            offset: self.offset,
            descriptor: false,
            zip64_local: zip64,
        })
    }
}

/// Writes entries one after the other into a stream that cannot seek (a part of the archive's
/// tail, read by the hashing thread as it grows), each with a data descriptor. `base` is where
/// the stream starts in the archive, or 0 when that is not known yet: the entries' offsets are
/// then from the stream's start, for the caller to shift. The `Write` it is goes into the
/// entry last started.
pub struct EntryWriter<W: Write> {
    out: Counting<W>,
    base: u64,
    method: Method,
    modified: DosTime,
    limits: Limits,
    open: Option<(String, u64, u64, Body)>,
    done: Vec<NamedEntry>,
}

impl<W: Write> EntryWriter<W> {
    pub fn new(out: W, base: u64, method: Method, modified: DosTime, limits: Limits) -> Self {
        EntryWriter {
            out: Counting { inner: out, position: 0 },
            base,
            method,
            modified,
            limits,
            open: None,
            done: Vec::new(),
        }
    }

    /// Ends the entry being written, if any, and starts `name`.
    pub fn start_file(&mut self, name: &str) -> std::io::Result<()> {
        self.end_entry()?;
        let offset = self.base + self.out.position;
        self.out.write_all(&local_header(name, self.method, self.modified, FLAG_DESCRIPTOR, &[])?)?;
        let data_start = self.out.position;
        self.open = Some((name.to_owned(), offset, data_start, Body::new(self.method)));
        Ok(())
    }

    fn end_entry(&mut self) -> std::io::Result<()> {
        let Some((name, offset, data_start, body)) = self.open.take() else { return Ok(()) };
        let (crc32, size) = body.finish(&mut self.out)?;
        let compressed_size = self.out.position - data_start;
        if size >= self.limits.bytes || compressed_size >= self.limits.bytes {
            return Err(std::io::Error::other(format!("{name} reached 4 GiB, the most an archive's report may hold")));
        }
        let mut descriptor = Vec::with_capacity(16);
        descriptor.extend_from_slice(&DATA_DESCRIPTOR.to_le_bytes());
        descriptor.extend_from_slice(&crc32.to_le_bytes());
        descriptor.extend_from_slice(&(compressed_size as u32).to_le_bytes());
        descriptor.extend_from_slice(&(size as u32).to_le_bytes());
        self.out.write_all(&descriptor)?;
        let entry = Entry {
            method: self.method,
            modified: self.modified,
            crc32,
            compressed_size,
            size,
            offset,
            descriptor: true,
            zip64_local: false,
        };
        self.done.push((name, entry));
        Ok(())
    }

    /// Ends the last entry; returns the stream, the offset where the writer ended, and the
    /// entries written, with their offsets (both from `base`).
    pub fn finish(mut self) -> std::io::Result<(W, u64, Vec<NamedEntry>)> {
        self.end_entry()?;
        Ok((self.out.inner, self.base + self.out.position, self.done))
    }
}

impl<W: Write> Write for EntryWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let (_, _, _, body) = self.open.as_mut().ok_or_else(|| std::io::Error::other("no entry started"))?;
        body.write(buf, &mut self.out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The central directory, written a record at a time as the entries are listed (there may
/// be millions: nothing is kept per entry).
pub struct CentralDirectory<W: Write> {
    out: Counting<W>,
    start: u64,
    entries: u64,
    limits: Limits,
}

impl<W: Write> CentralDirectory<W> {
    /// A directory written to `out`, which is at archive offset `start`.
    pub fn new(out: W, start: u64, limits: Limits) -> Self {
        CentralDirectory { out: Counting { inner: out, position: 0 }, start, entries: 0, limits }
    }

    /// Lists `entry` under `name`; `offset` is its local header's offset in the archive.
    pub fn add(&mut self, name: &str, entry: &Entry, offset: u64) -> std::io::Result<()> {
        // 4.5.3: in the central directory, the ZIP64 field holds only the values whose
        // classic field is 0xFFFFFFFF, in this order.
        let mut zip64 = Vec::new();
        let mut classic = |value: u64| {
            if value >= self.limits.bytes {
                zip64.extend_from_slice(&value.to_le_bytes());
                u32::MAX
            } else {
                value as u32
            }
        };
        let size = classic(entry.size);
        let compressed = classic(entry.compressed_size);
        let local = classic(offset);
        let extra = if zip64.is_empty() {
            Vec::new()
        } else {
            let mut extra = Vec::with_capacity(4 + zip64.len());
            extra.extend_from_slice(&ZIP64_FIELD.to_le_bytes());
            extra.extend_from_slice(&(zip64.len() as u16).to_le_bytes());
            extra.extend_from_slice(&zip64);
            extra
        };
        let needed = if extra.is_empty() && !entry.zip64_local { VERSION_DEFAULT } else { VERSION_ZIP64 };
        let flags = FLAG_UTF8 | if entry.descriptor { FLAG_DESCRIPTOR } else { 0 };
        let mut h = Vec::with_capacity(46 + name.len() + extra.len());
        h.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
        h.extend_from_slice(&MADE_BY.to_le_bytes());
        h.extend_from_slice(&needed.to_le_bytes());
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&entry.method.code().to_le_bytes());
        h.extend_from_slice(&entry.modified.time.to_le_bytes());
        h.extend_from_slice(&entry.modified.date.to_le_bytes());
        h.extend_from_slice(&entry.crc32.to_le_bytes());
        h.extend_from_slice(&compressed.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
        h.extend_from_slice(&u16_of(name.len(), "name")?.to_le_bytes());
        h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // comment length
        h.extend_from_slice(&0u16.to_le_bytes()); // disk number start
        h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        h.extend_from_slice(&FILE_ATTRIBUTES.to_le_bytes());
        h.extend_from_slice(&local.to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        h.extend_from_slice(&extra);
        self.out.write_all(&h)?;
        self.entries += 1;
        Ok(())
    }

    /// Writes the end records; returns the stream and the archive's size.
    pub fn finish(mut self) -> std::io::Result<(W, u64)> {
        let size = self.out.position;
        let (start, entries, limits) = (self.start, self.entries, self.limits);
        let zip64 = entries >= limits.entries || size >= limits.bytes || start >= limits.bytes;
        let mut t = Vec::with_capacity(98);
        if zip64 {
            let record = start + size;
            // 4.3.14: the size of the record counts what follows its own size field.
            t.extend_from_slice(&ZIP64_END.to_le_bytes());
            t.extend_from_slice(&44u64.to_le_bytes());
            t.extend_from_slice(&MADE_BY.to_le_bytes());
            t.extend_from_slice(&VERSION_ZIP64.to_le_bytes());
            t.extend_from_slice(&0u32.to_le_bytes()); // this disk
            t.extend_from_slice(&0u32.to_le_bytes()); // the directory's disk
            t.extend_from_slice(&entries.to_le_bytes());
            t.extend_from_slice(&entries.to_le_bytes());
            t.extend_from_slice(&size.to_le_bytes());
            t.extend_from_slice(&start.to_le_bytes());
            // 4.3.15
            t.extend_from_slice(&ZIP64_LOCATOR.to_le_bytes());
            t.extend_from_slice(&0u32.to_le_bytes());
            t.extend_from_slice(&record.to_le_bytes());
            t.extend_from_slice(&1u32.to_le_bytes());
        }
        let count = if zip64 { u16::MAX } else { entries as u16 };
        let clamp = |value: u64| if zip64 && value >= limits.bytes { u32::MAX } else { value as u32 };
        // 4.3.16
        t.extend_from_slice(&END.to_le_bytes());
        t.extend_from_slice(&0u16.to_le_bytes());
        t.extend_from_slice(&0u16.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&clamp(size).to_le_bytes());
        t.extend_from_slice(&clamp(start).to_le_bytes());
        t.extend_from_slice(&0u16.to_le_bytes()); // comment length
        self.out.write_all(&t)?;
        Ok((self.out.inner, start + self.out.position))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use proptest::prelude::*;

    use super::*;

    const MODIFIED: DosTime = DosTime { date: 0x5b7e, time: 0x6a2f };

    /// One file of a synthetic archive.
    #[derive(Debug, Clone)]
    struct File {
        name: String,
        data: Vec<u8>,
        method: Method,
    }

    /// An archive laid out as privacyd lays one out: each of `segments` a run of spooled
    /// entries, then `documents` as streamed entries, then the central directory; with
    /// `limits` in place of the format's own.
    fn archive(segments: &[Vec<File>], documents: &[File], method: Method, limits: Limits) -> Vec<u8> {
        let mut whole = Vec::new();
        let mut listed = Vec::new();
        for files in segments {
            let base = whole.len() as u64;
            let mut segment = Counting { inner: Cursor::new(Vec::new()), position: 0 };
            for file in files {
                let mut entry = SegmentEntry::begin(&mut segment, &file.name, file.method, MODIFIED).unwrap();
                // In pieces, as chunks arrive.
                for piece in file.data.chunks(7) {
                    entry.write(piece, &mut segment).unwrap();
                }
                let done = entry.finish(&mut segment, limits).unwrap();
                assert_eq!(done.size, file.data.len() as u64);
                listed.push((file.name.clone(), done, base));
            }
            whole.extend_from_slice(&segment.inner.into_inner());
        }
        // As the archive builder writes its tail: the first document's entry in a part of its
        // own, the others in a second part whose offsets count from 0 until the first part's
        // size is known, and are shifted by it in the central directory.
        let start = whole.len() as u64;
        let (first, rest) = documents.split_at(documents.len().min(1));
        let mut part = EntryWriter::new(Vec::new(), start, method, MODIFIED, limits);
        for document in first {
            part.start_file(&document.name).unwrap();
            part.write_all(&document.data).unwrap();
        }
        let (bytes, second_base, first_written) = part.finish().unwrap();
        whole.extend_from_slice(&bytes);
        let mut part = EntryWriter::new(Vec::new(), 0, method, MODIFIED, limits);
        for document in rest {
            part.start_file(&document.name).unwrap();
            part.write_all(&document.data).unwrap();
        }
        let (bytes, second_size, second_written) = part.finish().unwrap();
        whole.extend_from_slice(&bytes);
        let mut directory = CentralDirectory::new(Vec::new(), second_base + second_size, limits);
        for (name, entry, base) in &listed {
            directory.add(name, entry, base + entry.offset).unwrap();
        }
        for (name, entry) in &first_written {
            directory.add(name, entry, entry.offset).unwrap();
        }
        for (name, entry) in &second_written {
            directory.add(name, entry, second_base + entry.offset).unwrap();
        }
        let (tail, size) = directory.finish().unwrap();
        whole.extend_from_slice(&tail);
        assert_eq!(size, whole.len() as u64);
        whole
    }

    /// Every file, read back by name with the `zip` crate (which checks each CRC-32).
    fn read_back(bytes: &[u8], files: &[&File]) {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(zip.len(), files.len());
        for file in files {
            let mut entry = zip.by_name(&file.name).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            assert_eq!(data, file.data, "{}", file.name);
            let t = entry.last_modified().unwrap();
            assert_eq!((t.datepart(), t.timepart()), (MODIFIED.date, MODIFIED.time));
            assert_eq!(entry.unix_mode(), Some(0o100644));
        }
    }

    fn file(name: &str, data: &[u8], method: Method) -> File {
        File { name: name.to_owned(), data: data.to_vec(), method }
    }

    fn sample() -> (Vec<Vec<File>>, Vec<File>) {
        let big: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        let segments = vec![
            vec![file("files/a/small.txt", b"small", Method::Stored), file("files/a/big.bin", &big, Method::Stored)],
            vec![],
            vec![file("files/b/写真.jpg", &big, Method::Deflated), file("files/b/empty", b"", Method::Stored)],
        ];
        // Under the lowered limit: a streamed entry cannot take ZIP64 sizes.
        let documents = vec![
            file("export.json", b"{\"a\": 1}", Method::Deflated),
            file("index.html", &big[..90], Method::Deflated),
        ];
        (segments, documents)
    }

    /// The classic layout, and the same files with every ZIP64 structure in use: sizes and
    /// offsets past the (lowered) 32-bit limit, and more entries than the (lowered) 16-bit
    /// one, as in an archive of more than 4 GiB or 65,535 entries.
    #[test]
    fn archives_open_with_and_without_zip64() {
        let (segments, documents) = sample();
        let files: Vec<&File> = segments.iter().flatten().chain(&documents).collect();
        let classic = archive(&segments, &documents, Method::Deflated, Limits::ZIP);
        read_back(&classic, &files);
        assert!(!contains(&classic, &ZIP64_END.to_le_bytes()), "no ZIP64 where none is needed");
        let zip64 = archive(&segments, &documents, Method::Deflated, Limits { entries: 3, bytes: 100 });
        read_back(&zip64, &files);
        assert!(contains(&zip64, &ZIP64_END.to_le_bytes()) && contains(&zip64, &ZIP64_LOCATOR.to_le_bytes()));
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// What other readers make of both layouts: Python's `zipfile` (which reads the ZIP64
    /// records itself) and Info-ZIP's `unzip -t`, which also compares each local header with
    /// the central directory.
    #[test]
    fn python_and_unzip_open_both_layouts() {
        let (segments, documents) = sample();
        let dir = tempfile::tempdir().unwrap();
        for (name, limits) in [("classic.zip", Limits::ZIP), ("zip64.zip", Limits { entries: 3, bytes: 100 })] {
            let path = dir.path().join(name);
            std::fs::write(&path, archive(&segments, &documents, Method::Stored, limits)).unwrap();
            let unzip = std::process::Command::new("unzip").arg("-t").arg(&path).output().expect("unzip is installed");
            let said = String::from_utf8_lossy(&unzip.stdout);
            assert!(unzip.status.success() && said.contains("No errors detected"), "{name}: {said}");
            assert!(!said.contains("warning"), "{name}: {said}");
            let script = "import sys, zipfile\n\
                z = zipfile.ZipFile(sys.argv[1])\n\
                assert z.testzip() is None\n\
                print(len(z.namelist()), sum(len(z.read(n)) for n in z.namelist()))";
            let python = std::process::Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
            assert!(python.status.success(), "{name}: {}", String::from_utf8_lossy(&python.stderr));
            let total: usize = segments.iter().flatten().chain(&documents).map(|f| f.data.len()).sum();
            assert_eq!(String::from_utf8_lossy(&python.stdout).trim(), format!("6 {total}"), "{name}");
        }
    }

    /// A spooled entry's reserved extra field is a ZIP64 field exactly when it is needed, and
    /// padding of the same size otherwise: the data starts where the header said it would.
    #[test]
    fn the_reserved_field_becomes_zip64_or_padding() {
        for (len, zip64) in [(99usize, false), (100, true)] {
            let mut segment = Counting { inner: Cursor::new(Vec::new()), position: 0 };
            let mut entry = SegmentEntry::begin(&mut segment, "f", Method::Stored, MODIFIED).unwrap();
            entry.write(&vec![1; len], &mut segment).unwrap();
            let done = entry.finish(&mut segment, Limits { entries: 3, bytes: 100 }).unwrap();
            let bytes = segment.inner.into_inner();
            assert_eq!(done.zip64_local, zip64);
            assert_eq!(bytes.len(), 30 + 1 + 20 + len);
            let id = u16::from_le_bytes([bytes[31], bytes[32]]);
            assert_eq!(id, if zip64 { ZIP64_FIELD } else { PADDING_FIELD });
            let size32 = u32::from_le_bytes(bytes[22..26].try_into().unwrap());
            assert_eq!(size32, if zip64 { u32::MAX } else { len as u32 });
        }
    }

    /// A streamed entry past 4 GiB cannot be described by its data descriptor: refused, not
    /// written wrong.
    #[test]
    fn a_streamed_entry_past_the_limit_is_refused() {
        let mut writer = EntryWriter::new(Vec::new(), 0, Method::Stored, MODIFIED, Limits { entries: 3, bytes: 100 });
        writer.start_file("export.json").unwrap();
        writer.write_all(&[0; 100]).unwrap();
        assert!(writer.finish().is_err());
    }

    fn arb_file() -> impl Strategy<Value = File> {
        (
            "[a-zA-Z0-9é写 ._-]{1,12}",
            proptest::collection::vec(any::<u8>(), 0..400),
            prop_oneof![Just(Method::Stored), Just(Method::Deflated)],
        )
            .prop_map(|(name, data, method)| File { name, data, method })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any files, in any number of segments, with any limits: the `zip` crate reads every
        /// file back, whole, under its name.
        #[test]
        fn any_layout_reads_back(
            segments in proptest::collection::vec(proptest::collection::vec(arb_file(), 0..5), 0..4),
            documents in proptest::collection::vec(arb_file(), 0..3),
            entries in 1u64..10,
            bytes in 1u64..3_000,
            deflate in any::<bool>(),
        ) {
            // Distinct names: one entry per name, as the spool's namer and the reports ensure.
            let segments: Vec<Vec<File>> = segments
                .into_iter()
                .enumerate()
                .map(|(s, files)| {
                    files.into_iter().enumerate().map(|(i, mut f)| { f.name = format!("files/{s}/{i}/{}", f.name); f }).collect()
                })
                .collect();
            let documents: Vec<File> = documents
                .into_iter()
                .enumerate()
                .map(|(i, mut f)| { f.name = format!("doc{i}-{}", f.name); f })
                .collect();
            let method = if deflate { Method::Deflated } else { Method::Stored };
            // Streamed entries (under 400 bytes here, 410 deflated) stay under the 32-bit limit, as they must.
            let limits = Limits { entries, bytes: bytes.max(500) };
            let files: Vec<&File> = segments.iter().flatten().chain(&documents).collect();
            read_back(&archive(&segments, &documents, method, limits), &files);
        }
    }
}
