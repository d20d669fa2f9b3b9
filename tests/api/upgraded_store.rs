//! What an earlier privacyd left in the archive store stays readable after an upgrade (issue
//! 14, section 5, which changed the layout): an archive it wrote as one file on the file store
//! downloads whole and by range with its recorded SHA-256 and is deleted with its request; a
//! spool it stored with `files.bin` (the files' bytes, no zip entries) for a request still
//! exporting ends up in that request's archive, on the file store and on S3.

use std::{
    io::{Read, Write},
    sync::Arc,
    time::Duration,
};

use futures::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, path::Path as Key};
use privacyd::{
    proto::{
        privacy::datasource::v1::{self as ds, data_source_service_server::DataSourceService},
        privacy::v1 as pb,
    },
    testing::ThrowawayS3,
};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use crate::{
    fake_source::{describe_things, item, serve},
    helpers::{Backend, TestApp, http_request, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    an_archive_an_earlier_privacyd_wrote_as_one_file_downloads_and_is_deleted,
    a_spool_an_earlier_privacyd_stored_reaches_the_archive_on_the_file_store,
    a_spool_an_earlier_privacyd_stored_reaches_the_archive_on_s3,
);

/// The files [`Files`] sends: one across several chunks, a small one, an empty one.
fn sent_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("photos/big.bin", (0..700_000u32).map(|i| (i * 7 % 251) as u8).collect()),
        ("notes/hello.txt", b"hello from before the upgrade".to_vec()),
        ("empty.txt", Vec::new()),
    ]
}

/// A source that, once `gate` lets it (at once when it has no gate), sends three items and
/// [`sent_files`], each file in chunks of at most 256 KiB.
#[derive(Clone)]
struct Files {
    name: &'static str,
    gate: Option<Arc<tokio::sync::Semaphore>>,
}

#[tonic::async_trait]
impl DataSourceService for Files {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(describe_things(self.name)))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        let mut messages: Vec<Result<ds::ExportResponse, Status>> =
            (0..3).map(|i| Ok(item(&format!("item-{i}")))).collect();
        for (path, data) in sent_files() {
            let chunks: Vec<&[u8]> = if data.is_empty() { vec![&[]] } else { data.chunks(256 * 1024).collect() };
            let mut offset = 0;
            for (i, chunk) in chunks.iter().enumerate() {
                let chunk = ds::FileChunk {
                    path: path.into(),
                    data: chunk.to_vec(),
                    offset,
                    eof: i + 1 == chunks.len(),
                    content_type: "application/octet-stream".into(),
                    group_id: "things".into(),
                    item_id: "item-0".into(),
                };
                offset += chunk.data.len() as i64;
                messages.push(Ok(ds::ExportResponse { payload: Some(ds::export_response::Payload::FileChunk(chunk)) }));
            }
        }
        Ok(Response::new(futures::stream::iter(messages).boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("this test source only exports"))
    }
}

async fn register(app: &TestApp, source: Files) {
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: source.name.into(),
            endpoint: serve(source).await,
            call_timeout: Some(prost_types::Duration { seconds: 30, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn process(app: &TestApp, id: &str) {
    app.client.clone().process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.into() }).await.unwrap();
}

/// Waits (up to 30 s: privacyd's retries of a failed build would pass the default 10 s) for
/// the request to complete, failing at once if it fails.
async fn completed(app: &TestApp, id: &str) -> pb::PrivacyRequest {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let request = app.get(id).await;
        match state(&request) {
            pb::State::Completed => return request,
            pb::State::Failed => panic!("the export failed: {request:#?}"),
            _ => {}
        }
        assert!(tokio::time::Instant::now() < deadline, "the export did not complete: {request:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The archive through `DownloadExport` from `offset`, checked against the header's size and
/// SHA-256 when whole.
async fn download(app: &TestApp, id: &str, offset: i64) -> (pb::ExportArchiveHeader, Vec<u8>) {
    let mut stream = app
        .client
        .clone()
        .download_export(pb::DownloadExportRequest { id: id.into(), token: String::new(), offset })
        .await
        .unwrap()
        .into_inner();
    let header = match stream.next().await.unwrap().unwrap().payload.unwrap() {
        pb::download_export_response::Payload::Header(header) => header,
        other => panic!("expected the header first, got {other:?}"),
    };
    let mut body = Vec::new();
    while let Some(message) = stream.next().await {
        match message.unwrap().payload.unwrap() {
            pb::download_export_response::Payload::Chunk(chunk) => body.extend(chunk),
            other => panic!("unexpected {other:?}"),
        }
    }
    if offset == 0 {
        assert_eq!(body.len() as i64, header.size_bytes);
        assert_eq!(hex::encode(Sha256::digest(&body)), header.sha256);
    }
    (header, body)
}

async fn an_archive_an_earlier_privacyd_wrote_as_one_file_downloads_and_is_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    register(&app, Files { name: "shop", gate: None }).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, false).await;
    process(&app, &created.id).await;
    let done = completed(&app, &created.id).await;
    let archive = done.archive.clone().unwrap();
    let (_, zip) = download(&app, &done.id, 0).await;

    // What an earlier privacyd left at the archive's name: the zip as one file (its local
    // store wrote each object as a file), recorded without a build (migration 0023).
    let request_dir = app.data_dir.path().join("exports").join(&done.id);
    let built = std::fs::read_dir(&request_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|dir| dir.join(&archive.file_name).exists())
        .expect("the archive is in its build's folder");
    assert!(built.join(&archive.file_name).is_dir(), "this privacyd keeps an archive as a folder of parts");
    std::fs::remove_dir_all(&built).unwrap();
    let path = request_dir.join(&archive.file_name);
    std::fs::write(&path, &zip).unwrap();
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap();
    let unbuilt = sqlx::query("UPDATE export_archives SET build_id = NULL WHERE request_id = $1")
        .bind(done.id.clone())
        .execute(&mut db)
        .await
        .unwrap();
    assert_eq!(unbuilt.rows_affected(), 1);

    let (header, whole) = download(&app, &done.id, 0).await;
    assert_eq!((header.size_bytes, header.sha256.as_str()), (archive.size_bytes, archive.sha256.as_str()));
    assert_eq!(whole, zip);
    let (_, tail) = download(&app, &done.id, 1000).await;
    assert_eq!(tail, zip[1000..]);
    // The emailed link's way, with a range (RFC 9110 §14).
    let mail = crate::helpers::SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    let link = mail.raw.split_whitespace().find(|w| w.contains("/download?id=")).unwrap().to_owned();
    let link = &link[link.find("/download").unwrap()..];
    let (status, head, body) = http_request(app.addr, "GET", link, &[("Range", "bytes=500-1499")]);
    assert_eq!(status, 206, "{head}");
    assert_eq!(body, zip[500..1500]);
    let (status, head, body) = http_request(app.addr, "GET", link, &[]);
    assert_eq!(status, 200, "{head}");
    assert_eq!(hex::encode(Sha256::digest(&body)), archive.sha256);
    let mut opened = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let mut big = Vec::new();
    opened.by_name("files/shop/photos/big.bin").unwrap().read_to_end(&mut big).unwrap();
    assert_eq!(big, sent_files()[0].1);

    // Deleting the request deletes it (as the sweeper's expiry does, by the same call).
    app.client.clone().delete_privacy_request(pb::DeletePrivacyRequestRequest { id: done.id.clone() }).await.unwrap();
    assert!(!path.exists(), "the archive is deleted");
    assert!(!app.data_dir.path().join("exports").join(&done.id).exists(), "and its request's folder");
}

/// The store as a plain object store, as an earlier privacyd wrote to it.
fn raw_store(app: &TestApp, s3: Option<&ThrowawayS3>) -> Arc<dyn ObjectStore> {
    match s3 {
        None => Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(app.data_dir.path().join("exports")).unwrap(),
        ),
        Some(s3) => {
            let mut builder = object_store::aws::AmazonS3Builder::new().with_bucket_name(&s3.bucket);
            for option in s3.options() {
                let (key, value) = option.split_once('=').unwrap();
                let key = match key.parse::<object_store::aws::AmazonS3ConfigKey>() {
                    Ok(key) => key,
                    Err(_) => object_store::aws::AmazonS3ConfigKey::Client(key.parse().unwrap()),
                };
                builder = builder.with_config(key, value);
            }
            Arc::new(object_store::prefix::PrefixStore::new(builder.build().unwrap(), S3_PREFIX))
        }
    }
}

const S3_PREFIX: &str = "privacyd/exports";

async fn get(store: &dyn ObjectStore, key: &Key) -> Vec<u8> {
    store.get(key).await.unwrap().bytes().await.unwrap().to_vec()
}

/// Rewrites a source's spool in the store into the earlier layout, as an earlier privacyd
/// stored it: `files.jsonl` without the zip entries, `files.bin` with the files' bytes one
/// after another in the list's order, and no segment. Returns the files, (path, bytes).
async fn store_as_an_earlier_privacyd(store: &dyn ObjectStore, spool: &Key) -> Vec<(String, Vec<u8>)> {
    let list = get(store, &spool.clone().join("files.jsonl")).await;
    let segment = get(store, &spool.clone().join("files.zip")).await;
    let (mut legacy, mut bin, mut files) = (Vec::new(), Vec::new(), Vec::new());
    for line in String::from_utf8(list).unwrap().lines() {
        let mut file: serde_json::Value = serde_json::from_str(line).unwrap();
        let entry = file.as_object_mut().unwrap().remove("entry").expect("a current line has its zip entry");
        // The entry's data follows its local header (APPNOTE 4.3.7): 30 bytes, then the name
        // and the extra field, whose lengths are at offsets 26 and 28.
        let offset = entry["offset"].as_u64().unwrap() as usize;
        let length = |at: usize| u16::from_le_bytes([segment[offset + at], segment[offset + at + 1]]) as usize;
        let start = offset + 30 + length(26) + length(28);
        let stored = &segment[start..start + entry["compressed_size"].as_u64().unwrap() as usize];
        let data = match entry["method"].as_str().unwrap() {
            "Stored" => stored.to_vec(),
            "Deflated" => {
                let mut data = Vec::new();
                flate2::read::DeflateDecoder::new(stored).read_to_end(&mut data).unwrap();
                data
            }
            other => panic!("method {other}"),
        };
        assert_eq!(data.len() as u64, file["size"].as_u64().unwrap());
        bin.extend_from_slice(&data);
        files.push((file["path"].as_str().unwrap().to_owned(), data));
        serde_json::to_writer(&mut legacy, &file).unwrap();
        legacy.write_all(b"\n").unwrap();
    }
    store.put(&spool.clone().join("files.jsonl"), PutPayload::from(legacy)).await.unwrap();
    store.put(&spool.clone().join("files.bin"), PutPayload::from(bin)).await.unwrap();
    store.delete(&spool.clone().join("files.zip")).await.unwrap();
    // Nor did it index its items: they are read back to index them.
    store.delete(&spool.clone().join("items-index.jsonl")).await.unwrap();
    files
}

/// An export of two sources: `shop`'s spool is stored, then rewritten into the earlier layout
/// while `late` waits; then `late` sends, and the archive must hold `shop`'s files whole.
async fn a_spool_in_the_earlier_layout_reaches_the_archive(app: &TestApp, s3: Option<&ThrowawayS3>) {
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    register(app, Files { name: "shop", gate: None }).await;
    register(app, Files { name: "late", gate: Some(gate.clone()) }).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    process(app, &created.id).await;
    let store = raw_store(app, s3);
    let spool = Key::from(created.id.as_str()).join("sources").join("shop");
    // The segment is the last of a spool to be stored.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.head(&spool.clone().join("files.zip")).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "shop's spool was not stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let files = store_as_an_earlier_privacyd(store.as_ref(), &spool).await;
    assert_eq!(files.len(), 3);
    gate.add_permits(1);

    let done = completed(app, &created.id).await;
    let (_, zip) = download(app, &done.id, 0).await;
    assert_eq!(files.iter().map(|(p, d)| (p.as_str(), d.clone())).collect::<Vec<_>>(), sent_files());
    let mut opened = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    for source in ["shop", "late"] {
        for (path, data) in sent_files() {
            let mut read = Vec::new();
            let name = format!("files/{source}/{path}");
            opened.by_name(&name).unwrap_or_else(|e| panic!("{name}: {e}")).read_to_end(&mut read).unwrap();
            assert_eq!(read, data, "{name}");
        }
    }
    let mut json = String::new();
    opened.by_name("export.json").unwrap().read_to_string(&mut json).unwrap();
    for source in ["shop", "late"] {
        for i in 0..3 {
            assert!(json.contains(&format!("\"{source}/item-{i}\"")), "{source}/item-{i} in export.json: {json}");
        }
    }
}

async fn a_spool_an_earlier_privacyd_stored_reaches_the_archive_on_the_file_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    a_spool_in_the_earlier_layout_reaches_the_archive(&app, None).await;
}

async fn a_spool_an_earlier_privacyd_stored_reaches_the_archive_on_s3(backend: Backend) {
    let s3 = ThrowawayS3::start().unwrap();
    let location = s3.location(S3_PREFIX);
    let options = s3.options();
    let app = TestApp::spawn_with(backend, move |c| {
        c.archive_store = Some(location);
        c.archive_store_options = options;
        // Deflated entries this time, rewritten as such.
        c.archive_compression = privacyd::export::Compression::Deflate;
    })
    .await;
    a_spool_in_the_earlier_layout_reaches_the_archive(&app, Some(&s3)).await;
}
