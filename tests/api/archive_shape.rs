//! What the subject receives, entry by entry: `export.json` in WordPress's shape, exactly as
//! docs/export.schema.json describes it, with no key twice and everything in the order the
//! sources sent it; `index.html` in the same order; privacyd's own groups that no source can
//! forge; group descriptions from `Describe`; entries dated when the archive was built
//! (issue 9, items 9, 12, 13, 20 and 28).

use std::io::Read;

use futures::StreamExt;
use privacyd::proto::privacy::{
    datasource::v1::{
        self as ds,
        data_source_service_server::{DataSourceService, DataSourceServiceServer},
    },
    v1 as pb,
};
use tonic::{Request, Response, Status};

use crate::{
    helpers::{Backend, TestApp, state, unique_email},
    on_both_backends,
};

/// A source that answers `Describe` and `Export` with what the test gave it.
#[derive(Clone)]
pub struct Scripted {
    pub describe: ds::DescribeResponse,
    pub messages: Vec<ds::ExportResponse>,
}

impl Scripted {
    /// A source of export-only `categories` (group id, label, description) that streams
    /// `messages`.
    pub fn new(categories: &[(&str, &str, &str)], messages: Vec<ds::ExportResponse>) -> Self {
        let categories = categories
            .iter()
            .map(|(group_id, label, description)| ds::DataCategory {
                group_id: (*group_id).into(),
                label: (*label).into(),
                description: (*description).into(),
                ..Default::default()
            })
            .collect();
        Scripted {
            describe: ds::DescribeResponse {
                name: "scripted".into(),
                version: "1".into(),
                protocol_version: 1,
                capabilities: vec![ds::Capability::Export as i32],
                categories,
            },
            messages,
        }
    }

    pub async fn serve(self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(DataSourceServiceServer::new(self).max_encoding_message_size(8 << 20))
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        format!("http://{addr}")
    }
}

#[tonic::async_trait]
impl DataSourceService for Scripted {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(self.describe.clone()))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        Ok(Response::new(futures::stream::iter(self.messages.clone().into_iter().map(Ok)).boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("export only"))
    }
}

/// An item message: `fields` as (name, value).
pub fn item(group: (&str, &str, &str), item_id: &str, fields: &[(&str, &str)]) -> ds::ExportResponse {
    let (group_id, group_label, group_description) = group;
    ds::ExportResponse {
        payload: Some(ds::export_response::Payload::Item(ds::ExportItem {
            group_id: group_id.into(),
            group_label: group_label.into(),
            group_description: group_description.into(),
            item_id: item_id.into(),
            data: fields.iter().map(|(n, v)| ds::ExportField { name: (*n).into(), value: (*v).into() }).collect(),
        })),
    }
}

fn file(path: &str, group_id: &str, item_id: &str, data: &[u8]) -> ds::ExportResponse {
    ds::ExportResponse {
        payload: Some(ds::export_response::Payload::FileChunk(ds::FileChunk {
            path: path.into(),
            data: data.to_vec(),
            offset: 0,
            eof: true,
            content_type: "text/plain".into(),
            group_id: group_id.into(),
            item_id: item_id.into(),
        })),
    }
}

/// Registers the sources, runs an export for `email` and waits for it to end.
async fn export(app: &TestApp, email: &str, sources: Vec<(&str, Scripted)>) -> pb::PrivacyRequest {
    let mut registry = app.registry.clone();
    for (name, source) in sources {
        registry
            .register_data_source(pb::RegisterDataSourceRequest {
                name: name.into(),
                endpoint: source.serve().await,
                call_timeout: Some(prost_types::Duration { seconds: 60, nanos: 0 }),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let created = app.create(email, pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    app.wait_for(&created.id, "the export to end", |r| matches!(state(r), pb::State::Completed | pb::State::Failed))
        .await
}

/// The archive of a completed export, through DownloadExport.
pub async fn download(app: &TestApp, id: &str) -> Vec<u8> {
    let mut stream = app
        .client
        .clone()
        .download_export(pb::DownloadExportRequest { id: id.into(), token: String::new(), offset: 0 })
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(message) = stream.next().await {
        if let Some(pb::download_export_response::Payload::Chunk(chunk)) = message.unwrap().payload {
            bytes.extend(chunk);
        }
    }
    bytes
}

fn entry(archive: &[u8], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut out = Vec::new();
    zip.by_name(name).unwrap_or_else(|_| panic!("{name} is in the archive")).read_to_end(&mut out).unwrap();
    out
}

/// JSON as written: objects keep their keys in order, and a key that appears twice in an
/// object is an error (it is in Python's `json.load`, which keeps the last, as in the forged
/// "About" of issue 9, item 13).
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    /// Parses `text`, refusing duplicate keys.
    pub fn parse(text: &[u8]) -> Result<Ordered, serde_json::Error> {
        serde_json::from_slice(text)
    }

    pub fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Object(pairs) => pairs.iter().map(|(k, _)| k.as_str()).collect(),
            other => panic!("not an object: {other:?}"),
        }
    }

    pub fn get(&self, key: &str) -> &Ordered {
        match self {
            Ordered::Object(pairs) => {
                pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v).unwrap_or_else(|| panic!("no {key:?} in {self:?}"))
            }
            other => panic!("not an object: {other:?}"),
        }
    }

    pub fn str(&self) -> &str {
        match self {
            Ordered::String(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    /// An item's name/value pairs.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        match self {
            Ordered::Array(fields) => fields.iter().map(|f| (f.get("name").str(), f.get("value").str())).collect(),
            other => panic!("an item is an array of name/value pairs, not {other:?}"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
                Ok(Ordered::String(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Ordered::Array(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut out: Vec<(String, Ordered)> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                while let Some((k, v)) = map.next_entry::<String, Ordered>()? {
                    if !seen.insert(k.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                    out.push((k, v));
                }
                Ok(Ordered::Object(out))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Checks `export.json` against docs/export.schema.json with Python's `jsonschema` (an
/// implementation independent of privacyd), refusing duplicate keys as it parses.
pub fn validate_against_schema(json: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.json");
    std::fs::write(&path, json).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new("python3")
        .arg(format!("{root}/tests/support/validate_export.py"))
        .arg(format!("{root}/docs/export.schema.json"))
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "export.json does not match docs/export.schema.json:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

const ORDERS: (&str, &str, &str) = ("orders", "Orders", "");
const COMMENTS: (&str, &str, &str) = ("comments", "Comments", "What you wrote");

on_both_backends!(export_json_has_wordpress_shape_and_the_sources_order_everywhere);

/// Issue 9, items 12 and 20: WordPress's shape (one top-level object titled for the subject;
/// each item an array of name/value pairs), groups, items and fields in the order the
/// sources sent them, a repeated field name kept as it was sent, and index.html in the same
/// order.
async fn export_json_has_wordpress_shape_and_the_sources_order_everywhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    // Group "orders" first, then "comments"; order-2 before order-1; order-2's fields sent in
    // two messages, with another item's message between them.
    let shop = Scripted::new(
        &[("orders", "Orders", ""), ("comments", "Comments", "")],
        vec![
            item(ORDERS, "order-2", &[("Total", "2"), ("Status", "paid")]),
            item(COMMENTS, "c-9", &[("Comment", "Zebra"), ("Approved", "yes")]),
            item(ORDERS, "order-1", &[("Total", "10")]),
            item(ORDERS, "order-2", &[("Total", "1"), ("Address", "Main St")]),
            file("receipts/2.txt", "orders", "order-2", b"receipt"),
        ],
    );
    // A second source, read after the first (sources in name order): its group of the same id
    // is the same group, after the first source's items.
    let blog = Scripted::new(&[], vec![item(COMMENTS, "c-1", &[("Comment", "Aardvark")])]);
    let done = export(&app, &email, vec![("shop", shop), ("zblog", blog)]).await;
    assert_eq!(state(&done), pb::State::Completed, "{}", done.state_reason);
    let archive = download(&app, &done.id).await;
    let json = entry(&archive, "export.json");
    validate_against_schema(&json);

    let document = Ordered::parse(&json).expect("export.json parses, with no key twice");
    let title = format!("Personal Data Export for {email}");
    assert_eq!(document.keys(), [title.as_str()], "one top-level object, titled as WordPress titles it");
    let groups = document.get(&title);
    assert_eq!(
        groups.keys(),
        ["about", "privacyd-processing-information", "orders", "comments", "privacyd-files"],
        "About first, then the processing information, then the sources' groups as they arrived, then the files"
    );
    assert_eq!(
        groups.get("about").get("items").get("about-1").pairs().iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["Report generated for", "For organization", "Generated", "Request"],
        "privacyd's own groups keep their order too"
    );
    assert_eq!(groups.get("about").get("items").get("about-1").pairs()[0].1, email);
    let orders = groups.get("orders").get("items");
    assert_eq!(orders.keys(), ["shop/order-2", "shop/order-1"], "items as they arrived, not sorted");
    assert_eq!(
        orders.get("shop/order-2").pairs(),
        [("Total", "2"), ("Status", "paid"), ("Total", "1"), ("Address", "Main St")],
        "the fields of both messages, in the order sent, a repeated name kept as sent"
    );
    assert_eq!(groups.get("comments").get("items").keys(), ["shop/c-9", "zblog/c-1"]);
    assert_eq!(
        groups.get("comments").get("items").get("shop/c-9").pairs(),
        [("Comment", "Zebra"), ("Approved", "yes")]
    );
    let files = groups.get("privacyd-files").get("items");
    assert_eq!(files.keys(), ["files/shop/receipts/2.txt"]);
    let described: Vec<(&str, &str)> = files.get("files/shop/receipts/2.txt").pairs();
    assert!(described.contains(&("Item", "shop/order-2")) && described.contains(&("Group", "orders")), "{described:?}");
    assert!(described.contains(&("Sent as", "receipts/2.txt")), "{described:?}");
    let processing = groups.get("privacyd-processing-information").get("items");
    assert_eq!(processing.keys(), ["shop/orders", "shop/comments"]);

    // index.html: the same groups, items and fields, in the same order.
    let html = String::from_utf8(entry(&archive, "index.html")).unwrap();
    let at = |text: &str| html.find(text).unwrap_or_else(|| panic!("{text:?} is in index.html:\n{html}"));
    let sequence = [
        "<th>Total</th><td>2</td>",
        "<th>Status</th><td>paid</td>",
        "<th>Total</th><td>1</td>",
        "<th>Address</th><td>Main St</td>",
        "<th>Total</th><td>10</td>",
        "<th>Comment</th><td>Zebra</td>",
        "<th>Approved</th><td>yes</td>",
        "<th>Comment</th><td>Aardvark</td>",
        // Escaped: minijinja writes "/" as "&#x2f;".
        "receipts&#x2f;2.txt</a>",
    ];
    let positions: Vec<usize> = sequence.iter().map(|text| at(text)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "index.html keeps the order: {sequence:?} at {positions:?}");
    assert!(at(">Orders</a> <span class=\"muted\">(2 items)") < at(">Comments</a> <span class=\"muted\">(2 items)"));
}

on_both_backends!(twenty_thousand_fields_of_one_name_are_kept_in_order);

/// Issue 9, item 9: 10,000 fields of one name took 15.9 s to build and 20,000 took 114 s (a
/// quadratic search for a free " (n)" suffix). Names are kept as sent now; timing is in
/// `privacy-bench export --shape repeated-name`.
async fn twenty_thousand_fields_of_one_name_are_kept_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let values: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
    let fields: Vec<(&str, &str)> = values.iter().map(|v| ("Total", v.as_str())).collect();
    // In two messages, so the merge is part of it.
    let (first, second) = fields.split_at(12_345);
    let source = Scripted::new(
        &[("orders", "Orders", "")],
        vec![item(ORDERS, "order-1", first), item(ORDERS, "order-1", second)],
    );
    let email = unique_email();
    let done = export(&app, &email, vec![("shop", source)]).await;
    assert_eq!(state(&done), pb::State::Completed, "{}", done.state_reason);
    let json = entry(&download(&app, &done.id).await, "export.json");
    let document = Ordered::parse(&json).unwrap();
    let pairs = document
        .get(&format!("Personal Data Export for {email}"))
        .get("orders")
        .get("items")
        .get("shop/order-1")
        .pairs();
    assert_eq!(pairs, fields, "every field, by its own name, in order");
}

on_both_backends!(a_source_cannot_forge_privacyds_own_groups);

/// Issue 9, item 13: a source that sent items of group `about` produced a second "about" key,
/// and Python's `json.load` read the forged one ("Report generated for" the attacker). The
/// ids privacyd writes itself are reserved: such a stream breaks the protocol, the source fails
/// and is not retried, and no archive is made from it.
async fn a_source_cannot_forge_privacyds_own_groups(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.source_max_attempts = 3).await;
    for (n, reserved) in
        ["about", "ABOUT", "privacyd-processing-information", "privacyd-files", "privacyd-new"].into_iter().enumerate()
    {
        let forged = item(
            (reserved, "About", "Overview of export report."),
            "about-1",
            &[("Report generated for", "attacker@example.com")],
        );
        let source =
            Scripted::new(&[("orders", "Orders", "")], vec![item(ORDERS, "order-1", &[("Total", "1")]), forged]);
        let done = export(&app, &unique_email(), vec![(&format!("forger-{n}"), source)]).await;
        assert_eq!(state(&done), pb::State::Failed, "{reserved}: a forged group fails the source");
        let run = &done.sources[0];
        assert_eq!(run.attempts, 1, "{reserved}: a protocol violation is not retried");
        assert!(
            run.last_error.contains("protocol violation") && run.last_error.contains("reserves"),
            "{}",
            run.last_error
        );
        assert!(done.archive.is_none());
        // The registry keeps it; the next loop's request asks every source again, so it goes.
        app.registry
            .clone()
            .delete_data_source(pb::DeleteDataSourceRequest { name: format!("forger-{n}") })
            .await
            .unwrap();
    }

    // A Describe that declares a category in a reserved group is refused at registration.
    let declares = Scripted::new(&[("orders", "Orders", ""), ("About", "About", "")], vec![]);
    let err = app
        .registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "declares-about".into(),
            endpoint: declares.serve().await,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(crate::helpers::reason(&err), "INVALID_DESCRIPTION", "{err:?}");
    assert!(err.message().contains("reserves"), "{}", err.message());

    // Group ids that merely look alike are the source's own, and land in its groups, once.
    let email = unique_email();
    let source = Scripted::new(
        &[],
        vec![
            item(("about-me", "About me", ""), "1", &[("Report generated for", "attacker@example.com")]),
            item(("privacy-processing-information", "Processing", ""), "1", &[("x", "y")]),
        ],
    );
    let done = export(&app, &email, vec![("lookalike", source)]).await;
    assert_eq!(state(&done), pb::State::Completed, "{}", done.state_reason);
    let json = entry(&download(&app, &done.id).await, "export.json");
    validate_against_schema(&json);
    let document = Ordered::parse(&json).expect("no key twice");
    let groups = document.get(&format!("Personal Data Export for {email}"));
    assert_eq!(groups.get("about").get("items").get("about-1").pairs()[0], ("Report generated for", email.as_str()));
    assert_eq!(
        groups.keys(),
        ["about", "privacyd-processing-information", "about-me", "privacy-processing-information"]
    );
}

on_both_backends!(descriptions_come_from_describe_and_entries_are_dated_when_built);

/// Issue 9, item 28: a group's description, when the items leave it empty, is the one the
/// source gave the category in `Describe`; zip entries carry the time the archive was built,
/// not 1980-01-01.
async fn descriptions_come_from_describe_and_entries_are_dated_when_built(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let source = Scripted::new(
        &[("orders", "Orders", "What you bought from us"), ("comments", "Comments", "From Describe")],
        vec![
            item(("orders", "", ""), "order-1", &[("Total", "1")]),
            // An item's own description wins over Describe's.
            item(COMMENTS, "c-1", &[("Comment", "hi")]),
            file("a.txt", "", "", b"a"),
        ],
    );
    let before = chrono::Utc::now();
    let done = export(&app, &email, vec![("shop", source)]).await;
    let after = chrono::Utc::now();
    assert_eq!(state(&done), pb::State::Completed, "{}", done.state_reason);
    let archive = download(&app, &done.id).await;
    let json = entry(&archive, "export.json");
    let document = Ordered::parse(&json).unwrap();
    let groups = document.get(&format!("Personal Data Export for {email}"));
    assert_eq!(groups.get("orders").get("group_description").str(), "What you bought from us");
    assert_eq!(groups.get("orders").get("group_label").str(), "Orders", "an empty label takes Describe's too");
    assert_eq!(groups.get("comments").get("group_description").str(), "What you wrote");
    let html = String::from_utf8(entry(&archive, "index.html")).unwrap();
    assert!(html.contains("<p>What you bought from us</p>"), "{html}");

    // MS-DOS times: UTC, to two seconds.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&archive)).unwrap();
    assert_eq!(zip.len(), 3);
    for i in 0..zip.len() {
        let entry = zip.by_index(i).unwrap();
        let dated = entry.last_modified().expect("a date");
        let dated = chrono::NaiveDate::from_ymd_opt(dated.year().into(), dated.month().into(), dated.day().into())
            .unwrap()
            .and_hms_opt(dated.hour().into(), dated.minute().into(), dated.second().into())
            .unwrap()
            .and_utc();
        assert!(
            dated >= before - chrono::Duration::seconds(2) && dated <= after,
            "{} is dated {dated}, not between {before} and {after}",
            entry.name().unwrap()
        );
    }
}
