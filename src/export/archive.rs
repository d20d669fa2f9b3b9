//! Builds the export archive from the sources' spools: `export.json` (WordPress's shape, see
//! [`super::export_json`]), `index.html` (a readable report with each source's Art. 15
//! processing information) and `files/<source>/...`.
//!
//! The items are read from an on-disk index ([`super::item_index`]) once, a spooled message at
//! a time: `export.json` goes into the zip as they come, and the item part of `index.html` into
//! a scratch file that is copied in after it (its head, which counts each group's items, can
//! only be written at the end). The groups and the files are read from the index and the
//! spools as often as they are needed, never gathered in memory, so memory is bounded by the
//! largest message a source may send, whatever the shape or size of the export.
//!
//! Every entry is dated with the time the archive was built, in UTC (zip's MS-DOS dates have
//! no time zone), not 1980-01-01 (issue 9, item 28).

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
};

use anyhow::Context;

use chrono::{Datelike, Timelike};
use minijinja::context;
use sha2::{Digest, Sha256};

use super::{
    export_json::ExportJson,
    item_index::ItemIndex,
    rules::ABOUT_GROUP,
    spool::{SpooledFile, read_files},
    zip_layout::{CentralDirectory, EntryWriter, Limits, Method},
};
use crate::{
    domain::{PrivacyRequest, SourceDescription, SourceName, Timestamp},
    notifications::format_time,
    objects::Objects,
    templates::Templates,
};

/// How archive entries are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    /// No compression: fastest, and right for data that is already compressed.
    Stored,
    /// Deflate, which every operating system's zip tool opens.
    Deflate,
}

/// One source's contribution.
pub struct SourcePart {
    pub name: String,
    /// The source, whose spool's files are read from the store.
    pub source: SourceName,
    pub description: Option<SourceDescription>,
    /// A local folder with the spool's `items.jsonl` and `files.jsonl`, fetched from the store.
    pub spool: PathBuf,
}

/// What building needs.
pub struct ArchiveJob<'a> {
    pub request: &'a PrivacyRequest,
    pub organization: &'a str,
    pub templates: &'a Templates,
    pub sources: Vec<SourcePart>,
    /// Scratch space, removed afterwards.
    pub work_dir: PathBuf,
    /// Where the spools' files are read from and the archive goes.
    pub store: &'a Objects,
    pub compression: Compression,
}

/// The finished archive.
pub struct Built {
    pub size_bytes: i64,
    pub sha256: String,
}

/// Builds the archive. Blocking: call from a blocking thread, inside a Tokio runtime.
pub fn build(job: ArchiveJob<'_>) -> anyhow::Result<Built> {
    let runtime = tokio::runtime::Handle::current();
    crate::private_files::create_dir(&job.work_dir)?;
    let started = std::time::Instant::now();
    let index = runtime.block_on(ItemIndex::load(&job.work_dir, &job.sources))?;
    let indexed = started.elapsed();
    let result = write_zip(&job, &index, &runtime);
    runtime.block_on(index.close());
    let _ = std::fs::remove_dir_all(&job.work_dir);
    let built = result?;
    tracing::debug!(
        request_id = %job.request.id,
        index_ms = indexed.as_millis() as u64,
        write_ms = (started.elapsed() - indexed).as_millis() as u64,
        size_bytes = built.size_bytes,
        "archive built"
    );
    Ok(built)
}

/// privacyd's group of each source's processing information (GDPR Art. 15(1)), as
/// export.json carries it: WordPress has no place for it, so it is a group of its own, in the
/// namespace sources may not use ([`super::rules::is_reserved_group`]).
pub const PROCESSING_GROUP: &str = "privacyd-processing-information";

/// privacyd's group that lists the archive's files, one item per file keyed by its path in
/// the archive (WordPress's archive holds no files).
pub const FILES_GROUP: &str = "privacyd-files";

/// Counts and hashes what passes through, so the archive's size and SHA-256 come for free
/// while it is written.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A zip entry's date: MS-DOS dates have no time zone, so this is UTC, like the times the
/// report shows. Outside the format's years (1980 - 2107) the zip crate's default is kept.
pub(crate) fn zip_time(t: Timestamp) -> zip::DateTime {
    let fit = |n: u32| u8::try_from(n).unwrap_or(u8::MAX);
    u16::try_from(t.year())
        .ok()
        .and_then(|year| {
            zip::DateTime::from_date_and_time(
                year,
                fit(t.month()),
                fit(t.day()),
                fit(t.hour()),
                fit(t.minute()),
                fit(t.second()),
            )
            .ok()
        })
        .unwrap_or_default()
}

fn write_zip(job: &ArchiveJob<'_>, index: &ItemIndex, runtime: &tokio::runtime::Handle) -> anyhow::Result<Built> {
    let started = std::time::Instant::now();
    let mut hasher = Sha256::new();
    // The sources' segments first, as the store keeps them (their bytes are not written
    // again), hashed in the one read pass that also checks they are there whole; where each
    // starts is the base of its entries' offsets.
    let mut composer = job.store.compose_archive(runtime, job.request.id).context("starting the archive")?;
    let mut bases = Vec::with_capacity(job.sources.len());
    let mut offset = 0u64;
    for source in &job.sources {
        bases.push(offset);
        let mut segment = 0u64;
        let appended = composer.append_segment(&source.source, |bytes| {
            hasher.update(bytes);
            segment += bytes.len() as u64;
        });
        appended.with_context(|| format!("reading the spool of {}", source.name))?;
        offset += segment;
    }
    let segments_done = std::time::Instant::now();
    // Then the tail, hashed as it is written: the reports' entries and the central directory.
    let method = match job.compression {
        Compression::Stored => Method::Stored,
        Compression::Deflate => Method::Deflated,
    };
    let now = crate::domain::now();
    let out = Hashing { inner: composer, hasher, size: offset };
    let mut entries = EntryWriter::new(out, offset, method, zip_time(now).into(), Limits::ZIP);
    write_documents(job, index, runtime, now, &mut entries)?;
    let (out, directory_start, documents) = entries.finish()?;
    let documents_done = std::time::Instant::now();
    let mut directory = CentralDirectory::new(out, directory_start, Limits::ZIP);
    for (source, base) in job.sources.iter().zip(&bases) {
        for file in read_files(&source.spool)? {
            let file = file?;
            directory.add(&archive_path(source, &file), &file.entry, base + file.entry.offset)?;
        }
    }
    for (name, entry) in &documents {
        directory.add(name, entry, entry.offset)?;
    }
    let (out, size) = directory.finish()?;
    anyhow::ensure!(out.size == size, "the archive's tail is {} bytes, not {size}", out.size);
    let directory_done = std::time::Instant::now();
    out.inner.finish().context("completing the archive")?;
    tracing::debug!(
        segments_ms = segments_done.duration_since(started).as_millis() as u64,
        documents_ms = documents_done.duration_since(segments_done).as_millis() as u64,
        directory_ms = directory_done.duration_since(documents_done).as_millis() as u64,
        finish_ms = directory_done.elapsed().as_millis() as u64,
        "archive written"
    );
    Ok(Built { size_bytes: out.size as i64, sha256: hex::encode(out.hasher.finalize()) })
}

/// Writes the archive's reports into `zip`: `export.json` and `index.html`, each started
/// with [`EntryWriter::start_file`] and written through its `Write`. What is in them is this
/// function's alone; where they go in the archive is [`write_zip`]'s.
fn write_documents<W: Write>(
    job: &ArchiveJob<'_>,
    index: &ItemIndex,
    runtime: &tokio::runtime::Handle,
    now: Timestamp,
    mut zip: &mut EntryWriter<W>,
) -> anyhow::Result<()> {
    let request = job.request;
    let email = request.subject.known()?.email.as_str();
    let generated = format_time(now);

    // export.json: privacyd's About and processing groups, the sources' groups as the index
    // gives them, and the files.
    zip.start_file("export.json")?;
    let mut json = ExportJson::begin(&mut zip, email)?;
    json.group(ABOUT_GROUP, "About", "Overview of export report.")?;
    json.item("about-1")?;
    json.fields([
        ("Report generated for", email),
        ("For organization", job.organization),
        ("Generated", generated.as_str()),
        ("Request", request.id.to_string().as_str()),
    ])?;
    json.group(PROCESSING_GROUP, "How your data is processed", "What each source declared under GDPR Art. 15(1).")?;
    for source in &job.sources {
        // Unique: a source's categories have distinct group ids (Describe is refused
        // otherwise), and a source name has no "/".
        for c in source.description.iter().flat_map(|d| &d.categories) {
            json.item(&format!("{}/{}", source.name, c.group_id))?;
            json.fields([
                ("Source", source.name.as_str()),
                ("Data", c.label.as_str()),
                ("Purposes", c.purposes.join("; ").as_str()),
                ("Legal basis", c.legal_basis.describe()),
                ("Recipients", c.recipients.join("; ").as_str()),
                ("Kept for", c.retention_period.as_str()),
                ("Origin", c.origin.as_str()),
            ])?;
        }
    }
    // The items of index.html, in the same pass, into scratch space.
    let html_items_path = job.work_dir.join("index-items.html");
    let mut html_items = std::io::BufWriter::new(crate::private_files::create_file(&html_items_path)?);
    let group_end = job.templates.render_export("group_end", &context! {})?;
    let item_start = job.templates.render_export("item_start", &context! {})?;
    let item_end = job.templates.render_export("item_end", &context! {})?;
    // Written for every item message: looked up once, and when it is privacyd's own, written
    // without the template engine.
    let fields_fragment = job.templates.export_fragment("fields")?;
    let default_fields = job.templates.default_export_fields();
    let mut position = 0;
    let mut item_open = false;
    runtime.block_on(index.for_each_row(|row| {
        if let Some(heading) = row.new_group {
            if std::mem::take(&mut item_open) {
                html_items.write_all(item_end.as_bytes())?;
            }
            if position > 0 {
                html_items.write_all(group_end.as_bytes())?;
            }
            position += 1;
            json.group(&heading.group_id, &heading.label, &heading.description)?;
            let fragment = job.templates.render_export(
                "group",
                &context! { index => position, label => heading.label, description => heading.description },
            )?;
            html_items.write_all(fragment.as_bytes())?;
        }
        if row.new_item {
            if item_open {
                html_items.write_all(item_end.as_bytes())?;
            }
            json.item(row.item_id)?;
            html_items.write_all(item_start.as_bytes())?;
            item_open = true;
        }
        json.fields(row.fields.iter().map(|(name, value)| (name, value)))?;
        if default_fields {
            super::fields_html::write(&mut html_items, row.fields.iter().map(|(n, v)| (n.as_str(), v.as_str())))?;
        } else {
            html_items.write_all(fields_fragment.render(context! { fields => row.fields })?.as_bytes())?;
        }
        Ok(())
    }))?;
    if item_open {
        html_items.write_all(item_end.as_bytes())?;
    }
    if position > 0 {
        html_items.write_all(group_end.as_bytes())?;
    }
    let mut has_files = false;
    for_each_file(&job.sources, |source, file| {
        if !has_files {
            json.group(FILES_GROUP, "Files", "The files in this archive, and the items they belong to.")?;
            has_files = true;
        }
        let archive_path = archive_path(source, file);
        let item = if file.item_id.is_empty() { String::new() } else { format!("{}/{}", source.name, file.item_id) };
        json.item(&archive_path)?;
        json.fields([
            ("File", archive_path.as_str()),
            ("Type", file.content_type.as_str()),
            ("Size", format!("{} bytes", file.size).as_str()),
            ("Group", file.group_id.as_str()),
            ("Item", item.as_str()),
            // The name the source sent: the archive's path differs when that was not safe, or
            // not distinct, on every operating system (see `file_names`).
            ("Sent as", file.sent_path.as_str()),
        ])?;
        Ok(())
    })?;
    json.finish()?;
    html_items.flush()?;
    drop(html_items);

    // index.html: the head (which counts the items), the items, the tail.
    zip.start_file("index.html")?;
    let sources_ctx: Vec<minijinja::Value> = job
        .sources
        .iter()
        .map(|s| {
            let categories: Vec<minijinja::Value> = s
                .description
                .iter()
                .flat_map(|d| &d.categories)
                .map(|c| {
                    context! {
                        label => c.label, description => c.description, purposes => c.purposes,
                        legal_basis => c.legal_basis.describe(), recipients => c.recipients,
                        retention_period => c.retention_period, origin => c.origin,
                    }
                })
                .collect();
            context! { name => s.name, categories => categories }
        })
        .collect();
    let head = job.templates.render_export(
        "head",
        &context! {
            organization => job.organization, subject_email => email,
            generated => generated, request_id => request.id.to_string(),
            sources => sources_ctx.clone(),
        },
    )?;
    zip.write_all(head.as_bytes())?;
    let mut position = 0;
    runtime.block_on(index.for_each_group(|group| {
        position += 1;
        let entry = job.templates.render_export(
            "contents_entry",
            &context! { index => position, label => group.label, items => group.items },
        )?;
        zip.write_all(entry.as_bytes())?;
        Ok(())
    }))?;
    let head_end = job.templates.render_export("head_end", &context! { sources => sources_ctx, files => has_files })?;
    zip.write_all(head_end.as_bytes())?;
    let mut buffer = vec![0u8; 256 * 1024];
    copy_file(&html_items_path, &mut zip, &mut buffer)?;
    if has_files {
        zip.write_all(job.templates.render_export("files_start", &context! {})?.as_bytes())?;
        for_each_file(&job.sources, |source, file| {
            let row = job.templates.render_export(
                "file",
                &context! {
                    // The link is a URL (a name may hold `#`, `%` or spaces); the text is the name.
                    href => percent_encoding::utf8_percent_encode(&archive_path(source, file), HREF_PATH).to_string(),
                    path => archive_path(source, file), sent => file.sent_path, renamed => file.sent_path != file.path,
                    content_type => file.content_type, size => file.size,
                },
            )?;
            zip.write_all(row.as_bytes())?;
            Ok(())
        })?;
    }
    zip.write_all(job.templates.render_export("tail", &context! { files => has_files })?.as_bytes())?;

    Ok(())
}

/// What a path in an `href` keeps as it is: RFC 3986's unreserved characters and `/`.
const HREF_PATH: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// Appends a file's bytes to `out` through `buffer`.
fn copy_file(path: &Path, out: &mut impl Write, buffer: &mut [u8]) -> std::io::Result<()> {
    copy_exactly(std::fs::File::open(path)?, out, buffer).map(drop)
}

/// Appends what `input` reads to `out` through `buffer`; returns how many bytes.
fn copy_exactly(mut input: impl Read, out: &mut impl Write, buffer: &mut [u8]) -> std::io::Result<u64> {
    let mut copied = 0;
    loop {
        let n = input.read(buffer)?;
        if n == 0 {
            return Ok(copied);
        }
        out.write_all(&buffer[..n])?;
        copied += n as u64;
    }
}

/// A file's path in the archive.
fn archive_path(source: &SourcePart, file: &SpooledFile) -> String {
    format!("files/{}/{}", source.name, file.path)
}

/// Visits every finished file of every source, in order, reading the spools' lists as it goes
/// (a source may send millions of files; the list is never held in memory).
fn for_each_file(
    sources: &[SourcePart],
    mut visit: impl FnMut(&SourcePart, &SpooledFile) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for source in sources {
        for file in read_files(&source.spool)? {
            visit(source, &file?)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_dated_with_the_export_time_in_utc() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-30T13:45:17Z").unwrap().to_utc();
        let dated = zip_time(t);
        assert_eq!(
            (dated.year(), dated.month(), dated.day(), dated.hour(), dated.minute(), dated.second()),
            (2026, 11, 30, 13, 45, 16),
            "seconds in steps of two"
        );
        let early = chrono::DateTime::parse_from_rfc3339("1970-01-01T00:00:00Z").unwrap().to_utc();
        assert_eq!(zip_time(early), zip::DateTime::default());
    }

    #[test]
    fn privacyds_groups_are_in_the_reserved_namespace() {
        for group in [ABOUT_GROUP, PROCESSING_GROUP, FILES_GROUP] {
            assert!(crate::export::rules::is_reserved_group(group), "{group}");
        }
    }
}
