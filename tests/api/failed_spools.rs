//! What a failed export leaves on disk: nothing. A failed attempt's partial spool goes before
//! the retry, every spool of a request goes when it FAILS (processing it again exports every
//! source afresh), and the start-up cleanup removes what a crash left of a FAILED request.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures::StreamExt;
use privacyd::proto::{
    privacy::datasource::v1::{
        self as ds,
        data_source_service_server::{DataSourceService, DataSourceServiceServer},
    },
    privacy::v1 as pb,
};
use tonic::{Request, Response, Status};

use crate::{
    fake_source::serve,
    fake_source::{describe_things, item},
    helpers::{Backend, TestApp, state, unique_email},
    on_both_backends,
};

/// A source that, while `stalls` is set, streams items and the start of a file fast and then
/// sends nothing more until its deadline cuts it off; otherwise it sends a whole export.
#[derive(Clone, Default)]
struct Stalling {
    stalls: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

#[tonic::async_trait]
impl DataSourceService for Stalling {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(describe_things("stalling")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let stalls = self.stalls.load(Ordering::SeqCst);
        let mut messages: Vec<Result<ds::ExportResponse, Status>> =
            (0..200).map(|i| Ok(item(&format!("item-{i}")))).collect();
        let chunk = ds::FileChunk {
            path: "uploads/photo.jpg".into(),
            data: vec![7; 256 * 1024],
            offset: 0,
            eof: !stalls,
            content_type: "image/jpeg".into(),
            ..Default::default()
        };
        messages.push(Ok(ds::ExportResponse { payload: Some(ds::export_response::Payload::FileChunk(chunk)) }));
        let stream = futures::stream::iter(messages);
        Ok(Response::new(if stalls { stream.chain(futures::stream::pending()).boxed() } else { stream.boxed() }))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("this test source only exports"))
    }
}

async fn register(app: &TestApp, name: &str, source: Stalling, timeout_secs: i64) {
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: name.into(),
            endpoint: serve(source).await,
            call_timeout: Some(prost_types::Duration { seconds: timeout_secs, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// Every file under `dir`, with its size.
fn files_under(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                found.push((entry.path(), meta.len()));
            }
        }
    }
    found
}

/// Waits (a bounded time) until nothing is left under `dir`.
async fn until_empty(dir: &Path, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = files_under(dir);
        if left.is_empty() {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: still on disk: {left:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

on_both_backends!(a_failed_export_leaves_nothing_on_disk_and_processing_it_again_exports_every_source);

async fn a_failed_export_leaves_nothing_on_disk_and_processing_it_again_exports_every_source(backend: Backend) {
    // A backoff long enough to look at the disk between the two attempts.
    let app = TestApp::spawn_with(backend, |c| {
        c.source_max_attempts = 2;
        c.retry_base = Duration::from_secs(3);
        c.retry_max = Duration::from_secs(3);
    })
    .await;
    let good = Stalling::default();
    let stalling = Stalling::default();
    stalling.stalls.store(true, Ordering::SeqCst);
    register(&app, "good", good.clone(), 10).await;
    register(&app, "stalling", stalling.clone(), 1).await;

    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    let sources = app.data_dir.path().join("exports").join(&created.id).join("sources");
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();

    // The first attempt ran into its deadline: recorded as a failure to retry, with its
    // partial spool (200 items and a quarter of a file) already gone.
    let between = app
        .wait_for(&created.id, "the stalling source's first attempt to fail", |r| {
            r.sources.iter().any(|s| {
                s.source_name == "stalling" && s.state == pb::SourceState::Pending as i32 && !s.last_error.is_empty()
            })
        })
        .await;
    assert_eq!(state(&between), pb::State::Processing);
    let partial = files_under(&sources.join("stalling"));
    assert!(partial.is_empty(), "a failed attempt's spool stays until its retry: {partial:?}");

    // The retry fails too, and so does the request: no spool of it is left, the good
    // source's finished one included.
    let failed = app.wait_for(&created.id, "the export to fail", |r| state(r) == pb::State::Failed).await;
    assert!(failed.state_reason.contains("source stalling failed"), "{}", failed.state_reason);
    assert_eq!(stalling.calls.load(Ordering::SeqCst), 2);
    until_empty(&app.data_dir.path().join("exports").join(&created.id), "the FAILED request's spools").await;

    // Processing it again exports every source afresh and completes.
    stalling.stalls.store(false, Ordering::SeqCst);
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    let done = app.wait_for(&created.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    assert_eq!((good.calls.load(Ordering::SeqCst), stalling.calls.load(Ordering::SeqCst)), (2, 3));
    for run in &done.sources {
        assert_eq!((run.state, run.items), (pb::SourceState::Succeeded as i32, 200), "{}", run.source_name);
        assert!(run.bytes > 256 * 1024, "{}: its file is exported: {} bytes", run.source_name, run.bytes);
    }
    assert!(done.archive.is_some());
    until_empty(&sources, "the spools of the completed export").await;
}

on_both_backends!(the_spools_a_crash_left_of_a_failed_request_are_removed_at_start);

/// A crash between the request's failure and the removal of its spools leaves them behind;
/// the next start removes them (it used to skip every request that was not finished).
async fn the_spools_a_crash_left_of_a_failed_request_are_removed_at_start(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.source_max_attempts = 1).await;
    let stalling = Stalling::default();
    stalling.stalls.store(true, Ordering::SeqCst);
    register(&app, "stalling", stalling, 1).await;
    let failed = app.create(&unique_email(), pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: failed.id.clone() })
        .await
        .unwrap();
    app.wait_for(&failed.id, "the export to fail", |r| state(r) == pb::State::Failed).await;
    let exports = app.data_dir.path().join("exports");
    until_empty(&exports.join(&failed.id), "the FAILED request's spools").await;
    let processing = app.processing_request().await;

    let left = |path: PathBuf| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"personal data").unwrap();
        path
    };
    let failed_spool = left(exports.join(&failed.id).join("sources/good/files.bin"));
    let in_use = left(exports.join(&processing.id).join("sources/hanging/items.jsonl"));
    // Scratch files a crash left on this replica: a failed request's spool as it streamed, and
    // the index of an archive being built for a request deleted since.
    let scratch = app.data_dir.path().join("scratch");
    let failed_scratch = left(scratch.join(&failed.id).join("sources/good/items.jsonl"));
    let gone = uuid::Uuid::now_v7().to_string();
    let gone_scratch = left(scratch.join(&gone).join("assembly-0123/index/items.db"));

    assert_eq!(app.workflow().await.remove_stray_files().await.unwrap(), 2);
    assert!(!exports.join(&failed.id).join("sources").exists(), "{} is still there", failed_spool.display());
    assert!(!scratch.join(&failed.id).exists(), "{} is still there", failed_scratch.display());
    assert!(!scratch.join(&gone).exists(), "{} is still there", gone_scratch.display());
    assert!(in_use.exists(), "a request in progress keeps its spools");
    assert_eq!(app.workflow().await.remove_stray_files().await.unwrap(), 0, "nothing left to clean");
}

/// A source that spools `first` bytes of a file, `later` more after a pause (long enough for
/// privacyd to record its progress), and then nothing until its deadline.
#[derive(Clone)]
struct SpoolsThenStalls;

/// A source that waits for `go`, then streams a file of `chunks` chunks of `size` bytes,
/// 100 ms apart.
#[derive(Clone)]
struct StreamsOnSignal {
    go: Arc<tokio::sync::Semaphore>,
    chunks: usize,
    size: usize,
}

fn file_chunk(data: Vec<u8>, offset: usize, eof: bool) -> ds::ExportResponse {
    let chunk = ds::FileChunk { path: "big.bin".into(), data, offset: offset as i64, eof, ..Default::default() };
    ds::ExportResponse { payload: Some(ds::export_response::Payload::FileChunk(chunk)) }
}

#[tonic::async_trait]
impl DataSourceService for SpoolsThenStalls {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(describe_things("stalls")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let stream = futures::stream::iter([0usize, 1]).then(|i| async move {
            if i == 1 {
                tokio::time::sleep(Duration::from_millis(1200)).await;
            }
            Ok(file_chunk(vec![1; 400_000], i * 400_000, false))
        });
        Ok(Response::new(stream.chain(futures::stream::pending()).boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("this test source only exports"))
    }
}

#[tonic::async_trait]
impl DataSourceService for StreamsOnSignal {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(describe_things("on-signal")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let _ = self.go.acquire().await.unwrap();
        let (chunks, size) = (self.chunks, self.size);
        let stream = futures::stream::iter(0..chunks).then(move |i| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(file_chunk(vec![2; size], i * size, i + 1 == chunks))
        });
        Ok(Response::new(stream.boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("this test source only exports"))
    }
}

async fn register_service<S: DataSourceService>(app: &TestApp, name: &str, source: S, timeout_secs: i64) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(DataSourceServiceServer::new(source))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: name.into(),
            endpoint: format!("http://{addr}"),
            call_timeout: Some(prost_types::Duration { seconds: timeout_secs, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

on_both_backends!(a_failed_attempt_counts_nothing_towards_the_request_quota);

/// What a failed attempt spooled is deleted, so it no longer counts towards the request's
/// quota: another source may use that room (it was refused with EXPORT_QUOTA_EXCEEDED while
/// the partial spool stayed on disk).
async fn a_failed_attempt_counts_nothing_towards_the_request_quota(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.source_max_attempts = 1;
        c.export_request_quota = bytesize::ByteSize::b(1_000_000);
    })
    .await;
    let go = Arc::new(tokio::sync::Semaphore::new(0));
    register_service(&app, "stalls", SpoolsThenStalls, 3).await;
    register_service(&app, "later", StreamsOnSignal { go: go.clone(), chunks: 5, size: 100_000 }, 30).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();

    // 800 kB of a file spooled, then the deadline: failed for good.
    app.wait_for(&created.id, "the stalling source to fail", |r| {
        r.sources.iter().any(|s| s.source_name == "stalls" && s.state == pb::SourceState::Failed as i32)
    })
    .await;
    // Now the other source streams 500 kB: with the 800 kB gone, it fits the 1 MB quota.
    go.add_permits(1);
    let failed = app.wait_for(&created.id, "the export to end", |r| state(r) == pb::State::Failed).await;
    let later = failed.sources.iter().find(|s| s.source_name == "later").unwrap();
    assert_eq!(later.state, pb::SourceState::Succeeded as i32, "{}", later.last_error);
    assert_eq!(later.bytes, 500_000);
    assert!(failed.state_reason.contains("source stalls failed"), "{}", failed.state_reason);
}
