//! `privacy-bench soak`: a sustained mixed load of whole requests, as subjects and operators
//! make them, against a privacyd process of its own, with its resident memory sampled.
//!
//! Each request goes the whole way: CreatePrivacyRequest with a confirmation email; the email
//! read from privacyd's outbox folder (the default transport, written `<request id>-<random>.eml`
//! by rename, so a file is whole once it is there); its link opened (GET /confirm) and the page's
//! form submitted (POST of its hidden fields to the form's action, with the headers a browser
//! sends); ProcessPrivacyRequest; WatchPrivacyRequest until the stream ends; then, for an
//! export, the archive downloaded twice, by DownloadExport and by the link in the "export ready"
//! email, each checked against the recorded size and SHA-256 and opened as a zip; for an
//! erasure, its outcome and each source's count of erase calls for it.
//!
//! Pacing: `--clients` workers take start times from one schedule, `1 / --rate` apart. A
//! worker that is free waits for the next start time; a start time no worker was free for is
//! taken late and counted (`late_starts`). That is paced with bounded concurrency, not open
//! loop: an open-loop generator keeps adding requests when privacyd falls behind, so memory
//! would grow with the backlog, and a flat-memory check needs a steady state. Falling behind
//! shows as late starts rather than as a queue.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::Read,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use anyhow::{Context, anyhow, bail, ensure};
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
use tokio::time::Instant;
use tonic::{Request, Response, Status, transport::Channel};

use super::SoakArgs;

/// Items each source holds about a subject (one profile, two orders).
const ITEMS_PER_SOURCE: i64 = 3;
/// Files each source holds about a subject.
const FILES_PER_SOURCE: usize = 2;
/// The longest one request may take from create to its last check before it is an error.
const REQUEST_DEADLINE: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------------------------
// The data sources

/// A shop's records of its customers: for each subject a profile, two orders, an invoice PDF
/// (12 KiB, sent in two chunks) and an avatar (3 KiB), with contents derived from the address
/// so every export differs. An erased subject has nothing left, so privacyd's verification
/// export finds nothing. Counts the erase calls for each request, so the bench can check each
/// source erased each request once.
#[derive(Clone)]
struct Shop {
    name: String,
    erased: Arc<Mutex<HashSet<String>>>,
    erase_calls: Arc<Mutex<HashMap<String, u32>>>,
}

impl Shop {
    fn new(index: usize) -> Self {
        Shop { name: format!("shop-{index:02}"), erased: Arc::default(), erase_calls: Arc::default() }
    }

    /// The erase calls for request `id` so far, forgetting them.
    fn take_erase_calls(&self, id: &str) -> u32 {
        self.erase_calls.lock().expect("not poisoned").remove(id).unwrap_or(0)
    }
}

/// `len` bytes that look random, the same for the same seed.
fn bytes_for(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block = Sha256::digest(seed.as_bytes());
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha256::digest(block);
    }
    out.truncate(len);
    out
}

fn field(name: &str, value: impl Into<String>) -> ds::ExportField {
    ds::ExportField { name: name.into(), value: value.into() }
}

#[tonic::async_trait]
impl DataSourceService for Shop {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        let category =
            |id: &str, label: &str| ds::DataCategory { group_id: id.into(), label: label.into(), ..Default::default() };
        Ok(Response::new(ds::DescribeResponse {
            name: self.name.clone(),
            version: "soak".into(),
            protocol_version: 1,
            capabilities: vec![ds::Capability::Export as i32, ds::Capability::Erase as i32],
            categories: vec![category("profile", "Profile"), category("orders", "Orders")],
        }))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let email = request.into_inner().subject.unwrap_or_default().email;
        if self.erased.lock().expect("not poisoned").contains(&email) {
            return Ok(Response::new(futures::stream::empty().boxed()));
        }
        let item = |group: &str, label: &str, id: &str, data: Vec<ds::ExportField>| ds::ExportResponse {
            payload: Some(ds::export_response::Payload::Item(ds::ExportItem {
                group_id: group.into(),
                group_label: label.into(),
                group_description: String::new(),
                item_id: id.into(),
                data,
            })),
        };
        let chunk = |path: &str, data: &[u8], offset: usize, eof: bool, content_type: &str| ds::ExportResponse {
            payload: Some(ds::export_response::Payload::FileChunk(ds::FileChunk {
                path: path.into(),
                data: data.to_vec(),
                offset: offset as i64,
                eof,
                content_type: content_type.into(),
                ..Default::default()
            })),
        };
        let invoice = bytes_for(&format!("{}/{email}/invoice", self.name), 12 * 1024);
        let avatar = bytes_for(&format!("{}/{email}/avatar", self.name), 3 * 1024);
        let messages = vec![
            item(
                "profile",
                "Profile",
                "profile",
                vec![
                    field("Email", email.clone()),
                    field("Name", "Soak Subject"),
                    field("Customer since", "2021-04-01"),
                ],
            ),
            item("orders", "Orders", "order-1", vec![field("Order", "1"), field("Total", "19.90 EUR")]),
            item("orders", "Orders", "order-2", vec![field("Order", "2"), field("Total", "4.50 EUR")]),
            chunk("invoices/order-1.pdf", &invoice[..8192], 0, false, "application/pdf"),
            chunk("invoices/order-1.pdf", &invoice[8192..], 8192, true, "application/pdf"),
            chunk("avatar.png", &avatar, 0, true, "image/png"),
        ];
        Ok(Response::new(futures::stream::iter(messages.into_iter().map(Ok)).boxed()))
    }

    async fn erase(&self, request: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        let request = request.into_inner();
        let email = request.subject.unwrap_or_default().email;
        *self.erase_calls.lock().expect("not poisoned").entry(request.privacy_request_id).or_default() += 1;
        // Erase is idempotent (the protocol's rule): a repeat removes nothing more.
        let removed = if self.erased.lock().expect("not poisoned").insert(email) { ITEMS_PER_SOURCE } else { 0 };
        Ok(Response::new(ds::EraseResponse { items_removed: removed, ..Default::default() }))
    }
}

// ---------------------------------------------------------------------------------------------
// The subjects' mailbox: privacyd's outbox folder

/// Reads privacyd's outbox as a mail client fetches mail: each `.eml` once, then removes it
/// (so the folder stays small however long the run), keeping its text by request id until
/// the request's client takes it.
struct Mailbox {
    by_request: Mutex<HashMap<String, Vec<String>>>,
}

impl Mailbox {
    /// Starts fetching from `outbox` every 20 ms.
    fn start(outbox: std::path::PathBuf) -> Arc<Mailbox> {
        let mailbox = Arc::new(Mailbox { by_request: Mutex::default() });
        let fetching = mailbox.clone();
        tokio::spawn(async move {
            loop {
                let outbox = outbox.clone();
                // Blocking file I/O off the runtime's workers.
                let fetched = tokio::task::spawn_blocking(move || fetch(&outbox)).await;
                if let Ok(mails) = fetched {
                    let mut by_request = fetching.by_request.lock().expect("not poisoned");
                    for (id, text) in mails {
                        by_request.entry(id).or_default().push(text);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        mailbox
    }

    /// The link to `path` (e.g. "/confirm") in an email about request `id`, once one arrives;
    /// takes that email out of the mailbox.
    async fn link(&self, id: &str, path: &str, deadline: Instant) -> anyhow::Result<url::Url> {
        loop {
            {
                let mut by_request = self.by_request.lock().expect("not poisoned");
                if let Some(mails) = by_request.get_mut(id)
                    && let Some(at) = mails.iter().position(|m| find_link(m, path).is_some())
                {
                    let mail = mails.remove(at);
                    return find_link(&mail, path).context("found above");
                }
            }
            ensure!(Instant::now() < deadline, "no email with a {path} link arrived for {id}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Forgets what is left for request `id` (emails no step reads, such as "erasure done").
    fn forget(&self, id: &str) -> usize {
        self.by_request.lock().expect("not poisoned").remove(id).map_or(0, |m| m.len())
    }
}

/// Every whole `.eml` in `outbox`, as (request id, text), removing each. A name is
/// `<request id>-<32 hex digits>.eml`; files still being written end in `.tmp`.
fn fetch(outbox: &std::path::Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(outbox) else { return Vec::new() };
    let mut mails = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((id, _)) = name.strip_suffix(".eml").and_then(|stem| stem.rsplit_once('-')) else { continue };
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            let _ = std::fs::remove_file(entry.path());
            mails.push((id.to_owned(), text));
        }
    }
    mails
}

/// The first `http(s)://...<path>?...` link in an email's text part (privacyd writes it 8bit,
/// so a link is never split across lines).
fn find_link(mail: &str, path: &str) -> Option<url::Url> {
    mail.split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .filter_map(|word| url::Url::parse(word.trim_end_matches(['.', ',', ')', '>', '"'])).ok())
        .find(|url| url.path() == path && url.query().is_some())
}

// ---------------------------------------------------------------------------------------------
// The confirmation page, as a browser reads it

/// The first form of a page: its action and its fields (name, value), in order. Enough HTML
/// for privacyd's own pages: double-quoted attributes, entities that minijinja's escaping
/// writes. No HTML parser is in the dependency tree, and a bench should not add one.
fn first_form(page: &str) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let start = page.find("<form").context("the page has no form")?;
    let end = page[start..].find("</form>").map(|e| start + e).context("the form is not closed")?;
    let form = &page[start..end];
    let tag_end = form.find('>').context("a broken <form> tag")?;
    let action = attribute(&form[..tag_end], "action").unwrap_or_default();
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find("<input") {
        let tag = &rest[at..];
        let tag = &tag[..tag.find('>').context("a broken <input> tag")?];
        if let Some(name) = attribute(tag, "name") {
            fields.push((name, attribute(tag, "value").unwrap_or_default()));
        }
        rest = &rest[at + tag.len()..];
    }
    Ok((action, fields))
}

/// The value of `name="..."` in a tag, unescaped.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let value = &tag[start..start + tag[start..].find('"')?];
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#x2f;", "/")
            .replace("&amp;", "&"),
    )
}

// ---------------------------------------------------------------------------------------------
// One request, start to end

/// Latencies of each call, in seconds, by call name.
#[derive(Default)]
struct Calls(Mutex<BTreeMap<&'static str, Vec<f64>>>);

impl Calls {
    fn record(&self, call: &'static str, took: Duration) {
        self.0.lock().expect("not poisoned").entry(call).or_default().push(took.as_secs_f64());
    }

    /// Times `future` as `call`.
    async fn time<T>(&self, call: &'static str, future: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let out = future.await;
        self.record(call, started.elapsed());
        out
    }
}

/// What every worker shares.
struct Soak {
    addr: String,
    bearer: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    run: String,
    mailbox: Arc<Mailbox>,
    shops: Vec<Shop>,
    calls: Calls,
}

/// What puts the operator's bearer token on each call.
type Authorize = Box<dyn FnMut(Request<()>) -> Result<Request<()>, Status> + Send + Sync>;

type Client = PrivacyRequestServiceClient<tonic::service::interceptor::InterceptedService<Channel, Authorize>>;

/// One worker's connections: a gRPC channel for the operator's calls, an HTTP client for the
/// subject's browser.
struct Worker {
    client: Client,
    browser: reqwest::Client,
}

impl Soak {
    async fn worker(&self) -> anyhow::Result<Worker> {
        let channel = Channel::from_shared(format!("http://{}", self.addr))?.connect().await?;
        let bearer = self.bearer.clone();
        let auth: Authorize = Box::new(move |mut r: Request<()>| {
            r.metadata_mut().insert("authorization", bearer.clone());
            Ok(r)
        });
        let client = PrivacyRequestServiceClient::with_interceptor(channel, auth).max_decoding_message_size(8 << 20);
        // No redirects to follow on a file store; a browser's cookie jar is not needed (the
        // subject's pages keep no session).
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        Ok(Worker { client, browser })
    }

    /// Request `n`, start to end; returns its action on success.
    async fn request(&self, worker: &mut Worker, n: u64, action: pb::Action) -> anyhow::Result<()> {
        let deadline = Instant::now() + REQUEST_DEADLINE;
        let email = format!("soak-{}-{n}@example.com", self.run);
        let created = self
            .calls
            .time(
                "create",
                worker.client.create_privacy_request(pb::CreatePrivacyRequestRequest {
                    subject: Some(pb::Subject { email, user_id: String::new() }),
                    action: action as i32,
                    send_confirmation: true,
                    request_id: format!("soak-{}-{n}", self.run),
                }),
            )
            .await
            .context("CreatePrivacyRequest")?
            .into_inner()
            .privacy_request
            .context("CreatePrivacyRequest answered no request")?;
        let id = created.id;
        let result = self.after_create(worker, &id, action, deadline).await.with_context(|| format!("request {id}"));
        self.mailbox.forget(&id);
        result
    }

    async fn after_create(
        &self,
        worker: &mut Worker,
        id: &str,
        action: pb::Action,
        deadline: Instant,
    ) -> anyhow::Result<()> {
        let link = self.calls.time("confirm_email_wait", self.mailbox.link(id, "/confirm", deadline)).await?;
        self.confirm_by_link(worker, &link).await?;
        self.calls
            .time("process", worker.client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.into() }))
            .await
            .context("ProcessPrivacyRequest")?;
        let request = self.calls.time("watch_to_end", watch_to_end(worker, id, deadline)).await?;
        ensure!(
            request.state == pb::State::Completed as i32,
            "ended {:?}: {}",
            pb::State::try_from(request.state),
            request.state_reason
        );
        match action {
            pb::Action::Export => self.check_export(worker, id, &request, deadline).await,
            _ => self.check_erasure(id, &request),
        }
    }

    /// What a person does with the confirmation email: opens the link (a GET that changes
    /// nothing) and presses the page's button (a POST of its form, same-origin).
    async fn confirm_by_link(&self, worker: &Worker, link: &url::Url) -> anyhow::Result<()> {
        // A link opened from a mail client is a navigation the user started: Sec-Fetch-Site none.
        let page = self
            .calls
            .time("confirm_page_get", async {
                let response = worker.browser.get(link.clone()).header("sec-fetch-site", "none").send().await?;
                let status = response.status();
                let body = response.text().await?;
                anyhow::Ok((status, body))
            })
            .await
            .context("GET /confirm")?;
        ensure!(page.0 == 200, "GET /confirm answered {}: {}", page.0, page.1);
        let (action, fields) = first_form(&page.1)?;
        let target = link.join(&action)?;
        let origin = link.origin().ascii_serialization();
        let (status, body) = self
            .calls
            .time("confirm_post", async {
                let response = worker
                    .browser
                    .post(target)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("origin", origin)
                    .header("sec-fetch-site", "same-origin")
                    .body(serde_urlencoded::to_string(&fields)?)
                    .send()
                    .await?;
                let status = response.status();
                anyhow::Ok((status, response.text().await?))
            })
            .await
            .context("POST /confirm")?;
        ensure!(
            status == 200 && body.contains("data-outcome=\"confirmed\""),
            "POST /confirm answered {status}: {body}"
        );
        Ok(())
    }

    async fn check_export(
        &self,
        worker: &mut Worker,
        id: &str,
        request: &pb::PrivacyRequest,
        deadline: Instant,
    ) -> anyhow::Result<()> {
        let archive = request.archive.as_ref().context("a completed export without an archive")?;
        // The operator's copy: DownloadExport with the admin token.
        let by_grpc = self
            .calls
            .time("download_grpc", async {
                let mut stream = worker
                    .client
                    .download_export(pb::DownloadExportRequest { id: id.into(), token: String::new(), offset: 0 })
                    .await?
                    .into_inner();
                let mut bytes = Vec::new();
                while let Some(message) = stream.next().await {
                    if let Some(pb::download_export_response::Payload::Chunk(chunk)) = message?.payload {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                anyhow::Ok(bytes)
            })
            .await
            .context("DownloadExport")?;
        self.check_archive(&by_grpc, archive).context("the archive from DownloadExport")?;
        // The subject's copy: the link in the "export ready" email.
        let link = self.calls.time("ready_email_wait", self.mailbox.link(id, "/download", deadline)).await?;
        let by_link = self
            .calls
            .time("download_link", async {
                let response = worker.browser.get(link).header("sec-fetch-site", "none").send().await?;
                let status = response.status();
                ensure!(status == 200, "GET /download answered {status}");
                anyhow::Ok(response.bytes().await?)
            })
            .await
            .context("GET /download")?;
        self.check_archive(&by_link, archive).context("the archive from the emailed link")
    }

    /// The bytes are the recorded archive (size, SHA-256), open as a zip, and hold every
    /// source's files.
    fn check_archive(&self, bytes: &[u8], archive: &pb::ExportArchive) -> anyhow::Result<()> {
        ensure!(bytes.len() as i64 == archive.size_bytes, "{} bytes, recorded {}", bytes.len(), archive.size_bytes);
        ensure!(hex::encode(Sha256::digest(bytes)) == archive.sha256, "the SHA-256 differs from the recorded one");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).context("not a zip")?;
        let mut files = 0;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i)?;
            let name = entry.name()?.into_owned();
            if name.ends_with("order-1.pdf") || name.ends_with("avatar.png") {
                files += 1;
            }
            // Reading checks each entry's CRC-32.
            std::io::copy(&mut entry.by_ref().take(u64::MAX), &mut std::io::sink())
                .with_context(|| format!("reading {name}"))?;
        }
        ensure!(
            files == self.shops.len() * FILES_PER_SOURCE,
            "{files} source files, expected {}",
            self.shops.len() * FILES_PER_SOURCE
        );
        Ok(())
    }

    /// Every source erased the subject, each called once (a retry would be legitimate after a
    /// fault, but this run injects none, so a repeat is a bug worth seeing).
    fn check_erasure(&self, id: &str, request: &pb::PrivacyRequest) -> anyhow::Result<()> {
        let erasure = request.erasure.as_ref().context("a completed erasure without a summary")?;
        ensure!(
            erasure.outcome == pb::ErasureOutcome::AllErased as i32,
            "outcome {:?}",
            pb::ErasureOutcome::try_from(erasure.outcome)
        );
        let expected = ITEMS_PER_SOURCE * self.shops.len() as i64;
        ensure!(erasure.items_removed == expected, "{} items removed, expected {expected}", erasure.items_removed);
        let calls: Vec<(String, u32)> =
            self.shops.iter().map(|s| (s.name.clone(), s.take_erase_calls(id))).filter(|(_, c)| *c != 1).collect();
        ensure!(calls.is_empty(), "erase calls other than one: {calls:?}");
        Ok(())
    }
}

/// Watches request `id` until its stream ends (privacyd ends it at a final state); the last
/// state seen.
async fn watch_to_end(worker: &mut Worker, id: &str, deadline: Instant) -> anyhow::Result<pb::PrivacyRequest> {
    let watching = async {
        let mut stream = worker
            .client
            .watch_privacy_request(pb::WatchPrivacyRequestRequest { id: id.into() })
            .await
            .context("WatchPrivacyRequest")?
            .into_inner();
        let mut last = None;
        while let Some(message) = stream.next().await {
            last = message.context("WatchPrivacyRequest's stream")?.privacy_request.or(last);
        }
        last.ok_or_else(|| anyhow!("the watch sent nothing"))
    };
    tokio::time::timeout_at(deadline, watching).await.map_err(|_| anyhow!("the watch did not end in time"))?
}

// ---------------------------------------------------------------------------------------------
// privacyd, its memory, and the run

struct Privacyd(Child);

impl Drop for Privacyd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// privacyd's resident memory now, from /proc (VmRSS).
fn rss(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS line")?;
    let kib: u64 = line.split_whitespace().nth(1).context("an empty VmRSS line")?.parse()?;
    Ok(kib * 1024)
}

/// p-th percentile of sorted seconds, in milliseconds.
fn percentile_ms(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    super::round(sorted[((p / 100.0) * (sorted.len() - 1) as f64).round() as usize] * 1000.0)
}

/// Whether request `n` is an erasure: spread evenly, `share` of them.
fn is_erasure(n: u64, share: f64) -> bool {
    ((n + 1) as f64 * share).floor() > (n as f64 * share).floor()
}

pub async fn run(args: SoakArgs) -> anyhow::Result<()> {
    ensure!(args.rate > 0.0 && args.clients > 0 && args.sources > 0, "--rate, --clients and --sources must be > 0");
    ensure!((0.0..=1.0).contains(&args.erase_share), "--erase-share is a share, 0 to 1");
    // reqwest is built without a default TLS provider (privacyd picks ring); plain HTTP here,
    // but the client's builder wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let shops: Vec<Shop> = (0..args.sources).map(Shop::new).collect();
    let mut endpoints = Vec::new();
    for shop in &shops {
        endpoints.push(super::serve(DataSourceServiceServer::new(shop.clone())).await?);
    }

    let dir = super::tempfile_dir()?;
    let (_postgres, backend) = match args.backend {
        super::Backend::Sqlite => (None, "sqlite"),
        super::Backend::Postgres => {
            let (owned, url, _) = super::postgres_database(args.postgres_url.as_deref(), true).await?;
            (Some((owned, url)), "postgres")
        }
        super::Backend::Both => bail!("--backend: sqlite or postgres, one per run"),
    };
    let port = privacyd::testing::free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let program = std::env::current_exe()?.with_file_name("privacyd");
    let mut command = Command::new(&program);
    command
        .args(["--listen", &addr, "--log", &args.privacyd_log])
        // Every client of this bench is 127.0.0.1: the per-address limits are for the open
        // internet, where each subject has an address of their own.
        .args(["--public-rate-limit", "0", "--max-connections-per-ip", "0"])
        // Through the environment: a command line is visible to every local user.
        .env("PRIVACYD_ADMIN_TOKENS", &token)
        .arg("--data-dir")
        .arg(&dir)
        .stdout(Stdio::null());
    if let Some((_, url)) = &_postgres {
        command.env("PRIVACYD_DATABASE_URL", url);
    }
    let mut server = Privacyd(
        command
            .spawn()
            .with_context(|| format!("starting {} (cargo build --bin privacyd first)", program.display()))?,
    );
    let pid = server.0.id();
    let started = Instant::now();
    let channel = loop {
        match Channel::from_shared(format!("http://{addr}"))?.connect().await {
            Ok(channel) => break channel,
            Err(_) if started.elapsed() < Duration::from_secs(60) => {
                if let Some(status) = server.0.try_wait()? {
                    bail!("privacyd exited at start: {status}");
                }
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(err) => bail!("privacyd did not listen within 60 s: {err}"),
        }
    };
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
    let auth_bearer = bearer.clone();
    let mut registry = DataSourceRegistryServiceClient::with_interceptor(channel, move |mut r: Request<()>| {
        r.metadata_mut().insert("authorization", auth_bearer.clone());
        Ok(r)
    });
    for (shop, endpoint) in shops.iter().zip(endpoints) {
        registry
            .register_data_source(pb::RegisterDataSourceRequest {
                name: shop.name.clone(),
                endpoint,
                ..Default::default()
            })
            .await
            .with_context(|| format!("registering {}", shop.name))?;
    }

    let soak = Arc::new(Soak {
        addr: addr.clone(),
        bearer,
        run: uuid::Uuid::now_v7().simple().to_string(),
        mailbox: Mailbox::start(dir.join("outbox")),
        shops,
        calls: Calls::default(),
    });

    // Memory: one sample now (before any load), then every --sample-interval while the load
    // runs, and one at the end.
    let load_started = Instant::now();
    let samples: Arc<Mutex<Vec<(f64, u64)>>> = Arc::default();
    let sample = {
        let samples = samples.clone();
        move || -> anyhow::Result<()> {
            let at = load_started.elapsed().as_secs_f64();
            let bytes = rss(pid)?;
            println!(
                "{}",
                serde_json::json!({"bench": "soak", "rss_sample": {"t_s": super::round(at), "rss_bytes": bytes}})
            );
            samples.lock().expect("not poisoned").push((at, bytes));
            Ok(())
        }
    };
    sample()?;
    let sampler = {
        let sample = sample.clone();
        let interval = args.sample_interval;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(load_started + interval, interval);
            loop {
                ticks.tick().await;
                if sample().is_err() {
                    break;
                }
            }
        })
    };

    // The schedule: start times 1/rate apart, until --duration.
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let load_ends = load_started + args.duration;
    let next: Arc<Mutex<(u64, Instant)>> = Arc::new(Mutex::new((0, load_started)));
    let late = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let completions: Arc<Mutex<Vec<(f64, pb::Action)>>> = Arc::default();
    let started_requests = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..args.clients {
        let soak = soak.clone();
        let (next, late, failures, completions, started_requests) =
            (next.clone(), late.clone(), failures.clone(), completions.clone(), started_requests.clone());
        let share = args.erase_share;
        let mut worker = soak.worker().await?;
        workers.push(tokio::spawn(async move {
            loop {
                let (n, at) = {
                    let mut next = next.lock().expect("not poisoned");
                    let slot = *next;
                    *next = (slot.0 + 1, slot.1 + interval);
                    slot
                };
                if at >= load_ends {
                    break;
                }
                tokio::time::sleep_until(at).await;
                if at.elapsed() > interval {
                    late.fetch_add(1, Ordering::Relaxed);
                }
                started_requests.fetch_add(1, Ordering::Relaxed);
                let action = if is_erasure(n, share) { pb::Action::Erase } else { pb::Action::Export };
                match soak.request(&mut worker, n, action).await {
                    Ok(()) => completions
                        .lock()
                        .expect("not poisoned")
                        .push((load_started.elapsed().as_secs_f64(), action)),
                    Err(err) => {
                        let failed = failures.fetch_add(1, Ordering::Relaxed) + 1;
                        // The first few in full; then only the count grows.
                        if failed <= 20 {
                            eprintln!(
                                "{}",
                                serde_json::json!({"bench": "soak", "failed": n, "action": format!("{action:?}"), "error": format!("{err:#}")})
                            );
                        }
                    }
                }
            }
        }));
    }
    for worker in workers {
        worker.await?;
    }
    let elapsed = load_started.elapsed();
    sampler.abort();
    sample()?;
    let peak = privacyd::testing::peak_rss(pid)?;
    let exited = server.0.try_wait()?;
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);

    // Completions per minute of the run, by action.
    let completions = std::mem::take(&mut *completions.lock().expect("not poisoned"));
    let minutes = (elapsed.as_secs_f64() / 60.0).ceil().max(1.0) as usize;
    let mut per_minute = vec![(0u64, 0u64); minutes];
    for (at, action) in &completions {
        let slot = &mut per_minute[((at / 60.0) as usize).min(minutes - 1)];
        match action {
            pb::Action::Erase => slot.1 += 1,
            _ => slot.0 += 1,
        }
    }
    for (minute, (exports, erasures)) in per_minute.iter().enumerate() {
        println!(
            "{}",
            serde_json::json!({"bench": "soak", "minute": minute + 1, "exports_completed": exports, "erasures_completed": erasures})
        );
    }
    let calls: serde_json::Map<String, serde_json::Value> = std::mem::take(&mut *soak.calls.0.lock().expect("ok"))
        .into_iter()
        .map(|(call, mut seconds)| {
            seconds.sort_by(f64::total_cmp);
            let summary = serde_json::json!({
                "n": seconds.len(),
                "p50_ms": percentile_ms(&seconds, 50.0),
                "p99_ms": percentile_ms(&seconds, 99.0),
            });
            (call.to_owned(), summary)
        })
        .collect();

    // Memory: the first sample at or after the warm-up against the last.
    let samples = std::mem::take(&mut *samples.lock().expect("not poisoned"));
    let after_warm_up: Vec<&(f64, u64)> = samples.iter().filter(|(at, _)| *at >= args.warm_up.as_secs_f64()).collect();
    let (rss_check, growth) = match (after_warm_up.first(), after_warm_up.last()) {
        (Some(first), Some(last)) if after_warm_up.len() >= 2 => {
            let growth = last.1 as f64 / first.1 as f64 - 1.0;
            (if growth.abs() <= args.max_rss_change { "pass" } else { "fail" }, Some(growth))
        }
        _ => ("not_checked_run_within_warm_up", None),
    };
    let errors = failures.load(Ordering::Relaxed);
    let exports = completions.iter().filter(|(_, a)| *a == pb::Action::Export).count();
    let line = serde_json::json!({
        "bench": "soak",
        "backend": backend,
        "seconds": super::round(elapsed.as_secs_f64()),
        "clients": args.clients,
        "rate_per_s": args.rate,
        "sources": soak.shops.len(),
        "erase_share": args.erase_share,
        "requests_started": started_requests.load(Ordering::Relaxed),
        "exports_completed": exports,
        "erasures_completed": completions.len() - exports,
        "completed_per_minute": super::round(completions.len() as f64 / elapsed.as_secs_f64() * 60.0),
        "late_starts": late.load(Ordering::Relaxed),
        "errors": errors,
        "calls": calls,
        "warm_up_s": args.warm_up.as_secs_f64(),
        "rss_first_after_warm_up_bytes": after_warm_up.first().map(|s| s.1),
        "rss_last_bytes": samples.last().map(|s| s.1),
        "rss_change": growth.map(super::round),
        "rss_check": rss_check,
        "peak_rss_bytes": peak,
    });
    println!("{line}");
    ensure!(exited.is_none(), "privacyd exited during the run: {exited:?}");
    ensure!(errors == 0, "{errors} requests failed (the first are above, on stderr)");
    ensure!(
        rss_check != "fail",
        "privacyd's memory changed by {:.1}% after warm-up (at most {:.0}% allowed)",
        growth.unwrap_or_default() * 100.0,
        args.max_rss_change * 100.0
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirm_form_is_read_as_a_browser_would() {
        let page = r#"<h1>x</h1><form method="post" action="confirm">
    <input type="hidden" name="id" value="0191-ab">
    <input type="hidden" name="token" value="a&amp;b&quot;c">
    <button type="submit" id="confirm">Confirm</button>
  </form>"#;
        let (action, fields) = first_form(page).unwrap();
        assert_eq!(action, "confirm");
        assert_eq!(fields, vec![("id".into(), "0191-ab".into()), ("token".into(), "a&b\"c".into())]);
    }

    #[test]
    fn links_are_found_by_path() {
        let mail = "Hello\r\n\r\nhttp://127.0.0.1:1/confirm?id=1&token=x\r\nhttp://127.0.0.1:1/status?id=1&token=y\r\n";
        assert_eq!(find_link(mail, "/status").unwrap().as_str(), "http://127.0.0.1:1/status?id=1&token=y");
        assert!(find_link(mail, "/download").is_none());
    }

    #[test]
    fn erasures_are_spread_at_the_share() {
        let erasures = (0..1000).filter(|n| is_erasure(*n, 0.3)).count();
        assert_eq!(erasures, 300);
        assert!((0..10).all(|n| !is_erasure(n, 0.0)));
        assert!((0..10).all(|n| is_erasure(n, 1.0)));
    }
}
