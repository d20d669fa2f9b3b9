//! The start-up check of a dataset against the live schema: every table and column it names
//! exists, keys and join columns are there, and each erasure strategy fits the column it
//! writes (NULL into a NOT NULL column, a text value into a number column, a keyed hash
//! longer than the column, a file's content in a column that is not binary). The connector
//! refuses to start on any problem and lists each one, with the dataset's file and line.

use std::collections::HashMap;

use sqlx::{AnyPool, Row};

use super::{
    dataset::{Category, Dataset, Erase, FileKind, Ident, MaskTo, Scalar, ValueSource},
    query::{Arg, Dialect, KeyKind, Sql},
};

/// What the check learnt that the connector needs: each category's key kind, in the
/// dataset's order.
pub struct Checked {
    pub key_kinds: Vec<KeyKind>,
}

/// A column's type, as far as the strategies care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Float,
    Text,
    Binary,
    Boolean,
    Temporal,
    Other,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub kind: Kind,
    pub declared: String,
    pub nullable: bool,
    /// Maximum length in characters, for bounded text types.
    pub max_length: Option<u64>,
}

/// Maps a declared type to its kind; SQLite's affinity rules (its documentation, "Datatypes
/// In SQLite" 3.1) give the same answers for the other two databases' names.
pub fn kind_of(declared: &str) -> Kind {
    let t = declared.to_ascii_lowercase();
    if t.contains("bool") {
        Kind::Boolean
    } else if t.contains("int") || t == "serial" || t == "bigserial" {
        Kind::Integer
    } else if t.contains("char") || t.contains("clob") || t.contains("text") || t == "uuid" || t.contains("enum") {
        Kind::Text
    } else if t.contains("blob") || t.contains("bytea") || t.contains("binary") {
        Kind::Binary
    } else if t.contains("real")
        || t.contains("floa")
        || t.contains("doub")
        || t.contains("numeric")
        || t.contains("decimal")
    {
        Kind::Float
    } else if t.contains("time") || t.contains("date") {
        Kind::Temporal
    } else {
        Kind::Other
    }
}

/// Reads a table's columns; empty when the table does not exist.
pub async fn columns(pool: &AnyPool, dialect: Dialect, table: &Ident) -> Result<HashMap<String, Column>, sqlx::Error> {
    let mut sql = Sql::new(dialect);
    match dialect {
        Dialect::Postgres => sql.push(
            "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT), CAST(is_nullable AS TEXT), \
             CAST(character_maximum_length AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = ",
        ),
        Dialect::MySql => sql.push(
            "SELECT CAST(column_name AS CHAR), CAST(column_type AS CHAR), CAST(is_nullable AS CHAR), \
             CAST(character_maximum_length AS CHAR) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = ",
        ),
        Dialect::Sqlite => sql.push(
            "SELECT CAST(name AS TEXT), CAST(type AS TEXT), CASE WHEN \"notnull\" = 0 AND pk = 0 THEN 'YES' \
             ELSE 'NO' END, NULL FROM pragma_table_info(",
        ),
    };
    sql.bind(Arg::Text(table.as_str().to_owned()));
    if dialect == Dialect::Sqlite {
        sql.push(")");
    }
    let rows = sql.query().fetch_all(pool).await?;
    let mut out = HashMap::new();
    for row in rows {
        let name: String = row.try_get(0)?;
        let declared: String = row.try_get::<Option<String>, _>(1)?.unwrap_or_default();
        let nullable = row.try_get::<Option<String>, _>(2)?.as_deref() == Some("YES");
        // SQLite reports no length: read it from the declared type, e.g. VARCHAR(20) (SQLite
        // does not enforce it, but the dataset should fit the schema as written).
        let max_length =
            row.try_get::<Option<String>, _>(3)?.and_then(|s| s.parse().ok()).or_else(|| declared_length(&declared));
        // SQLite: a column declared "INTEGER PRIMARY KEY" is the rowid; anything else with
        // no length limit.
        let kind = if dialect == Dialect::Sqlite && declared.is_empty() { Kind::Other } else { kind_of(&declared) };
        // MariaDB and SQLite compare names case-insensitively (on most platforms); keep the
        // name as declared and look up case-insensitively.
        out.insert(name.to_ascii_lowercase(), Column { kind, declared, nullable, max_length });
    }
    Ok(out)
}

/// `n` of a declared `CHAR(n)`/`VARCHAR(n)`-like type.
fn declared_length(declared: &str) -> Option<u64> {
    if kind_of(declared) != Kind::Text {
        return None;
    }
    let (_, rest) = declared.split_once('(')?;
    rest.split_once(')')?.0.trim().parse().ok()
}

/// Checks the dataset against the database; every problem, one per entry.
pub async fn check(pool: &AnyPool, dialect: Dialect, file: &str, dataset: &Dataset) -> Result<Checked, Vec<String>> {
    let mut problems = Vec::new();
    let mut tables: HashMap<Ident, HashMap<String, Column>> = HashMap::new();
    let mut key_kinds = Vec::new();
    if dialect == Dialect::Sqlite && dataset.erasure_log.schema.is_some() {
        problems.push(format!("{file}: [erasure_log] schema: SQLite has no schemas; leave it out"));
    }
    for category in &dataset.categories {
        let here = |m: String| format!("{file}:{}: category {:?}: {m}", category.line, category.group_id);
        let mut names: Vec<&Ident> = vec![&category.table];
        names.extend(category.subject.joins.iter().map(|j| &j.table));
        for f in category.fields.iter().map(|f| &f.source).chain(category.files.iter().map(|f| &f.source)) {
            if let ValueSource::Eav { eav, .. } = f {
                names.push(&eav.table);
            }
        }
        for name in names {
            if !tables.contains_key(name) {
                match columns(pool, dialect, name).await {
                    Ok(c) => {
                        tables.insert(name.clone(), c);
                    }
                    Err(e) => {
                        problems.push(here(format!("cannot read the columns of {name}: {e}")));
                        tables.insert(name.clone(), HashMap::new());
                    }
                }
            }
        }
        let mut missing_tables = Vec::new();
        let mut column = |table: &Ident, column: &Ident, problems: &mut Vec<String>| -> Option<Column> {
            let cols = &tables[table];
            if cols.is_empty() {
                if !missing_tables.contains(table) {
                    missing_tables.push(table.clone());
                    problems.push(here(format!("table {table} does not exist")));
                }
                return None;
            }
            let found = cols.get(&column.as_str().to_ascii_lowercase()).cloned();
            if found.is_none() {
                problems.push(here(format!("table {table} has no column {column}")));
            }
            found
        };
        let key = column(&category.table, &category.key, &mut problems);
        key_kinds.push(match key.map(|k| k.kind) {
            Some(Kind::Integer) => KeyKind::Integer,
            Some(Kind::Text | Kind::Other) | None => KeyKind::Text,
            Some(other) => {
                problems.push(here(format!("key {} is {other:?}: use an integer or text column", category.key)));
                KeyKind::Text
            }
        });
        for f in &category.filters {
            column(&category.table, &f.column, &mut problems);
        }
        let mut previous = &category.table;
        for j in &category.subject.joins {
            column(previous, &j.column, &mut problems);
            column(&j.table, &j.references, &mut problems);
            for f in &j.filters {
                column(&j.table, &f.column, &mut problems);
            }
            previous = &j.table;
        }
        for identity in category.subject.email.iter().chain(category.subject.user_id.iter()) {
            column(previous, identity, &mut problems);
        }
        for c in category.item_id.columns() {
            column(&category.table, c, &mut problems);
        }
        if let Some(e) = &category.explode {
            column(&category.table, &e.column, &mut problems);
        }
        let sources = category.fields.iter().map(|f| &f.source).chain(category.files.iter().map(|f| &f.source));
        for source in sources {
            match source {
                ValueSource::Column(c) => {
                    column(&category.table, c, &mut problems);
                }
                ValueSource::Template(t) => {
                    for c in t.columns() {
                        column(&category.table, c, &mut problems);
                    }
                }
                ValueSource::Eav { eav, .. } => {
                    for c in [&eav.owner, &eav.attribute, &eav.value].into_iter().chain(eav.order_by.iter()) {
                        column(&eav.table, c, &mut problems);
                    }
                }
                ValueSource::Entry(_) => {}
            }
        }
        for f in &category.files {
            for c in f.name.columns() {
                column(&category.table, c, &mut problems);
            }
            if let super::dataset::ContentType::Column(c) = &f.content_type {
                column(&category.table, c, &mut problems);
            }
            match (&f.kind, &f.source) {
                (FileKind::Bytes, ValueSource::Column(c)) => {
                    if let Some(col) = column(&category.table, c, &mut problems)
                        && col.kind != Kind::Binary
                        && !(dialect == Dialect::Sqlite && col.kind == Kind::Other)
                    {
                        problems.push(here(format!(
                            "file column {c} is {}, not binary (bytea, BLOB): its content cannot be read as bytes",
                            col.declared
                        )));
                    }
                }
                (FileKind::Bytes, _) => problems.push(here("a bytes file must come from a column of the table".into())),
                (FileKind::Path, _) => {}
            }
        }
        if let Erase::Mask(masks) = &category.erase {
            for m in masks {
                let Some(col) = column(&category.table, &m.column, &mut problems) else { continue };
                if let Some(p) = mask_problem(&m.to, &col) {
                    problems.push(here(format!("mask of {}: {p}", m.column)));
                }
                if m.column == category.key {
                    problems.push(here(format!("mask of {}: the key cannot be masked", m.column)));
                }
            }
        }
        if let (Erase::Delete | Erase::Mask(_), Some(_)) = (&category.erase, &category.explode) {
            // Deleting the row deletes every entry; masking a serialized array's members
            // in place is not supported.
            if matches!(category.erase, Erase::Mask(_)) {
                problems.push(here("an exploded category can be deleted or retained, not masked".into()));
            }
        }
    }
    if problems.is_empty() { Ok(Checked { key_kinds }) } else { Err(problems) }
}

/// Why a mask does not fit its column, if it does not.
pub fn mask_problem(to: &MaskTo, col: &Column) -> Option<String> {
    let declared = &col.declared;
    let textual = matches!(col.kind, Kind::Text | Kind::Other);
    match to {
        MaskTo::Null if !col.nullable => Some(format!("the column is NOT NULL ({declared}); mask to empty or a value")),
        MaskTo::Empty if !textual => Some(format!("the empty string does not fit a {declared} column")),
        MaskTo::KeyedHash { .. } | MaskTo::Value(Scalar::Text(_)) if !textual => {
            Some(format!("a text value does not fit a {declared} column"))
        }
        MaskTo::KeyedHash { length } if col.max_length.is_some_and(|max| max < *length as u64) => Some(format!(
            "a keyed hash of {length} characters does not fit {declared}; set length = {} or less",
            col.max_length.unwrap_or(0)
        )),
        MaskTo::Value(Scalar::Text(v)) if col.max_length.is_some_and(|max| max < v.chars().count() as u64) => {
            Some(format!("the value {v:?} is longer than {declared}"))
        }
        MaskTo::AnonymizeIp if !textual => Some(format!("an IP address does not fit a {declared} column")),
        MaskTo::AnonymizeIp if col.max_length.is_some_and(|max| max < 39) => {
            Some(format!("an anonymised IPv6 address (up to 39 characters) may not fit {declared}"))
        }
        MaskTo::Value(Scalar::Integer(_))
            if !matches!(col.kind, Kind::Integer | Kind::Float | Kind::Text | Kind::Other | Kind::Boolean) =>
        {
            Some(format!("an integer does not fit a {declared} column"))
        }
        MaskTo::Value(Scalar::Float(_)) if !matches!(col.kind, Kind::Float | Kind::Text | Kind::Other) => {
            Some(format!("a float does not fit a {declared} column"))
        }
        MaskTo::Value(Scalar::Boolean(_)) if !matches!(col.kind, Kind::Boolean | Kind::Integer | Kind::Other) => {
            Some(format!("a boolean does not fit a {declared} column"))
        }
        _ => None,
    }
}

/// Whether the dataset needs a key for keyed hashes.
pub fn needs_hash_key(dataset: &Dataset) -> bool {
    dataset.categories.iter().any(
        |c: &Category| matches!(&c.erase, Erase::Mask(m) if m.iter().any(|m| matches!(m.to, MaskTo::KeyedHash { .. }))),
    )
}

/// Whether the dataset has files stored as paths.
pub fn needs_files_root(dataset: &Dataset) -> bool {
    dataset.categories.iter().any(|c| c.files.iter().any(|f| f.kind == FileKind::Path))
}
