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

use std::{
    collections::HashMap,
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

use super::spool::{read_files, read_items};
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
    std::fs::create_dir_all(&job.work_dir)?;
    let started = std::time::Instant::now();
    let index = runtime.block_on(index_items(&job.work_dir, &job.sources))?;
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

/// Loads every source's items into a sortable on-disk table.
async fn index_items(work_dir: &Path, sources: &[SourcePart]) -> anyhow::Result<SqlitePool> {
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
    for source in sources {
        for item in read_items(&source.spool)? {
            let mut item = item?;
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
    Ok(pool)
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

/// Groups in id order, with label, description and item count.
async fn groups(pool: &SqlitePool) -> anyhow::Result<Vec<(String, String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT group_id, MIN(group_label) AS label, MAX(group_description) AS description, \
         COUNT(DISTINCT item_id) AS items FROM items GROUP BY group_id ORDER BY group_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(|r| (r.get("group_id"), r.get("label"), r.get("description"), r.get("items"))).collect())
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

fn write_zip(job: &ArchiveJob<'_>, index: &SqlitePool, runtime: &tokio::runtime::Handle) -> anyhow::Result<Built> {
    let file = std::fs::File::create(&job.output)?;
    let out = Hashing { inner: std::io::BufWriter::with_capacity(1 << 20, file), hasher: Sha256::new(), size: 0 };
    // A streaming writer (sizes in data descriptors, never seeking back) so every byte is
    // hashed once, in order, as it is written.
    let mut zip = ZipWriter::new_stream(out);
    let started = std::time::Instant::now();
    let method = match job.compression {
        Compression::Stored => CompressionMethod::Stored,
        Compression::Deflate => CompressionMethod::Deflated,
    };
    let options = SimpleFileOptions::default().compression_method(method).large_file(false);
    let groups = runtime.block_on(groups(index))?;
    let request = job.request;
    let generated = format_time(crate::domain::now());

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
    let labels: HashMap<&str, (&str, &str)> = groups
        .iter()
        .map(|(id, label, description, _)| (id.as_str(), (label.as_str(), description.as_str())))
        .collect();
    let mut open_group: Option<String> = None;
    runtime.block_on(for_each_item(index, |group_id, item_id, fields| {
        if open_group.as_deref() != Some(group_id) {
            if open_group.is_some() {
                write!(zip, "\n}}}}")?;
            }
            let (label, description) = labels.get(group_id).copied().unwrap_or((group_id, ""));
            write!(
                zip,
                ",\n{}: {{\"group_label\": {}, \"group_description\": {}, \"items\": {{",
                serde_json::to_string(group_id)?,
                serde_json::to_string(label)?,
                serde_json::to_string(description)?
            )?;
            open_group = Some(group_id.to_owned());
        } else {
            write!(zip, ",")?;
        }
        write!(zip, "\n{}: {}", serde_json::to_string(item_id)?, serde_json::Value::Object(named_fields(fields)))?;
        Ok(())
    }))?;
    if open_group.is_some() {
        write!(zip, "\n}}}}")?;
    }
    write!(zip, "\n}}\n")?;

    let json_done = std::time::Instant::now();

    // index.html, fragment by fragment.
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
    let groups_ctx: Vec<minijinja::Value> =
        groups.iter().map(|(_, label, _, items)| context! { label => label, items => items }).collect();
    let files_ctx: Vec<minijinja::Value> = files
        .iter()
        .map(|(_, archive_path, f)| context! { href => archive_path, content_type => f.content_type, size => f.size })
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
    let positions: HashMap<&str, usize> = groups.iter().enumerate().map(|(i, g)| (g.0.as_str(), i + 1)).collect();
    let mut open_group: Option<String> = None;
    runtime.block_on(for_each_item(index, |group_id, _item_id, fields| {
        if open_group.as_deref() != Some(group_id) {
            if open_group.is_some() {
                zip.write_all(job.templates.render_export("group_end", &context! {})?.as_bytes())?;
            }
            let (label, description) = labels.get(group_id).copied().unwrap_or((group_id, ""));
            let fragment = job.templates.render_export(
                "group",
                &context! { index => positions.get(group_id), label => label, description => description },
            )?;
            zip.write_all(fragment.as_bytes())?;
            open_group = Some(group_id.to_owned());
        }
        zip.write_all(job.templates.render_export("item", &context! { fields => fields })?.as_bytes())?;
        Ok(())
    }))?;
    if open_group.is_some() {
        zip.write_all(job.templates.render_export("group_end", &context! {})?.as_bytes())?;
    }
    zip.write_all(job.templates.render_export("tail", &context! { files => files_ctx })?.as_bytes())?;

    let html_done = std::time::Instant::now();

    // files/<source>/<path>, streamed from the spools.
    let mut buffer = vec![0u8; 256 * 1024];
    for (disk_path, archive_path, meta) in &files {
        let options = options.large_file(meta.size >= u32::MAX as u64);
        zip.start_file(archive_path.as_str(), options)?;
        let mut input = std::fs::File::open(disk_path)?;
        loop {
            let n = input.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            zip.write_all(&buffer[..n])?;
        }
    }
    let mut out = zip.finish()?.into_inner();
    out.flush()?;
    let files_done = std::time::Instant::now();
    out.inner.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    tracing::debug!(
        json_ms = json_done.duration_since(started).as_millis() as u64,
        html_ms = html_done.duration_since(json_done).as_millis() as u64,
        files_ms = files_done.duration_since(html_done).as_millis() as u64,
        fsync_ms = files_done.elapsed().as_millis() as u64,
        "archive written"
    );
    Ok(Built { size_bytes: out.size as i64, sha256: hex::encode(out.hasher.finalize()) })
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
