//! WordPress, for real: a site from Debian's `wordpress` package on a throwaway MariaDB,
//! installed and filled through WordPress's own PHP, served to a real privacyd by
//! `sql-datasource` with `datasets/wordpress.toml`. privacyd's export must equal what
//! WordPress's own exporters give (group by group, item by item, field by field), and its
//! erasure must leave the rows WordPress's own eraser leaves, except for the differences
//! docs/connectors.md lists ("Differences from WordPress's own exporters and erasers"),
//! each of which the test expects by name: one that is not listed fails it, and so does one
//! listed that no longer occurs.

use std::{
    collections::BTreeMap,
    io::Read,
    net::{Ipv4Addr, SocketAddr, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use privacyd::{
    proto::privacy::{datasource::v1 as ds, v1 as pb},
    testing::{
        free_port,
        mariadb::ThrowawayMariaDb,
        wordpress::{Fixture, WordPressSite},
    },
};
use serde_json::Value;

use crate::helpers::{Backend, TestApp, state, within_time_limit};

/// The source's name in privacyd (and the prefix of its item ids in export.json).
const SOURCE: &str = "wordpress";

fn checkout() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A WordPress site filled with the fixture, its database copied for privacyd's side.
struct Site {
    db: ThrowawayMariaDb,
    /// WordPress's own exporters and erasers run on this one.
    wordpress: WordPressSite,
    /// `sql-datasource` serves this copy.
    copy: String,
    fixture: Fixture,
}

fn site() -> Site {
    let db = ThrowawayMariaDb::start(false).expect("MariaDB starts");
    let wordpress = WordPressSite::install(&db, "wordpress", &checkout().join("tests/support/wordpress"))
        .expect("WordPress installs");
    let fixture = wordpress.fill(0).expect("the fixture is made through WordPress's functions");
    db.copy_database("wordpress", "privacyd_side").expect("the database copies");
    Site { db, wordpress, copy: "privacyd_side".into(), fixture }
}

/// `sql-datasource` on a free port, serving `database` with the WordPress dataset.
struct Connector {
    process: Child,
    endpoint: String,
}

impl Connector {
    fn start(site: &Site) -> Connector {
        let port = free_port().unwrap();
        let process = Command::new(env!("CARGO_BIN_EXE_sql-datasource"))
            .arg("--database-url")
            .arg(site.db.url(&site.copy))
            .arg("--dataset")
            .arg(checkout().join("datasets/wordpress.toml"))
            .arg("--files-root")
            .arg(site.wordpress.uploads())
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .spawn()
            .expect("sql-datasource runs");
        let mut connector = Connector { process, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = connector.process.try_wait().unwrap() {
                panic!("sql-datasource exited ({status}) before listening: the dataset does not fit WordPress");
            }
            if TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).is_ok() {
                return connector;
            }
            assert!(Instant::now() < deadline, "sql-datasource did not listen within 60 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn register(app: &TestApp, connector: &Connector) {
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: SOURCE.into(),
            endpoint: connector.endpoint.clone(),
            call_timeout: Some(prost_types::Duration { seconds: 60, nanos: 0 }),
            ..Default::default()
        })
        .await
        .expect("the connector registers");
}

async fn run_to_the_end(app: &TestApp, email: &str, action: pb::Action) -> pb::PrivacyRequest {
    let created = app.create(email, action, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    let done = app
        .wait_for(&created.id, "the request to end", |r| matches!(state(r), pb::State::Completed | pb::State::Failed))
        .await;
    assert_eq!(state(&done), pb::State::Completed, "{done:#?}");
    done
}

/// One export group as export.json holds it: label, description, items by id (fields in order).
#[derive(Debug, PartialEq)]
struct Group {
    label: String,
    description: String,
    items: BTreeMap<String, Vec<(String, String)>>,
}

/// The groups of an export.json (WordPress's or privacyd's: the same shape), without the
/// report's own groups (`about`, privacyd's `privacyd-*`), item ids without `strip` prefix.
fn groups(export_json: &Value, strip: &str) -> BTreeMap<String, Group> {
    let report = export_json.as_object().and_then(|o| o.values().next()).expect("one report");
    let mut groups = BTreeMap::new();
    for (group_id, group) in report.as_object().unwrap() {
        if group_id == "about" || group_id.starts_with("privacyd-") {
            continue;
        }
        let text = |key: &str| group[key].as_str().unwrap_or_default().to_owned();
        let items = group["items"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, fields)| {
                let id = id.strip_prefix(strip).unwrap_or_else(|| panic!("item {id} lacks {strip:?}"));
                let fields =
                    fields.as_array().unwrap().iter().map(|f| (string(&f["name"]), string(&f["value"]))).collect();
                (id.to_owned(), fields)
            })
            .collect();
        groups.insert(
            group_id.clone(),
            Group { label: text("group_label"), description: text("group_description"), items },
        );
    }
    groups
}

fn string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every difference between WordPress's groups and privacyd's, one line each, named so that
/// the expected ones can be listed exactly.
fn differences(wordpress: &BTreeMap<String, Group>, privacyd: &BTreeMap<String, Group>) -> Vec<String> {
    let mut found = Vec::new();
    for (id, wp) in wordpress {
        let Some(ours) = privacyd.get(id) else {
            found.push(format!("group {id}: only in WordPress"));
            continue;
        };
        if wp.label != ours.label {
            found.push(format!("group {id}: label {:?} in WordPress, {:?} in privacyd", wp.label, ours.label));
        }
        if wp.description != ours.description {
            found.push(format!(
                "group {id}: description {:?} in WordPress, {:?} in privacyd",
                wp.description, ours.description
            ));
        }
        for (item, fields) in &wp.items {
            match ours.items.get(item) {
                None => found.push(format!("{id}/{item}: only in WordPress")),
                Some(theirs) if theirs != fields => {
                    found.push(format!("{id}/{item}: fields {fields:?} in WordPress, {theirs:?} in privacyd"))
                }
                Some(_) => {}
            }
        }
        for item in ours.items.keys().filter(|i| !wp.items.contains_key(*i)) {
            found.push(format!("{id}/{item}: only in privacyd"));
        }
    }
    for id in privacyd.keys().filter(|g| !wordpress.contains_key(*g)) {
        found.push(format!("group {id}: only in privacyd"));
    }
    found.sort();
    found
}

/// The listed differences name these anchors in docs/connectors.md; each must be there.
fn assert_documented(anchors: &[&str]) {
    let docs = std::fs::read_to_string(checkout().join("docs/connectors.md")).unwrap();
    for anchor in anchors {
        assert!(docs.contains(&format!("<a id=\"{anchor}\"></a>")), "docs/connectors.md does not explain {anchor}");
    }
}

/// WordPress writes the typographic apostrophe of its group descriptions as the HTML entity
/// (its export is HTML); the dataset writes the character, since privacyd escapes every string
/// it puts into HTML and the entity would show as "&#8217;".
const APOSTROPHE: &str = "wp-diff-apostrophe";
/// WordPress's comment query (status "all") leaves out spam and trashed comments; they hold
/// the subject's address, IP and text all the same.
const SPAM_AND_TRASH: &str = "wp-diff-spam-and-trash";
/// privacyd's erasure deletes the session tokens and the community-events location WordPress
/// keeps (it has no eraser for either).
const SESSIONS_AND_LOCATION: &str = "wp-diff-sessions-and-location";

fn archive_entry(archive: &[u8], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut out = Vec::new();
    zip.by_name(name).unwrap_or_else(|_| panic!("{name} is in the archive")).read_to_end(&mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacyds_export_through_the_connector_equals_wordpresss_own_exporters() {
    within_time_limit(export_comparison()).await
}

async fn export_comparison() {
    let site = tokio::task::spawn_blocking(site).await.unwrap();
    let fixture = site.fixture.clone();
    let email = fixture.subject_email.clone();
    let wp_export = {
        let wordpress = site.wordpress.on_database(site.wordpress.database());
        let email = email.clone();
        tokio::task::spawn_blocking(move || wordpress.export(&email, false)).await.unwrap().expect("WordPress exports")
    };
    let connector = Connector::start(&site);
    let app = TestApp::spawn(Backend::Sqlite).await;
    register(&app, &connector).await;
    let done = run_to_the_end(&app, &email, pb::Action::Export).await;
    let archive = crate::archive_shape::download(&app, &done.id).await;
    let ours: Value = serde_json::from_slice(&archive_entry(&archive, "export.json")).unwrap();

    let wordpress_groups = groups(&wp_export["export_json"], "");
    let privacyd_groups = groups(&ours, &format!("{SOURCE}/"));
    // The fixture reaches every group WordPress core exports.
    assert_eq!(
        wordpress_groups.keys().collect::<Vec<_>>(),
        ["comments", "community-events-location", "media", "session-tokens", "user"],
        "{wp_export:#}"
    );

    let mut expected: Vec<String> = [
        ("comments", "User&#8217;s comment data.", "User’s comment data."),
        (
            "community-events-location",
            "User&#8217;s location data used for the Community Events in the WordPress Events and News dashboard widget.",
            "User’s location data used for the Community Events in the WordPress Events and News dashboard widget.",
        ),
        ("media", "User&#8217;s media data.", "User’s media data."),
        ("session-tokens", "User&#8217;s Session Tokens data.", "User’s Session Tokens data."),
        ("user", "User&#8217;s profile data.", "User’s profile data."),
    ]
    .iter()
    .map(|(g, wp, ours)| format!("group {g}: description {wp:?} in WordPress, {ours:?} in privacyd"))
    .collect();
    // The fixture's fourth and fifth comments are its spam and its trashed one.
    for spam_or_trash in &fixture.comment_ids[3..5] {
        expected.push(format!("comments/comment-{spam_or_trash}: only in privacyd"));
    }
    expected.sort();
    assert_eq!(differences(&wordpress_groups, &privacyd_groups), expected);
    assert_documented(&[APOSTROPHE, SPAM_AND_TRASH]);

    // The media files themselves (WordPress's export gives only their URLs): each of the
    // subject's attachments is in the archive with the bytes of the file in the uploads folder.
    let report = ours.as_object().unwrap().values().next().unwrap();
    let files = report["privacyd-files"]["items"].as_object().expect("the archive lists its files");
    for (item, fields) in &wordpress_groups["media"].items {
        let url = &fields[0].1;
        let relative = url.strip_prefix("http://wordpress.test/wp-content/uploads/").expect("an uploads URL");
        let (path, _) = files
            .iter()
            .find(|(_, f)| {
                f.as_array().unwrap().iter().any(|p| p["name"] == "Item" && p["value"] == format!("{SOURCE}/{item}"))
            })
            .unwrap_or_else(|| panic!("no file for {item} in {files:#?}"));
        let on_disk = std::fs::read(fixture.uploads.join(relative)).unwrap();
        assert_eq!(archive_entry(&archive, path), on_disk, "{path} is {relative}");
    }
    assert_eq!(files.len(), fixture.media_ids.len(), "only the subject's files: {files:#?}");
    app.stop().await;
}

/// A table's rows as the `mariadb` client prints them, keyed by their first column.
fn rows(db: &ThrowawayMariaDb, database: &str, query: &str) -> BTreeMap<String, String> {
    db.sql(&format!("USE `{database}`; {query}"))
        .unwrap()
        .lines()
        .map(|line| (line.split('\t').next().unwrap().to_owned(), line.to_owned()))
        .collect()
}

/// The rows of the tables WordPress's and privacyd's erasures touch or could touch. The
/// `user_request` posts (and their meta) are WordPress's records of its own export and erasure
/// requests, made only on its side.
const TABLES: [(&str, &str); 6] = [
    ("wp_comments", "SELECT * FROM wp_comments ORDER BY comment_ID"),
    ("wp_commentmeta", "SELECT * FROM wp_commentmeta ORDER BY meta_id"),
    ("wp_users", "SELECT * FROM wp_users ORDER BY ID"),
    ("wp_usermeta", "SELECT * FROM wp_usermeta ORDER BY umeta_id"),
    ("wp_posts", "SELECT * FROM wp_posts WHERE post_type <> 'user_request' ORDER BY ID"),
    (
        "wp_postmeta",
        "SELECT m.* FROM wp_postmeta m JOIN wp_posts p ON p.ID = m.post_id \
         WHERE p.post_type <> 'user_request' ORDER BY m.meta_id",
    ),
];

fn row_differences(db: &ThrowawayMariaDb, wordpress: &str, privacyd: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (table, query) in TABLES {
        let wp = rows(db, wordpress, query);
        let ours = rows(db, privacyd, query);
        for (key, row) in &wp {
            match ours.get(key) {
                None => found.push(format!("{table} {key}: only in WordPress: {row}")),
                Some(other) if other != row => {
                    found.push(format!("{table} {key}: WordPress has {row:?}, privacyd {other:?}"))
                }
                Some(_) => {}
            }
        }
        for (key, row) in ours.iter().filter(|(k, _)| !wp.contains_key(*k)) {
            found.push(format!("{table} {key}: only in privacyd: {row}"));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacyds_erasure_through_the_connector_leaves_the_rows_wordpresss_eraser_leaves() {
    within_time_limit(erasure_comparison()).await
}

async fn erasure_comparison() {
    let site = tokio::task::spawn_blocking(site).await.unwrap();
    let fixture = site.fixture.clone();
    let email = fixture.subject_email.clone();
    let wp_erasure = {
        let wordpress = site.wordpress.on_database(site.wordpress.database());
        let email = email.clone();
        tokio::task::spawn_blocking(move || wordpress.erase(&email)).await.unwrap().expect("WordPress erases")
    };
    // Core has one eraser, for comments, and it found the subject's.
    let pages = wp_erasure["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 1, "{wp_erasure:#}");
    assert_eq!(
        (pages[0]["eraser"].as_str(), pages[0]["items_removed"].as_bool()),
        (Some("wordpress-comments"), Some(true))
    );

    let connector = Connector::start(&site);
    let app = TestApp::spawn(Backend::Sqlite).await;
    register(&app, &connector).await;
    let done = run_to_the_end(&app, &email, pb::Action::Erase).await;

    // What privacyd reports: the comments (5) and the sessions (2) and location (1) erased,
    // the account and the 2 attachments kept with the dataset's reasons; verified.
    let source = done.sources.iter().find(|s| s.source_name == SOURCE).unwrap();
    let erasure = source.erasure.as_ref().expect("the source answered Erase");
    assert_eq!((erasure.items_removed, erasure.items_retained), (8, 3), "{erasure:#?}");
    let mut retained: Vec<_> =
        erasure.retentions.iter().map(|r| (r.group_id.as_str(), r.items, r.legal_basis)).collect();
    retained.sort();
    assert_eq!(retained, [("media", 2, ds::LegalBasis::Contract as i32), ("user", 1, ds::LegalBasis::Contract as i32)]);
    assert!(erasure.retentions.iter().all(|r| r.reason.contains("administrator") && !r.retention_period.is_empty()));
    let summary = done.erasure.as_ref().unwrap();
    assert!(summary.verified, "{done:#?}");

    let (db, copy) = (&site.db, site.copy.clone());
    let found = row_differences(db, "wordpress", &copy);

    // Expected: the spam and trashed comments, which privacyd anonymises as WordPress's eraser
    // anonymises the others, and the two usermeta rows privacyd deletes.
    let mut expected_keys: Vec<String> =
        fixture.comment_ids[3..5].iter().map(|id| format!("wp_comments {id}: ")).collect();
    let usermeta = rows(
        db,
        "wordpress",
        &format!(
            "SELECT umeta_id FROM wp_usermeta WHERE user_id = {} \
             AND meta_key IN ('session_tokens', 'community-events-location') ORDER BY umeta_id",
            fixture.subject_id
        ),
    );
    assert_eq!(usermeta.len(), 2);
    expected_keys.extend(usermeta.keys().map(|id| format!("wp_usermeta {id}: only in WordPress")));
    let described: Vec<&str> = found
        .iter()
        .map(|d| expected_keys.iter().find(|k| d.starts_with(k.as_str())).map(String::as_str).unwrap_or(d.as_str()))
        .collect();
    let mut want: Vec<&str> = expected_keys.iter().map(String::as_str).collect();
    want.sort();
    let mut got = described.clone();
    got.sort();
    assert_eq!(got, want, "differences:\n{}", found.join("\n"));
    assert_documented(&[SPAM_AND_TRASH, SESSIONS_AND_LOCATION]);

    // What WordPress SHOULD have done to the spam and trashed comments, privacyd did: the
    // eraser's values, the text kept.
    let anonymised = rows(
        db,
        &copy,
        "SELECT comment_ID, comment_author, comment_author_email, comment_author_url, comment_author_IP, \
         comment_agent, user_id, comment_content FROM wp_comments WHERE comment_approved IN ('spam', 'trash') \
         ORDER BY comment_ID",
    );
    assert_eq!(
        anonymised.values().map(|r| r.split('\t').skip(1).collect::<Vec<_>>()).collect::<Vec<_>>(),
        [
            ["Anonymous", "", "", "198.51.100.0", "", "0", "Buy rabbits cheap."],
            ["Anonymous", "", "", "198.51.100.0", "", "0", "A comment she deleted."],
        ]
    );
    // And the other user's data is untouched on both sides (their rows are equal above).
    let bobs = rows(db, &copy, &format!("SELECT COUNT(*) FROM wp_usermeta WHERE user_id = {}", fixture.other_id));
    assert_ne!(bobs.keys().next().map(String::as_str), Some("0"));

    // A second erasure request (a new request id) changes no row: nothing of the subject is
    // left to erase, and what is retained stays.
    let again = run_to_the_end(&app, &email, pb::Action::Erase).await;
    assert!(again.erasure.as_ref().unwrap().verified);
    assert_eq!(row_differences(db, "wordpress", &copy), found, "a second erasure changed rows");
    drop(connector);
    app.stop().await;
}
