//! Exports: every enabled, export-capable source streams into one archive (export.json,
//! index.html, files), the subject gets a download link, and sources that fail, hang, break
//! their stream or break the protocol are retried and reported, never hidden.

use std::{io::Read, sync::atomic::Ordering, time::Duration};

use futures::StreamExt;
use privacyd::proto::privacy::v1 as pb;
use sha2::{Digest, Sha256};

use crate::{
    fake_source::{Misbehaving, serve},
    helpers::{Backend, ExampleSource, SmtpSink, TestApp, http_get, reason, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    an_export_gathers_every_source_into_one_downloadable_archive,
    a_failing_source_fails_the_request_and_processing_again_exports_every_source,
    hanging_broken_and_lying_sources_are_retried_or_refused,
);

fn register(name: &str, endpoint: &str, timeout_secs: i64) -> pb::RegisterDataSourceRequest {
    pb::RegisterDataSourceRequest {
        name: name.into(),
        endpoint: endpoint.into(),
        call_timeout: Some(prost_types::Duration { seconds: timeout_secs, nanos: 0 }),
        ..Default::default()
    }
}

async fn process(app: &TestApp, id: &str) {
    app.client.clone().process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.into() }).await.unwrap();
}

fn zip_entry(archive: &[u8], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut entry = zip.by_name(name).unwrap_or_else(|_| panic!("{name} is in the archive"));
    let mut out = Vec::new();
    entry.read_to_end(&mut out).unwrap();
    out
}

async fn an_export_gathers_every_source_into_one_downloadable_archive(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let shop = ExampleSource::start(&[&email], None);
    let forum = ExampleSource::start(&[&email, "someone.else@example.com"], None);
    let off = ExampleSource::start(&[&email], None);
    let mut registry = app.registry.clone();
    registry.register_data_source(register("shop", &shop.endpoint, 30)).await.unwrap();
    registry.register_data_source(register("forum", &forum.endpoint, 30)).await.unwrap();
    registry
        .register_data_source(pb::RegisterDataSourceRequest {
            enabled: Some(false),
            ..register("off", &off.endpoint, 30)
        })
        .await
        .unwrap();

    let created = app.create(&email, pb::Action::Export, false).await;
    process(&app, &created.id).await;
    let done = app.wait_for(&created.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    let names: Vec<&str> = done.sources.iter().map(|s| s.source_name.as_str()).collect();
    assert_eq!(names, ["forum", "off", "shop"], "every registered source is listed");
    let off = done.sources.iter().find(|s| s.source_name == "off").unwrap();
    assert_eq!(
        (off.state, off.skip_reason.as_str(), off.attempts),
        (pb::SourceState::Skipped as i32, "the data source is disabled", 0),
        "disabled sources are not asked"
    );
    for source in done.sources.iter().filter(|s| s.source_name != "off") {
        assert_eq!(source.state, pb::SourceState::Succeeded as i32);
        assert_eq!((source.items, source.attempts), (4, 1), "account, 2 comments, 1 upload");
        assert!(source.bytes > 200_000, "the file counts: {}", source.bytes);
    }
    let archive = done.archive.clone().unwrap();
    assert_eq!(archive.file_name, format!("privacy-export-{}.zip", created.id));
    assert!(archive.delete_time.is_none());

    // The email links to the archive; the link downloads it over HTTP.
    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    assert!(mail.subject().contains("export is ready"), "{}", mail.subject());
    let link = mail.raw.split_whitespace().find(|w| w.contains("/download?id=")).unwrap().to_owned();
    let path = &link[link.find("/download").unwrap()..];
    let (status, head, body) = http_get(app.addr, path);
    assert_eq!(status, 200, "{head}");
    assert!(head.to_lowercase().contains("content-disposition: attachment"));
    assert_eq!(body.len() as i64, archive.size_bytes);
    assert_eq!(hex::encode(Sha256::digest(&body)), archive.sha256);

    // export.json: WordPress's shape (one object titled for the subject, items as name/value
    // pairs); the two sources' records kept apart even where their ids are the same (two
    // systems' comment-1 are two comments).
    let json = zip_entry(&body, "export.json");
    crate::archive_shape::validate_against_schema(&json);
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let json = &json[format!("Personal Data Export for {email}")];
    let field = |item: &serde_json::Value, name: &str| {
        item.as_array().unwrap().iter().find(|f| f["name"] == name).map(|f| f["value"].clone())
    };
    assert_eq!(field(&json["about"]["items"]["about-1"], "Report generated for").unwrap(), email.as_str());
    let comments = json["comments"]["items"].as_object().unwrap();
    let mut ids: Vec<&str> = comments.keys().map(String::as_str).collect();
    ids.sort();
    assert_eq!(ids, ["forum/comment-1", "forum/comment-2", "shop/comment-1", "shop/comment-2"]);
    assert_eq!(field(&comments["shop/comment-1"], "Comment").unwrap(), "First!");
    let names: Vec<&str> =
        comments["shop/comment-1"].as_array().unwrap().iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(names.iter().filter(|n| **n == "Comment").count(), 1, "nothing merged across sources: {names:?}");
    assert!(
        field(&json["privacyd-processing-information"]["items"]["shop/account"], "Legal basis")
            .unwrap()
            .as_str()
            .unwrap()
            .contains("Art. 6(1)(b)")
    );
    assert!(json.get("someone.else@example.com").is_none());
    let dump = json.to_string();
    assert!(!dump.contains("someone.else@example.com"), "another subject's data never leaks in");

    // index.html: readable, escaped, with the Art. 15 information.
    let html = String::from_utf8(zip_entry(&body, "index.html")).unwrap();
    assert!(html.contains("How your data is processed") && html.contains("Provided by the subject at sign-up"));
    assert!(html.contains("Thanks for the &lt;b&gt;great&lt;&#x2f;b&gt; article &amp; the links."), "escaped");
    assert!(!html.contains("<b>great</b>"));
    let file = zip_entry(&body, "files/shop/uploads/1-avatar.png");
    assert_eq!(file.len(), 200_000);
    assert!(file.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));

    // DownloadExport over gRPC: admin, from an offset, header first.
    let mut stream = app
        .client
        .clone()
        .download_export(pb::DownloadExportRequest { id: created.id.clone(), token: String::new(), offset: 1000 })
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
            pb::download_export_response::Payload::Chunk(chunk) => tail.extend(chunk),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(tail, body[1000..], "resumed download");

    // The public method needs the token; downloads are counted and audited.
    let err = app
        .public
        .clone()
        .download_export(pb::DownloadExportRequest { id: created.id.clone(), token: "forged".into(), offset: 0 })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "INVALID_TOKEN");
    let past_the_end = archive.size_bytes + 1;
    let err = app
        .client
        .clone()
        .download_export(pb::DownloadExportRequest {
            id: created.id.clone(),
            token: String::new(),
            offset: past_the_end,
        })
        .await
        .unwrap_err();
    assert_eq!(crate::helpers::error_metadata(&err, "field").as_deref(), Some("offset"));
    // An admin is told that an id does not exist (a token holder is not).
    let unknown = uuid::Uuid::now_v7().to_string();
    let err = app
        .client
        .clone()
        .download_export(pb::DownloadExportRequest { id: unknown, token: String::new(), offset: 0 })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "NOT_FOUND");
    // Only the two downloads that started were counted: refused calls record nothing.
    let after = app.get(&created.id).await;
    assert_eq!(after.archive.unwrap().download_count, 2);
    let events = app.audit(&created.id).await;
    let downloads: Vec<i32> = events
        .iter()
        .filter(|e| e.r#type == pb::AuditEventType::ArchiveDownloaded as i32)
        .map(|e| e.actor.clone().unwrap().kind)
        .collect();
    assert_eq!(downloads, [pb::ActorKind::Subject as i32, pb::ActorKind::Admin as i32]);
}

async fn a_failing_source_fails_the_request_and_processing_again_exports_every_source(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.source_max_attempts = 2).await;
    let good = Misbehaving::default();
    let bad = Misbehaving::default();
    bad.failing.store(true, Ordering::SeqCst);
    let mut registry = app.registry.clone();
    registry.register_data_source(register("good", &serve(good.clone()).await, 10)).await.unwrap();
    registry.register_data_source(register("bad", &serve(bad.clone()).await, 10)).await.unwrap();

    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    process(&app, &created.id).await;
    let failed = app.wait_for(&created.id, "the export to fail", |r| state(r) == pb::State::Failed).await;
    assert!(failed.state_reason.contains("source bad failed"), "{}", failed.state_reason);
    assert!(failed.state_reason.contains("the database is on fire"), "{}", failed.state_reason);
    assert!(
        failed.state_reason.contains("<redacted>"),
        "the subject the source quoted is redacted: {}",
        failed.state_reason
    );
    let email = failed.subject.as_ref().unwrap().email.clone();
    assert!(!format!("{:?}", app.audit(&created.id).await).contains(&email), "no email address in the audit log");
    let bad_run = failed.sources.iter().find(|s| s.source_name == "bad").unwrap();
    assert_eq!((bad_run.state, bad_run.attempts), (pb::SourceState::Failed as i32, 2));
    assert!(bad_run.last_error.contains("Internal"), "{}", bad_run.last_error);
    assert_eq!(bad.calls.load(Ordering::SeqCst), 2, "retried up to --source-max-attempts");
    assert!(failed.archive.is_none());
    assert!(
        app.audit(&created.id)
            .await
            .iter()
            .any(|e| e.r#type == pb::AuditEventType::SourceFailed as i32 && e.detail.starts_with("bad: "))
    );

    // The source is fixed; processing again exports every source afresh (the failed request's
    // spools were removed: see failed_spools.rs).
    bad.failing.store(false, Ordering::SeqCst);
    process(&app, &created.id).await;
    let done = app.wait_for(&created.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    assert_eq!(good.calls.load(Ordering::SeqCst), 2, "the source that succeeded is asked again");
    assert_eq!(bad.calls.load(Ordering::SeqCst), 3);
    assert!(done.archive.is_some());
}

async fn hanging_broken_and_lying_sources_are_retried_or_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.source_max_attempts = 3).await;
    let hangs = Misbehaving { hang_first: 1, ..Default::default() };
    let breaks = Misbehaving { break_first: 2, ..Default::default() };
    let lies = Misbehaving { lie: true, ..Default::default() };
    let mut registry = app.registry.clone();
    registry.register_data_source(register("hangs", &serve(hangs.clone()).await, 1)).await.unwrap();
    registry.register_data_source(register("breaks", &serve(breaks.clone()).await, 10)).await.unwrap();
    registry.register_data_source(register("lies", &serve(lies.clone()).await, 10)).await.unwrap();

    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    process(&app, &created.id).await;
    let failed = app.wait_for(&created.id, "the export to end", |r| state(r) == pb::State::Failed).await;
    let run = |name: &str| failed.sources.iter().find(|s| s.source_name == name).unwrap().clone();
    // The hanging source was cut off at its deadline, then answered.
    assert_eq!((run("hangs").state, run("hangs").attempts), (pb::SourceState::Succeeded as i32, 2));
    // The broken streams were retried from scratch: the items are there once.
    assert_eq!(
        (run("breaks").state, run("breaks").attempts, run("breaks").items),
        (pb::SourceState::Succeeded as i32, 3, 2)
    );
    // A protocol violation is not retried: it would happen again.
    assert_eq!((run("lies").state, run("lies").attempts), (pb::SourceState::Failed as i32, 1));
    assert!(run("lies").last_error.contains("protocol violation"), "{}", run("lies").last_error);
    assert!(failed.state_reason.contains("source lies failed"), "{}", failed.state_reason);
    assert_eq!(lies.calls.load(Ordering::SeqCst), 1);
}

on_both_backends!(progress_streams_live_and_expired_archives_are_deleted);

async fn progress_streams_live_and_expired_archives_are_deleted(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.archive_ttl = Duration::from_secs(2);
        c.sweep_interval = Duration::from_millis(200);
    })
    .await;
    let slow = Misbehaving { slow: Some((25, Duration::from_millis(100))), ..Default::default() };
    app.registry.clone().register_data_source(register("slow", &serve(slow).await, 30)).await.unwrap();
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, false).await;
    let mut watch = app
        .client
        .clone()
        .watch_privacy_request(pb::WatchPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap()
        .into_inner();
    process(&app, &created.id).await;
    let mut progress = Vec::new();
    while let Some(message) = watch.next().await {
        let message = message.unwrap();
        if message.event.is_none()
            && let Some(run) = message.privacy_request.as_ref().and_then(|r| r.sources.first())
            && run.state == pb::SourceState::Running as i32
        {
            progress.push(run.items);
        }
    }
    assert!(progress.iter().any(|items| *items > 0 && *items < 25), "live counts while streaming: {progress:?}");
    let done = app.get(&created.id).await;
    assert_eq!(state(&done), pb::State::Completed);
    assert_eq!(done.sources[0].items, 25);

    // The link stops working when the archive expires; the record stays.
    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    let link = mail.raw.split_whitespace().find(|w| w.contains("/download?id=")).unwrap().to_owned();
    let expired = app
        .wait_for(&created.id, "the archive to be deleted", |r| {
            r.archive.as_ref().is_some_and(|a| a.delete_time.is_some())
        })
        .await;
    assert_eq!(expired.archive.unwrap().sha256, done.archive.unwrap().sha256);
    let (status, _, _) = http_get(app.addr, &link[link.find("/download").unwrap()..]);
    assert_eq!(status, 410);
    let err = app
        .client
        .clone()
        .download_export(pb::DownloadExportRequest { id: created.id.clone(), token: String::new(), offset: 0 })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "ARCHIVE_EXPIRED");
    assert!(!app.data_dir.path().join("exports").join(&created.id).exists(), "the file is gone");
    assert!(app.audit(&created.id).await.iter().any(|e| e.r#type == pb::AuditEventType::ArchiveDeleted as i32));
}

on_both_backends!(auto_processing_starts_exports_on_confirmation);

async fn auto_processing_starts_exports_on_confirmation(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.auto_process = true).await;
    let email = unique_email();
    let source = ExampleSource::start(&[&email], None);
    app.registry.clone().register_data_source(register("shop", &source.endpoint, 30)).await.unwrap();

    // Confirmed by the subject: processing starts by itself.
    let created = app.create(&email, pb::Action::Export, true).await;
    app.confirm_from_email(&email).await;
    let done = app.wait_for(&created.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    assert_eq!(done.sources[0].items, 4);
    let started = app
        .audit(&created.id)
        .await
        .into_iter()
        .find(|e| e.r#type == pb::AuditEventType::ProcessingStarted as i32)
        .unwrap();
    assert_eq!(started.actor.unwrap(), pb::Actor { kind: pb::ActorKind::System as i32, id: "auto-process".into() });

    // Created confirmed by an operator: the same.
    let other = unique_email();
    let created = app.create(&other, pb::Action::Export, false).await;
    assert_eq!(state(&created), pb::State::Processing, "already processing when Create answers");
    app.wait_for(&created.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
}

on_both_backends!(deleting_or_ending_a_request_removes_its_files);

async fn deleting_or_ending_a_request_removes_its_files(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.source_max_attempts = 1).await;
    let bad = Misbehaving::default();
    bad.failing.store(true, Ordering::SeqCst);
    let email = unique_email();
    let good = ExampleSource::start(&[&email], None);
    let mut registry = app.registry.clone();
    registry.register_data_source(register("good", &good.endpoint, 10)).await.unwrap();
    registry.register_data_source(register("bad", &serve(bad).await, 10)).await.unwrap();
    let exports = app.data_dir.path().join("exports");
    let mut client = app.client.clone();

    // FAILED keeps nothing on disk (failed_spools.rs); deleting removes the request's folder.
    let first = app.create(&email, pb::Action::Export, false).await;
    process(&app, &first.id).await;
    app.wait_for(&first.id, "the export to fail", |r| state(r) == pb::State::Failed).await;
    client.delete_privacy_request(pb::DeletePrivacyRequestRequest { id: first.id.clone() }).await.unwrap();
    assert!(!exports.join(&first.id).exists(), "the subject's data is gone from disk");

    // Denying a failed request leaves none of its spools either.
    let second = app.create(&email, pb::Action::Export, false).await;
    process(&app, &second.id).await;
    app.wait_for(&second.id, "the export to fail", |r| state(r) == pb::State::Failed).await;
    client
        .deny_privacy_request(pb::DenyPrivacyRequestRequest { id: second.id.clone(), reason: "duplicate".into() })
        .await
        .unwrap();
    assert!(!exports.join(&second.id).join("sources").exists());
}

on_both_backends!(files_a_crash_left_behind_are_removed_at_start);

/// A crash between a commit and the removal of files leaves personal data on disk; the start
/// of the next privacyd removes it, and nothing that is still in use.
async fn files_a_crash_left_behind_are_removed_at_start(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = unique_email();
    let shop = ExampleSource::start(&[&email], None);
    app.registry.clone().register_data_source(register("shop", &shop.endpoint, 30)).await.unwrap();
    let completed = app.create(&email, pb::Action::Export, false).await;
    process(&app, &completed.id).await;
    app.wait_for(&completed.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    let processing = app.processing_request().await;

    let exports = app.data_dir.path().join("exports");
    let stray = |path: std::path::PathBuf| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"personal data").unwrap();
        path
    };
    // A deleted request's folder, a finished request's spool, an in-progress request's spool,
    // and a folder that is not privacyd's.
    let deleted = stray(exports.join(uuid::Uuid::now_v7().to_string()).join("sources/shop/items.jsonl"));
    let spool = stray(exports.join(&completed.id).join("sources/shop/items.jsonl"));
    let in_use = stray(exports.join(&processing.id).join("sources/hanging/items.jsonl"));
    let foreign = stray(exports.join("lost+found/notes.txt"));
    // A build of the finished request's archive that was never recorded (a crash between
    // building and recording, or an attempt that lost its lease), and one of the in-progress
    // request's that may still be recorded.
    let name = format!("privacy-export-{}.zip", completed.id);
    let unrecorded = stray(exports.join(&completed.id).join("0badc0de").join(&name).join("parts.json"));
    let building = stray(exports.join(&processing.id).join("0badc0de/.archive-staging-1/tail-0.zip"));

    assert_eq!(app.workflow().await.remove_stray_files().await.unwrap(), 2);
    assert!(!unrecorded.parent().unwrap().parent().unwrap().exists(), "the unrecorded build");
    assert!(building.exists(), "a build of a request in progress stays");
    assert!(!deleted.parent().unwrap().parent().unwrap().parent().unwrap().exists(), "the deleted request's folder");
    assert!(!spool.parent().unwrap().parent().unwrap().exists(), "the finished request's spools");
    // `<request id>/<build>/privacy-export-<request id>.zip`.
    let archive = std::fs::read_dir(exports.join(&completed.id))
        .unwrap()
        .map(|entry| entry.unwrap().path().join(&name))
        .find(|archive| archive.exists());
    assert!(archive.is_some(), "the archive stays until it expires");
    assert!(in_use.exists() && foreign.exists(), "files in use, and files that are not privacyd's, stay");
    assert_eq!(app.workflow().await.remove_stray_files().await.unwrap(), 0, "nothing left to clean");
}
