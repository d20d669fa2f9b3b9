//! The emailed download link speaks HTTP's range requests and HEAD (RFC 9110 §14, §9.3.2):
//! a broken download resumes where it stopped, a client may ask what it would get without
//! getting it, and only what delivers data is counted and audited as a download.

use std::time::Duration;

use privacyd::proto::privacy::v1 as pb;
use sha2::{Digest, Sha256};

use crate::{
    helpers::{Backend, ExampleSource, SmtpSink, TestApp, http_request, state, unique_email},
    on_both_backends,
};

on_both_backends!(a_download_resumes_from_the_byte_asked_for, head_describes_the_download_without_being_one);

/// A completed export of one example source (a 200 KB upload among its data) and the path and
/// query of its emailed link.
async fn exported(app: &TestApp) -> (pb::PrivacyRequest, String, ExampleSource) {
    let email = unique_email();
    let shop = ExampleSource::start(&[&email], None);
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "shop".into(),
            endpoint: shop.endpoint.clone(),
            call_timeout: Some(prost_types::Duration { seconds: 30, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
    let created = app.create(&email, pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    let done = app.wait_for(&created.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    let link = mail.raw.split_whitespace().find(|w| w.contains("/download?id=")).unwrap().to_owned();
    (done, link[link.find("/download").unwrap()..].to_owned(), shop)
}

/// The value of header `name` in a response head, if there.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

async fn downloads(app: &TestApp, id: &str) -> (i32, Vec<String>) {
    let request = app.get(id).await;
    let events = app
        .client
        .clone()
        .list_audit_events(pb::ListAuditEventsRequest { request_id: id.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    let details = events
        .into_iter()
        .filter(|e| e.r#type == pb::AuditEventType::ArchiveDownloaded as i32)
        .map(|e| e.detail)
        .collect();
    (request.archive.unwrap().download_count, details)
}

async fn a_download_resumes_from_the_byte_asked_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (done, link, _shop) = exported(&app).await;
    let archive = done.archive.unwrap();
    let size = archive.size_bytes as usize;
    let etag = format!("\"{}\"", archive.sha256);

    let (status, head, whole) = http_request(app.addr, "GET", &link, &[]);
    assert_eq!(status, 200, "{head}");
    assert_eq!(whole.len(), size);
    assert_eq!(hex::encode(Sha256::digest(&whole)), archive.sha256);
    assert_eq!(header(&head, "accept-ranges"), Some("bytes"), "{head}");
    assert_eq!(header(&head, "etag"), Some(etag.as_str()), "{head}");
    assert!(header(&head, "last-modified").is_some_and(|d| d.ends_with(" GMT")), "{head}");

    // Resuming from byte 1000, in the form download managers send.
    let (status, head, tail) = http_request(app.addr, "GET", &link, &[("Range", "bytes=1000-")]);
    assert_eq!(status, 206, "{head}");
    assert_eq!(header(&head, "content-range"), Some(format!("bytes 1000-{}/{size}", size - 1).as_str()));
    assert_eq!(header(&head, "content-length"), Some((size - 1000).to_string().as_str()));
    assert_eq!(tail, whole[1000..], "the rest of the same archive");

    // A middle part and a suffix.
    let (status, _, part) = http_request(app.addr, "GET", &link, &[("Range", "bytes=100-199")]);
    assert_eq!((status, part.as_slice()), (206, &whole[100..200]));
    let (status, _, last) = http_request(app.addr, "GET", &link, &[("Range", "bytes=-22")]);
    assert_eq!((status, last.as_slice()), (206, &whole[size - 22..]), "the zip's end record");

    // If-Range: the range only for this very archive, else the whole of it.
    let (status, _, part) = http_request(app.addr, "GET", &link, &[("Range", "bytes=10-19"), ("If-Range", &etag)]);
    assert_eq!((status, part.as_slice()), (206, &whole[10..20]));
    let (status, _, again) =
        http_request(app.addr, "GET", &link, &[("Range", "bytes=10-19"), ("If-Range", "\"another-archive\"")]);
    assert_eq!((status, again.len()), (200, size));

    // Several ranges, or a malformed one, get the whole archive (RFC 9110 §14.2 allows it).
    for range in ["bytes=0-9,20-29", "bytes=abc", "lines=1-2"] {
        let (status, _, body) = http_request(app.addr, "GET", &link, &[("Range", range)]);
        assert_eq!((status, body.len()), (200, size), "{range}");
    }

    // Past the end: 416 with the size, and nothing delivered, counted or audited.
    let (count_before, _) = downloads(&app, &done.id).await;
    let (status, head, body) = http_request(app.addr, "GET", &link, &[("Range", &format!("bytes={size}-"))]);
    assert_eq!(status, 416, "{head}");
    assert_eq!(header(&head, "content-range"), Some(format!("bytes */{size}").as_str()));
    assert!(body.is_empty());
    let (count, details) = downloads(&app, &done.id).await;
    assert_eq!(count, count_before, "a 416 is no download");
    // Every answer that sent data: whole, from 1000, 100-199, the suffix, If-Range 206, If-Range
    // 200, and the three ignored ranges.
    assert_eq!(count, 9);
    assert_eq!(details.len(), 9);
    assert_eq!(details[1], "download 2, from byte 1000", "a resumed download is audited with where it began");

    // A wrong token is refused whatever the range.
    let forged = format!("{}x", link);
    let (status, _, _) = http_request(app.addr, "GET", &forged, &[("Range", "bytes=0-9")]);
    assert_eq!(status, 404);
}

async fn head_describes_the_download_without_being_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (done, link, _shop) = exported(&app).await;
    let archive = done.archive.unwrap();
    let size = archive.size_bytes;

    let (status, head, body) = http_request(app.addr, "HEAD", &link, &[]);
    assert_eq!(status, 200, "{head}");
    assert!(body.is_empty());
    assert_eq!(header(&head, "content-length"), Some(size.to_string().as_str()), "{head}");
    assert_eq!(header(&head, "content-type"), Some("application/zip"));
    assert_eq!(header(&head, "accept-ranges"), Some("bytes"));
    assert_eq!(header(&head, "etag"), Some(format!("\"{}\"", archive.sha256).as_str()));
    assert!(header(&head, "content-disposition").is_some_and(|d| d.starts_with("attachment")));

    let (status, head, _) = http_request(app.addr, "HEAD", &link, &[("Range", "bytes=0-99")]);
    assert_eq!(status, 206, "{head}");
    assert_eq!(header(&head, "content-range"), Some(format!("bytes 0-99/{size}").as_str()));

    // The same checks as a GET: a wrong token is not told whether there is an archive.
    let (status, _, _) = http_request(app.addr, "HEAD", &format!("{link}x"), &[]);
    assert_eq!(status, 404);

    let (count, details) = downloads(&app, &done.id).await;
    assert_eq!((count, details.len()), (0, 0), "HEAD is not a download: {details:?}");

    // A real client resumes a broken download with HEAD's validator: curl -C - continues a
    // file cut off after 1,000 bytes, and the result is the archive.
    let (_, _, whole) = http_request(app.addr, "GET", &link, &[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.zip");
    std::fs::write(&file, &whole[..1000]).unwrap();
    let url = format!("http://{}{link}", app.addr);
    let curl = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new("curl").args(["-sS", "--fail", "-C", "-", "-o"]).arg(&file).arg(&url).output(),
    )
    .await
    .expect("curl finishes")
    .expect("curl runs");
    assert!(curl.status.success(), "{}", String::from_utf8_lossy(&curl.stderr));
    assert_eq!(hex::encode(Sha256::digest(std::fs::read(&file).unwrap())), archive.sha256);
    let (count, details) = downloads(&app, &done.id).await;
    assert_eq!(count, 2);
    assert_eq!(details[1], "download 2, from byte 1000");
}
