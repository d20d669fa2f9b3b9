//! Issue 11's acceptance test for object storage: two privacyd processes with their own data
//! folders and nothing shared on disk, one PostgreSQL, one S3 server (s3s-fs). Exports with
//! files from three sources complete, each source job runs once, every archive downloads from
//! either replica (link and `DownloadExport`) with the recorded SHA-256, and a replica killed
//! with SIGKILL while it uploads an archive leaves no half archive recorded; the other replica
//! finishes it.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use privacyd::{
    proto::privacy::{
        datasource::v1::{self as ds, data_source_service_server::DataSourceService},
        v1::{
            self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient,
            privacy_request_service_client::PrivacyRequestServiceClient,
        },
    },
    testing::{ThrowawayS3, free_port},
};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status, transport::Channel};

use crate::helpers::{SmtpSink, fresh_postgres_database, http_get, unique_email};

/// Exports made by the two replicas together.
const EXPORTS: usize = 24;
/// The file every source sends with every export.
const FILE_BYTES: usize = 64 * 1024;
/// The file one source sends for the export whose replica is killed: large enough that its
/// archive is uploaded in several parts (8 MiB each), so that it can be held after the first.
const BIG_FILE_BYTES: usize = 64 << 20;
/// The subjects whose export gets the big file start with this.
const BIG: &str = "big-";

/// A source that counts its calls and sends two items and a file for every subject (and a big
/// file for the one whose address starts with `BIG`).
#[derive(Clone, Default)]
struct Counted {
    calls: Arc<AtomicUsize>,
}

fn chunk(path: &str, data: Vec<u8>, offset: usize, eof: bool) -> ds::ExportResponse {
    ds::ExportResponse {
        payload: Some(ds::export_response::Payload::FileChunk(ds::FileChunk {
            path: path.into(),
            content_type: "application/octet-stream".into(),
            group_id: "things".into(),
            data,
            offset: offset as i64,
            eof,
            ..Default::default()
        })),
    }
}

/// `len` bytes that do not compress (a deflated archive is as large as its files).
fn noise(seed: usize, len: usize) -> Vec<u8> {
    let mut x = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tonic::async_trait]
impl DataSourceService for Counted {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(crate::fake_source::describe_things("counted")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let big = request.into_inner().subject.is_some_and(|s| s.email.starts_with(BIG));
        let mut messages = vec![crate::fake_source::item("one"), crate::fake_source::item("two")];
        messages.push(chunk("photo.bin", noise(call, FILE_BYTES), 0, true));
        let head = futures::stream::iter(messages.into_iter().map(Ok));
        // The big file is made as it is taken, a MiB at a time.
        const PART: usize = 1 << 20;
        let parts = if big { BIG_FILE_BYTES / PART } else { 0 };
        let tail = futures::stream::iter(0..parts)
            .map(move |i| Ok(chunk("video.bin", noise(call * 1000 + i, PART), i * PART, i + 1 == parts)));
        Ok(Response::new(head.chain(tail).boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("export only"))
    }
}

/// A privacyd process with its own data folder; the bucket and the database are all it shares.
struct Replica {
    child: Child,
    addr: String,
    data_dir: PathBuf,
}

impl Replica {
    /// A replica whose S3 requests go to `endpoint` (the server, or a relay in front of it).
    fn start(database_url: &str, s3: &ThrowawayS3, endpoint: &str, data_dir: &Path, token: &str) -> Replica {
        let addr = format!("127.0.0.1:{}", free_port().unwrap());
        std::fs::create_dir_all(data_dir).unwrap();
        let log = std::fs::File::create(data_dir.join("privacyd.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_privacyd"))
            .args(["--listen", &addr, "--database-url", database_url])
            .args(["--smtp-url", &SmtpSink::global().url()])
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--archive-store", &format!("s3://{}/replicas", s3.bucket)])
            // The standard variables, as in production.
            .env("AWS_ACCESS_KEY_ID", ThrowawayS3::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", ThrowawayS3::SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("PRIVACYD_ADMIN_TOKENS", token)
            // A dead replica's jobs are taken over after its lease: short here, but not so
            // short that a live replica's renewal (every third of it) comes late on a loaded
            // machine. At 2 s, the other replica took over the big export's source jobs from a
            // replica streaming 3 x 64 MiB in a debug build, and each source was asked twice.
            .args(["--job-lease", "6s", "--job-poll-interval", "100ms", "--retry-base", "100ms"])
            .args(["--log", "warn"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Replica { child, addr, data_dir: data_dir.to_owned() }
    }

    async fn channel(&self) -> Channel {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match Channel::from_shared(format!("http://{}", self.addr)).unwrap().connect().await {
                Ok(channel) => return channel,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(err) => panic!("privacyd did not start: {err}"),
            }
        }
    }

    /// Whether this replica is building `id`'s archive (its scratch space for it exists).
    fn building(&self, id: &str) -> bool {
        std::fs::read_dir(self.data_dir.join("scratch").join(id))
            .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("assembly-")))
            .unwrap_or(false)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP relay in front of the S3 server that passes everything on, except, once told which
/// archive to watch, the upload of that archive's second part: that request never reaches the
/// server, so the replica sending it stays mid-upload (the multipart upload created, its first
/// part sent, the archive not complete) until the test kills it, however fast the archive
/// builds. An earlier version polled for the build instead, and lost the race once building
/// no longer re-zipped the files.
struct HoldingRelay {
    /// `http://127.0.0.1:<port>`.
    endpoint: String,
    /// What a request line must contain for the request to be held; `None`: nothing is.
    watched: Arc<std::sync::Mutex<Option<String>>>,
    /// Told each time a request is held.
    held: Arc<tokio::sync::Notify>,
}

impl HoldingRelay {
    async fn start(server: &str) -> HoldingRelay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = server.trim_start_matches("http://").to_owned();
        let relay = HoldingRelay { endpoint, watched: Arc::default(), held: Arc::default() };
        let (watched, held) = (relay.watched.clone(), relay.held.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(upstream) = tokio::net::TcpStream::connect(&server).await else { continue };
                tokio::spawn(Self::relay(client, upstream, watched.clone(), held.clone()));
            }
        });
        relay
    }

    /// Holds the second part of request `id`'s archive upload (object_store numbers parts
    /// from 1 and sends `?partNumber=N&uploadId=...`), and any retry of it, until released.
    fn watch(&self, id: &str) {
        *self.watched.lock().unwrap() = Some(format!("/privacy-export-{id}.zip?partNumber=2&"));
    }

    fn release(&self) {
        *self.watched.lock().unwrap() = None;
    }

    async fn relay(
        client: tokio::net::TcpStream,
        upstream: tokio::net::TcpStream,
        watched: Arc<std::sync::Mutex<Option<String>>>,
        held: Arc<tokio::sync::Notify>,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut client_read, mut client_write) = client.into_split();
        let (mut upstream_read, mut upstream_write) = upstream.into_split();
        let back = tokio::spawn(async move { tokio::io::copy(&mut upstream_read, &mut client_write).await });
        let mut buffer = vec![0u8; 64 << 10];
        // Where the client is in its requests (HTTP/1.1, RFC 9112): a head is gathered up to
        // its blank line and its request line checked; then the body (object_store sends a
        // Content-Length) is passed on unread, so that 64 MiB parts are not searched.
        let mut head = Vec::new();
        let mut body_left = 0usize;
        loop {
            let n = match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut at = 0;
            while at < n {
                if body_left > 0 {
                    let take = body_left.min(n - at);
                    if upstream_write.write_all(&buffer[at..at + take]).await.is_err() {
                        return back.abort();
                    }
                    body_left -= take;
                    at += take;
                    continue;
                }
                head.push(buffer[at]);
                at += 1;
                if !head.ends_with(b"\r\n\r\n") {
                    continue;
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let request_line = text.lines().next().unwrap_or_default();
                let needle = watched.lock().unwrap().clone();
                if needle.is_some_and(|needle| request_line.contains(needle.as_str())) {
                    held.notify_one();
                    // Never passed on: read (and drop) until the client goes.
                    while matches!(client_read.read(&mut buffer).await, Ok(n) if n > 0) {}
                    return back.abort();
                }
                body_left = text
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if upstream_write.write_all(&head).await.is_err() {
                    return back.abort();
                }
                head.clear();
            }
        }
        back.abort();
    }
}

fn authorized<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Creates an export of `email`'s data, and processes it if `process`. Returns its id.
async fn create_export(channel: &Channel, token: &str, email: &str, process: bool) -> String {
    let mut client = PrivacyRequestServiceClient::new(channel.clone());
    let created = client
        .create_privacy_request(authorized(
            pb::CreatePrivacyRequestRequest {
                subject: Some(pb::Subject { email: email.to_owned(), user_id: String::new() }),
                action: pb::Action::Export as i32,
                send_confirmation: false,
                request_id: String::new(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap();
    if process {
        client
            .process_privacy_request(authorized(pb::ProcessPrivacyRequestRequest { id: created.id.clone() }, token))
            .await
            .unwrap();
    }
    created.id
}

async fn export(channel: &Channel, token: &str, email: &str) -> String {
    create_export(channel, token, email, true).await
}

async fn get(channel: &Channel, token: &str, id: &str) -> pb::PrivacyRequest {
    let mut client = PrivacyRequestServiceClient::new(channel.clone());
    client
        .get_privacy_request(authorized(pb::GetPrivacyRequestRequest { id: id.into() }, token))
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap()
}

async fn until_completed(channel: &Channel, token: &str, id: &str) -> pb::PrivacyRequest {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let request = get(channel, token, id).await;
        if request.state == pb::State::Completed as i32 {
            return request;
        }
        assert!(Instant::now() < deadline, "{id} did not complete: {request:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The archive through `DownloadExport` on `channel`.
async fn download_export(channel: &Channel, token: &str, id: &str) -> Vec<u8> {
    let mut client = PrivacyRequestServiceClient::new(channel.clone()).max_decoding_message_size(2 << 20);
    let mut stream = client
        .download_export(authorized(
            pb::DownloadExportRequest { id: id.into(), token: String::new(), offset: 0 },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut body = Vec::new();
    while let Some(message) = stream.next().await {
        if let pb::download_export_response::Payload::Chunk(chunk) = message.unwrap().payload.unwrap() {
            body.extend(chunk);
        }
    }
    body
}

/// The archive through the emailed link, opened on `replica`: a redirect to the bucket.
fn download_link(replica: &Replica, link: &str) -> Vec<u8> {
    let (status, head, _) = http_get(replica.addr.parse().unwrap(), &link[link.find("/download").unwrap()..]);
    assert_eq!(status, 303, "{head}");
    let line = head.lines().find(|l| l.to_lowercase().starts_with("location:")).unwrap();
    let url = url::Url::parse(line["location:".len()..].trim()).unwrap();
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let (status, _, body) = http_get(addr.parse().unwrap(), &format!("{}?{}", url.path(), url.query().unwrap()));
    assert_eq!(status, 200);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_without_a_shared_disk_share_exports_through_s3_and_survive_a_kill_mid_upload() {
    let started = Instant::now();
    let s3 = ThrowawayS3::start().unwrap();
    let url = fresh_postgres_database().await;
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let relay = HoldingRelay::start(&s3.endpoint).await;
    let replicas = [
        Replica::start(&url, &s3, &relay.endpoint, &dir.path().join("a"), &token),
        Replica::start(&url, &s3, &relay.endpoint, &dir.path().join("b"), &token),
    ];
    let channels = [replicas[0].channel().await, replicas[1].channel().await];
    let sources = [Counted::default(), Counted::default(), Counted::default()];
    let mut registry = DataSourceRegistryServiceClient::new(channels[0].clone());
    for (i, source) in sources.iter().enumerate() {
        let endpoint = crate::fake_source::serve(source.clone()).await;
        let register = pb::RegisterDataSourceRequest {
            name: format!("source-{i}"),
            endpoint,
            call_timeout: Some(prost_types::Duration { seconds: 60, nanos: 0 }),
            ..Default::default()
        };
        registry.register_data_source(authorized(register, &token)).await.unwrap();
    }

    // 24 exports, made half on each replica.
    let emails: Vec<String> = (0..EXPORTS).map(|_| unique_email()).collect();
    let mut ids = Vec::new();
    for (i, email) in emails.iter().enumerate() {
        ids.push(export(&channels[i % 2], &token, email).await);
    }
    for (i, id) in ids.iter().enumerate() {
        let done = until_completed(&channels[i % 2], &token, id).await;
        let archive = done.archive.unwrap();
        for run in &done.sources {
            assert_eq!((run.attempts, run.items), (1, 2), "{}", run.source_name);
        }
        // From either replica, whichever built it: the link on one, DownloadExport on the
        // other.
        let mail = SmtpSink::global().wait_for(&emails[i], 1).await.pop().unwrap();
        let link = mail.raw.split_whitespace().find(|w| w.contains("/download?id=")).unwrap().to_owned();
        let by_link = download_link(&replicas[(i + 1) % 2], &link);
        assert_eq!(hex::encode(Sha256::digest(&by_link)), archive.sha256, "{id} by link");
        let by_grpc = download_export(&channels[i % 2], &token, id).await;
        assert_eq!(hex::encode(Sha256::digest(&by_grpc)), archive.sha256, "{id} by DownloadExport");
        let zip = zip::ZipArchive::new(std::io::Cursor::new(by_grpc)).unwrap();
        let files = zip.file_names().filter(|n| n.as_ref().is_ok_and(|n| n.starts_with("files/"))).count();
        assert_eq!(files, 3, "a file from each source");
    }
    for source in &sources {
        assert_eq!(source.calls.load(Ordering::SeqCst), EXPORTS, "each source job ran once");
    }
    eprintln!("{EXPORTS} exports through S3 on two replicas: {:?}", started.elapsed());

    // An export with a big file: the replica that builds its archive is killed while it
    // uploads (the relay holds the upload's second part; s3s-fs holds the first), and the
    // other one finishes it.
    let email = format!("{BIG}{}", unique_email());
    let id = create_export(&channels[0], &token, &email, false).await;
    relay.watch(&id);
    PrivacyRequestServiceClient::new(channels[0].clone())
        .process_privacy_request(authorized(pb::ProcessPrivacyRequestRequest { id: id.clone() }, &token))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(60), relay.held.notified())
        .await
        .expect("no replica uploaded the big archive's second part");
    let building: Vec<usize> = (0..2).filter(|&r| replicas[r].building(&id)).collect();
    assert_eq!(building.len(), 1, "one replica builds the archive");
    let builder = building[0];
    let [mut a, mut b] = replicas;
    let (killed, survivor) = if builder == 0 { (&mut a, &b) } else { (&mut b, &a) };
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();
    relay.release();
    let killed_at = Instant::now();
    let survivor_channel = survivor.channel().await;
    let after = get(&survivor_channel, &token, &id).await;
    assert!(after.archive.is_none() && after.state == pb::State::Processing as i32, "nothing recorded: {after:?}");
    let (folder, name) = (format!("replicas/{id}/"), format!("/privacy-export-{id}.zip"));
    let archives: Vec<String> =
        s3.objects().into_iter().filter(|o| o.starts_with(&folder) && o.ends_with(&name)).collect();
    assert!(archives.is_empty(), "no half archive under any build's name: {archives:?}");

    let done = until_completed(&survivor_channel, &token, &id).await;
    eprintln!("the survivor finished the big archive {:?} after the kill", killed_at.elapsed());
    let archive = done.archive.unwrap();
    let body = download_export(&survivor_channel, &token, &id).await;
    assert_eq!(body.len() as i64, archive.size_bytes);
    assert!(archive.size_bytes > BIG_FILE_BYTES as i64);
    assert_eq!(hex::encode(Sha256::digest(&body)), archive.sha256);
    let mail = SmtpSink::global().wait_for(&email, 1).await.pop().unwrap();
    let link = mail.raw.split_whitespace().find(|w| w.contains("/download?id=")).unwrap().to_owned();
    assert_eq!(hex::encode(Sha256::digest(download_link(survivor, &link))), archive.sha256);
    for source in &sources {
        assert_eq!(source.calls.load(Ordering::SeqCst), EXPORTS + 1, "no source job ran twice");
    }
    let archives: Vec<String> =
        s3.objects().into_iter().filter(|o| o.starts_with(&folder) && o.ends_with(&name)).collect();
    assert_eq!(archives.len(), 1, "the survivor's build, alone: {archives:?}");
    eprintln!("whole test: {:?}", started.elapsed());
}
