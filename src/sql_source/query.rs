//! SQL generation for the three dialects. Identifiers come from the dataset ([`Ident`]: plain
//! names only) and are always quoted; every value (the subject's email and id, filter
//! operands, mask values, pagination keys) is bound as a parameter, never put into the text.
//!
//! Every column the connector reads is cast to text in SQL, apart from `bytes` file content:
//! the three drivers decode text the same way, while their native date, boolean and unsigned
//! types differ (and sqlx's `Any` driver refuses several of them).

use sqlx::{Any, any::AnyArguments, query::Query};

use super::dataset::{Category, Filter, FilterOp, Ident, Join, Scalar};

/// The database family, from the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    MySql,
    Sqlite,
}

impl Dialect {
    /// From a `--database-url`: postgres://, postgresql://, mysql://, mariadb://, sqlite:.
    pub fn of_url(url: &str) -> Option<Dialect> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            "sqlite" => Some(Dialect::Sqlite),
            _ => None,
        }
    }

    pub fn quote(self, ident: &Ident) -> String {
        // Ident holds no quote characters, so no escaping is needed.
        match self {
            Dialect::MySql => format!("`{ident}`"),
            Dialect::Postgres | Dialect::Sqlite => format!("\"{ident}\""),
        }
    }

    /// `CAST(<expr> AS <text type>)`.
    pub fn text(self, expr: &str) -> String {
        match self {
            Dialect::MySql => format!("CAST({expr} AS CHAR)"),
            Dialect::Postgres | Dialect::Sqlite => format!("CAST({expr} AS TEXT)"),
        }
    }
}

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

impl From<&Scalar> for Arg {
    fn from(s: &Scalar) -> Arg {
        match s {
            Scalar::Text(t) => Arg::Text(t.clone()),
            Scalar::Integer(i) => Arg::Int(*i),
            Scalar::Float(f) => Arg::Float(*f),
            Scalar::Boolean(b) => Arg::Bool(*b),
        }
    }
}

/// SQL text with its arguments, numbered per dialect as they are pushed.
#[derive(Debug, Clone)]
pub struct Sql {
    pub dialect: Dialect,
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(dialect: Dialect) -> Sql {
        Sql { dialect, text: String::new(), args: Vec::new() }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    pub fn bind(&mut self, arg: Arg) -> &mut Sql {
        self.args.push(arg);
        match self.dialect {
            Dialect::Postgres => self.text.push_str(&format!("${}", self.args.len())),
            Dialect::MySql | Dialect::Sqlite => self.text.push('?'),
        }
        self
    }

    /// The sqlx query, arguments bound.
    pub fn query(&self) -> Query<'static, Any, AnyArguments> {
        // Audited: the text holds quoted `Ident`s (plain names) and placeholders only; every
        // value is in `args`.
        let mut q = sqlx::query::<Any>(sqlx::AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Text(t) => q.bind(t.clone()),
                Arg::Int(i) => q.bind(*i),
                Arg::Float(f) => q.bind(*f),
                Arg::Bool(b) => q.bind(*b),
                Arg::Null => q.bind(Option::<String>::None),
            };
        }
        q
    }
}

/// Whose rows: the request's subject, as bound values.
#[derive(Debug, Clone)]
pub struct SubjectArgs {
    /// Compared lower-cased with the identity column, lower-cased too.
    pub email: String,
    /// Compared as text; `None` when the request has no user id.
    pub user_id: Option<String>,
}

/// How the category's table is named in the statement: an alias in SELECTs, the table itself
/// in DELETE and UPDATE (whose alias syntax differs between the three databases).
pub fn target(dialect: Dialect, category: &Category, aliased: bool) -> String {
    if aliased { "t0".into() } else { dialect.quote(&category.table) }
}

/// Appends `<condition that the row belongs to the subject> AND <the category's filters>` for
/// the category's table named `outer`.
pub fn push_scope(sql: &mut Sql, category: &Category, outer: &str, subject: &SubjectArgs) {
    let d = sql.dialect;
    let path = &category.subject;
    if path.joins.is_empty() {
        push_identity(sql, outer, &category.subject.email, &category.subject.user_id, subject);
    } else {
        // EXISTS rather than JOIN: one row per item even when a join is not to-one.
        let alias = |i: usize| format!("s{}", i + 1);
        sql.push("EXISTS (SELECT 1 FROM ");
        for (i, Join { table, column, references, .. }) in path.joins.iter().enumerate() {
            if i == 0 {
                sql.push(&format!("{} {}", d.quote(table), alias(0)));
            } else {
                sql.push(&format!(
                    " JOIN {} {} ON {}.{} = {}.{}",
                    d.quote(table),
                    alias(i),
                    alias(i - 1),
                    d.quote(column),
                    alias(i),
                    d.quote(references)
                ));
            }
        }
        let first = &path.joins[0];
        sql.push(&format!(" WHERE {}.{} = {outer}.{}", alias(0), d.quote(&first.references), d.quote(&first.column)));
        for (i, join) in path.joins.iter().enumerate() {
            for f in &join.filters {
                sql.push(" AND ");
                push_filter(sql, &alias(i), f);
            }
        }
        sql.push(" AND ");
        let last = alias(path.joins.len() - 1);
        push_identity(sql, &last, &path.email, &path.user_id, subject);
        sql.push(")");
    }
    for f in &category.filters {
        sql.push(" AND ");
        push_filter(sql, outer, f);
    }
}

fn push_identity(sql: &mut Sql, table: &str, email: &Option<Ident>, user_id: &Option<Ident>, subject: &SubjectArgs) {
    let d = sql.dialect;
    sql.push("(");
    let mut any = false;
    if let Some(column) = email {
        // Lower-cased on both sides: the protocol asks for a case-insensitive comparison,
        // whatever the column's collation.
        sql.push(&format!("LOWER({table}.{}) = LOWER(", d.quote(column)));
        sql.bind(Arg::Text(subject.email.clone()));
        sql.push(")");
        any = true;
    }
    if let (Some(column), Some(id)) = (user_id, &subject.user_id) {
        if any {
            sql.push(" OR ");
        }
        sql.push(&format!("{} = ", d.text(&format!("{table}.{}", d.quote(column)))));
        sql.bind(Arg::Text(id.clone()));
        any = true;
    }
    if !any {
        // A category found by user id only, and a request without one: nothing matches.
        sql.push("1 = 0");
    }
    sql.push(")");
}

fn push_filter(sql: &mut Sql, table: &str, filter: &Filter) {
    let column = format!("{table}.{}", sql.dialect.quote(&filter.column));
    let list = |sql: &mut Sql, values: &[Scalar]| {
        sql.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(v.into());
        }
        sql.push(")");
    };
    match &filter.op {
        FilterOp::Equals(v) => {
            sql.push(&format!("{column} = "));
            sql.bind(v.into());
        }
        FilterOp::NotEquals(v) => {
            sql.push(&format!("({column} IS NULL OR {column} <> "));
            sql.bind(v.into());
            sql.push(")");
        }
        FilterOp::In(vs) => {
            sql.push(&format!("{column} IN "));
            list(sql, vs);
        }
        FilterOp::NotIn(vs) => {
            sql.push(&format!("({column} IS NULL OR {column} NOT IN "));
            list(sql, vs);
            sql.push(")");
        }
        FilterOp::IsNull(true) => {
            sql.push(&format!("{column} IS NULL"));
        }
        FilterOp::IsNull(false) => {
            sql.push(&format!("{column} IS NOT NULL"));
        }
    }
}

/// What a page query selects, in order after the key: each named column cast to text.
pub struct PageSpec<'a> {
    pub columns: &'a [Ident],
    /// EAV attributes read with a correlated subquery each: (eav, attribute).
    pub eav: &'a [(super::dataset::Eav, String)],
    pub page_size: i64,
}

/// The key as bound for `key > ?`: integers compare as integers (text order is wrong for
/// them, and PostgreSQL refuses to compare a number with text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Integer,
    Text,
}

pub fn key_arg(kind: KeyKind, key: &str) -> Arg {
    match kind {
        KeyKind::Integer => key.parse().map(Arg::Int).unwrap_or(Arg::Text(key.to_owned())),
        KeyKind::Text => Arg::Text(key.to_owned()),
    }
}

/// `SELECT key, columns..., eav values... FROM table t0 WHERE scope [AND key > after] ORDER BY
/// key LIMIT n`: one page of the subject's rows, by keyset (constant cost per page, unlike
/// OFFSET, and stable while rows are masked or deleted behind it).
pub fn page(
    dialect: Dialect,
    category: &Category,
    spec: &PageSpec<'_>,
    subject: &SubjectArgs,
    key_kind: KeyKind,
    after: Option<&str>,
) -> Sql {
    let d = dialect;
    let key = format!("t0.{}", d.quote(&category.key));
    let mut sql = Sql::new(d);
    sql.push(&format!("SELECT {}", d.text(&key)));
    for c in spec.columns {
        sql.push(&format!(", {}", d.text(&format!("t0.{}", d.quote(c)))));
    }
    for (eav, attribute) in spec.eav {
        sql.push(&format!(
            ", (SELECT {} FROM {} e WHERE e.{} = {key} AND e.{} = ",
            d.text(&format!("e.{}", d.quote(&eav.value))),
            d.quote(&eav.table),
            d.quote(&eav.owner),
            d.quote(&eav.attribute)
        ));
        sql.bind(Arg::Text(attribute.clone()));
        if let Some(order) = &eav.order_by {
            sql.push(&format!(" ORDER BY e.{}", d.quote(order)));
        }
        sql.push(" LIMIT 1)");
    }
    sql.push(&format!(" FROM {} t0 WHERE ", d.quote(&category.table)));
    push_scope(&mut sql, category, "t0", subject);
    if let Some(after) = after {
        sql.push(&format!(" AND {key} > "));
        sql.bind(key_arg(key_kind, after));
    }
    sql.push(&format!(" ORDER BY {key} LIMIT "));
    sql.bind(Arg::Int(spec.page_size));
    sql
}

/// `DELETE FROM table WHERE scope`.
pub fn delete(dialect: Dialect, category: &Category, subject: &SubjectArgs) -> Sql {
    let table = target(dialect, category, false);
    let mut sql = Sql::new(dialect);
    sql.push(&format!("DELETE FROM {table} WHERE "));
    push_scope(&mut sql, category, &table, subject);
    sql
}

/// `UPDATE table SET c = ?, ... WHERE key IN (?, ...)`.
pub fn update_keys(dialect: Dialect, category: &Category, set: &[(Ident, Arg)], keys: &[Arg]) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.push(&format!("UPDATE {} SET ", dialect.quote(&category.table)));
    for (i, (column, value)) in set.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(&format!("{} = ", dialect.quote(column)));
        sql.bind(value.clone());
    }
    sql.push(&format!(" WHERE {} IN (", dialect.quote(&category.key)));
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(k.clone());
    }
    sql.push(")");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql_source::dataset;

    fn shop_lines() -> Category {
        let text = r#"
            [source]
            name = "shop"
            [[category]]
            group_id = "order-lines"
            label = "Order lines"
            table = "order_lines"
            key = "id"
            filter = [{ column = "kind", not_in = ["internal"] }]
            field = [{ label = "Product", column = "product" }]
            erase = { strategy = "delete" }
            [category.subject]
            email = "email"
            user_id = "id"
            join = [
              { table = "orders", column = "order_id", references = "id", filter = [{ column = "state", equals = "paid" }] },
              { table = "customers", column = "customer_id", references = "id" },
            ]
        "#;
        dataset::parse("t", text).unwrap().categories.remove(0)
    }

    /// Two joins deep, values bound, identifiers quoted, per dialect.
    #[test]
    fn a_page_reaches_the_subject_through_joins_with_every_value_bound() {
        let subject = SubjectArgs { email: "x'; DROP TABLE t; --@e.com".into(), user_id: Some("7".into()) };
        let spec = PageSpec { columns: &[Ident::parse("product").unwrap()], eav: &[], page_size: 500 };
        let sql = page(Dialect::Postgres, &shop_lines(), &spec, &subject, KeyKind::Integer, Some("41"));
        assert_eq!(
            sql.text,
            "SELECT CAST(t0.\"id\" AS TEXT), CAST(t0.\"product\" AS TEXT) FROM \"order_lines\" t0 WHERE EXISTS (SELECT 1 \
             FROM \"orders\" s1 JOIN \"customers\" s2 ON s1.\"customer_id\" = s2.\"id\" WHERE s1.\"id\" = t0.\"order_id\" \
             AND s1.\"state\" = $1 AND (LOWER(s2.\"email\") = LOWER($2) OR CAST(s2.\"id\" AS TEXT) = $3)) AND \
             (t0.\"kind\" IS NULL OR t0.\"kind\" NOT IN ($4)) AND t0.\"id\" > $5 ORDER BY t0.\"id\" LIMIT $6"
        );
        assert_eq!(sql.args[1], Arg::Text(subject.email.clone()));
        assert_eq!(sql.args[4], Arg::Int(41));
        let mysql = page(Dialect::MySql, &shop_lines(), &spec, &subject, KeyKind::Integer, None);
        assert!(
            mysql.text.starts_with("SELECT CAST(t0.`id` AS CHAR), CAST(t0.`product` AS CHAR) FROM `order_lines` t0")
        );
        assert_eq!(mysql.text.matches('?').count(), mysql.args.len());
        assert!(!mysql.text.contains("DROP"));
    }

    #[test]
    fn dialects_come_from_the_url() {
        assert_eq!(Dialect::of_url("postgresql://h/db"), Some(Dialect::Postgres));
        assert_eq!(Dialect::of_url("mariadb://h/db"), Some(Dialect::MySql));
        assert_eq!(Dialect::of_url("sqlite://x.db"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::of_url("oracle://h"), None);
    }
}
