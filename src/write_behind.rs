//! Files whose bytes go to disk while they are written, not all at the `fsync` that makes them
//! durable.
//!
//! A spool is fsynced before its source's success is recorded (a crash must not leave a
//! recorded success over a spool the disk never got). Written whole into the page cache first,
//! a 1 GiB export's spools were then flushed in one go: 0.3 - 0.4 s with the CPU idle, between
//! the last byte streamed and the archive's start (issue 14, section 5). [`WriteBehind`]
//! starts the writeback of every [`WINDOW`] as soon as it is written (Linux's
//! `sync_file_range(SYNC_FILE_RANGE_WRITE)`, as RocksDB's `bytes_per_sync` and PostgreSQL's
//! `backend_flush_after` do), so the disk works while the stream goes on and the final fsync
//! waits for little more than the last window. Durability is still the fsync's alone: this only
//! moves the disk's work earlier.

use std::{
    fs::File,
    io::{Seek, SeekFrom, Write},
};

/// Bytes written between two writebacks: large enough that the calls cost nothing next to
/// the copies, small enough that little is left for the fsync.
pub const WINDOW: u64 = 8 << 20;

/// A file written mostly front to back (a seek back to patch a header is fine: those bytes
/// are flushed by the fsync), its writeback started every [`WINDOW`] bytes.
#[derive(Debug)]
pub struct WriteBehind {
    file: File,
    /// Off for a file that is never fsynced (scratch space that is uploaded to S3 and removed):
    /// writing it back early would be disk work nothing waits for.
    enabled: bool,
    /// Where the next write goes.
    position: u64,
    /// Up to where writeback was started.
    started: u64,
}

impl WriteBehind {
    /// `file`, its writeback started every [`WINDOW`] bytes when `enabled`.
    pub fn new(file: File, enabled: bool) -> Self {
        WriteBehind { file, enabled, position: 0, started: 0 }
    }

    /// Stops starting writebacks: for a file that turns out never to be fsynced.
    pub fn disable(&mut self) {
        self.enabled = false;
    }

    /// The file, for the fsync that makes it durable.
    pub fn into_inner(self) -> File {
        self.file
    }

    /// Starts the writeback of whatever is not yet on its way, window full or not: for a file
    /// that is complete, such as a spool's when it ends, just before its files are fsynced one
    /// after the other, so the disk gets all of them at once rather than each at its fsync.
    pub fn write_behind_rest(&mut self) {
        if self.enabled && self.position > self.started {
            start_writeback(&self.file, self.started, self.position - self.started);
            self.started = self.position;
        }
    }

    /// Starts the writeback of what was written since the last one, once a window is full.
    fn write_behind(&mut self) {
        if self.enabled && self.position >= self.started + WINDOW {
            start_writeback(&self.file, self.started, self.position - self.started);
            self.started = self.position;
        }
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.position += n as u64;
        self.write_behind();
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Seek for WriteBehind {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.position = self.file.seek(to)?;
        Ok(self.position)
    }
}

/// Asks the kernel to start writing `len` bytes of `file` from `offset` to disk, without
/// waiting for them (it may wait while the device's queue is full, as a `write` may when too
/// much of the page cache is dirty: that paces the writer to the disk). Best effort: where it is not supported, the fsync does all the work, as
/// it would have anyway.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else { return };
    // SAFETY: the descriptor is open for as long as `file` is borrowed; the call reads only its
    // integer arguments and writes no memory of ours.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE) };
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &File, _: u64, _: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes written in pieces, with a seek back to patch the start, read back as written.
    #[test]
    fn writes_and_patches_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut file = WriteBehind::new(File::create(&path).unwrap(), true);
        let piece: Vec<u8> = (0..1_000_003u32).map(|i| (i % 251) as u8).collect();
        let mut expected = Vec::new();
        for _ in 0..20 {
            file.write_all(&piece).unwrap();
            expected.extend_from_slice(&piece);
        }
        assert!(file.started >= WINDOW, "writeback started at {}", file.started);
        file.seek(SeekFrom::Start(3)).unwrap();
        file.write_all(b"patch").unwrap();
        expected[3..8].copy_from_slice(b"patch");
        let end = file.seek(SeekFrom::End(0)).unwrap();
        assert_eq!(end, expected.len() as u64);
        file.write_all(b"tail").unwrap();
        expected.extend_from_slice(b"tail");
        file.into_inner().sync_all().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }
}
