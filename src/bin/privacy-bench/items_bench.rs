//! `privacy-bench export --items-only`: one source streams N small items (about 1 KiB of text
//! in 8 fields each, in a few groups, the shape of rows a SQL connector sends) into one archive,
//! for each N given, each with a privacyd process of its own. Per N it reports items per second
//! end to end (from `ProcessPrivacyRequest` until the request is COMPLETED with its archive
//! built), privacyd's CPU seconds per 100,000 items (user + system, from /proc/<pid>/stat
//! before and after), and privacyd's peak resident memory (VmHWM), so the figures of
//! 10,000, 100,000 and 1,000,000 items sit side by side in one run (issue 14, §6).

use std::{
    io::{BufRead, Write},
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

/// Fields per item.
const FIELDS: usize = 8;
/// Groups the items are spread over, one after the other (a connector sends a table at a time).
const GROUPS: [(&str, &str); 4] =
    [("comments", "Comments"), ("orders", "Orders"), ("addresses", "Addresses"), ("sessions", "Sessions")];
/// Field names, as a comments table would have them.
const NAMES: [&str; FIELDS] = ["Author", "Email", "URL", "IP", "Date", "Agent", "Status", "Content"];

/// A source that streams `items` items of about 1 KiB each.
#[derive(Clone)]
struct Rows {
    items: usize,
    /// Field values to pick from: text, so that deflate has real work.
    values: Arc<Vec<String>>,
}

impl Rows {
    fn new(items: usize) -> Self {
        let words = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do"];
        // 1 KiB over 8 fields: 128 bytes of text each, different from value to value.
        let values = (0..997)
            .map(|v: usize| {
                let mut text = String::with_capacity(128);
                let mut w = v;
                while text.len() < 120 {
                    text.push_str(words[w % words.len()]);
                    text.push(' ');
                    w = w / 3 + 7 * (text.len() + v);
                }
                text.truncate(128);
                text
            })
            .collect();
        Rows { items, values: Arc::new(values) }
    }

    fn item(&self, i: usize) -> ds::ExportItem {
        let (group_id, label) = GROUPS[i * GROUPS.len() / self.items.max(1)];
        ds::ExportItem {
            group_id: group_id.into(),
            group_label: label.into(),
            group_description: String::new(),
            item_id: format!("row-{i}"),
            data: NAMES
                .iter()
                .enumerate()
                .map(|(f, name)| ds::ExportField {
                    name: (*name).into(),
                    value: self.values[(i * FIELDS + f) % self.values.len()].clone(),
                })
                .collect(),
        }
    }
}

#[tonic::async_trait]
impl DataSourceService for Rows {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(ds::DescribeResponse {
            name: "rows".into(),
            version: "1".into(),
            protocol_version: 1,
            capabilities: vec![ds::Capability::Export as i32],
            categories: GROUPS
                .iter()
                .map(|(group_id, label)| ds::DataCategory {
                    group_id: (*group_id).into(),
                    label: (*label).into(),
                    ..Default::default()
                })
                .collect(),
        }))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let source = self.clone();
        Ok(Response::new(
            futures::stream::iter(0..self.items)
                .map(move |i| {
                    Ok(ds::ExportResponse { payload: Some(ds::export_response::Payload::Item(source.item(i))) })
                })
                .boxed(),
        ))
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

/// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces; the fields after it are counted from its ")".
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).ok_or_else(|| anyhow::anyhow!("no ) in {stat}"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    // SAFETY: sysconf reads a constant of the system.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    anyhow::ensure!(per_second > 0, "no clock tick rate");
    Ok(ticks as f64 / per_second as f64)
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    for &items in &args.items {
        case(&args, items as usize).await?;
    }
    Ok(())
}

/// One N: a fresh privacyd, one export of N items, one JSON line.
async fn case(args: &ExportArgs, items: usize) -> anyhow::Result<()> {
    let endpoint = super::serve(DataSourceServiceServer::new(Rows::new(items))).await?;
    let dir = super::tempfile_dir()?;
    let addr = format!("127.0.0.1:{}", privacyd::testing::free_port()?);
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let binary = std::env::current_exe()?.with_file_name("privacyd");
    let compression = match args.compression {
        privacyd::export::Compression::Stored => "stored",
        privacyd::export::Compression::Deflate => "deflate",
    };
    let server = Privacyd(
        Command::new(&binary)
            .args(["--listen", &addr, "--log", &args.privacyd_log, "--job-poll-interval", "50ms"])
            .args(["--archive-compression", compression])
            // Through the environment: a command line is visible to every local user.
            .env("PRIVACYD_ADMIN_TOKENS", &token)
            .arg("--data-dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting {}: {e} (cargo build --release first)", binary.display()))?,
    );
    let pid = server.0.id();
    let channel = super::connect_when_listening(&addr).await?;
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
    let auth = move |mut r: Request<()>| {
        r.metadata_mut().insert("authorization", bearer.clone());
        Ok(r)
    };
    DataSourceRegistryServiceClient::with_interceptor(channel.clone(), auth.clone())
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "rows".into(),
            endpoint,
            call_timeout: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
            ..Default::default()
        })
        .await?;
    let mut client = PrivacyRequestServiceClient::with_interceptor(channel, auth).max_decoding_message_size(8 << 20);
    let id = client
        .create_privacy_request(pb::CreatePrivacyRequestRequest {
            subject: Some(pb::Subject { email: "bench@example.com".into(), user_id: String::new() }),
            action: pb::Action::Export as i32,
            send_confirmation: false,
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .privacy_request
        .ok_or_else(|| anyhow::anyhow!("no request"))?
        .id;

    let cpu_before = cpu_seconds(pid)?;
    let started = Instant::now();
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.clone() }).await?;
    let mut watch = client.watch_privacy_request(pb::WatchPrivacyRequestRequest { id: id.clone() }).await?.into_inner();
    let mut last = None;
    while let Some(message) = watch.next().await {
        last = message?.privacy_request.or(last);
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid)? - cpu_before;
    let request = last.ok_or_else(|| anyhow::anyhow!("the watch sent nothing"))?;
    anyhow::ensure!(
        request.state == pb::State::Completed as i32,
        "the export ended {:?}: {}",
        request.state,
        request.state_reason
    );
    let archive = request.archive.ok_or_else(|| anyhow::anyhow!("no archive"))?;
    let events = client
        .list_audit_events(pb::ListAuditEventsRequest { request_id: id.clone(), page_size: 1000, ..Default::default() })
        .await?
        .into_inner()
        .audit_events;
    let at = |kind: pb::AuditEventType| {
        super::event_times(&events, kind).fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))))
    };
    let begun = at(pb::AuditEventType::ProcessingStarted).unwrap_or_default();
    let streamed = at(pb::AuditEventType::SourceSucceeded).unwrap_or(begun);
    let built = at(pb::AuditEventType::ArchiveCreated).unwrap_or(streamed);
    let peak = privacyd::testing::peak_rss(pid)?;

    // The archive, checked (outside the timed part): its SHA-256, and one item in export.json
    // for every item sent.
    let zip_path = dir.join("downloaded.zip");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&zip_path)?);
    let mut download =
        client.download_export(pb::DownloadExportRequest { id, token: String::new(), offset: 0 }).await?.into_inner();
    let mut hasher = Sha256::new();
    while let Some(message) = download.next().await {
        if let Some(pb::download_export_response::Payload::Chunk(chunk)) = message?.payload {
            hasher.update(&chunk);
            file.write_all(&chunk)?;
        }
    }
    file.flush()?;
    drop(file);
    drop(server);
    anyhow::ensure!(hex::encode(hasher.finalize()) == archive.sha256, "the download does not match the archive");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path)?)?;
    let export_json = std::io::BufReader::new(zip.by_name("export.json")?);
    let mut found = 0;
    for line in export_json.lines() {
        if line?.starts_with("\"rows/row-") {
            found += 1;
        }
    }
    drop(zip);
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(found == items, "export.json holds {found} of the {items} items");

    let line = serde_json::json!({
        "bench": "export-items",
        "items": items,
        "fields_per_item": FIELDS,
        "seconds": super::round(seconds),
        "items_per_s": super::round(items as f64 / seconds),
        "privacyd_cpu_s": super::round(cpu),
        "privacyd_cpu_s_per_100k_items": super::round(cpu * 100_000.0 / items as f64),
        "stream_seconds": super::round(streamed - begun),
        "assemble_seconds": super::round(built - streamed),
        "archive_bytes": archive.size_bytes,
        "peak_rss_bytes": peak,
        "compression": compression,
    });
    println!("{line}");
    Ok(())
}
