//! Spools that an earlier privacyd stored, read after an upgrade.
//!
//! Before each file byte was written once (issue 14, section 5), a spool in the store kept a
//! source's files as one object, `files.bin`: their bytes one after another, in the order its
//! `files.jsonl` lists them, with no zip entry on its lines. A request that was exporting when
//! privacyd was upgraded can have such spools beside current ones; its archive is still built
//! from them, once this module has rewritten each into the current layout (the files as zip
//! entries in a segment, `files.zip`, and a list that says where each entry is).
//!
//! The rewrite writes the files' bytes once more, as the earlier design did for every archive,
//! and only for the spools of that one transition. It is safe to cut short anywhere (see
//! [`Objects::put_upgraded_spool`]): until the segment is in the store, the next attempt finds
//! `files.bin` again and starts over. Memory is one read buffer, whatever the spool's size.
//! Spools left on a replica's scratch disk in the earlier layout (`files/<path>`) need nothing:
//! they belong to a source's stream that did not finish, and its retry streams again into a
//! fresh spool ([`super::spool::Spool::create`] removes what was there).

use std::{
    io::{Read, Write},
    path::Path,
};

use anyhow::Context;
use serde::Deserialize;

use super::{
    spool::{SEGMENT, SpooledFile, entry_name, read_lines},
    zip_layout::{Counting, DosTime, Limits, Method, SegmentEntry},
};
use crate::{
    domain::{RequestId, SourceName},
    objects::{Objects, SpoolLayout},
    private_files,
};

/// A line of an earlier `files.jsonl`: a [`SpooledFile`] without its zip entry. A current line
/// reads as one too (the extra field is ignored), which is what makes a rewrite cut short
/// after its new list was stored safe to start over.
#[derive(Debug, Deserialize)]
struct LegacyFile {
    path: String,
    #[serde(default)]
    sent_path: String,
    content_type: String,
    group_id: String,
    item_id: String,
    size: u64,
}

/// The earlier list, fetched from the store beside the rewritten one.
const LEGACY_LIST: &str = "files.jsonl.legacy";

/// Bytes per read of `files.bin`.
const READ_BYTES: usize = 256 << 10;

/// Rewrites `source`'s spool of request `id` into the current layout if the store holds it in
/// the earlier one, with `dir` (created; the caller removes it) as scratch space. Entries are
/// stored with `method` and dated `modified`. Returns whether there was anything to rewrite.
///
/// Errors: the store's, and a `files.bin` that does not hold exactly the bytes its list
/// gives (never the files' names: they may be personal data).
pub async fn upgrade(
    store: &Objects,
    id: RequestId,
    source: &SourceName,
    dir: &Path,
    method: Method,
    modified: DosTime,
) -> anyhow::Result<bool> {
    if store.spool_layout(id, source).await? != SpoolLayout::Legacy {
        return Ok(false);
    }
    private_files::create_dir(dir)?;
    store.fetch_spool_list(id, source, "files.jsonl", &dir.join(LEGACY_LIST)).await?;
    let runtime = tokio::runtime::Handle::current();
    let (rewriting, from, to) = (store.clone(), source.clone(), dir.to_owned());
    tokio::task::spawn_blocking(move || {
        let files = rewriting.legacy_spool_files(&runtime, id, &from)?;
        rewrite(files, from.as_str(), &to, method, modified)
    })
    .await
    .context("rewriting a spool panicked")??;
    store.put_upgraded_spool(id, source, dir).await?;
    tracing::info!(request_id = %id, source = %source, "rewrote a spool an earlier privacyd stored into the current layout");
    Ok(true)
}

/// Writes `dir`'s `files.jsonl` and segment from the earlier list in `dir` and the files'
/// bytes, read from `files` in the list's order.
fn rewrite(mut files: impl Read, source: &str, dir: &Path, method: Method, modified: DosTime) -> anyhow::Result<()> {
    let mut segment = Counting {
        inner: std::io::BufWriter::with_capacity(READ_BYTES, private_files::create_file(&dir.join(SEGMENT))?),
        position: 0,
    };
    let mut list = std::io::BufWriter::new(private_files::create_file(&dir.join("files.jsonl"))?);
    let mut buffer = vec![0u8; READ_BYTES];
    for (number, file) in read_lines::<LegacyFile>(&dir.join(LEGACY_LIST))?.enumerate() {
        let file = file.with_context(|| format!("line {} of the spool's earlier files.jsonl", number + 1))?;
        let mut entry = SegmentEntry::begin(&mut segment, &entry_name(source, &file.path), method, modified)?;
        let mut left = file.size;
        while left > 0 {
            let want = buffer.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = files.read(&mut buffer[..want])?;
            anyhow::ensure!(n > 0, "files.bin ends within file {} of its list", number + 1);
            entry.write(&buffer[..n], &mut segment)?;
            left -= n as u64;
        }
        let spooled = SpooledFile {
            path: file.path,
            sent_path: file.sent_path,
            content_type: file.content_type,
            group_id: file.group_id,
            item_id: file.item_id,
            size: file.size,
            entry: entry.finish(&mut segment, Limits::ZIP)?,
        };
        serde_json::to_writer(&mut list, &spooled)?;
        list.write_all(b"\n")?;
    }
    anyhow::ensure!(files.read(&mut [0u8])? == 0, "files.bin holds more than its list gives");
    segment.flush()?;
    list.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::spool::{read_files, tests::open_as_zip};

    const MODIFIED: DosTime = DosTime { date: 0x5b7e, time: 0x6000 };

    /// An earlier spool's list, as its `Spool` wrote it: a line per file, no zip entry.
    fn legacy_list(dir: &Path, files: &[(&str, &[u8])]) {
        let mut list = String::new();
        for (path, data) in files {
            list += &serde_json::json!({
                "path": path, "sent_path": path, "content_type": "text/plain",
                "group_id": "things", "item_id": "1", "size": data.len(),
            })
            .to_string();
            list.push('\n');
        }
        std::fs::write(dir.join(LEGACY_LIST), list).unwrap();
    }

    #[test]
    fn the_files_of_an_earlier_spool_become_zip_entries_with_their_list() {
        for method in [Method::Stored, Method::Deflated] {
            let dir = tempfile::tempdir().unwrap();
            let big: Vec<u8> = (0..READ_BYTES as u32 * 2 + 7).map(|i| (i % 241) as u8).collect();
            let files: [(&str, &[u8]); 3] = [("a/big.bin", &big), ("empty", b""), ("b.txt", b"second")];
            legacy_list(dir.path(), &files);
            let bin: Vec<u8> = files.iter().flat_map(|(_, data)| data.iter().copied()).collect();
            rewrite(bin.as_slice(), "shop", dir.path(), method, MODIFIED).unwrap();
            let listed: Vec<SpooledFile> = read_files(dir.path()).unwrap().map(Result::unwrap).collect();
            assert_eq!(
                listed.iter().map(|f| (f.path.as_str(), f.size)).collect::<Vec<_>>(),
                [("a/big.bin", big.len() as u64), ("empty", 0), ("b.txt", 6)]
            );
            assert!(listed.iter().all(|f| f.entry.method == method && f.content_type == "text/plain"));
            let mut zip = open_as_zip(dir.path());
            for (path, data) in files {
                let mut read = Vec::new();
                zip.by_name(&entry_name("shop", path)).unwrap().read_to_end(&mut read).unwrap();
                assert_eq!(read, data, "{path}");
            }
        }
    }

    #[test]
    fn a_files_bin_that_does_not_match_its_list_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        legacy_list(dir.path(), &[("secret-name.txt", b"four"), ("b", b"xy")]);
        let short = rewrite(&b"fourx"[..], "shop", dir.path(), Method::Stored, MODIFIED).unwrap_err().to_string();
        assert_eq!(short, "files.bin ends within file 2 of its list");
        let long = rewrite(&b"fourxyz"[..], "shop", dir.path(), Method::Stored, MODIFIED).unwrap_err().to_string();
        assert_eq!(long, "files.bin holds more than its list gives");
    }
}
