//! The SQL connector (`sql-datasource`): one dataset file (datasets/shop.toml) served from
//! SQLite, PostgreSQL and MariaDB, each started by the test; the conformance kit passes on all
//! three, destructive checks included; a dataset that does not fit the schema stops it with
//! every problem listed; export streams in bounded memory; erasure honours the call's
//! deadline; and the shop runs end to end through privacyd with verification passing.

use std::{
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use futures::StreamExt;
use privacyd::{
    conformance,
    proto::privacy::{
        datasource::v1::{self as ds, data_source_service_client::DataSourceServiceClient},
        v1 as pb,
    },
    sql_source::{Settings, SqlSource},
    testing::free_port,
};
use sqlx::{AnyPool, any::AnyPoolOptions};
use tonic::Request;

use crate::helpers::{TestApp, fresh_postgres_database, state, unique_email};

#[path = "../support/mariadb.rs"]
mod mariadb;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Db {
    Sqlite,
    Postgres,
    MariaDb,
}

fn shop_dataset() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/shop.toml")
}

/// The shop's tables, in each database's types.
fn shop_schema(db: Db) -> String {
    let (timestamp, boolean, bytes) = match db {
        Db::Postgres => ("TIMESTAMP", "BOOLEAN", "BYTEA"),
        Db::MariaDb => ("DATETIME", "BOOLEAN", "LONGBLOB"),
        Db::Sqlite => ("TIMESTAMP", "BOOLEAN", "BLOB"),
    };
    format!(
        "CREATE TABLE customers (id BIGINT PRIMARY KEY, email VARCHAR(320) NOT NULL, name VARCHAR(200) NOT NULL, \
           phone VARCHAR(50), marketing_opt_in {boolean} NOT NULL, created_at {timestamp} NOT NULL);
         CREATE TABLE addresses (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL REFERENCES customers (id), \
           street VARCHAR(200) NOT NULL, city VARCHAR(100) NOT NULL, postcode VARCHAR(20) NOT NULL, country CHAR(2) NOT NULL);
         CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL REFERENCES customers (id), \
           placed_at {timestamp} NOT NULL, total_cents BIGINT NOT NULL, state VARCHAR(20) NOT NULL);
         CREATE TABLE order_lines (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES orders (id), \
           product VARCHAR(200) NOT NULL, quantity INTEGER NOT NULL, price_cents BIGINT NOT NULL);
         CREATE TABLE support_tickets (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL REFERENCES customers (id), \
           subject VARCHAR(200) NOT NULL, body TEXT NOT NULL, opened_at {timestamp} NOT NULL);
         CREATE TABLE ticket_attachments (id BIGINT PRIMARY KEY, ticket_id BIGINT NOT NULL REFERENCES support_tickets (id), \
           file_name VARCHAR(200) NOT NULL, content_type VARCHAR(100) NOT NULL, content {bytes} NOT NULL);
         CREATE TABLE newsletter (email VARCHAR(320) PRIMARY KEY, subscribed_at {timestamp} NOT NULL, confirmed {boolean} NOT NULL);"
    )
}

/// The attachment every seeded customer has: 150 KiB, so it spans three chunks.
fn attachment() -> Vec<u8> {
    (0..150 * 1024u32).map(|i| (i % 253) as u8).collect()
}

fn placeholders(db: Db, n: usize) -> String {
    (1..=n).map(|i| if db == Db::Postgres { format!("${i}") } else { "?".into() }).collect::<Vec<_>>().join(", ")
}

async fn insert(pool: &AnyPool, db: Db, table: &str, values: Vec<Value>) {
    let sql = format!("INSERT INTO {table} VALUES ({})", placeholders(db, values.len()));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in values {
        q = match v {
            Value::I(i) => q.bind(i),
            Value::T(t) => q.bind(t),
            Value::B(b) => q.bind(b),
            Value::Bytes(b) => q.bind(b),
        };
    }
    q.execute(pool).await.unwrap_or_else(|e| panic!("insert into {table}: {e}"));
}

enum Value {
    I(i64),
    T(String),
    B(bool),
    Bytes(Vec<u8>),
}
use Value::{B, Bytes, I, T};

fn t(s: &str) -> Value {
    T(s.to_owned())
}

/// A customer (as typed at sign-up: `stored_email`) with an address, a paid order of two
/// lines, a draft order (not an accounting record: filtered out), a ticket with an attachment,
/// and a newsletter subscription. Ids start at `base`.
async fn seed_customer(pool: &AnyPool, db: Db, base: i64, stored_email: &str) {
    insert(pool, db, "customers", vec![I(base), t(stored_email), t("Jane Doe"), t("+49 30 1234567"), B(true), t("2024-05-06 07:08:09")]).await;
    insert(pool, db, "addresses", vec![I(base), I(base), t("Hauptstraße 1"), t("Berlin"), t("10115"), t("DE")]).await;
    insert(pool, db, "orders", vec![I(base), I(base), t("2025-01-02 03:04:05"), I(4599), t("paid")]).await;
    insert(pool, db, "orders", vec![I(base + 1), I(base), t("2025-02-02 03:04:05"), I(100), t("draft")]).await;
    insert(pool, db, "order_lines", vec![I(base), I(base), t("Teapot"), I(1), I(3999)]).await;
    insert(pool, db, "order_lines", vec![I(base + 1), I(base), t("Tea"), I(2), I(300)]).await;
    insert(pool, db, "order_lines", vec![I(base + 2), I(base + 1), t("Draft item"), I(1), I(100)]).await;
    insert(pool, db, "support_tickets", vec![I(base), I(base), t("Broken lid"), t("The lid <b>cracked</b>."), t("2025-03-04 05:06:07")]).await;
    insert(pool, db, "ticket_attachments", vec![I(base), I(base), t("lid.jpg"), t("image/jpeg"), Bytes(attachment())]).await;
    insert(pool, db, "newsletter", vec![t(stored_email), t("2024-05-06 07:08:09"), B(true)]).await;
}

/// A database of `db`'s kind with the shop's tables, and its URL. The MariaDB server, when
/// one is started, lives as long as the returned guard.
async fn shop_database(db: Db) -> (String, AnyPool, Option<mariadb::MariaDb>, Option<tempfile::TempDir>) {
    sqlx::any::install_default_drivers();
    let (url, server, dir) = match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
            (url, None, Some(dir))
        }
        Db::Postgres => (fresh_postgres_database().await, None, None),
        Db::MariaDb => {
            let server = tokio::task::spawn_blocking(mariadb::MariaDb::start).await.unwrap();
            let url = server.create_database("shop");
            (url, Some(server), None)
        }
    };
    let pool = AnyPoolOptions::new().max_connections(2).connect(&url).await.unwrap();
    for statement in shop_schema(db).split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned())).execute(&pool).await.unwrap();
    }
    (url, pool, server, dir)
}

/// A running `sql-datasource` process.
struct Connector {
    endpoint: String,
    process: Child,
    _dir: tempfile::TempDir,
}

impl Connector {
    fn start(url: &str, dataset: &Path, token: Option<&str>) -> Connector {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("hash.key");
        std::fs::write(&key, "a test key of more than sixteen bytes\n").unwrap();
        let addr = format!("127.0.0.1:{}", free_port().unwrap());
        let mut command = Command::new(env!("CARGO_BIN_EXE_sql-datasource"));
        command.args(["--database-url", url, "--listen", &addr]).arg("--dataset").arg(dataset).arg("--hash-key-file").arg(&key);
        if let Some(token) = token {
            let file = dir.path().join("token");
            std::fs::write(&file, token).unwrap();
            command.arg("--token-file").arg(file);
        }
        let mut process = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("sql-datasource runs");
        let mut line = String::new();
        BufReader::new(process.stdout.take().unwrap()).read_line(&mut line).unwrap();
        if line.is_empty() {
            let mut err = String::new();
            process.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("sql-datasource did not start: {err}");
        }
        assert_eq!(line.trim(), format!("sql-datasource listening on {addr}"));
        Connector { endpoint: format!("http://{addr}"), process, _dir: dir }
    }

    /// Peak resident memory so far (VmHWM), in bytes.
    fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn count(pool: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap()
}

/// The kit, destructive checks included, against the connector on `db`: every check passes,
/// none skipped; another customer's data is untouched; the retained orders are still there.
async fn passes_the_conformance_kit(db: Db) {
    let (url, pool, _server, _dir) = shop_database(db).await;
    // Stored as typed at sign-up, in mixed case: the connector must compare case-insensitively.
    seed_customer(&pool, db, 100, "Jane.Doe@Example.COM").await;
    seed_customer(&pool, db, 200, "someone.else@example.com").await;
    let connector = Connector::start(&url, &shop_dataset(), Some("s3cret-token"));
    let report = conformance::run(
        conformance::Options {
            endpoint: connector.endpoint.clone(),
            token: Some("s3cret-token".into()),
            ca_cert_pem: None,
            deadline: Duration::from_secs(20),
            subject: Some(ds::Subject { email: "jane.doe@example.com".into(), user_id: String::new() }),
        },
        |_| {},
    )
    .await
    .unwrap();
    let lines: Vec<String> = report.results.iter().map(|r| r.to_string()).collect();
    assert_eq!((report.failed(), report.skipped()), (0, 0), "{db:?}: {lines:#?}");
    assert_eq!(report.passed(), conformance::CHECKS.len(), "{db:?}: {lines:#?}");

    // The subject's data is gone but for the retained accounting records; the other
    // customer is untouched.
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM addresses WHERE customer_id = 100").await, 0);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM ticket_attachments WHERE ticket_id = 100").await, 0);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM newsletter WHERE LOWER(email) = 'jane.doe@example.com'").await, 0);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM orders WHERE customer_id = 100").await, 2, "orders are retained");
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM customers WHERE id = 100 AND name = 'Erased customer' AND phone IS NULL").await, 1);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM customers WHERE id = 100 AND LOWER(email) LIKE '%@%'").await, 0);
    for table in ["addresses", "support_tickets", "ticket_attachments", "order_lines"] {
        assert!(count(&pool, &format!("SELECT COUNT(*) FROM {table} WHERE id >= 200")).await > 0, "{table}");
    }
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM customers WHERE id = 200 AND name = 'Jane Doe'").await, 1);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM newsletter").await, 1);
    // One record per request id the kit used (the unknown subject's and the known one's).
    assert!(count(&pool, "SELECT COUNT(*) FROM privacyd_erasures").await >= 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conformance_kit_passes_on_sqlite() {
    passes_the_conformance_kit(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conformance_kit_passes_on_postgres() {
    passes_the_conformance_kit(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conformance_kit_passes_on_mariadb() {
    passes_the_conformance_kit(Db::MariaDb).await;
}

/// The throwaway MariaDB the connector's tests (and the WordPress comparison) run on.
#[test]
fn a_throwaway_mariadb_answers_and_goes_away() {
    let db = mariadb::MariaDb::start();
    let url = db.create_database("probe");
    assert_eq!(url, format!("mysql://root@127.0.0.1:{}/probe", db.port()));
    db.sql("CREATE TABLE probe.t (id INT PRIMARY KEY); INSERT INTO probe.t VALUES (41), (1);");
    assert_eq!(db.sql("SELECT SUM(id) FROM probe.t").trim(), "42");
    let dir = db.dir().to_owned();
    drop(db);
    assert!(!dir.exists(), "the server's folder is removed with it");
}
