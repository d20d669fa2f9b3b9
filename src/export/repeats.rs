//! Which of a source's items come back later, told from 64-bit hashes of their keys with
//! memory bounded whatever the number of items, so the archive's index needs to hold only
//! their starts ([`super::item_index`]). Sources send mostly rows, one start per item, and
//! then no key repeats: 100,000 starts inserted into SQLite, indexed and grouped to find none
//! cost 0.1 s of CPU (issue 14, §6).
//!
//! The hashes are sorted in chunks of [`CHUNK`] (1 MiB); past one chunk, each is written to
//! scratch space sorted, and the runs are merged, [`FAN_IN`] at a time. A hash seen twice names a key that may
//! repeat: two keys that share a hash (about one pair in 2^64 / n^2) only cost their starts a
//! place in the index, where the keys themselves are compared.

use std::{
    cmp::Reverse,
    collections::{BinaryHeap, HashSet},
    hash::{Hash, Hasher},
    io::{BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

/// Hashes sorted in memory at once: 1 MiB.
pub const CHUNK: usize = 1 << 17;

/// The most repeated hashes kept (0.5 MiB); past it, the answer is "too many to list".
pub const MAX_REPEATED: usize = 1 << 16;

/// The hash of an item's key: its group and item id, each ended by a byte no UTF-8 string
/// holds (`str`'s `Hash`), so no two keys are one string. SipHash with fixed keys: the same on every run and replica.
pub fn key(group_id: &str, item_id: &str) -> u64 {
    #[allow(deprecated)] // SipHasher's replacement, DefaultHasher, does not promise its algorithm.
    let mut hasher = std::hash::SipHasher::new();
    group_id.hash(&mut hasher);
    item_id.hash(&mut hasher);
    hasher.finish()
}

/// Sorted runs merged at once: with [`CHUNK`], what a merge holds stays near 2 MiB whatever
/// the number of hashes.
pub const FAN_IN: usize = 64;

/// Bytes buffered for each run read in a merge.
const RUN_BUFFER: usize = 16 << 10;

/// The hashes that occur more than once in `hashes`, or `None` when there are more than
/// [`MAX_REPEATED`] of them. Sorted runs past the first chunk are written to files
/// `<scratch>.<n>`, all removed before it returns, whatever it returns.
pub fn repeated(
    hashes: impl IntoIterator<Item = std::io::Result<u64>>,
    scratch: &Path,
) -> std::io::Result<Option<HashSet<u64>>> {
    repeated_in(hashes, scratch, CHUNK, FAN_IN)
}

/// [`repeated`], sorting `chunk_len` hashes in memory and merging `fan_in` runs at a time.
fn repeated_in(
    hashes: impl IntoIterator<Item = std::io::Result<u64>>,
    scratch: &Path,
    chunk_len: usize,
    fan_in: usize,
) -> std::io::Result<Option<HashSet<u64>>> {
    let mut chunk = Vec::with_capacity(chunk_len);
    // Every scratch file made, and the sorted runs not merged yet.
    let mut files = Vec::new();
    let mut runs = std::collections::VecDeque::new();
    let result = (|| {
        for hash in hashes {
            chunk.push(hash?);
            if chunk.len() == chunk_len {
                chunk.sort_unstable();
                runs.push_back(write_run(chunk.drain(..).map(Ok), scratch, &mut files)?);
            }
        }
        chunk.sort_unstable();
        if runs.is_empty() {
            return twice(chunk.iter().map(|h| Ok(*h)));
        }
        if !chunk.is_empty() {
            runs.push_back(write_run(chunk.drain(..).map(Ok), scratch, &mut files)?);
        }
        // A few runs at a time, so the files open and their buffers stay bounded.
        while runs.len() > fan_in {
            let merging: Vec<PathBuf> = runs.drain(..fan_in).collect();
            let merged = write_run(Merged::open(&merging)?, scratch, &mut files)?;
            for path in &merging {
                let _ = std::fs::remove_file(path);
            }
            runs.push_back(merged);
        }
        twice(Merged::open(runs.make_contiguous())?)
    })();
    for path in &files {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Writes sorted hashes to a new scratch file, listed in `files` before it is created.
fn write_run(
    sorted: impl Iterator<Item = std::io::Result<u64>>,
    scratch: &Path,
    files: &mut Vec<PathBuf>,
) -> std::io::Result<PathBuf> {
    let mut path = scratch.as_os_str().to_owned();
    path.push(format!(".{}", files.len()));
    let path = PathBuf::from(path);
    files.push(path.clone());
    let mut out = BufWriter::with_capacity(64 << 10, crate::private_files::create_file(&path)?);
    for hash in sorted {
        out.write_all(&hash?.to_le_bytes())?;
    }
    out.flush()?;
    Ok(path)
}

/// The values of a sorted sequence that occur more than once (see [`repeated`]).
fn twice(sorted: impl Iterator<Item = std::io::Result<u64>>) -> std::io::Result<Option<HashSet<u64>>> {
    let mut found = HashSet::new();
    let mut last = None;
    for hash in sorted {
        let hash = hash?;
        if last == Some(hash) && found.insert(hash) && found.len() > MAX_REPEATED {
            return Ok(None);
        }
        last = Some(hash);
    }
    Ok(Some(found))
}

/// Sorted files of hashes, read as one sorted sequence.
struct Merged<R> {
    readers: Vec<R>,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
}

impl Merged<BufReader<std::fs::File>> {
    /// The runs in the files `paths`.
    fn open(paths: &[PathBuf]) -> std::io::Result<Self> {
        let readers = paths
            .iter()
            .map(|path| std::fs::File::open(path).map(|f| BufReader::with_capacity(RUN_BUFFER, f)))
            .collect::<std::io::Result<Vec<_>>>()?;
        Merged::new(readers)
    }
}

impl<R: Read> Merged<R> {
    fn new(mut readers: Vec<R>) -> std::io::Result<Self> {
        let mut heap = BinaryHeap::with_capacity(readers.len());
        for (i, reader) in readers.iter_mut().enumerate() {
            if let Some(hash) = next(reader)? {
                heap.push(Reverse((hash, i)));
            }
        }
        Ok(Merged { readers, heap })
    }
}

impl<R: Read> Iterator for Merged<R> {
    type Item = std::io::Result<u64>;

    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((hash, i)) = self.heap.pop()?;
        match next(&mut self.readers[i]) {
            Ok(Some(following)) => self.heap.push(Reverse((following, i))),
            Ok(None) => {}
            Err(err) => return Some(Err(err)),
        }
        Some(Ok(hash))
    }
}

/// The next hash of a file of them, or `None` at its end.
fn next(reader: &mut impl Read) -> std::io::Result<Option<u64>> {
    let mut bytes = [0u8; 8];
    match reader.read_exact(&mut bytes) {
        Ok(()) => Ok(Some(u64::from_le_bytes(bytes))),
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The plain answer: count every value.
    fn counted(values: &[u64]) -> Option<HashSet<u64>> {
        let mut counts = std::collections::HashMap::new();
        for v in values {
            *counts.entry(*v).or_insert(0) += 1;
        }
        let found: HashSet<u64> = counts.into_iter().filter(|(_, n)| *n > 1).map(|(v, _)| v).collect();
        (found.len() <= MAX_REPEATED).then_some(found)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        /// In one chunk or spilled across several (values drawn from a small range, so
        /// repeats fall in the same chunk and in different ones).
        #[test]
        fn the_repeated_are_found_in_and_across_chunks(
            values in prop::collection::vec(0..u64::from(u32::MAX), 0..40),
            spread in 0usize..3,
        ) {
            let dir = tempfile::tempdir().unwrap();
            // A few values, then many distinct ones around them: past a chunk when spread > 0.
            let filler = (0..(spread * CHUNK + CHUNK / 2) as u64).map(|i| (i * 7_919) % (1 << 20) + (1 << 41));
            let all: Vec<u64> = values.iter().copied().chain(filler).chain(values.iter().rev().step_by(2).copied()).collect();
            let found = repeated(all.iter().map(|v| Ok(*v)), &dir.path().join("hashes")).unwrap();
            prop_assert_eq!(found, counted(&all));
            prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "scratch files left");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Small chunks merged a few at a time: runs merged in levels.
        #[test]
        fn the_repeated_are_found_through_merges_in_levels(
            values in prop::collection::vec(0..200u64, 0..400),
            chunk in 1usize..9,
            fan_in in 2usize..5,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let found = repeated_in(values.iter().map(|v| Ok(*v)), &dir.path().join("hashes"), chunk, fan_in).unwrap();
            prop_assert_eq!(found, counted(&values));
            prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "scratch files left");
        }
    }

    #[test]
    fn too_many_repeated_is_said_so() {
        let dir = tempfile::tempdir().unwrap();
        let values = (0..2 * (MAX_REPEATED as u64 + 1)).map(|i| Ok(i / 2));
        assert_eq!(repeated(values, &dir.path().join("hashes")).unwrap(), None);
        let values = (0..2 * MAX_REPEATED as u64).map(|i| Ok(i / 2));
        assert_eq!(repeated(values, &dir.path().join("hashes")).unwrap().map(|s| s.len()), Some(MAX_REPEATED));
    }

    #[test]
    fn keys_are_told_apart_where_their_parts_meet() {
        assert_ne!(key("ab", "c"), key("a", "bc"));
        assert_eq!(key("comments", "comment-1"), key("comments", "comment-1"));
    }
}
