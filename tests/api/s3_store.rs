//! Archives and spools in an S3 bucket (`--archive-store s3://...`), against a real
//! S3-compatible server that checks signatures (s3s-fs, started per test): an export's
//! spools and archive live in the bucket, not on privacyd's disk; the emailed link answers
//! with a redirect to a presigned URL that the bucket honours only unaltered and in time;
//! `DownloadExport` reads through privacyd from any offset; the sweeper and
//! DeletePrivacyRequest delete the objects.

use std::{net::SocketAddr, time::Duration};

use futures::StreamExt;
use privacyd::{
    domain::RequestId,
    objects::{Objects, StoreLocation},
    proto::privacy::v1 as pb,
    testing::ThrowawayS3,
};
use sha2::{Digest, Sha256};

use crate::{
    helpers::{Backend, ExampleSource, SmtpSink, TestApp, http_get, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    an_export_in_s3_downloads_by_redirect_to_a_presigned_url_and_through_download_export,
    the_sweeper_and_deleting_a_request_delete_its_objects,
);

/// Where an export's objects are in the bucket, under the test's prefix.
const PREFIX: &str = "privacyd/exports";

async fn s3_app(backend: Backend, s3: &ThrowawayS3, configure: impl FnOnce(&mut privacyd::config::Config)) -> TestApp {
    let location = s3.location(PREFIX);
    let options = s3.options();
    TestApp::spawn_with(backend, move |c| {
        c.archive_store = Some(location);
        c.archive_store_options = options;
        configure(c);
    })
    .await
}

/// An export of `email` from two example sources (items and a 200 kB file each), completed.
/// A completed export of two example sources, once the spools it was built from are gone:
/// the job that built the archive removes them just after recording it, so they may outlive
/// the request's completion by a moment.
async fn completed_export(app: &TestApp, s3: &ThrowawayS3, email: &str) -> (pb::PrivacyRequest, Vec<ExampleSource>) {
    let sources = vec![ExampleSource::start(&[email], None), ExampleSource::start(&[email], None)];
    for (name, source) in ["shop", "forum"].iter().zip(&sources) {
        // Registering twice is refused; the second export of a test reuses the sources.
        let _ = app
            .registry
            .clone()
            .register_data_source(pb::RegisterDataSourceRequest {
                name: (*name).into(),
                endpoint: source.endpoint.clone(),
                call_timeout: Some(prost_types::Duration { seconds: 30, nanos: 0 }),
                ..Default::default()
            })
            .await;
    }
    let created = app.create(email, pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    let done = app.wait_for(&created.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    let spools = format!("{}/sources/", done.id);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while s3.objects().iter().any(|key| key.contains(&spools)) {
        assert!(std::time::Instant::now() < deadline, "the spools of a built archive are removed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (done, sources)
}

/// Every file under `dir`.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            found.extend(files_under(&entry.path()));
        } else {
            found.push(entry.path());
        }
    }
    found
}

/// The `Location` header of a response.
fn location(head: &str) -> url::Url {
    let line = head.lines().find(|l| l.to_lowercase().starts_with("location:")).expect("a Location header");
    url::Url::parse(line["location:".len()..].trim()).unwrap()
}

/// GETs a URL on loopback: (status, body).
fn get(url: &url::Url) -> (u16, Vec<u8>) {
    let addr: SocketAddr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap()).parse().unwrap();
    assert!(addr.ip().is_loopback(), "tests only reach loopback: {url}");
    let path = format!("{}?{}", url.path(), url.query().unwrap_or(""));
    let (status, _, body) = http_get(addr, &path);
    (status, body)
}

async fn an_export_in_s3_downloads_by_redirect_to_a_presigned_url_and_through_download_export(backend: Backend) {
    let s3 = ThrowawayS3::start().unwrap();
    let app = s3_app(backend, &s3, |_| {}).await;
    let email = unique_email();
    let (done, _sources) = completed_export(&app, &s3, &email).await;
    let archive = done.archive.clone().unwrap();

    // The archive is in the bucket, whole; the spools it was built from are gone, and
    // nothing of the export is on privacyd's disk.
    // Under its build's own folder: `<request id>/<build>/privacy-export-<request id>.zip`.
    let objects = s3.objects();
    assert_eq!(objects.len(), 1, "only the archive is left in the bucket: {objects:?}");
    let key = objects[0].clone();
    let build = key
        .strip_prefix(&format!("{PREFIX}/{}/", done.id))
        .and_then(|rest| rest.strip_suffix(&format!("/privacy-export-{}.zip", done.id)))
        .and_then(privacyd::domain::ArchiveBuild::parse)
        .unwrap_or_else(|| panic!("the archive is under a build of its own: {key}"));
    let exports = app.data_dir.path().join("exports");
    assert!(!exports.exists(), "no local export folder with an S3 store");
    let scratch = files_under(&app.data_dir.path().join("scratch"));
    assert!(scratch.is_empty(), "the scratch folder is emptied: {scratch:?}");

    // The emailed link: the token check and the audit event, then a redirect to a presigned
    // URL that lives a minute, which the bucket answers with the recorded archive.
    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    let link = mail.raw.split_whitespace().find(|w| w.contains("/download?id=")).unwrap().to_owned();
    let (status, head, _) = http_get(app.addr, &link[link.find("/download").unwrap()..]);
    assert_eq!(status, 303, "{head}");
    assert!(head.to_lowercase().contains("cache-control: no-store"), "{head}");
    let presigned = location(&head);
    assert!(presigned.path().ends_with(&key), "{presigned}");
    let query: std::collections::HashMap<_, _> = presigned.query_pairs().into_owned().collect();
    assert_eq!(query.get("X-Amz-Expires").map(String::as_str), Some("60"), "{presigned}");
    let (status, body) = get(&presigned);
    assert_eq!(status, 200);
    assert_eq!(body.len() as i64, archive.size_bytes);
    assert_eq!(hex::encode(Sha256::digest(&body)), archive.sha256);
    let downloaded = app.audit(&done.id).await;
    assert!(downloaded.iter().any(|e| e.r#type == pb::AuditEventType::ArchiveDownloaded as i32));
    // A wrong token gets no redirect.
    let forged_link = link[link.find("/download").unwrap()..].replace("token=", "token=x");
    assert_eq!(http_get(app.addr, &forged_link).0, 404);

    // The bucket refuses the URL with its signature altered, or with its key changed...
    let mut forged = presigned.clone();
    let pairs: Vec<(String, String)> = presigned
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "X-Amz-Signature" {
                let flipped = if v.ends_with('0') { "1" } else { "0" };
                (k, format!("{}{flipped}", &v[..v.len() - 1]))
            } else {
                (k, v)
            }
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(&pairs);
    assert_ne!(forged, presigned);
    assert_eq!(get(&forged).0, 403, "a forged signature is refused");
    let mut other_key = presigned.clone();
    other_key.set_path(&presigned.path().replace(".zip", ".zip.bak"));
    assert_eq!(get(&other_key).0, 403, "a signature is for one object");
    // ...and once it has expired (signed here for one second, with privacyd's own store).
    let store =
        Objects::open(&StoreLocation::S3 { bucket: s3.bucket.clone(), prefix: PREFIX.into() }, &s3.options()).unwrap();
    let id = RequestId::parse("id", &done.id).unwrap();
    let short = store.presigned_archive_url(id, Some(build), Duration::from_secs(1)).await.unwrap().unwrap();
    assert_eq!(get(&short).0, 200, "in time");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(get(&short).0, 403, "an expired URL is refused");

    // DownloadExport streams through privacyd, from any offset.
    for offset in [0, 1000, archive.size_bytes - 1, archive.size_bytes] {
        let mut stream = app
            .client
            .clone()
            .download_export(pb::DownloadExportRequest { id: done.id.clone(), token: String::new(), offset })
            .await
            .unwrap()
            .into_inner();
        let header = match stream.next().await.unwrap().unwrap().payload.unwrap() {
            pb::download_export_response::Payload::Header(header) => header,
            other => panic!("expected the header first, got {other:?}"),
        };
        assert_eq!((header.size_bytes, header.sha256.as_str()), (archive.size_bytes, archive.sha256.as_str()));
        let mut tail = Vec::new();
        while let Some(message) = stream.next().await {
            match message.unwrap().payload.unwrap() {
                pb::download_export_response::Payload::Chunk(chunk) => {
                    assert!(chunk.len() <= 256 * 1024);
                    tail.extend(chunk)
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(tail, body[offset as usize..], "from offset {offset}");
    }
}

async fn the_sweeper_and_deleting_a_request_delete_its_objects(backend: Backend) {
    let s3 = ThrowawayS3::start().unwrap();
    let app = s3_app(backend, &s3, |c| {
        c.archive_ttl = Duration::from_secs(6);
        c.sweep_interval = Duration::from_millis(200);
    })
    .await;
    let in_bucket = |id: &str| s3.objects().into_iter().filter(|key| key.contains(id)).collect::<Vec<_>>();

    // Deleted before it expired: its objects go with it.
    let (deleted, _sources) = completed_export(&app, &s3, &unique_email()).await;
    assert_eq!(in_bucket(&deleted.id).len(), 1, "the archive");
    app.client
        .clone()
        .delete_privacy_request(pb::DeletePrivacyRequestRequest { id: deleted.id.clone() })
        .await
        .unwrap();
    assert!(in_bucket(&deleted.id).is_empty(), "{:?}", in_bucket(&deleted.id));

    // Expired: the sweeper deletes the object and records it.
    let (expiring, _sources) = completed_export(&app, &s3, &unique_email()).await;
    assert_eq!(in_bucket(&expiring.id).len(), 1, "the archive");
    let expired = app
        .wait_for(&expiring.id, "the archive to be deleted", |r| {
            r.archive.as_ref().is_some_and(|a| a.delete_time.is_some())
        })
        .await;
    assert_eq!(expired.archive.unwrap().sha256, expiring.archive.unwrap().sha256);
    assert!(in_bucket(&expiring.id).is_empty(), "{:?}", in_bucket(&expiring.id));
}
