//! Export: the subject's rows, page by page (keyset pagination on each category's key), turned
//! into items and files and sent down a bounded channel, so memory stays constant whatever
//! the number of rows: at most one page of rows and one file chunk are held at a time.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::{AnyPool, Row, any::AnyRow};
use tokio::{io::AsyncReadExt, sync::mpsc};
use tonic::Status;

use super::{
    dataset::{Category, Eav, FileKind, Format, Ident, Omit, Template, TemplatePart, ValueSource},
    decode::{Php, PhpKey, php_unserialize},
    query::{self, Dialect, KeyKind, PageSpec, SubjectArgs},
};
use crate::proto::privacy::datasource::v1 as pb;

/// Rows per page: small enough that a page of wide rows stays in a few MiB.
pub const PAGE_SIZE: i64 = 500;
/// File chunk size (the protocol asks for 64 KiB to 1 MiB).
pub const FILE_CHUNK: usize = 64 * 1024;

/// What one category's page query reads, and where each value lands in the row.
pub struct Plan {
    pub columns: Vec<Ident>,
    pub eav: Vec<(Eav, String)>,
}

impl Plan {
    pub fn of(category: &Category) -> Plan {
        let mut columns: Vec<Ident> = Vec::new();
        let mut add = |c: &Ident| {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        };
        category.item_id.columns().for_each(&mut add);
        if let Some(e) = &category.explode {
            add(&e.column);
        }
        let mut eav = Vec::new();
        let mut source = |s: &ValueSource, add: &mut dyn FnMut(&Ident)| match s {
            ValueSource::Column(c) => add(c),
            ValueSource::Template(t) => t.columns().for_each(add),
            ValueSource::Eav { eav: e, attribute } => {
                let pair = (e.clone(), attribute.clone());
                if !eav.iter().any(|(x, a): &(Eav, String)| x.table == pair.0.table && *a == pair.1) {
                    eav.push(pair);
                }
            }
            ValueSource::Entry(_) => {}
        };
        for f in &category.fields {
            source(&f.source, &mut add);
        }
        for f in &category.files {
            // Bytes are read one file at a time, not with the page.
            if f.kind == FileKind::Path {
                source(&f.source, &mut add);
            }
            f.name.columns().for_each(&mut add);
            if let super::dataset::ContentType::Column(c) = &f.content_type {
                add(c);
            }
        }
        Plan { columns, eav }
    }

    fn spec(&self) -> PageSpec<'_> {
        PageSpec { columns: &self.columns, eav: &self.eav, page_size: PAGE_SIZE }
    }
}

/// One row's values, by column and by EAV attribute.
pub struct RowValues {
    pub key: String,
    columns: HashMap<Ident, Option<String>>,
    eav: Vec<((Ident, String), Option<String>)>,
}

impl RowValues {
    fn read(plan: &Plan, row: &AnyRow) -> Result<RowValues, sqlx::Error> {
        let key: Option<String> = row.try_get(0)?;
        let mut columns = HashMap::new();
        for (i, c) in plan.columns.iter().enumerate() {
            columns.insert(c.clone(), row.try_get::<Option<String>, _>(i + 1)?);
        }
        let mut eav = Vec::new();
        for (i, (e, a)) in plan.eav.iter().enumerate() {
            eav.push(((e.table.clone(), a.clone()), row.try_get::<Option<String>, _>(plan.columns.len() + 1 + i)?));
        }
        Ok(RowValues { key: key.unwrap_or_default(), columns, eav })
    }

    pub fn column(&self, c: &Ident) -> Option<&str> {
        self.columns.get(c).and_then(|v| v.as_deref())
    }

    fn value(&self, source: &ValueSource, entry: Option<(&PhpKey, &Php)>) -> Option<String> {
        match source {
            ValueSource::Column(c) => self.column(c).map(str::to_owned),
            ValueSource::Eav { eav, attribute } => {
                self.eav.iter().find(|((t, a), _)| *t == eav.table && a == attribute).and_then(|(_, v)| v.clone())
            }
            ValueSource::Entry(path) => entry.and_then(|(_, v)| v.at(path)).and_then(Php::to_text),
            ValueSource::Template(t) => Some(self.fill(t, entry.map(|(k, _)| k), None)),
        }
    }

    pub fn fill(&self, template: &Template, entry: Option<&PhpKey>, path: Option<&str>) -> String {
        template
            .parts
            .iter()
            .map(|p| match p {
                TemplatePart::Text(t) => t.clone(),
                TemplatePart::Column(c) => self.column(c).unwrap_or_default().to_owned(),
                TemplatePart::Entry => entry.map(|k| k.to_string()).unwrap_or_default(),
                TemplatePart::Path => path.unwrap_or_default().to_owned(),
            })
            .collect()
    }
}

fn omitted(omit: Omit, value: Option<&str>) -> bool {
    match (omit, value) {
        (Omit::Never, _) => false,
        (_, None) => true,
        (Omit::Null, Some(_)) => false,
        (Omit::Empty, Some(v)) => v.is_empty(),
        (Omit::PhpEmpty, Some(v)) => v.is_empty() || v == "0",
    }
}

/// Writes a stored value per the field's format; a value that does not parse as the format
/// says is written as stored (it is still the subject's data).
pub fn format_value(format: &Format, raw: &str) -> String {
    match format {
        Format::Text => raw.to_owned(),
        Format::DateTime(pattern) => {
            parse_datetime(raw).map(|t| t.format(pattern).to_string()).unwrap_or_else(|| raw.into())
        }
        Format::Date(pattern) => NaiveDate::parse_from_str(raw.get(..10).unwrap_or(raw), "%Y-%m-%d")
            .map(|d| d.format(pattern).to_string())
            .unwrap_or_else(|_| raw.into()),
        Format::UnixTime(pattern) => raw
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|s| DateTime::<Utc>::from_timestamp(s.trunc() as i64, 0))
            .map(|t| t.format(pattern).to_string())
            .unwrap_or_else(|| raw.into()),
        Format::Boolean { yes, no } => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" | "y" | "on" => yes.clone(),
            "false" | "f" | "0" | "no" | "n" | "off" => no.clone(),
            _ => raw.into(),
        },
    }
}

/// The text forms the three databases give a timestamp cast to text, in UTC when an offset
/// is given.
fn parse_datetime(raw: &str) -> Option<NaiveDateTime> {
    for with_offset in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(raw, with_offset) {
            return Some(t.naive_utc());
        }
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"].iter().find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
}

/// The items one row gives: one, or one per entry of an exploded array.
pub fn items_of(category: &Category, row: &RowValues) -> Vec<pb::ExportItem> {
    let build = |entry: Option<(&PhpKey, &Php)>| {
        let mut data = Vec::new();
        for f in &category.fields {
            let mut value = row.value(&f.source, entry);
            if let (Some((decode, path)), Some(raw)) = (&f.decode, &value) {
                value = match decode {
                    super::dataset::Decode::PhpSerialized => {
                        php_unserialize(raw.as_bytes()).ok().and_then(|v| v.at(path).and_then(Php::to_text))
                    }
                };
            }
            if omitted(f.omit, value.as_deref()) {
                continue;
            }
            let value = value.map(|v| format_value(&f.format, &v)).unwrap_or_default();
            let value = if value.is_empty() { value } else { format!("{}{value}", f.prefix) };
            data.push(pb::ExportField { name: f.label.clone(), value });
        }
        pb::ExportItem {
            group_id: category.group_id.clone(),
            group_label: category.label.clone(),
            group_description: category.description.clone(),
            item_id: row.fill(&category.item_id, entry.map(|(k, _)| k), None),
            data,
        }
    };
    match &category.explode {
        None => vec![build(None)],
        Some(explode) => {
            let decoded = row.column(&explode.column).and_then(|raw| php_unserialize(raw.as_bytes()).ok());
            match decoded {
                Some(Php::Array(entries)) => entries.iter().map(|(k, v)| build(Some((k, v)))).collect(),
                _ => Vec::new(),
            }
        }
    }
}

/// One page of the subject's rows after `after`.
pub async fn page<'e, E>(
    executor: E,
    dialect: Dialect,
    category: &Category,
    plan: &Plan,
    key_kind: KeyKind,
    subject: &SubjectArgs,
    after: Option<&str>,
) -> Result<Vec<RowValues>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = query::page(dialect, category, &plan.spec(), subject, key_kind, after);
    let rows = sql.query().fetch_all(executor).await?;
    rows.iter().map(|r| RowValues::read(plan, r)).collect()
}

/// Everything the export needs, cloned into its task.
#[derive(Clone)]
pub struct Exporter {
    pub pool: AnyPool,
    pub dialect: Dialect,
    pub categories: std::sync::Arc<Vec<(Category, KeyKind)>>,
    pub files_root: Option<PathBuf>,
}

type Tx = mpsc::Sender<Result<pb::ExportResponse, Status>>;

fn closed() -> Status {
    Status::cancelled("privacyd closed the export stream")
}

pub fn database_error(e: sqlx::Error) -> Status {
    // UNAVAILABLE: privacyd retries, and a lost connection or a busy database usually clears.
    // The driver's message names tables and columns, never values (they are bound).
    Status::unavailable(format!("database: {e}"))
}

impl Exporter {
    /// Streams every category's items and files for the subject, in the dataset's order.
    pub async fn run(&self, subject: SubjectArgs, tx: Tx) -> Result<(), Status> {
        for (category, key_kind) in self.categories.iter() {
            let plan = Plan::of(category);
            let mut after: Option<String> = None;
            loop {
                let rows = page(&self.pool, self.dialect, category, &plan, *key_kind, &subject, after.as_deref())
                    .await
                    .map_err(database_error)?;
                let full = rows.len() as i64 == PAGE_SIZE;
                for row in &rows {
                    for item in items_of(category, row) {
                        let item_id = item.item_id.clone();
                        tx.send(Ok(pb::ExportResponse { payload: Some(pb::export_response::Payload::Item(item)) }))
                            .await
                            .map_err(|_| closed())?;
                        self.send_files(category, *key_kind, row, &item_id, &tx).await?;
                    }
                }
                match rows.last() {
                    Some(last) if full => after = Some(last.key.clone()),
                    _ => break,
                }
            }
        }
        Ok(())
    }

    async fn send_files(
        &self,
        category: &Category,
        key_kind: KeyKind,
        row: &RowValues,
        item_id: &str,
        tx: &Tx,
    ) -> Result<(), Status> {
        for spec in &category.files {
            let content_type = match &spec.content_type {
                super::dataset::ContentType::Fixed(t) => t.clone(),
                super::dataset::ContentType::Column(c) => {
                    row.column(c).unwrap_or("application/octet-stream").to_owned()
                }
            };
            let header = |path: String| pb::FileChunk {
                path,
                content_type: content_type.clone(),
                group_id: category.group_id.clone(),
                item_id: item_id.to_owned(),
                ..Default::default()
            };
            match spec.kind {
                FileKind::Bytes => {
                    let ValueSource::Column(column) = &spec.source else { continue };
                    let mut sql = query::Sql::new(self.dialect);
                    sql.push(&format!(
                        "SELECT {} FROM {} WHERE {} = ",
                        self.dialect.quote(column),
                        self.dialect.quote(&category.table),
                        self.dialect.quote(&category.key)
                    ));
                    sql.bind(query::key_arg(key_kind, &row.key));
                    let bytes: Option<Vec<u8>> = sql
                        .query()
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(database_error)?
                        .map_or(Ok(None), |r| r.try_get::<Option<Vec<u8>>, _>(0))
                        .map_err(database_error)?;
                    let Some(bytes) = bytes else { continue };
                    let name = row.fill(&spec.name, None, None);
                    send_chunks(tx, header(name), &bytes).await?;
                }
                FileKind::Path => {
                    let Some(stored) = row.value(&spec.source, None).filter(|p| !p.is_empty()) else { continue };
                    let Some(root) = &self.files_root else { continue };
                    let Some(file) = resolve_under(root, &stored) else {
                        tracing::warn!(group = %category.group_id, "a stored file path escapes --files-root or does not exist; not exported");
                        continue;
                    };
                    let name = row.fill(&spec.name, None, Some(&stored));
                    stream_file(tx, header(name), &file).await?;
                }
            }
        }
        Ok(())
    }
}

/// `stored` resolved under `root`, or `None` when it is absolute, leaves the root (`..`, or a
/// symbolic link pointing outside: both sides are canonicalised before the prefix check), or
/// is not a regular file.
pub fn resolve_under(root: &Path, stored: &str) -> Option<PathBuf> {
    let relative = Path::new(stored);
    if relative.is_absolute() {
        return None;
    }
    let root = root.canonicalize().ok()?;
    let file = root.join(relative).canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

async fn send_chunks(tx: &Tx, first: pb::FileChunk, bytes: &[u8]) -> Result<(), Status> {
    let chunks: Vec<&[u8]> = if bytes.is_empty() { vec![&[]] } else { bytes.chunks(FILE_CHUNK).collect() };
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.into_iter().enumerate() {
        let piece = if i == 0 {
            pb::FileChunk { data: chunk.to_vec(), eof: i == last, ..first.clone() }
        } else {
            pb::FileChunk {
                path: first.path.clone(),
                data: chunk.to_vec(),
                offset: (i * FILE_CHUNK) as i64,
                eof: i == last,
                ..Default::default()
            }
        };
        tx.send(Ok(pb::ExportResponse { payload: Some(pb::export_response::Payload::FileChunk(piece)) }))
            .await
            .map_err(|_| closed())?;
    }
    Ok(())
}

/// Streams a file from disk chunk by chunk: never the whole file in memory.
async fn stream_file(tx: &Tx, first: pb::FileChunk, path: &Path) -> Result<(), Status> {
    let mut file =
        tokio::fs::File::open(path).await.map_err(|e| Status::unavailable(format!("reading a file: {}", e.kind())))?;
    let mut offset = 0i64;
    let mut buffer = vec![0u8; FILE_CHUNK];
    let mut pending: Option<Vec<u8>> = None;
    loop {
        let mut filled = 0;
        while filled < FILE_CHUNK {
            let n = file
                .read(&mut buffer[filled..])
                .await
                .map_err(|e| Status::unavailable(format!("reading a file: {}", e.kind())))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        let eof = filled < FILE_CHUNK;
        // Hold one chunk back so the last one carries eof even when the size is a multiple of
        // the chunk size.
        if let Some(previous) = pending.take() {
            let last = eof && filled == 0;
            send_piece(tx, &first, previous, offset, last).await?;
            offset += FILE_CHUNK as i64;
            if last {
                return Ok(());
            }
        }
        if eof {
            return send_piece(tx, &first, buffer[..filled].to_vec(), offset, true).await;
        }
        pending = Some(buffer[..filled].to_vec());
    }
}

async fn send_piece(tx: &Tx, first: &pb::FileChunk, data: Vec<u8>, offset: i64, eof: bool) -> Result<(), Status> {
    let piece = if offset == 0 {
        pb::FileChunk { data, eof, ..first.clone() }
    } else {
        pb::FileChunk { path: first.path.clone(), data, offset, eof, ..Default::default() }
    };
    tx.send(Ok(pb::ExportResponse { payload: Some(pb::export_response::Payload::FileChunk(piece)) }))
        .await
        .map_err(|_| closed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_booleans_and_unix_times() {
        let f = Format::DateTime("%d.%m.%Y %H:%M".into());
        assert_eq!(format_value(&f, "2026-11-30 19:01:13"), "30.11.2026 19:01");
        assert_eq!(format_value(&f, "2026-11-30 20:01:13.5+01"), "30.11.2026 19:01");
        assert_eq!(format_value(&f, "0000-00-00 00:00:00"), "0000-00-00 00:00:00");
        let wp = Format::UnixTime("%B %d, %Y %H:%M %p".into());
        assert_eq!(format_value(&wp, "1796238258"), "December 02, 2026 19:04 PM");
        let b = Format::Boolean { yes: "Ja".into(), no: "Nein".into() };
        assert_eq!(format_value(&b, "t"), "Ja");
        assert_eq!(format_value(&b, "0"), "Nein");
        assert_eq!(format_value(&Format::Date("%d/%m/%Y".into()), "2026-01-02"), "02/01/2026");
    }

    #[test]
    fn paths_may_not_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("uploads");
        std::fs::create_dir_all(root.join("2026/11")).unwrap();
        std::fs::write(root.join("2026/11/a.jpg"), b"x").unwrap();
        std::fs::write(dir.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("link")).unwrap();
        assert!(resolve_under(&root, "2026/11/a.jpg").is_some());
        assert!(resolve_under(&root, "../secret").is_none());
        assert!(resolve_under(&root, "2026/../../secret").is_none());
        assert!(resolve_under(&root, "link").is_none());
        assert!(resolve_under(&root, dir.path().join("secret").to_str().unwrap()).is_none());
        assert!(resolve_under(&root, "2026").is_none());
    }
}
