//! `privacy-bench export`: sources streaming bytes into one archive, beside a bare tonic stream.

use std::{
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Instant,
};

use futures::StreamExt;
use privacyd::proto::privacy::{
    datasource::v1::{
        self as ds,
        data_source_service_server::{DataSourceService, DataSourceServiceServer},
    },
    v1::{
        self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient,
        privacy_request_service_client::PrivacyRequestServiceClient,
    },
};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use super::ExportArgs;

/// Bytes per file chunk, and per message of the reference stream.
const CHUNK: usize = 256 * 1024;
/// Bytes of field values per item.
const ITEM: usize = 1024;

/// A source that streams `bytes` of synthetic data: items, then files in chunks.
#[derive(Clone)]
struct Synthetic {
    item_bytes: u64,
    file_bytes: u64,
    chunk: Arc<Vec<u8>>,
    shape: super::Shape,
    item_size: usize,
    fields: usize,
}

impl Synthetic {
    /// The `i`th item message of the request `tag`.
    fn item(&self, tag: &str, i: usize, value: &str) -> ds::ExportItem {
        use super::Shape;
        let mut item = ds::ExportItem {
            group_id: "records".into(),
            group_label: "Records".into(),
            group_description: String::new(),
            item_id: format!("{tag}-{i}"),
            data: vec![ds::ExportField { name: "Value".into(), value: value.to_owned() }],
        };
        match self.shape {
            Shape::Bulk => {}
            Shape::SameItem => item.item_id = "the-item".into(),
            Shape::ManyGroups => {
                item.group_id = format!("group-{i}");
                item.group_label = value.to_owned();
                item.data[0].value = i.to_string();
            }
            Shape::LongIds => {
                item.item_id = format!("{i}-{value}");
                item.data[0].value = i.to_string();
            }
            Shape::RepeatedName => {
                item.data =
                    (0..self.fields).map(|n| ds::ExportField { name: "Total".into(), value: n.to_string() }).collect();
            }
        }
        item
    }
}

#[tonic::async_trait]
impl DataSourceService for Synthetic {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(ds::DescribeResponse {
            name: "synthetic".into(),
            version: "1".into(),
            protocol_version: 1,
            capabilities: vec![ds::Capability::Export as i32],
            categories: vec![ds::DataCategory {
                group_id: "records".into(),
                label: "Records".into(),
                ..Default::default()
            }],
        }))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let tag = request.get_ref().privacy_request_id.clone();
        let items = if self.shape == super::Shape::RepeatedName {
            1
        } else {
            (self.item_bytes / self.item_size as u64) as usize
        };
        let value = "x".repeat(self.item_size.saturating_sub(16).max(1));
        let source = self.clone();
        let item_stream = futures::stream::iter(0..items).map(move |i| {
            Ok(ds::ExportResponse { payload: Some(ds::export_response::Payload::Item(source.item(&tag, i, &value))) })
        });
        let chunks = (self.file_bytes / CHUNK as u64) as usize;
        let per_file = 64; // 16 MiB files
        let chunk = self.chunk.clone();
        let file_stream = futures::stream::iter(0..chunks).map(move |i| {
            let (file, part) = (i / per_file, i % per_file);
            let last = part == per_file - 1 || i == chunks - 1;
            Ok(ds::ExportResponse {
                payload: Some(ds::export_response::Payload::FileChunk(ds::FileChunk {
                    path: format!("blobs/{file}.bin"),
                    data: chunk.as_ref().clone(),
                    offset: (part * CHUNK) as i64,
                    eof: last,
                    ..Default::default()
                })),
            })
        });
        Ok(Response::new(item_stream.chain(file_stream).boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("export only"))
    }
}

struct Privacyd(Child);

impl Drop for Privacyd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The middle one of `values`, or the mean of the two middle ones.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[middle] } else { (sorted[middle - 1] + sorted[middle]) / 2.0 }
}

/// MB/s of `bytes` through one bare tonic server stream over loopback.
async fn reference(bytes: u64, chunk: Arc<Vec<u8>>) -> anyhow::Result<f64> {
    let source =
        Synthetic { item_bytes: 0, file_bytes: bytes, chunk, shape: super::Shape::Bulk, item_size: ITEM, fields: 0 };
    let endpoint = super::serve(DataSourceServiceServer::new(source).max_encoding_message_size(8 << 20)).await?;
    let mut client = ds::data_source_service_client::DataSourceServiceClient::connect(endpoint)
        .await?
        .max_decoding_message_size(8 << 20);
    let started = Instant::now();
    let mut stream = client.export(ds::ExportRequest::default()).await?.into_inner();
    let mut received = 0u64;
    while let Some(message) = stream.next().await {
        if let Some(ds::export_response::Payload::FileChunk(c)) = message?.payload {
            received += c.data.len() as u64;
        }
    }
    Ok(received as f64 / 1e6 / started.elapsed().as_secs_f64())
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let chunk = Arc::new((0..CHUNK).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>());
    let per_source = args.bytes / args.sources as u64;
    let file_bytes = ((per_source as f64 * args.file_share) as u64 / CHUNK as u64) * CHUNK as u64;
    let item_size = args.item_size.max(32);
    let item_bytes = (per_source - file_bytes) / item_size * item_size;
    let total = (file_bytes + item_bytes) * args.sources as u64;

    // The bare stream's speed varies by a third from one run to the next on this machine
    // (0.9 - 1.8 GB/s at 1 GiB), so it is taken three times, twice before the export and once
    // after it, and the median is the reference.
    let mut raw_runs = vec![reference(total, chunk.clone()).await?, reference(total, chunk.clone()).await?];
    let reference_chunk = chunk.clone();

    let source = Synthetic {
        item_bytes,
        file_bytes,
        chunk,
        shape: args.shape,
        item_size: item_size as usize,
        fields: args.fields,
    };
    let endpoint = super::serve(DataSourceServiceServer::new(source)).await?;
    let dir = super::tempfile_dir()?;
    let port = privacyd::testing::free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let privacyd = std::env::current_exe()?.with_file_name("privacyd");
    let compression = match args.compression {
        privacyd::export::Compression::Stored => "stored",
        privacyd::export::Compression::Deflate => "deflate",
    };
    // With S3: an s3s-fs of our own (stopped when the benchmark ends), or the one named.
    let mut s3_server = None;
    let mut command = Command::new(&privacyd);
    if args.store == super::BenchStore::S3 {
        let (endpoint, bucket) = match &args.s3_endpoint {
            Some(endpoint) => (endpoint.clone(), args.s3_bucket.clone()),
            None => {
                let s3 = privacyd::testing::ThrowawayS3::start()?;
                command
                    .env("AWS_ACCESS_KEY_ID", privacyd::testing::ThrowawayS3::ACCESS_KEY)
                    .env("AWS_SECRET_ACCESS_KEY", privacyd::testing::ThrowawayS3::SECRET_KEY)
                    .env("AWS_REGION", "us-east-1");
                let named = (s3.endpoint.clone(), s3.bucket.clone());
                s3_server = Some(s3);
                named
            }
        };
        command
            .args(["--archive-store", &format!("s3://{bucket}/bench")])
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ALLOW_HTTP", "true");
    }
    let server = Privacyd(
        command
            .args(["--listen", &addr, "--log", &args.privacyd_log, "--job-poll-interval", "50ms"])
            .args(["--archive-compression", compression])
            // Through the environment: a command line is visible to every local user.
            .env("PRIVACYD_ADMIN_TOKENS", &token)
            .arg("--data-dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting {}: {e} (cargo build --release first)", privacyd.display()))?,
    );
    let channel = super::connect_when_listening(&addr).await?;
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
    let auth = move |mut r: Request<()>| {
        r.metadata_mut().insert("authorization", bearer.clone());
        Ok(r)
    };
    let mut registry = DataSourceRegistryServiceClient::with_interceptor(channel.clone(), auth.clone());
    for i in 0..args.sources {
        registry
            .register_data_source(pb::RegisterDataSourceRequest {
                name: format!("source-{i}"),
                endpoint: endpoint.clone(),
                call_timeout: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
                ..Default::default()
            })
            .await?;
    }
    let mut client = PrivacyRequestServiceClient::with_interceptor(channel, auth).max_decoding_message_size(8 << 20);
    let created = client
        .create_privacy_request(pb::CreatePrivacyRequestRequest {
            subject: Some(pb::Subject { email: "bench@example.com".into(), user_id: String::new() }),
            action: pb::Action::Export as i32,
            send_confirmation: false,
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .privacy_request
        .ok_or_else(|| anyhow::anyhow!("no request"))?;
    let id = created.id;

    let started = Instant::now();
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.clone() }).await?;
    let mut watch = client.watch_privacy_request(pb::WatchPrivacyRequestRequest { id: id.clone() }).await?.into_inner();
    let mut last = None;
    while let Some(message) = watch.next().await {
        last = message?.privacy_request.or(last);
    }
    let export_seconds = started.elapsed().as_secs_f64();
    let request = last.ok_or_else(|| anyhow::anyhow!("the watch sent nothing"))?;
    anyhow::ensure!(
        request.state == pb::State::Completed as i32,
        "the export ended {:?}: {}",
        request.state,
        request.state_reason
    );
    let archive = request.archive.ok_or_else(|| anyhow::anyhow!("no archive"))?;

    // Where the time went, from the audit log: streaming (until the last source
    // finished) and building the archive.
    let events = client
        .list_audit_events(pb::ListAuditEventsRequest {
            request_id: request.id.clone(),
            page_size: 1000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .audit_events;
    let at = |kind: pb::AuditEventType| {
        super::event_times(&events, kind).fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))))
    };
    let begun = at(pb::AuditEventType::ProcessingStarted).unwrap_or_default();
    let streamed = at(pb::AuditEventType::SourceSucceeded).unwrap_or(begun);
    let built = at(pb::AuditEventType::ArchiveCreated).unwrap_or(streamed);
    let id = request.id.clone();

    let started = Instant::now();
    let mut download =
        client.download_export(pb::DownloadExportRequest { id, token: String::new(), offset: 0 }).await?.into_inner();
    let mut hasher = Sha256::new();
    let mut downloaded = 0u64;
    while let Some(message) = download.next().await {
        if let Some(pb::download_export_response::Payload::Chunk(chunk)) = message?.payload {
            downloaded += chunk.len() as u64;
            hasher.update(&chunk);
        }
    }
    let download_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(hex::encode(hasher.finalize()) == archive.sha256, "the download does not match the archive");
    let peak = privacyd::testing::peak_rss(server.0.id())?;
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    raw_runs.push(reference(total, reference_chunk).await?);
    let raw_mb_per_s = median(&raw_runs);

    let mb_per_s = total as f64 / 1e6 / export_seconds;
    let line = serde_json::json!({
        "bench": "export",
        "sources": args.sources,
        "bytes": total,
        "seconds": super::round(export_seconds),
        "mb_per_s": super::round(mb_per_s),
        "raw_stream_mb_per_s": super::round(raw_mb_per_s),
        "raw_stream_runs_mb_per_s": raw_runs.iter().copied().map(super::round).collect::<Vec<_>>(),
        "ratio": super::round(mb_per_s / raw_mb_per_s),
        "stream_seconds": super::round(streamed - begun),
        "assemble_seconds": super::round(built - streamed),
        "download_seconds": super::round(download_seconds),
        "download_mb_per_s": super::round(downloaded as f64 / 1e6 / download_seconds),
        "archive_bytes": archive.size_bytes,
        "peak_rss_bytes": peak,
        "compression": compression,
        "shape": format!("{:?}", args.shape),
        "item_size": item_size,
        "store": format!("{:?}", args.store).to_lowercase(),
    });
    println!("{line}");
    drop(s3_server);
    Ok(())
}
