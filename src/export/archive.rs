//! Builds the export archive from the sources' spools: `export.json` (WordPress's shape:
//! groups keyed by id, items keyed by id, name/value pairs), `index.html` (a readable report
//! with each source's Art. 15 processing information) and `files/<source>/...`.
//!
//! A source may send an item's fields in several messages; items with the same group and item
//! id from one source are merged, which needs grouping: they go through an SQLite file beside
//! the spools, which sorts on disk, so memory stays bounded whatever the size of the export.
//! Items of different sources are never merged (independent systems number their records
//! independently: two shops' `order-1` are two orders), so item ids in the archive are
//! `<source>/<item id>`.
//!
//! The merged items are read once: `export.json` goes into the zip as they come, and the item
//! part of `index.html` into a scratch file that is copied in after it (its head, which counts
//! each group's items, can only be rendered at the end).

use std::{
    collections::{BTreeMap, HashMap},
    io::{Read, Write},
    path::{Path, PathBuf},
    str::FromStr,
};

use futures::TryStreamExt;
use minijinja::context;
use sha2::{Digest, Sha256};
use sqlx::{
    Row,
    sqlite::{SqliteConnectOptions, SqlitePool},
};
use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use super::{
    direct::DirectWriter,
    spool::{read_files, read_items},
};
use crate::{
    domain::{PrivacyRequest, SourceDescription},
    notifications::format_time,
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
    pub description: Option<SourceDescription>,
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
    pub output: PathBuf,
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
    let (index, groups) = runtime.block_on(index_items(&job.work_dir, &job.sources))?;
    let indexed = started.elapsed();
    let result = write_zip(&job, &index, groups, &runtime);
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

/// A group's label and description as the archive shows them: of all the labels and
/// descriptions its items carry, the least and the greatest (any fixed choice would do; this
/// one does not depend on the order the sources answered in).
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupHeading {
    label: String,
    description: String,
}

impl GroupHeading {
    fn include(&mut self, label: &str, description: &str) {
        if label < self.label.as_str() {
            label.clone_into(&mut self.label);
        }
        if description > self.description.as_str() {
            description.clone_into(&mut self.description);
        }
    }
}

/// Every group that has items, in id order.
type Groups = BTreeMap<String, GroupHeading>;

/// Loads every source's items into a sortable on-disk table, and gathers the groups on the way
/// (few, against many items: a scan for them afterwards cost as much as the load).
async fn index_items(work_dir: &Path, sources: &[SourcePart]) -> anyhow::Result<(SqlitePool, Groups)> {
    // Created here, private, for SQLite to open: it would create it readable by all (and its
    // journal files follow the database file's mode).
    drop(crate::private_files::create_file(&work_dir.join("items.db"))?);
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", work_dir.join("items.db").display()))?
        .create_if_missing(true)
        .pragma("temp_store", "FILE")
        .pragma("cache_size", "-2048");
    let pool: SqlitePool = sqlx::pool::PoolOptions::new().max_connections(1).connect_with(options).await?;
    sqlx::raw_sql(
        "CREATE TABLE items (seq INTEGER PRIMARY KEY, group_id TEXT NOT NULL, group_label TEXT NOT NULL, \
         group_description TEXT NOT NULL, item_id TEXT NOT NULL, fields TEXT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    // Many rows per statement: one statement per item costs a round trip to SQLite's worker
    // thread each, which dominated building large archives.
    const ROWS: usize = 500;
    let mut tx = pool.begin().await?;
    let mut batch = Vec::with_capacity(ROWS);
    let mut groups = Groups::new();
    for source in sources {
        for item in read_items(&source.spool)? {
            let mut item = item?;
            match groups.get_mut(&item.group_id) {
                Some(heading) => heading.include(&item.group_label, &item.group_description),
                None => {
                    let heading =
                        GroupHeading { label: item.group_label.clone(), description: item.group_description.clone() };
                    groups.insert(item.group_id.clone(), heading);
                }
            }
            item.item_id = format!("{}/{}", source.name, item.item_id);
            batch.push(item);
            if batch.len() == ROWS {
                insert_items(&mut tx, &mut batch).await?;
            }
        }
    }
    insert_items(&mut tx, &mut batch).await?;
    tx.commit().await?;
    sqlx::raw_sql("CREATE INDEX items_order ON items (group_id, item_id, seq)").execute(&pool).await?;
    Ok((pool, groups))
}

async fn insert_items(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    batch: &mut Vec<super::spool::SpooledItem>,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let rows = vec!["(?, ?, ?, ?, ?)"; batch.len()].join(", ");
    let sql = format!("INSERT INTO items (group_id, group_label, group_description, item_id, fields) VALUES {rows}");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for item in batch.drain(..) {
        query = query
            .bind(item.group_id)
            .bind(item.group_label)
            .bind(item.group_description)
            .bind(item.item_id)
            .bind(serde_json::to_string(&item.fields)?);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Name/value pairs of an item.
type Fields = Vec<(String, String)>;

/// Visits merged items in (group, item) order: `visit(group_id, item_id, fields)`.
async fn for_each_item(
    pool: &SqlitePool,
    mut visit: impl FnMut(&str, &str, Fields) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut rows =
        sqlx::query("SELECT group_id, item_id, fields FROM items ORDER BY group_id, item_id, seq").fetch(pool);
    let mut current: Option<(String, String, Fields)> = None;
    while let Some(row) = rows.try_next().await? {
        let group_id: String = row.get("group_id");
        let item_id: String = row.get("item_id");
        let fields: Fields = serde_json::from_str(row.get::<&str, _>("fields"))?;
        match &mut current {
            Some((g, i, acc)) if *g == group_id && *i == item_id => acc.extend(fields),
            _ => {
                if let Some((g, i, acc)) = current.take() {
                    visit(&g, &i, acc)?;
                }
                current = Some((group_id, item_id, fields));
            }
        }
    }
    if let Some((g, i, acc)) = current {
        visit(&g, &i, acc)?;
    }
    Ok(())
}

/// The processing information group, as export.json carries it (WordPress's shape has no
/// place for it, so it is a group of its own).
const PROCESSING_GROUP: &str = "privacy-processing-information";

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

fn write_zip(
    job: &ArchiveJob<'_>,
    index: &SqlitePool,
    groups: Groups,
    runtime: &tokio::runtime::Handle,
) -> anyhow::Result<Built> {
    let out = Hashing { inner: DirectWriter::create(&job.output)?, hasher: Sha256::new(), size: 0 };
    // A streaming writer (sizes in data descriptors, never seeking back) so every byte is
    // hashed once, in order, as it is written.
    let mut zip = ZipWriter::new_stream(out);
    let started = std::time::Instant::now();
    let method = match job.compression {
        Compression::Stored => CompressionMethod::Stored,
        Compression::Deflate => CompressionMethod::Deflated,
    };
    let options = SimpleFileOptions::default().compression_method(method).large_file(false);
    let request = job.request;
    let generated = format_time(crate::domain::now());
    // Groups by position (1-based in index.html), with the merged items counted as they pass.
    let groups: Vec<(String, GroupHeading)> = groups.into_iter().collect();
    let positions: HashMap<&str, usize> = groups.iter().enumerate().map(|(i, g)| (g.0.as_str(), i)).collect();
    let mut item_counts = vec![0i64; groups.len()];

    // export.json, written as it is read.
    zip.start_file("export.json", options)?;
    let mut about = serde_json::Map::new();
    about.insert("Report generated for".into(), request.subject.email.as_str().into());
    about.insert("For organization".into(), job.organization.into());
    about.insert("Generated".into(), generated.clone().into());
    about.insert("Request".into(), request.id.to_string().into());
    let about = serde_json::json!({
        "group_label": "About",
        "group_description": "Overview of export report.",
        "items": { "about-1": about },
    });
    write!(zip, "{{\n\"about\": {about}")?;
    let mut processing = serde_json::Map::new();
    for source in &job.sources {
        for c in source.description.iter().flat_map(|d| &d.categories) {
            processing.insert(
                format!("{}-{}", source.name, c.group_id),
                serde_json::json!({
                    "Source": source.name,
                    "Data": c.label,
                    "Purposes": c.purposes.join("; "),
                    "Legal basis": c.legal_basis.describe(),
                    "Recipients": c.recipients.join("; "),
                    "Kept for": c.retention_period,
                    "Origin": c.origin,
                }),
            );
        }
    }
    let processing = serde_json::json!({
        "group_label": "How your data is processed",
        "group_description": "What each source declared under GDPR Art. 15(1).",
        "items": processing,
    });
    write!(zip, ",\n{}: {processing}", serde_json::to_string(PROCESSING_GROUP)?)?;
    // The items of index.html, in the same pass, into scratch space.
    let html_items_path = job.work_dir.join("index-items.html");
    let mut html_items = std::io::BufWriter::new(crate::private_files::create_file(&html_items_path)?);
    let group_end = job.templates.render_export("group_end", &context! {})?;
    let mut open_group: Option<usize> = None;
    runtime.block_on(for_each_item(index, |group_id, item_id, fields| {
        let position =
            *positions.get(group_id).ok_or_else(|| anyhow::anyhow!("an item of a group that was not indexed"))?;
        if open_group != Some(position) {
            if open_group.is_some() {
                write!(zip, "\n}}}}")?;
                html_items.write_all(group_end.as_bytes())?;
            }
            let heading = &groups[position].1;
            write!(
                zip,
                ",\n{}: {{\"group_label\": {}, \"group_description\": {}, \"items\": {{",
                serde_json::to_string(group_id)?,
                serde_json::to_string(&heading.label)?,
                serde_json::to_string(&heading.description)?
            )?;
            let fragment = job.templates.render_export(
                "group",
                &context! { index => position + 1, label => heading.label, description => heading.description },
            )?;
            html_items.write_all(fragment.as_bytes())?;
            open_group = Some(position);
        } else {
            write!(zip, ",")?;
        }
        item_counts[position] += 1;
        html_items.write_all(job.templates.render_export("item", &context! { fields => fields })?.as_bytes())?;
        write!(zip, "\n{}: {}", serde_json::to_string(item_id)?, serde_json::Value::Object(named_fields(fields)))?;
        Ok(())
    }))?;
    if open_group.is_some() {
        write!(zip, "\n}}}}")?;
        html_items.write_all(group_end.as_bytes())?;
    }
    write!(zip, "\n}}\n")?;
    html_items.flush()?;
    drop(html_items);

    let json_done = std::time::Instant::now();

    // index.html: the head (which counts the items), the items, the tail.
    let files = collect_files(&job.sources)?;
    zip.start_file("index.html", options)?;
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
    let groups_ctx: Vec<minijinja::Value> = groups
        .iter()
        .zip(&item_counts)
        .map(|((_, heading), items)| context! { label => heading.label, items => items })
        .collect();
    let files_ctx: Vec<minijinja::Value> = files
        .iter()
        .map(|(_, archive_path, f)| {
            // The link is a URL (a name may hold `#`, `%` or spaces); the text is the name.
            let href = percent_encoding::utf8_percent_encode(archive_path, HREF_PATH).to_string();
            context! {
                href => href, path => archive_path, sent => f.sent_path, renamed => f.sent_path != f.path,
                content_type => f.content_type, size => f.size,
            }
        })
        .collect();
    let head = job.templates.render_export(
        "head",
        &context! {
            organization => job.organization, subject_email => request.subject.email.as_str(),
            generated => generated, request_id => request.id.to_string(),
            sources => sources_ctx, groups => groups_ctx, files => !files_ctx.is_empty(),
        },
    )?;
    zip.write_all(head.as_bytes())?;
    let mut buffer = vec![0u8; 256 * 1024];
    copy_file(&html_items_path, &mut zip, &mut buffer)?;
    zip.write_all(job.templates.render_export("tail", &context! { files => files_ctx })?.as_bytes())?;

    let html_done = std::time::Instant::now();

    // files/<source>/<path>, streamed from the spools.
    for (disk_path, archive_path, meta) in &files {
        let options = options.large_file(meta.size >= u32::MAX as u64);
        zip.start_file(archive_path.as_str(), options)?;
        copy_file(disk_path, &mut zip, &mut buffer)?;
    }
    let out = zip.finish()?.into_inner();
    let files_done = std::time::Instant::now();
    out.inner.finish()?;
    tracing::debug!(
        json_ms = json_done.duration_since(started).as_millis() as u64,
        html_ms = html_done.duration_since(json_done).as_millis() as u64,
        files_ms = files_done.duration_since(html_done).as_millis() as u64,
        fsync_ms = files_done.elapsed().as_millis() as u64,
        "archive written"
    );
    Ok(Built { size_bytes: out.size as i64, sha256: hex::encode(out.hasher.finalize()) })
}

/// What a path in an `href` keeps as it is: RFC 3986's unreserved characters and `/`.
const HREF_PATH: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// Appends a file's bytes to `out` through `buffer`.
fn copy_file(path: &Path, out: &mut impl Write, buffer: &mut [u8]) -> std::io::Result<()> {
    let mut input = std::fs::File::open(path)?;
    loop {
        let n = input.read(buffer)?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buffer[..n])?;
    }
}

/// Field names as WordPress keys them; a repeated name gets " (2)", " (3)", ... so nothing
/// is lost in a merged item.
fn named_fields(fields: Fields) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (name, value) in fields {
        let mut key = name.clone();
        let mut n = 2;
        while out.contains_key(&key) {
            key = format!("{name} ({n})");
            n += 1;
        }
        out.insert(key, value.into());
    }
    out
}

/// (path on disk, path in the archive, metadata) of every finished file.
fn collect_files(sources: &[SourcePart]) -> anyhow::Result<Vec<(PathBuf, String, super::spool::SpooledFile)>> {
    let mut files = Vec::new();
    for source in sources {
        for file in read_files(&source.spool)? {
            let file = file?;
            files.push((
                source.spool.join("files").join(&file.path),
                format!("files/{}/{}", source.name, file.path),
                file,
            ));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_headed_by_its_least_label_and_greatest_description_whatever_the_order() {
        let seen = [("Orders", ""), ("Bestellungen", "Was Sie kauften"), ("Orders", "What you bought")];
        let heading = |order: &[usize]| {
            let (label, description) = seen[order[0]];
            let mut heading = GroupHeading { label: label.into(), description: description.into() };
            for &i in &order[1..] {
                heading.include(seen[i].0, seen[i].1);
            }
            heading
        };
        let expected = GroupHeading { label: "Bestellungen".into(), description: "What you bought".into() };
        assert_eq!(heading(&[0, 1, 2]), expected);
        assert_eq!(heading(&[2, 1, 0]), expected);
        assert_eq!(heading(&[1, 0, 2]), expected);
    }
}
