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
enum Engine {
    Sqlite,
    Postgres,
    MariaDb,
}

fn shop_dataset() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/shop.toml")
}

/// The shop's tables, in each database's types.
fn shop_schema(db: Engine) -> String {
    let (timestamp, boolean, bytes) = match db {
        Engine::Postgres => ("TIMESTAMP", "BOOLEAN", "BYTEA"),
        Engine::MariaDb => ("DATETIME", "BOOLEAN", "LONGBLOB"),
        Engine::Sqlite => ("TIMESTAMP", "BOOLEAN", "BLOB"),
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

async fn insert(pool: &AnyPool, db: Engine, table: &str, values: Vec<Value>) {
    let marks: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| match (db, v) {
            (Engine::Postgres, Ts(_)) => format!("CAST(${} AS TIMESTAMP)", i + 1),
            (Engine::Postgres, _) => format!("${}", i + 1),
            _ => "?".into(),
        })
        .collect();
    let sql = format!("INSERT INTO {table} VALUES ({})", marks.join(", "));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in values {
        q = match v {
            Value::I(i) => q.bind(i),
            Value::T(t) | Value::Ts(t) => q.bind(t),
            Value::B(b) => q.bind(b),
            Value::Bytes(b) => q.bind(b),
        };
    }
    q.execute(pool).await.unwrap_or_else(|e| panic!("insert into {table}: {e}"));
}

enum Value {
    I(i64),
    T(String),
    /// A timestamp, as text.
    Ts(String),
    B(bool),
    Bytes(Vec<u8>),
}
use Value::{B, Bytes, I, T, Ts};

fn ts(s: &str) -> Value {
    Ts(s.to_owned())
}

fn t(s: &str) -> Value {
    T(s.to_owned())
}

/// A customer (as typed at sign-up: `stored_email`) with an address, a paid order of two
/// lines, a draft order (not an accounting record: filtered out), a ticket with an attachment,
/// and a newsletter subscription. Ids start at `base`.
async fn seed_customer(pool: &AnyPool, db: Engine, base: i64, stored_email: &str) {
    insert(
        pool,
        db,
        "customers",
        vec![I(base), t(stored_email), t("Jane Doe"), t("+49 30 1234567"), B(true), ts("2024-05-06 07:08:09")],
    )
    .await;
    insert(pool, db, "addresses", vec![I(base), I(base), t("Hauptstraße 1"), t("Berlin"), t("10115"), t("DE")]).await;
    insert(pool, db, "orders", vec![I(base), I(base), ts("2025-01-02 03:04:05"), I(4599), t("paid")]).await;
    insert(pool, db, "orders", vec![I(base + 1), I(base), ts("2025-02-02 03:04:05"), I(100), t("draft")]).await;
    insert(pool, db, "order_lines", vec![I(base), I(base), t("Teapot"), I(1), I(3999)]).await;
    insert(pool, db, "order_lines", vec![I(base + 1), I(base), t("Tea"), I(2), I(300)]).await;
    insert(pool, db, "order_lines", vec![I(base + 2), I(base + 1), t("Draft item"), I(1), I(100)]).await;
    insert(
        pool,
        db,
        "support_tickets",
        vec![I(base), I(base), t("Broken lid"), t("The lid <b>cracked</b>."), ts("2025-03-04 05:06:07")],
    )
    .await;
    insert(pool, db, "ticket_attachments", vec![I(base), I(base), t("lid.jpg"), t("image/jpeg"), Bytes(attachment())])
        .await;
    insert(pool, db, "newsletter", vec![t(stored_email), ts("2024-05-06 07:08:09"), B(true)]).await;
}

/// A database of `db`'s kind with the shop's tables, and its URL. The MariaDB server, when
/// one is started, lives as long as the returned guard.
async fn shop_database(db: Engine) -> (String, AnyPool, Option<mariadb::MariaDb>, Option<tempfile::TempDir>) {
    sqlx::any::install_default_drivers();
    let (url, server, dir) = match db {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
            (url, None, Some(dir))
        }
        Engine::Postgres => (fresh_postgres_database().await, None, None),
        Engine::MariaDb => {
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
        Connector::start_with(url, dataset, token, &[])
    }

    /// Starts it with `extra` flags too; `https://` when they include --tls-cert.
    fn start_with(url: &str, dataset: &Path, token: Option<&str>, extra: &[&std::ffi::OsStr]) -> Connector {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("hash.key");
        std::fs::write(&key, "a test key of more than sixteen bytes\n").unwrap();
        let addr = format!("127.0.0.1:{}", free_port().unwrap());
        let mut command = Command::new(env!("CARGO_BIN_EXE_sql-datasource"));
        command
            .args(["--database-url", url, "--listen", &addr])
            .arg("--dataset")
            .arg(dataset)
            .arg("--hash-key-file")
            .arg(&key);
        if let Some(token) = token {
            let file = dir.path().join("token");
            std::fs::write(&file, token).unwrap();
            command.arg("--token-file").arg(file);
        }
        command.args(extra);
        let mut process = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("sql-datasource runs");
        let mut line = String::new();
        BufReader::new(process.stdout.take().unwrap()).read_line(&mut line).unwrap();
        if line.is_empty() {
            let mut err = String::new();
            process.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("sql-datasource did not start: {err}");
        }
        assert_eq!(line.trim(), format!("sql-datasource listening on {addr}"));
        let scheme = if extra.iter().any(|a| *a == "--tls-cert") { "https" } else { "http" };
        Connector { endpoint: format!("{scheme}://{addr}"), process, _dir: dir }
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
async fn passes_the_conformance_kit(db: Engine) {
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
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM customers WHERE id = 100 AND name = 'Erased customer' AND phone IS NULL")
            .await,
        1
    );
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
    passes_the_conformance_kit(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conformance_kit_passes_on_postgres() {
    passes_the_conformance_kit(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conformance_kit_passes_on_mariadb() {
    passes_the_conformance_kit(Engine::MariaDb).await;
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

/// A dataset that does not fit the database stops the connector before it listens, with
/// one line per problem, each naming the dataset's file and line.
#[tokio::test(flavor = "multi_thread")]
async fn a_dataset_that_does_not_fit_the_schema_is_refused_with_every_problem() {
    let (url, _pool, _server, dir) = shop_database(Engine::Sqlite).await;
    let dataset = dir.as_ref().unwrap().path().join("broken.toml");
    std::fs::write(
        &dataset,
        r#"[source]
name = "shop"

[[category]]
group_id = "customer"
label = "Customer"
table = "customers"
key = "id"
subject = { email = "e_mail" }
field = [{ label = "Name", column = "name" }, { label = "Fax", column = "fax" }]
[category.erase]
strategy = "mask"
mask = [{ column = "name", to = "null" }, { column = "created_at", to = "value", value = "never" }]

[[category]]
group_id = "addresses"
label = "Addresses"
table = "addresses"
key = "id"
field = [{ label = "Street", column = "street" }]
file = [{ kind = "bytes", column = "street", name = "a/{id}" }]
[category.subject]
email = "email"
join = [{ table = "customers", column = "customer", references = "id" }]
[category.erase]
strategy = "mask"
mask = [{ column = "postcode", to = "keyed_hash", length = 64 }, { column = "country", to = "anonymize_ip" }]

[[category]]
group_id = "wishlist"
label = "Wishlist"
table = "wishlists"
key = "id"
subject = { email = "email" }
field = [{ label = "Item", column = "item" }]
erase = { strategy = "delete" }
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sql-datasource"))
        .args(["--database-url", &url, "--listen", "127.0.0.1:0"])
        .arg("--dataset")
        .arg(&dataset)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "it never listened");
    let err = String::from_utf8_lossy(&out.stderr);
    let file = dataset.display().to_string();
    for expected in [
        format!("{file}: the dataset has keyed_hash masks: give --hash-key-file"),
        format!("{file}:4: category \"customer\": table customers has no column e_mail"),
        format!("{file}:4: category \"customer\": table customers has no column fax"),
        format!(
            "{file}:4: category \"customer\": mask of name: the column is NOT NULL (VARCHAR(200)); mask to empty or a value"
        ),
        format!("{file}:4: category \"customer\": mask of created_at: a text value does not fit a TIMESTAMP column"),
        format!("{file}:15: category \"addresses\": table addresses has no column customer"),
        format!(
            "{file}:15: category \"addresses\": file column street is VARCHAR(200), not binary (bytea, BLOB): its content cannot be read as bytes"
        ),
        format!(
            "{file}:15: category \"addresses\": mask of postcode: a keyed hash of 64 characters does not fit VARCHAR(20); set length = 20 or less"
        ),
        format!(
            "{file}:15: category \"addresses\": mask of country: an anonymised IPv6 address (up to 39 characters) may not fit CHAR(2)"
        ),
        format!("{file}:29: category \"wishlist\": table wishlists does not exist"),
    ] {
        assert!(err.contains(&expected), "missing {expected:?} in:\n{err}");
    }
}

/// Export pages by keyset: a subject with 60,000 tickets of 2 KiB each (120 MiB of text)
/// streams through a connector whose peak memory stays far below that.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_streams_in_bounded_memory_whatever_the_row_count() {
    let (url, pool, _server, _dir) = shop_database(Engine::Sqlite).await;
    seed_customer(&pool, Engine::Sqlite, 1, "big@example.com").await;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000) \
         INSERT INTO support_tickets SELECT 1000 + i, 1, 'Ticket ' || i, hex(randomblob(1024)), '2025-01-01 00:00:00' FROM n",
    )
    .execute(&pool)
    .await
    .unwrap();
    let connector = Connector::start(&url, &shop_dataset(), None);
    let mut client = DataSourceServiceClient::connect(connector.endpoint.clone()).await.unwrap();
    let mut stream = client
        .export(ds::ExportRequest {
            privacy_request_id: "memory".into(),
            subject: Some(ds::Subject { email: "BIG@example.com".into(), user_id: String::new() }),
        })
        .await
        .unwrap()
        .into_inner();
    let (mut tickets, mut bytes, mut last_id) = (0usize, 0usize, 0i64);
    while let Some(message) = stream.next().await {
        if let Some(ds::export_response::Payload::Item(item)) = message.unwrap().payload
            && item.group_id == "tickets"
        {
            tickets += 1;
            bytes += item.data.iter().map(|f| f.value.len()).sum::<usize>();
            // Keyset order: by key, each once.
            let id: i64 = item.item_id.trim_start_matches("ticket-").parse().unwrap();
            assert!(id > last_id, "ticket {id} after {last_id}");
            last_id = id;
        }
    }
    assert_eq!(tickets, 60_001);
    assert!(bytes > 120_000_000, "{bytes} bytes exported");
    let peak = connector.peak_rss();
    eprintln!("peak RSS of the connector: {:.1} MiB", peak as f64 / 1048576.0);
    assert!(peak < 64 * 1024 * 1024, "the connector's peak memory was {} MiB", peak / 1024 / 1024);
}

/// An Erase whose deadline passes is rolled back whole (nothing masked or deleted, no record)
/// and answers DEADLINE_EXCEEDED; the same request id later erases for real.
#[tokio::test(flavor = "multi_thread")]
async fn an_erasure_past_its_deadline_is_rolled_back() {
    let (url, pool, _server, _dir) = shop_database(Engine::Sqlite).await;
    seed_customer(&pool, Engine::Sqlite, 1, "slow@example.com").await;
    // 100,000 rows of the same subject to mask (duplicate sign-ups): several seconds of work.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
         INSERT INTO customers SELECT 1000 + i, 'Slow@Example.com', 'Slow ' || i, NULL, 1, '2025-01-01 00:00:00' FROM n",
    )
    .execute(&pool)
    .await
    .unwrap();
    let source = SqlSource::start(Settings {
        database_url: url,
        dataset: shop_dataset(),
        hash_key: Some(b"a test key of more than sixteen bytes".to_vec()),
        files_root: None,
        max_connections: 4,
    })
    .await
    .unwrap();
    let call = |timeout: Option<&str>| {
        let mut request = Request::new(ds::EraseRequest {
            privacy_request_id: "req-1".into(),
            subject: Some(ds::Subject { email: "slow@example.com".into(), user_id: String::new() }),
        });
        if let Some(t) = timeout {
            request.metadata_mut().insert("grpc-timeout", t.parse().unwrap());
        }
        request
    };
    use privacyd::proto::privacy::datasource::v1::data_source_service_server::DataSourceService;
    let started = std::time::Instant::now();
    let status = source.erase(call(Some("200m"))).await.expect_err("the deadline passes");
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded, "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "it stopped at the deadline: {:?}", started.elapsed());
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM customers WHERE name = 'Erased customer'").await,
        0,
        "nothing masked"
    );
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM newsletter").await, 1, "nothing deleted");
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM privacyd_erasures").await, 0, "no record");

    let answer = source.erase(call(None)).await.unwrap().into_inner();
    assert_eq!(answer.items_removed, 100_001 + 4, "customers masked; address, ticket, attachment, newsletter deleted");
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM customers WHERE name = 'Erased customer'").await, 100_001);
}

/// The shop on PostgreSQL, registered with a real privacyd: an export gathers every category
/// (the attachment as a file), and an erasure completes with the orders retained, the rest
/// gone, and privacyd's verification export passing.
#[tokio::test(flavor = "multi_thread")]
async fn the_shop_runs_end_to_end_through_privacyd() {
    let app = TestApp::spawn(crate::helpers::Backend::Postgres).await;
    let (url, pool, _server, _dir) = shop_database(Engine::Postgres).await;
    let email = unique_email();
    seed_customer(&pool, Engine::Postgres, 10, &email.to_uppercase()).await;
    seed_customer(&pool, Engine::Postgres, 20, "another@example.com").await;
    let connector = Connector::start(&url, &shop_dataset(), Some("shop-token"));
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "shop".into(),
            endpoint: connector.endpoint.clone(),
            auth_token: "shop-token".into(),
            call_timeout: Some(prost_types::Duration { seconds: 20, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();

    let export = app.create(&email, pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: export.id.clone() })
        .await
        .unwrap();
    let done = app.wait_for(&export.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    let shop = &done.sources[0];
    // customer, address, the paid order (not the draft), its two lines, ticket, attachment,
    // newsletter.
    assert_eq!((shop.state, shop.items), (pb::SourceState::Succeeded as i32, 8), "{shop:?}");
    let mut stream = app
        .client
        .clone()
        .download_export(pb::DownloadExportRequest { id: export.id.clone(), token: String::new(), offset: 0 })
        .await
        .unwrap()
        .into_inner();
    let mut archive = Vec::new();
    while let Some(message) = stream.next().await {
        if let Some(pb::download_export_response::Payload::Chunk(chunk)) = message.unwrap().payload {
            archive.extend(chunk);
        }
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut json = String::new();
    zip.by_name("export.json").unwrap().read_to_string(&mut json).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let groups = json.as_object().unwrap().values().next().unwrap();
    assert_eq!(
        groups["orders"]["items"]["shop/order-10"],
        serde_json::json!([
            {"name": "Order number", "value": "10"},
            {"name": "Placed", "value": "2025-01-02 03:04 UTC"},
            {"name": "Total (cents)", "value": "4599"},
            {"name": "State", "value": "paid"},
        ])
    );
    assert_eq!(
        groups["customer"]["items"]["shop/customer-10"][4],
        serde_json::json!({"name": "Marketing emails", "value": "Yes"})
    );
    // Art. 15(1) information from the dataset, through Describe.
    let orders_info = &groups["privacyd-processing-information"]["items"]["shop/orders"];
    let kept_for = "10 years after the end of the year of the order (HGB § 257, AO § 147)";
    assert!(orders_info.as_array().unwrap().iter().any(|f| f["value"] == kept_for), "{orders_info}");
    assert_eq!(groups["order-lines"]["items"].as_object().unwrap().len(), 2);
    let mut file = Vec::new();
    zip.by_name("files/shop/tickets/10/lid.jpg").unwrap().read_to_end(&mut file).unwrap();
    assert_eq!(file, attachment());

    let erase = app.create(&email, pb::Action::Erase, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: erase.id.clone() })
        .await
        .unwrap();
    let done = app
        .wait_for(&erase.id, "the erasure to end", |r| matches!(state(r), pb::State::Completed | pb::State::Failed))
        .await;
    assert_eq!(state(&done), pb::State::Completed, "{done:#?}");
    let shop = &done.sources[0];
    let erasure = shop.erasure.clone().unwrap();
    assert_eq!((erasure.items_removed, erasure.items_retained), (5, 3), "{erasure:?}");
    let groups: Vec<(&str, i64)> = erasure.retentions.iter().map(|r| (r.group_id.as_str(), r.items)).collect();
    assert_eq!(groups, [("orders", 1), ("order-lines", 2)]);
    assert!(erasure.retentions[0].reason.contains("HGB § 257"));
    assert_eq!(erasure.retentions[0].legal_basis, ds::LegalBasis::LegalObligation as i32);
    assert_eq!(shop.verification.clone().unwrap().state, pb::VerificationState::Passed as i32);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM orders WHERE customer_id = 10").await, 2);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM newsletter").await, 1, "the other subscriber stays");
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM customers WHERE id = 20 AND name = 'Jane Doe'").await, 1);
}

/// With --tls-cert/--tls-key the connector serves TLS (and still health and the bearer
/// check): the kit connects with https:// and the CA, and every check it can run without a
/// subject passes.
#[tokio::test(flavor = "multi_thread")]
async fn the_connector_serves_tls() {
    let (url, _pool, _server, _dir) = shop_database(Engine::Sqlite).await;
    let pki = crate::pki::pki();
    let (cert, key) = (pki.path("server.pem"), pki.path("server.key"));
    let connector = Connector::start_with(
        &url,
        &shop_dataset(),
        Some("tls-token"),
        &["--tls-cert".as_ref(), cert.as_os_str(), "--tls-key".as_ref(), key.as_os_str()],
    );
    assert!(connector.endpoint.starts_with("https://"));
    let report = conformance::run(
        conformance::Options {
            endpoint: connector.endpoint.clone(),
            token: Some("tls-token".into()),
            ca_cert_pem: Some(String::from_utf8(pki.read("ca.pem")).unwrap()),
            deadline: Duration::from_secs(20),
            subject: None,
        },
        |_| {},
    )
    .await
    .unwrap();
    let lines: Vec<String> = report.results.iter().map(|r| r.to_string()).collect();
    assert_eq!((report.passed(), report.failed(), report.skipped()), (8, 0, 5), "{lines:#?}");
    assert!(lines.contains(&"PASS authentication".to_owned()), "{lines:#?}");
}

/// Files stored as paths stream from under --files-root in chunks, and only from there (a
/// `..` path and a symbolic link out of the root are not served); an export-only category
/// (strategy "none") is exported and left alone by Erase.
#[tokio::test(flavor = "multi_thread")]
async fn path_files_stay_under_the_root_and_export_only_categories_are_left_alone() {
    use privacyd::proto::privacy::datasource::v1::data_source_service_server::DataSourceService;
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("uploads");
    std::fs::create_dir_all(root.join("a")).unwrap();
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(root.join("a/ok.bin"), &content).unwrap();
    std::fs::write(dir.path().join("secret.txt"), b"not yours").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("docs.db").display());
    let pool = AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE uploads (id INTEGER PRIMARY KEY, email TEXT NOT NULL, path TEXT NOT NULL);
         CREATE TABLE audit (id INTEGER PRIMARY KEY, email TEXT NOT NULL, event TEXT NOT NULL);
         INSERT INTO uploads VALUES (1, 'Ann@example.com', 'a/ok.bin'), (2, 'ann@example.com', '../secret.txt'),
           (3, 'ann@example.com', 'link.txt'), (4, 'bob@example.com', 'a/ok.bin');
         INSERT INTO audit VALUES (1, 'ann@example.com', 'signed in');",
    )
    .execute(&pool)
    .await
    .unwrap();
    let dataset = dir.path().join("docs.toml");
    std::fs::write(
        &dataset,
        r#"[source]
name = "docs"

[[category]]
group_id = "uploads"
label = "Uploads"
table = "uploads"
key = "id"
subject = { email = "email" }
field = [{ label = "File", column = "path" }]
file = [{ kind = "path", column = "path", name = "uploads/{path}", content_type = "application/octet-stream" }]
erase = { strategy = "delete" }

[[category]]
group_id = "audit"
label = "Audit log"
table = "audit"
key = "id"
subject = { email = "email" }
field = [{ label = "Event", column = "event" }]
erase = { strategy = "none" }
"#,
    )
    .unwrap();
    let source = SqlSource::start(Settings {
        database_url: url,
        dataset,
        hash_key: None,
        files_root: Some(root.clone()),
        max_connections: 2,
    })
    .await
    .unwrap();
    let subject = Some(ds::Subject { email: "ann@example.com".into(), user_id: String::new() });
    let mut stream = source
        .export(Request::new(ds::ExportRequest { privacy_request_id: "r".into(), subject: subject.clone() }))
        .await
        .unwrap()
        .into_inner();
    let (mut items, mut files) = (Vec::new(), Vec::<(String, Vec<u8>)>::new());
    while let Some(message) = stream.next().await {
        match message.unwrap().payload.unwrap() {
            ds::export_response::Payload::Item(item) => items.push(item.item_id),
            ds::export_response::Payload::FileChunk(chunk) => {
                if chunk.offset == 0 {
                    assert_eq!((chunk.group_id.as_str(), chunk.item_id.as_str()), ("uploads", "uploads-1"));
                    files.push((chunk.path.clone(), Vec::new()));
                }
                let file = files.last_mut().unwrap();
                assert_eq!((chunk.path.as_str(), chunk.offset as usize), (file.0.as_str(), file.1.len()));
                assert!(chunk.data.len() <= 64 * 1024);
                file.1.extend(&chunk.data);
                if chunk.eof {
                    file.0.push_str(" (complete)");
                }
            }
        }
    }
    assert_eq!(items, ["uploads-1", "uploads-2", "uploads-3", "audit-1"]);
    assert_eq!(files.len(), 1, "only the file under the root");
    assert_eq!(files[0].0, "uploads/a/ok.bin (complete)");
    assert!(files[0].1 == content, "the file's bytes, in order");

    let answer = source
        .erase(Request::new(ds::EraseRequest { privacy_request_id: "e".into(), subject }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((answer.items_removed, answer.items_retained), (3, 0));
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM audit").await, 1, "export-only: untouched");
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM uploads").await, 1, "bob's upload stays");
    assert!(root.join("a/ok.bin").exists(), "files on disk are not the connector's to delete");
}
