//! The dataset file: what the SQL connector serves, declared instead of coded. TOML, read with
//! the `toml` crate (Cargo's own parser: typed serde with `deny_unknown_fields`, line numbers
//! for every error, and no YAML-style implicit typing where `no` or `0755` silently change
//! type). docs/connectors.md documents every key; this module turns the file into types that
//! cannot hold an invalid dataset (an identifier that is not one, a mask without a column, a
//! field with two sources or none, a retention without a reason).
//!
//! Parsing checks the file on its own; [`super::schema_check`] then checks it against the
//! live database.

use std::{collections::BTreeMap, fmt, ops::Range, path::Path};

use serde::Deserialize;
use toml::Spanned;

/// A parsed, self-consistent dataset file.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Describe's `name`.
    pub name: String,
    /// Describe's `version`; the connector's own version when the file leaves it out.
    pub version: Option<String>,
    /// Where the idempotency record of each erasure is kept.
    pub erasure_log: ErasureLog,
    /// The categories, in the file's order (Describe's and Export's order).
    pub categories: Vec<Category>,
}

/// The table of erasure records, in the served database (see docs/connectors.md, "Why the
/// record lives in the same database").
#[derive(Debug, Clone)]
pub struct ErasureLog {
    /// PostgreSQL schema or MariaDB database; the connection's default when `None`. SQLite
    /// has neither (`main` only), so a schema there is refused.
    pub schema: Option<Ident>,
    pub table: Ident,
}

/// A SQL identifier: ASCII letters, digits, `_` and `$`, not starting with a digit, at most
/// 63 bytes (PostgreSQL's limit, the smallest of the three databases). Always quoted in SQL
/// ([`super::query::Dialect::quote`]), so a reserved word such as `order` is fine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ident(String);

impl Ident {
    pub fn parse(s: &str) -> Result<Ident, String> {
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if first_ok && s.len() <= 63 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            Ok(Ident(s.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not a plain SQL identifier (letters, digits, _ and $, not starting with a digit, at most 63 bytes)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// GDPR Art. 6(1) bases, as `privacy.datasource.v1.LegalBasis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterests,
    PublicTask,
    LegitimateInterests,
}

/// One data category: one export group, one table whose rows are its items.
#[derive(Debug, Clone)]
pub struct Category {
    /// Line of its `[[category]]` table in the file, for messages.
    pub line: usize,
    pub group_id: String,
    pub label: String,
    pub description: String,
    pub purposes: Vec<String>,
    pub legal_basis: Option<LegalBasis>,
    pub recipients: Vec<String>,
    pub retention_period: String,
    pub origin: String,
    /// The table whose rows are the items.
    pub table: Ident,
    /// Unique, non-null, orderable column of `table`: the keyset pagination key.
    pub key: Ident,
    /// The item id: literal text with `{column}` (a column of `table`) and, for an exploded
    /// category, `{entry}` (the entry's key).
    pub item_id: Template,
    /// How a row reaches the subject.
    pub subject: SubjectPath,
    /// Row filters on `table`, all of which must hold.
    pub filters: Vec<Filter>,
    /// One item per entry of a decoded array in a column, instead of one item per row.
    pub explode: Option<Explode>,
    pub fields: Vec<Field>,
    pub files: Vec<FileSpec>,
    pub erase: Erase,
}

/// How a category's rows reach the subject: through zero or more joins, to a table holding an
/// identity column compared with the request's subject.
#[derive(Debug, Clone)]
pub struct SubjectPath {
    /// From the category's table outwards; empty when the table itself holds the identity.
    pub joins: Vec<Join>,
    /// Compared case-insensitively (lower-cased on both sides) with `Subject.email`.
    pub email: Option<Ident>,
    /// Compared as text with `Subject.user_id` when the request carries one.
    pub user_id: Option<Ident>,
}

/// `previous.column = table.references`, with filters on `table`.
#[derive(Debug, Clone)]
pub struct Join {
    pub table: Ident,
    /// Column of the previous table (the category's table for the first join).
    pub column: Ident,
    /// Column of `table` it equals.
    pub references: Ident,
    pub filters: Vec<Filter>,
}

/// A row filter: `column <op> value`, values always bound, never interpolated.
#[derive(Debug, Clone)]
pub struct Filter {
    pub column: Ident,
    pub op: FilterOp,
}

#[derive(Debug, Clone)]
pub enum FilterOp {
    Equals(Scalar),
    NotEquals(Scalar),
    In(Vec<Scalar>),
    NotIn(Vec<Scalar>),
    IsNull(bool),
}

/// A literal value in the file: filters' operands and masks' fixed values.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
}

/// `{column}`/`{entry}` placeholders in literal text; `{{` and `}}` are literal braces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    Text(String),
    Column(Ident),
    Entry,
    /// A file's stored relative path (file `name` templates only).
    Path,
}

impl Template {
    pub fn parse(s: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                    }
                    parts.push(match name.as_str() {
                        "entry" => TemplatePart::Entry,
                        "path" => TemplatePart::Path,
                        column => TemplatePart::Column(
                            Ident::parse(column).map_err(|e| format!("template {s:?}: placeholder {e}"))?,
                        ),
                    });
                }
                '}' => return Err(format!("template {s:?}: a lone }} (write }}}} for a brace)")),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Ok(Template { parts })
    }

    pub fn columns(&self) -> impl Iterator<Item = &Ident> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Column(c) => Some(c),
            _ => None,
        })
    }

    fn uses(&self, wanted: &TemplatePart) -> bool {
        self.parts.iter().any(|p| p == wanted)
    }
}

/// An entity-attribute-value table (WordPress's wp_usermeta, wp_postmeta): one row per
/// attribute of an owning row.
#[derive(Debug, Clone)]
pub struct Eav {
    pub table: Ident,
    /// Holds the owning row's key (the category's `key`).
    pub owner: Ident,
    /// Holds the attribute's name, e.g. `meta_key`.
    pub attribute: Ident,
    /// Holds the value, e.g. `meta_value`.
    pub value: Ident,
    /// When an owner has several rows for one attribute, the first by this column is used
    /// (WordPress's `get_user_meta($id)[$key][0]` is the first by `umeta_id`).
    pub order_by: Option<Ident>,
}

/// Splits one column's decoded array into one item per entry.
#[derive(Debug, Clone)]
pub struct Explode {
    pub column: Ident,
    pub decode: Decode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decode {
    /// PHP's serialize() format (WordPress meta values); see [`super::decode`].
    PhpSerialized,
}

/// Where a value comes from.
#[derive(Debug, Clone)]
pub enum ValueSource {
    /// A column of the category's table.
    Column(Ident),
    /// An attribute of an EAV table owned by the row.
    Eav { eav: Eav, attribute: String },
    /// A key of the exploded entry (exploded categories only); empty means the entry itself.
    Entry(Vec<String>),
    /// Literal text with `{column}`/`{entry}` placeholders.
    Template(Template),
}

/// How a value is written in the export.
#[derive(Debug, Clone)]
pub enum Format {
    /// As stored.
    Text,
    /// A date and time, written with the strftime pattern (chrono's syntax).
    DateTime(String),
    /// A date, written with the strftime pattern.
    Date(String),
    /// Seconds since 1970-01-01 UTC, written with the strftime pattern in UTC.
    UnixTime(String),
    /// A boolean (true/false, t/f, 1/0, yes/no in any case), written as one of two labels.
    Boolean { yes: String, no: String },
}

/// When a field is left out of its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Omit {
    /// Never: NULL is written as an empty value.
    Never,
    /// When the value is NULL (or missing: no EAV row, no such key).
    Null,
    /// When NULL or the empty string.
    Empty,
    /// When PHP's `empty()` holds: NULL, "", "0" (what WordPress's exporters leave out).
    PhpEmpty,
}

/// One name/value pair of each item.
#[derive(Debug, Clone)]
pub struct Field {
    pub label: String,
    pub source: ValueSource,
    /// Decode the stored value, then take `path` in it.
    pub decode: Option<(Decode, Vec<String>)>,
    pub format: Format,
    pub omit: Omit,
    /// Text put before a non-empty value, e.g. the uploads URL before a stored relative path.
    pub prefix: String,
}

/// A file of each item.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub kind: FileKind,
    pub source: ValueSource,
    /// The archive path; for `path` files `{path}` is the stored relative path.
    pub name: Template,
    pub content_type: ContentType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// The value is the content.
    Bytes,
    /// The value is a path relative to `--files-root`; paths escaping it are refused.
    Path,
}

#[derive(Debug, Clone)]
pub enum ContentType {
    Fixed(String),
    Column(Ident),
}

/// What Erase does to a category.
#[derive(Debug, Clone)]
pub enum Erase {
    /// Deletes the subject's rows.
    Delete,
    /// Overwrites columns of the subject's rows and keeps the rows.
    Mask(Vec<Mask>),
    /// Keeps the rows, and says so in the answer with the reason, basis and period.
    Retain { reason: String, legal_basis: LegalBasis, period: String },
    /// Export only: Erase leaves the category alone (its rows go with another category's
    /// erasure, or it is a view).
    None,
}

#[derive(Debug, Clone)]
pub struct Mask {
    pub column: Ident,
    pub to: MaskTo,
}

#[derive(Debug, Clone)]
pub enum MaskTo {
    Null,
    Value(Scalar),
    Empty,
    /// HMAC-SHA-256 of the value with the connector's `--hash-key`, lower-case hex, the first
    /// `length` characters (64 at most).
    KeyedHash {
        length: usize,
    },
    /// WordPress's wp_privacy_anonymize_ip: IPv4 last octet zeroed, IPv6 last 64 bits zeroed.
    AnonymizeIp,
}

/// Every problem in a dataset file, one per line, each with `file:line` when known.
#[derive(Debug, Clone, thiserror::Error)]
#[error("dataset {file}: {} problem(s):\n{}", .problems.len(), .problems.join("\n"))]
pub struct DatasetErrors {
    pub file: String,
    pub problems: Vec<String>,
}

// ---- the file as written (serde), then checked into the types above ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    source: RawSource,
    #[serde(default)]
    erasure_log: Option<RawErasureLog>,
    #[serde(default)]
    eav: BTreeMap<String, RawEav>,
    #[serde(default)]
    category: Vec<Spanned<RawCategory>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawErasureLog {
    schema: Option<String>,
    table: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawEav {
    table: String,
    owner: String,
    attribute: String,
    value: String,
    order_by: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    group_id: String,
    label: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    purposes: Vec<String>,
    legal_basis: Option<LegalBasis>,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    retention_period: String,
    #[serde(default)]
    origin: String,
    table: String,
    key: String,
    item_id: Option<String>,
    subject: RawSubject,
    #[serde(default)]
    filter: Vec<RawFilter>,
    explode: Option<RawExplode>,
    #[serde(default)]
    field: Vec<Spanned<RawField>>,
    #[serde(default)]
    file: Vec<Spanned<RawFile2>>,
    erase: Spanned<RawErase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    email: Option<String>,
    user_id: Option<String>,
    #[serde(default)]
    join: Vec<RawJoin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJoin {
    table: String,
    column: String,
    references: String,
    #[serde(default)]
    filter: Vec<RawFilter>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    column: String,
    equals: Option<toml::Value>,
    not_equals: Option<toml::Value>,
    #[serde(rename = "in")]
    in_: Option<Vec<toml::Value>>,
    not_in: Option<Vec<toml::Value>>,
    is_null: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExplode {
    column: String,
    decode: Decode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    label: String,
    column: Option<String>,
    eav: Option<String>,
    attribute: Option<String>,
    entry: Option<Vec<String>>,
    template: Option<String>,
    decode: Option<Decode>,
    #[serde(default)]
    path: Vec<String>,
    format: Option<String>,
    date_format: Option<String>,
    true_label: Option<String>,
    false_label: Option<String>,
    omit: Option<Omit>,
    #[serde(default)]
    prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile2 {
    kind: FileKind,
    column: Option<String>,
    eav: Option<String>,
    attribute: Option<String>,
    name: Option<String>,
    content_type: Option<String>,
    content_type_column: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawErase {
    strategy: Strategy,
    #[serde(default)]
    mask: Vec<RawMask>,
    reason: Option<String>,
    legal_basis: Option<LegalBasis>,
    period: Option<String>,
}

#[derive(Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Strategy {
    Delete,
    Mask,
    Retain,
    None,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMask {
    column: String,
    to: String,
    value: Option<toml::Value>,
    length: Option<usize>,
}

/// Reads and checks a dataset file.
pub fn load(path: &Path) -> Result<Dataset, DatasetErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| DatasetErrors { file: file.clone(), problems: vec![format!("cannot read it: {e}")] })?;
    parse(&file, &text)
}

/// Checks a dataset given as text; `file` names it in messages.
pub fn parse(file: &str, text: &str) -> Result<Dataset, DatasetErrors> {
    let line_of = |span: Range<usize>| text[..span.start.min(text.len())].matches('\n').count() + 1;
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| format!("{file}:{}: ", line_of(s))).unwrap_or_default();
        DatasetErrors { file: file.to_owned(), problems: vec![format!("{at}{}", e.message())] }
    })?;
    let mut problems = Vec::new();
    let ident = |s: &str, at: usize, problems: &mut Vec<String>| match Ident::parse(s) {
        Ok(i) => Some(i),
        Err(e) => {
            problems.push(format!("{file}:{at}: {e}"));
            None
        }
    };
    let placeholder = Ident("_".into());

    if raw.source.name.trim().is_empty() {
        problems.push(format!("{file}: [source] name must not be empty"));
    }
    let erasure_log = {
        let log = raw.erasure_log.unwrap_or(RawErasureLog { schema: None, table: None });
        ErasureLog {
            schema: log.schema.as_deref().and_then(|s| ident(s, 1, &mut problems)),
            table: ident(log.table.as_deref().unwrap_or("privacyd_erasures"), 1, &mut problems)
                .unwrap_or(placeholder.clone()),
        }
    };
    let mut eavs = BTreeMap::new();
    for (name, e) in &raw.eav {
        let mut one = |s: &str| ident(s, 1, &mut problems).unwrap_or(placeholder.clone());
        eavs.insert(
            name.clone(),
            Eav {
                table: one(&e.table),
                owner: one(&e.owner),
                attribute: one(&e.attribute),
                value: one(&e.value),
                order_by: e.order_by.as_deref().map(&mut one),
            },
        );
    }

    let mut categories = Vec::new();
    let mut seen_groups = std::collections::HashSet::new();
    for spanned in raw.category {
        let at = line_of(spanned.span());
        let c = spanned.into_inner();
        let id = |s: &str, problems: &mut Vec<String>| ident(s, at, problems).unwrap_or(placeholder.clone());
        let here = |msg: String| format!("{file}:{at}: category {:?}: {msg}", c.group_id);
        let group = c.group_id.to_ascii_lowercase();
        if c.group_id.is_empty() || group == "about" || group.starts_with("privacyd-") {
            problems.push(here(
                "group_id must be set and may not be \"about\" or start with \"privacyd-\" (privacyd's own groups)"
                    .into(),
            ));
        }
        if !seen_groups.insert(c.group_id.clone()) {
            problems.push(here("group_id is used by an earlier category; each category is one export group".into()));
        }
        let table = id(&c.table, &mut problems);
        let key = id(&c.key, &mut problems);
        let item_id = match Template::parse(c.item_id.as_deref().unwrap_or(&format!("{}-{{{}}}", c.group_id, c.key))) {
            Ok(t) => t,
            Err(e) => {
                problems.push(here(e));
                Template { parts: vec![] }
            }
        };
        if item_id.uses(&TemplatePart::Path) {
            problems.push(here("item_id may not use {path} (files only)".into()));
        }
        let filters = filters(&c.filter, &mut |m| problems.push(here(m)));
        let mut joins = Vec::new();
        for j in &c.subject.join {
            let join_filters = filters_of(&j.filter, &mut problems, &here);
            joins.push(Join {
                table: id(&j.table, &mut problems),
                column: id(&j.column, &mut problems),
                references: id(&j.references, &mut problems),
                filters: join_filters,
            });
        }
        if c.subject.email.is_none() && c.subject.user_id.is_none() {
            problems.push(here(
                "[category.subject] needs email or user_id (or both): the column that names the subject".into(),
            ));
        }
        let subject = SubjectPath {
            joins,
            email: c.subject.email.as_deref().map(|s| id(s, &mut problems)),
            user_id: c.subject.user_id.as_deref().map(|s| id(s, &mut problems)),
        };
        let explode = c.explode.as_ref().map(|e| Explode { column: id(&e.column, &mut problems), decode: e.decode });
        if explode.is_none() && item_id.uses(&TemplatePart::Entry) {
            problems.push(here("item_id uses {entry} but the category has no [category.explode]".into()));
        }
        if explode.is_some() && !item_id.uses(&TemplatePart::Entry) {
            problems.push(here("an exploded category's item_id must use {entry}, or its items' ids repeat".into()));
        }

        let mut fields = Vec::new();
        for f in &c.field {
            let fat = line_of(f.span());
            let f = f.get_ref();
            let mut report = |m: String| problems.push(format!("{file}:{fat}: field {:?}: {m}", f.label));
            let source = value_source(
                f.column.as_deref(),
                f.eav.as_deref(),
                f.attribute.as_deref(),
                f.entry.clone(),
                f.template.as_deref(),
                &eavs,
                explode.is_some(),
                &mut report,
            );
            let decode = match (f.decode, f.path.is_empty()) {
                (Some(d), _) => Some((d, f.path.clone())),
                (None, true) => None,
                (None, false) => {
                    report("path needs decode".into());
                    None
                }
            };
            let pattern = |default: &str| f.date_format.clone().unwrap_or_else(|| default.to_owned());
            let format = match f.format.as_deref().unwrap_or("text") {
                "text" => Format::Text,
                "datetime" => Format::DateTime(pattern("%Y-%m-%d %H:%M:%S")),
                "date" => Format::Date(pattern("%Y-%m-%d")),
                "unix_time" => Format::UnixTime(pattern("%Y-%m-%d %H:%M:%S")),
                "boolean" => Format::Boolean {
                    yes: f.true_label.clone().unwrap_or_else(|| "Yes".into()),
                    no: f.false_label.clone().unwrap_or_else(|| "No".into()),
                },
                other => {
                    report(format!("format {other:?}: one of text, datetime, date, unix_time, boolean"));
                    Format::Text
                }
            };
            if let Format::DateTime(p) | Format::Date(p) | Format::UnixTime(p) = &format
                && chrono::format::StrftimeItems::new(p).any(|i| matches!(i, chrono::format::Item::Error))
            {
                report(format!("date_format {p:?} is not a valid strftime pattern"));
            }
            if (f.true_label.is_some() || f.false_label.is_some()) && !matches!(format, Format::Boolean { .. }) {
                report("true_label/false_label need format = \"boolean\"".into());
            }
            if f.date_format.is_some() && !matches!(format, Format::DateTime(_) | Format::Date(_) | Format::UnixTime(_))
            {
                report("date_format needs format = \"datetime\", \"date\" or \"unix_time\"".into());
            }
            if let Some(source) = source {
                fields.push(Field {
                    label: f.label.clone(),
                    source,
                    decode,
                    format,
                    omit: f.omit.unwrap_or(Omit::Null),
                    prefix: f.prefix.clone(),
                });
            }
        }
        if fields.is_empty() {
            problems.push(here("needs at least one [[category.field]]".into()));
        }

        let mut files = Vec::new();
        for f in &c.file {
            let fat = line_of(f.span());
            let f = f.get_ref();
            let mut report = |m: String| problems.push(format!("{file}:{fat}: file: {m}"));
            let source = value_source(
                f.column.as_deref(),
                f.eav.as_deref(),
                f.attribute.as_deref(),
                None,
                None,
                &eavs,
                false,
                &mut report,
            );
            let name = match (f.kind, f.name.as_deref()) {
                (_, Some(n)) => Template::parse(n).map_err(&mut report).ok(),
                (FileKind::Path, None) => Some(Template { parts: vec![TemplatePart::Path] }),
                (FileKind::Bytes, None) => {
                    report("a bytes file needs name, e.g. \"attachments/{id}.bin\"".into());
                    None
                }
            };
            if let Some(n) = &name {
                if n.uses(&TemplatePart::Path) && f.kind == FileKind::Bytes {
                    report("{path} is for path files only".into());
                }
                if n.uses(&TemplatePart::Entry) {
                    report("file names may not use {entry}".into());
                }
            }
            let content_type = match (&f.content_type, &f.content_type_column) {
                (Some(_), Some(_)) => {
                    report("content_type or content_type_column, not both".into());
                    None
                }
                (Some(t), None) => Some(ContentType::Fixed(t.clone())),
                (None, Some(c)) => Ident::parse(c).map_err(&mut report).ok().map(ContentType::Column),
                (None, None) => Some(ContentType::Fixed("application/octet-stream".into())),
            };
            if let (Some(source), Some(name), Some(content_type)) = (source, name, content_type) {
                files.push(FileSpec { kind: f.kind, source, name, content_type });
            }
        }
        if explode.is_some() && !files.is_empty() {
            problems.push(here("an exploded category cannot have files".into()));
        }

        let erase_line = line_of(c.erase.span());
        let e = c.erase.into_inner();
        let mut report =
            |m: String| problems.push(format!("{file}:{erase_line}: category {:?} erase: {m}", c.group_id));
        if e.strategy != Strategy::Mask && !e.mask.is_empty() {
            report("[[category.erase.mask]] needs strategy = \"mask\"".into());
        }
        if e.strategy != Strategy::Retain && (e.reason.is_some() || e.legal_basis.is_some() || e.period.is_some()) {
            report("reason, legal_basis and period need strategy = \"retain\"".into());
        }
        let erase = match e.strategy {
            Strategy::Delete => Erase::Delete,
            Strategy::None => Erase::None,
            Strategy::Retain => match (e.reason, e.legal_basis) {
                (Some(reason), Some(legal_basis)) if !reason.trim().is_empty() => {
                    Erase::Retain { reason, legal_basis, period: e.period.unwrap_or_default() }
                }
                _ => {
                    report("strategy = \"retain\" needs a non-empty reason and a legal_basis (GDPR Art. 17(3))".into());
                    Erase::None
                }
            },
            Strategy::Mask => {
                if e.mask.is_empty() {
                    report("strategy = \"mask\" needs at least one [[category.erase.mask]]".into());
                }
                let mut masks = Vec::new();
                for m in &e.mask {
                    let Ok(column) = Ident::parse(&m.column).map_err(&mut report) else { continue };
                    let to = match m.to.as_str() {
                        "null" => Some(MaskTo::Null),
                        "empty" => Some(MaskTo::Empty),
                        "anonymize_ip" => Some(MaskTo::AnonymizeIp),
                        "keyed_hash" => match m.length.unwrap_or(64) {
                            n @ 8..=64 => Some(MaskTo::KeyedHash { length: n }),
                            n => {
                                report(format!("keyed_hash length {n}: 8 to 64 hex characters"));
                                None
                            }
                        },
                        "value" => match m.value.as_ref().map(scalar) {
                            Some(Ok(v)) => Some(MaskTo::Value(v)),
                            Some(Err(e)) => {
                                report(e);
                                None
                            }
                            None => {
                                report(format!("mask of {}: to = \"value\" needs value", m.column));
                                None
                            }
                        },
                        other => {
                            report(format!("mask to {other:?}: one of null, value, empty, keyed_hash, anonymize_ip"));
                            None
                        }
                    };
                    if m.value.is_some() && m.to != "value" {
                        report(format!("mask of {}: value needs to = \"value\"", m.column));
                    }
                    if m.length.is_some() && m.to != "keyed_hash" {
                        report(format!("mask of {}: length needs to = \"keyed_hash\"", m.column));
                    }
                    if let Some(to) = to {
                        masks.push(Mask { column, to });
                    }
                }
                Erase::Mask(masks)
            }
        };

        categories.push(Category {
            line: at,
            group_id: c.group_id,
            label: c.label,
            description: c.description,
            purposes: c.purposes,
            legal_basis: c.legal_basis,
            recipients: c.recipients,
            retention_period: c.retention_period,
            origin: c.origin,
            table,
            key,
            item_id,
            subject,
            filters,
            explode,
            fields,
            files,
            erase,
        });
    }
    if categories.is_empty() {
        problems.push(format!("{file}: needs at least one [[category]]"));
    }
    if problems.is_empty() {
        Ok(Dataset { name: raw.source.name, version: raw.source.version, erasure_log, categories })
    } else {
        Err(DatasetErrors { file: file.to_owned(), problems })
    }
}

#[allow(clippy::too_many_arguments)]
fn value_source(
    column: Option<&str>,
    eav: Option<&str>,
    attribute: Option<&str>,
    entry: Option<Vec<String>>,
    template: Option<&str>,
    eavs: &BTreeMap<String, Eav>,
    exploded: bool,
    report: &mut dyn FnMut(String),
) -> Option<ValueSource> {
    let given = [column.is_some(), eav.is_some(), entry.is_some(), template.is_some()].iter().filter(|b| **b).count();
    if given != 1 {
        report("needs exactly one of column, eav (with attribute), entry, template".into());
        return None;
    }
    if attribute.is_some() && eav.is_none() {
        report("attribute needs eav".into());
        return None;
    }
    if let Some(c) = column {
        return Ident::parse(c).map_err(report).ok().map(ValueSource::Column);
    }
    if let Some(name) = eav {
        let Some(e) = eavs.get(name) else {
            report(format!("eav {name:?} is not declared: add an [eav.{name}] table"));
            return None;
        };
        let Some(attribute) = attribute else {
            report("eav needs attribute (the attribute's name, e.g. \"first_name\")".into());
            return None;
        };
        return Some(ValueSource::Eav { eav: e.clone(), attribute: attribute.to_owned() });
    }
    if let Some(path) = entry {
        if !exploded {
            report("entry needs a [category.explode]".into());
            return None;
        }
        return Some(ValueSource::Entry(path));
    }
    let t = Template::parse(template.unwrap_or_default()).map_err(&mut *report).ok()?;
    if t.uses(&TemplatePart::Path) {
        report("{path} is for file names only".into());
        return None;
    }
    if t.uses(&TemplatePart::Entry) && !exploded {
        report("{entry} needs a [category.explode]".into());
        return None;
    }
    Some(ValueSource::Template(t))
}

fn scalar(v: &toml::Value) -> Result<Scalar, String> {
    match v {
        toml::Value::String(s) => Ok(Scalar::Text(s.clone())),
        toml::Value::Integer(i) => Ok(Scalar::Integer(*i)),
        toml::Value::Float(f) => Ok(Scalar::Float(*f)),
        toml::Value::Boolean(b) => Ok(Scalar::Boolean(*b)),
        other => Err(format!("a {} is not a string, integer, float or boolean", other.type_str())),
    }
}

fn filters_of(raw: &[RawFilter], problems: &mut Vec<String>, here: &dyn Fn(String) -> String) -> Vec<Filter> {
    filters(raw, &mut |m| problems.push(here(m)))
}

fn filters(raw: &[RawFilter], report: &mut dyn FnMut(String)) -> Vec<Filter> {
    let mut out = Vec::new();
    for f in raw {
        let Ok(column) = Ident::parse(&f.column).map_err(&mut *report) else { continue };
        let list = |vs: &Vec<toml::Value>| vs.iter().map(scalar).collect::<Result<Vec<_>, _>>();
        let ops: Vec<Result<FilterOp, String>> = [
            f.equals.as_ref().map(|v| scalar(v).map(FilterOp::Equals)),
            f.not_equals.as_ref().map(|v| scalar(v).map(FilterOp::NotEquals)),
            f.in_.as_ref().map(|v| list(v).map(FilterOp::In)),
            f.not_in.as_ref().map(|v| list(v).map(FilterOp::NotIn)),
            f.is_null.map(|b| Ok(FilterOp::IsNull(b))),
        ]
        .into_iter()
        .flatten()
        .collect();
        match <[_; 1]>::try_from(ops) {
            Ok([Ok(FilterOp::In(v) | FilterOp::NotIn(v))]) if v.is_empty() => {
                report(format!("filter on {column}: an empty list matches nothing (or everything)"))
            }
            Ok([Ok(op)]) => out.push(Filter { column, op }),
            Ok([Err(e)]) => report(format!("filter on {column}: {e}")),
            Err(_) => report(format!("filter on {column}: exactly one of equals, not_equals, in, not_in, is_null")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The WordPress-shaped example in docs/connectors.md parses: the docs cannot drift from
    /// the format.
    #[test]
    fn the_documented_example_parses() {
        let docs = include_str!("../../docs/connectors.md");
        let start = docs.find("### A WordPress-shaped example").expect("the example's heading");
        let example: String = docs[start..]
            .lines()
            .skip(1)
            .skip_while(|l| l.is_empty())
            .take_while(|l| l.is_empty() || l.starts_with("    "))
            .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
            .collect();
        let dataset = parse("connectors.md", &example).unwrap_or_else(|e| panic!("{e}"));
        let groups: Vec<_> = dataset.categories.iter().map(|c| c.group_id.as_str()).collect();
        assert_eq!(groups, ["user", "comments", "session-tokens"]);
        let comments = &dataset.categories[1];
        let Erase::Mask(masks) = &comments.erase else { panic!("comments are masked") };
        assert!(matches!(masks[3].to, MaskTo::AnonymizeIp));
        assert!(matches!(&masks[5].to, MaskTo::Value(Scalar::Integer(0))));
        let tokens = &dataset.categories[2];
        assert_eq!(tokens.subject.joins[0].table.as_str(), "wp_users");
        assert!(matches!(&tokens.fields[0].source, ValueSource::Entry(p) if p == &["expiration"]));
        assert!(
            matches!(&dataset.categories[0].fields[2].source, ValueSource::Eav { attribute, .. } if attribute == "first_name")
        );
    }

    fn problems(text: &str) -> Vec<String> {
        parse("t.toml", text).expect_err("a bad dataset").problems
    }

    const HEAD: &str = "[source]\nname = \"s\"\n";

    /// Each problem is reported, each on its own line with the file and line.
    #[test]
    fn every_problem_is_listed_with_its_line() {
        let text = format!(
            "{HEAD}\n[[category]]\ngroup_id = \"about\"\nlabel = \"A\"\ntable = \"a; DROP TABLE x\"\nkey = \"id\"\n\
             subject = {{}}\nerase = {{ strategy = \"retain\" }}\n"
        );
        let found = problems(&text);
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].starts_with("t.toml:4: category \"about\": group_id"), "{found:#?}");
        assert!(found.iter().any(|p| p.contains("not a plain SQL identifier")), "{found:#?}");
        assert!(found.iter().any(|p| p.contains("needs email or user_id")), "{found:#?}");
        assert!(
            found.iter().any(|p| p.starts_with("t.toml:10:") && p.contains("reason and a legal_basis")),
            "{found:#?}"
        );
        assert!(found.iter().any(|p| p.contains("at least one [[category.field]]")), "{found:#?}");
    }

    #[test]
    fn unknown_keys_and_bad_masks_are_refused() {
        let typo = problems(&format!("{HEAD}[[category]]\ngroup_id = \"g\"\nlabel = \"G\"\ntabel = \"t\"\n"));
        assert!(typo[0].contains("unknown field `tabel`"), "{typo:?}");
        let text = format!(
            "{HEAD}[[category]]\ngroup_id = \"g\"\nlabel = \"G\"\ntable = \"t\"\nkey = \"id\"\n\
             subject = {{ email = \"email\" }}\nfield = [{{ label = \"E\", column = \"email\", eav = \"m\" }}]\n\
             [category.erase]\nstrategy = \"mask\"\nmask = [{{ column = \"email\", to = \"value\" }}, \
             {{ column = \"ip\", to = \"scramble\" }}, {{ column = \"x\", to = \"keyed_hash\", length = 4 }}]\n"
        );
        let found = problems(&text);
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].contains("exactly one of column, eav"), "{found:#?}");
        assert!(found.iter().any(|p| p.contains("needs value")));
        assert!(found.iter().any(|p| p.contains("\"scramble\"")));
        assert!(found.iter().any(|p| p.contains("length 4")));
        assert!(found.iter().any(|p| p.contains("at least one [[category.field]]")));
    }

    #[test]
    fn templates_parse_placeholders_and_escaped_braces() {
        let t = Template::parse("c-{{x}}-{id}-{entry}").unwrap();
        assert_eq!(
            t.parts,
            [
                TemplatePart::Text("c-{x}-".into()),
                TemplatePart::Column(Ident("id".into())),
                TemplatePart::Text("-".into()),
                TemplatePart::Entry
            ]
        );
        assert!(Template::parse("{a b}").is_err());
        assert!(Template::parse("a}").is_err());
    }
}
