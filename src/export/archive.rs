//! Builds the export archive from the sources' spools: `export.json` (WordPress's shape, see
//! [`super::export_json`]), `index.html` (a readable report with each source's Art. 15
//! processing information) and `files/<source>/...`.
//!
//! The archive is the sources' segments (their files, already zip entries, never written
//! again) followed by a tail that this module writes: `export.json`'s entry in one file, and
//! `index.html`'s with the central directory in another, so that both documents are written
//! in one pass over the items, each where it stays. The items are read from an on-disk index
//! ([`super::item_index`]) once, a spooled message at a time; the index also counts each
//! group's items, so `index.html`'s head (its contents) is written before them. The groups and
//! the files are read from the index and the spools as often as they are needed, never
//! gathered in memory, so memory is bounded by the largest message a source may send, whatever
//! the shape or size of the export. The SHA-256 is computed beside the writing, by a thread
//! that reads the segments and then follows the tail's files as they grow
//! ([`super::following`]).
//!
//! Every entry is dated with the time the archive was built, in UTC (zip's MS-DOS dates have
//! no time zone), not 1980-01-01 (issue 9, item 28).

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context;

use chrono::{Datelike, Timelike};
use minijinja::context;
use sha2::{Digest, Sha256};

use super::{
    export_json::ExportJson,
    following,
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
    write_behind::WriteBehind,
};

/// How archive entries are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    /// No compression: fastest, and right for data that is already compressed.
    Stored,
    /// Deflate, which every operating system's zip tool opens.
    Deflate,
}

impl Compression {
    /// How entries are stored in the zip.
    pub fn method(self) -> Method {
        match self {
            Compression::Stored => Method::Stored,
            Compression::Deflate => Method::Deflated,
        }
    }
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
    /// This attempt's build of the archive, stored under a key of its own
    /// ([`crate::domain::ExportArchive::build`]).
    pub build: crate::domain::ArchiveBuild,
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
///
/// Two threads, since the two halves of the work need each other only at the end: one reads
/// the sources' segments through the SHA-256 (and, on S3, into the upload), then the tail's
/// files as they grow; this one indexes the items and writes the tail (`export.json`,
/// `index.html`, the central directory) into scratch space, at the offset the segments' sizes
/// give. At 1 GiB each half took about 0.6 s one after the other (issue 14, §5).
pub fn build(job: ArchiveJob<'_>) -> anyhow::Result<Built> {
    let runtime = tokio::runtime::Handle::current();
    crate::private_files::create_dir(&job.work_dir)?;
    let result = write_zip(&job, &runtime);
    let _ = std::fs::remove_dir_all(&job.work_dir);
    result
}

/// privacyd's group of each source's processing information (GDPR Art. 15(1)), as
/// export.json carries it: WordPress has no place for it, so it is a group of its own, in the
/// namespace sources may not use ([`super::rules::is_reserved_group`]).
pub const PROCESSING_GROUP: &str = "privacyd-processing-information";

/// privacyd's group that lists the archive's files, one item per file keyed by its path in
/// the archive (WordPress's archive holds no files).
pub const FILES_GROUP: &str = "privacyd-files";

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

fn write_zip(job: &ArchiveJob<'_>, runtime: &tokio::runtime::Handle) -> anyhow::Result<Built> {
    let started = std::time::Instant::now();
    let mut composer = job.store.compose_archive(runtime, job.request.id, job.build).context("starting the archive")?;
    let sizes = job
        .sources
        .iter()
        .map(|s| composer.segment_size(&s.source).with_context(|| format!("reading the spool of {}", s.name)))
        .collect::<anyhow::Result<Vec<u64>>>()?;
    // Where each source's segment starts: the base of its entries' offsets.
    let bases: Vec<u64> = sizes.iter().scan(0, |start, size| Some(std::mem::replace(start, *start + size))).collect();
    let offset: u64 = sizes.iter().sum();
    let tail = Tail::new(&job.work_dir);
    let span = tracing::Span::current();
    let (hashed, written) = std::thread::scope(|scope| {
        // The segments, as the store keeps them (their bytes are not written again), hashed in
        // the one read pass that also checks they are there whole; then the tail's parts, as
        // they are written.
        let hashing = std::thread::Builder::new()
            .name("archive-hash".into())
            .spawn_scoped(scope, || {
                let _span = span.enter();
                let mut hasher = Sha256::new();
                for (source, &expected) in job.sources.iter().zip(&sizes) {
                    // A tail that failed fails the archive: the other segments are not read.
                    anyhow::ensure!(!tail.progress.iter().any(|p| p.failed()), "the archive's tail failed");
                    let appended = composer.append_segment(&source.source, |bytes| hasher.update(bytes));
                    let size = appended.with_context(|| format!("reading the spool of {}", source.name))?;
                    anyhow::ensure!(size == expected, "the spool of {} is {size} bytes, not {expected}", source.name);
                }
                let segments_hashed = started.elapsed();
                let mut hashed = [0u64; 2];
                for ((path, progress), size) in tail.paths.iter().zip(&tail.progress).zip(&mut hashed) {
                    *size =
                        progress.follow(path, |bytes| hasher.update(bytes)).context("hashing the archive's tail")?;
                }
                Ok::<_, anyhow::Error>((hasher, hashed, segments_hashed))
            })
            .context("starting the archive's hashing thread")?;
        let written = {
            let _failing = tail.progress.clone().map(following::Failing);
            write_tail(job, runtime, &tail, offset, &bases)
        };
        let tail_written = started.elapsed();
        let hashed = hashing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        anyhow::Ok((hashed, written.map(|sizes| (sizes, tail_written))))
    })?;
    let (tail_sizes, tail_written) = written?;
    let (hasher, hashed_sizes, segments_hashed) = hashed?;
    anyhow::ensure!(
        hashed_sizes == tail_sizes,
        "the archive's tail is {tail_sizes:?} bytes, but {hashed_sizes:?} were hashed"
    );
    let hashed_at = started.elapsed();
    let appended = composer.append_tail(&tail.paths).context("completing the archive")?;
    anyhow::ensure!(
        appended == tail_sizes.iter().sum::<u64>(),
        "the archive's tail is {appended} bytes, not {tail_sizes:?}"
    );
    composer.finish().context("completing the archive")?;
    tracing::debug!(
        request_id = %job.request.id,
        segments_ms = segments_hashed.as_millis() as u64,
        tail_ms = tail_written.as_millis() as u64,
        hashed_ms = hashed_at.as_millis() as u64,
        finish_ms = (started.elapsed() - hashed_at).as_millis() as u64,
        size_bytes = offset + appended,
        "archive written"
    );
    Ok(Built { size_bytes: (offset + appended) as i64, sha256: hex::encode(hasher.finalize()) })
}

/// The archive's tail, after the segments: two files in scratch space, `export.json`'s entry,
/// then `index.html`'s with the central directory after it. Two, so that the one pass over the
/// items writes each document where it stays (index.html's items went into a scratch file and
/// were copied in after export.json before: 100 MB written twice and read once more for
/// 100,000 items).
struct Tail {
    paths: [PathBuf; 2],
    /// How far each is written, for the hashing thread.
    progress: [std::sync::Arc<following::Progress>; 2],
}

impl Tail {
    fn new(work_dir: &Path) -> Self {
        Tail {
            paths: [work_dir.join("tail-0.zip"), work_dir.join("tail-1.zip")],
            progress: [following::Progress::new(), following::Progress::new()],
        }
    }

    /// Creates part `i`, its progress published; written behind when it will be fsynced in
    /// the file store (`durable`).
    fn create(
        &self,
        i: usize,
        durable: bool,
    ) -> std::io::Result<std::io::BufWriter<following::Published<WriteBehind>>> {
        let file = WriteBehind::new(crate::private_files::create_file(&self.paths[i])?, durable);
        Ok(std::io::BufWriter::with_capacity(256 << 10, following::Published::new(file, self.progress[i].clone())))
    }
}

/// Writes the archive's tail, which starts at `offset`: the reports' entries and the central
/// directory, for the segments starting at `bases`. Returns the parts' sizes.
fn write_tail(
    job: &ArchiveJob<'_>,
    runtime: &tokio::runtime::Handle,
    tail: &Tail,
    offset: u64,
    bases: &[u64],
) -> anyhow::Result<[u64; 2]> {
    let index = runtime.block_on(ItemIndex::load(&job.work_dir, &job.sources))?;
    let written = (|| {
        let method = job.compression.method();
        let now = crate::domain::now();
        let modified = zip_time(now).into();
        let durable = job.store.is_local();
        let mut json = EntryWriter::new(tail.create(0, durable)?, offset, method, modified, Limits::ZIP);
        // Its offsets are from the part's start until export.json's size is known.
        let mut html = EntryWriter::new(tail.create(1, durable)?, 0, method, modified, Limits::ZIP);
        write_documents(job, &index, runtime, now, &mut json, &mut html)?;
        let (out, html_base, json_entries) = json.finish()?;
        out.into_inner().map_err(|e| e.into_error())?.complete()?;
        let (out, html_size, html_entries) = html.finish()?;
        let mut directory = CentralDirectory::new(out, html_base + html_size, Limits::ZIP);
        for (source, base) in job.sources.iter().zip(bases) {
            for file in read_files(&source.spool)? {
                let file = file?;
                directory.add(&archive_path(source, &file), &file.entry, base + file.entry.offset)?;
            }
        }
        for (name, entry) in &json_entries {
            directory.add(name, entry, entry.offset)?;
        }
        for (name, entry) in &html_entries {
            directory.add(name, entry, html_base + entry.offset)?;
        }
        // The archive's size: the tail's end.
        let (out, size) = directory.finish()?;
        out.into_inner().map_err(|e| e.into_error())?.complete()?;
        anyhow::Ok([html_base - offset, size - html_base])
    })();
    runtime.block_on(index.close());
    written
}

/// Writes the archive's reports, `export.json` into `json` and `index.html` into `html`, each
/// started with [`EntryWriter::start_file`] and written through its `Write`, in one pass over
/// the items. What is in them is this function's alone; where they go in the archive is
/// [`write_zip`]'s.
fn write_documents<J: Write, H: Write>(
    job: &ArchiveJob<'_>,
    index: &ItemIndex,
    runtime: &tokio::runtime::Handle,
    now: Timestamp,
    json_zip: &mut EntryWriter<J>,
    html_zip: &mut EntryWriter<H>,
) -> anyhow::Result<()> {
    let request = job.request;
    let email = request.subject.known()?.email.as_str();
    let generated = format_time(now);

    // export.json: privacyd's About and processing groups, the sources' groups as the index
    // gives them, and the files.
    // Both are written a few bytes a call: through a buffer, their entries' CRC-32 (and
    // deflate) take them 64 KiB at a time.
    json_zip.start_file("export.json")?;
    let mut json = ExportJson::begin(std::io::BufWriter::with_capacity(64 << 10, &mut *json_zip), email)?;
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

    // index.html's head, which counts each group's items (the index knows them already).
    let mut has_files = false;
    for source in &job.sources {
        if let Some(file) = read_files(&source.spool)?.next() {
            file?;
            has_files = true;
            break;
        }
    }
    html_zip.start_file("index.html")?;
    let mut html = std::io::BufWriter::with_capacity(64 << 10, &mut *html_zip);
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
    html.write_all(head.as_bytes())?;
    let mut position = 0;
    runtime.block_on(index.for_each_group(|group| {
        position += 1;
        let entry = job.templates.render_export(
            "contents_entry",
            &context! { index => position, label => group.label, items => group.items },
        )?;
        html.write_all(entry.as_bytes())?;
        Ok(())
    }))?;
    let head_end = job.templates.render_export("head_end", &context! { sources => sources_ctx, files => has_files })?;
    html.write_all(head_end.as_bytes())?;

    // The items, into both.
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
                html.write_all(item_end.as_bytes())?;
            }
            if position > 0 {
                html.write_all(group_end.as_bytes())?;
            }
            position += 1;
            json.group(&heading.group_id, &heading.label, &heading.description)?;
            let fragment = job.templates.render_export(
                "group",
                &context! { index => position, label => heading.label, description => heading.description },
            )?;
            html.write_all(fragment.as_bytes())?;
        }
        if row.new_item {
            if item_open {
                html.write_all(item_end.as_bytes())?;
            }
            json.item(row.item_id)?;
            html.write_all(item_start.as_bytes())?;
            item_open = true;
        }
        json.fields(row.fields.iter().map(|(name, value)| (name, value)))?;
        if default_fields {
            super::fields_html::write(&mut html, row.fields.iter().map(|(n, v)| (n.as_str(), v.as_str())))?;
        } else {
            html.write_all(fields_fragment.render(context! { fields => row.fields })?.as_bytes())?;
        }
        Ok(())
    }))?;
    if item_open {
        html.write_all(item_end.as_bytes())?;
    }
    if position > 0 {
        html.write_all(group_end.as_bytes())?;
    }

    // The files, into both.
    if has_files {
        json.group(FILES_GROUP, "Files", "The files in this archive, and the items they belong to.")?;
        html.write_all(job.templates.render_export("files_start", &context! {})?.as_bytes())?;
    }
    for_each_file(&job.sources, |source, file| {
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
        let row = job.templates.render_export(
            "file",
            &context! {
                // The link is a URL (a name may hold `#`, `%` or spaces); the text is the name.
                href => percent_encoding::utf8_percent_encode(&archive_path, HREF_PATH).to_string(),
                path => archive_path, sent => file.sent_path, renamed => file.sent_path != file.path,
                content_type => file.content_type, size => file.size,
            },
        )?;
        html.write_all(row.as_bytes())?;
        Ok(())
    })?;
    json.finish()?.flush()?;
    html.write_all(job.templates.render_export("tail", &context! { files => has_files })?.as_bytes())?;
    html.flush()?;
    Ok(())
}

/// What a path in an `href` keeps as it is: RFC 3986's unreserved characters and `/`.
const HREF_PATH: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

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

    /// Builds `request`'s archive from the spool lists in `lists` (one source, `shop`), with a
    /// deadline: a build whose threads waited for each other would fail the test, not hang it.
    async fn build_within(
        store: &Objects,
        request: &PrivacyRequest,
        lists: &Path,
        work_dir: &Path,
        build_id: crate::domain::ArchiveBuild,
    ) -> anyhow::Result<Built> {
        let (store, request, lists, work_dir) = (store.clone(), request.clone(), lists.to_owned(), work_dir.to_owned());
        // A thread of its own, not tokio's blocking pool: a build that hangs must fail the
        // test, and the runtime would wait for a blocking task at its end.
        let (done, building) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Handle::current();
        std::thread::spawn(move || {
            let _runtime = runtime.enter();
            let templates = Templates::load(None).unwrap();
            let _ = done.send(build(ArchiveJob {
                request: &request,
                organization: "Example Org",
                templates: &templates,
                sources: vec![SourcePart {
                    name: "shop".into(),
                    source: SourceName::parse("shop").unwrap(),
                    description: None,
                    spool: lists,
                }],
                work_dir,
                build: build_id,
                store: &store,
                compression: Compression::Stored,
            }));
        });
        tokio::time::timeout(std::time::Duration::from_secs(30), building).await.expect("the build hung").unwrap()
    }

    /// The two threads of a build (the segments' hash, the tail's writer): a good build opens as
    /// a zip with its recorded size and SHA-256; a tail that fails (an item list that is not
    /// JSON), or a segment that is gone, fails the build with what was wrong, and neither
    /// thread is left waiting for the other.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_build_fails_whole_when_either_half_fails_and_never_hangs() {
        use crate::{
            domain::{Actor, Subject, SubjectEmail},
            export::{
                rules::tests::{chunk, item},
                spool::Spool,
            },
            objects::StoreLocation,
        };
        use std::io::Read;
        let root = tempfile::tempdir().unwrap();
        let store = Objects::open(&StoreLocation::File(root.path().join("exports")), &[]).unwrap();
        let subject = Subject { email: SubjectEmail::parse("jane@example.com").unwrap(), user_id: None };
        let now = crate::domain::now();
        let (mut request, _) = PrivacyRequest::new(subject, crate::domain::Action::Export, false, Actor::Subject, now);
        let shop = SourceName::parse("shop").unwrap();
        request.start_processing(Actor::Subject, vec![(shop.clone(), None)], now).unwrap();
        let spool_dir = root.path().join("spool");
        let mut spool = Spool::create(&spool_dir, "shop", Method::Stored, zip_time(now).into()).unwrap();
        spool.add(item("orders", "order-1")).unwrap();
        spool.add(chunk("receipt.txt", b"a receipt", 0, true)).unwrap();
        spool.finish().unwrap();
        let lists = root.path().join("lists");
        std::fs::create_dir(&lists).unwrap();
        for name in ["items.jsonl", crate::export::stretches::INDEX, "files.jsonl"] {
            std::fs::copy(spool_dir.join(name), lists.join(name)).unwrap();
        }
        store.put_spool(request.id, &shop, &spool_dir).await.unwrap();

        let first = crate::domain::ArchiveBuild::new();
        let built = build_within(&store, &request, &lists, &root.path().join("work-1"), first).await.unwrap();
        let bytes = store.read_archive_bytes(request.id, Some(first), built.size_bytes as u64).await;
        assert_eq!(hex::encode(Sha256::digest(&bytes)), built.sha256);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        names.sort();
        assert_eq!(names, ["export.json", "files/shop/receipt.txt", "index.html"]);
        let mut receipt = String::new();
        zip.by_name("files/shop/receipt.txt").unwrap().read_to_string(&mut receipt).unwrap();
        assert_eq!(receipt, "a receipt");
        let mut json = String::new();
        zip.by_name("export.json").unwrap().read_to_string(&mut json).unwrap();
        assert!(json.contains("\"shop/order-1\""), "the item is in export.json: {json}");
        let mut html = String::new();
        zip.by_name("index.html").unwrap().read_to_string(&mut html).unwrap();
        assert!(html.contains("orders") && html.contains("receipt.txt"), "the group and the file are in the report");

        // The tail fails: the segments are not all read for nothing, and no thread waits.
        let good = std::fs::read(lists.join("items.jsonl")).unwrap();
        std::fs::write(lists.join("items.jsonl"), b"not json\n").unwrap();
        let failed =
            build_within(&store, &request, &lists, &root.path().join("work-2"), crate::domain::ArchiveBuild::new())
                .await;
        assert!(failed.is_err(), "a tail that failed must fail the build");
        std::fs::write(lists.join("items.jsonl"), good).unwrap();

        // The segment is gone.
        store.delete_request(request.id, "sources").await.unwrap();
        let failed =
            build_within(&store, &request, &lists, &root.path().join("work-3"), crate::domain::ArchiveBuild::new())
                .await;
        let message = format!("{:#}", failed.err().expect("a missing segment must fail the build"));
        assert!(message.contains("spool of shop"), "{message}");
    }

    #[test]
    fn privacyds_groups_are_in_the_reserved_namespace() {
        for group in [ABOUT_GROUP, PROCESSING_GROUP, FILES_GROUP] {
            assert!(crate::export::rules::is_reserved_group(group), "{group}");
        }
    }
}
