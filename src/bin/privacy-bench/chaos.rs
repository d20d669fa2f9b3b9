//! `privacy-bench chaos` (issue 14, §1): two privacyd replicas (the real binary, each its own
//! process and data folder) on one PostgreSQL, with one archive store (`--store file`: the
//! file store on a folder both replicas use, as on one machine or a shared volume; `--store
//! s3`: one bucket of an s3s-fs, no shared disk), the real SMTP sink, and 20
//! data sources: Go, Python and Java reference sources (as scripts/polyglot.sh builds them)
//! and fault-injecting Rust sources in this process. Clients run a steady mix of exports and
//! erasures (created with a confirmation email or without, confirmed by the email's link,
//! processed) while, once a cycle, a fault is injected at a random moment: a replica killed
//! with SIGKILL and started again after a random pause, PostgreSQL restarted (fast or
//! immediate), the SMTP server stopped for a while, a source made to hang or to refuse for a
//! while. Once the faults stop and everything is back, it waits (with a deadline) for every
//! request and checks each one: it completed; each source applied each erasure's effect
//! exactly once (the sources count what they apply); every archive opens, matches its
//! recorded SHA-256 and holds every item and file once; every email the request records as
//! sent arrived (duplicates counted); every erasure receipt's audit chain is intact. One
//! summary line; the exit status is non-zero on any loss.
//!
//! Entry point: `scripts/chaos.sh [--cycles N]`.

mod fleet;
mod source;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::Read,
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, bail};
use futures::StreamExt;
use privacyd::{
    proto::privacy::{
        datasource::v1::data_source_service_server::DataSourceServiceServer,
        v1::{self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient},
    },
    testing::{ThrowawayPostgres, ThrowawayS3, free_port},
};
use rand::{
    Rng, SeedableRng,
    rngs::StdRng,
    seq::{IndexedRandom, SliceRandom},
};
use sha2::{Digest, Sha256};
use tokio::{io::AsyncReadExt, io::AsyncWriteExt, time::Instant};
use tonic::{
    Request,
    metadata::{Ascii, MetadataValue},
};

use self::{
    fleet::{Lang, ReferenceBuilds, ReferenceSource, Replica, Smtp},
    source::{Fault, FaultSource},
};
use super::{BenchStore, ChaosArgs};

/// The kinds of fault, in the summary's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FaultKind {
    KillReplica,
    RestartPostgres,
    StopSmtp,
    HangSource,
    RefuseSource,
}

impl FaultKind {
    const ALL: [FaultKind; 5] = [
        FaultKind::KillReplica,
        FaultKind::RestartPostgres,
        FaultKind::StopSmtp,
        FaultKind::HangSource,
        FaultKind::RefuseSource,
    ];

    fn name(self) -> &'static str {
        match self {
            FaultKind::KillReplica => "kill-9 replica",
            FaultKind::RestartPostgres => "restart postgres",
            FaultKind::StopSmtp => "stop smtp",
            FaultKind::HangSource => "hang source",
            FaultKind::RefuseSource => "refuse source",
        }
    }
}

/// What the clients need to reach privacyd; shared by every request's task.
struct Clients {
    /// Each replica's HOST:PORT (gRPC and HTTP on the same port).
    replicas: Vec<String>,
    bearer: MetadataValue<Ascii>,
    smtp_dir: PathBuf,
    /// When a client stops retrying.
    deadline: Instant,
}

impl Clients {
    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.metadata_mut().insert("authorization", self.bearer.clone());
        request
    }

    fn client(&self, attempt: usize) -> anyhow::Result<Client> {
        let addr = &self.replicas[attempt % self.replicas.len()];
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))?
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(20))
            .connect_lazy();
        Ok(pb::privacy_request_service_client::PrivacyRequestServiceClient::new(channel)
            .max_decoding_message_size(16 << 20))
    }

    /// Gets a request from whichever replica answers.
    async fn get(&self, id: &str) -> anyhow::Result<pb::PrivacyRequest> {
        self.retry("GetPrivacyRequest", |mut client| {
            let request = self.request(pb::GetPrivacyRequestRequest { id: id.into() });
            async move {
                let got = client.get_privacy_request(request).await?;
                got.into_inner().privacy_request.context("no privacy_request")
            }
        })
        .await
    }

    /// Runs `call` against one replica after the other until it succeeds or the deadline
    /// passes: replicas die, PostgreSQL restarts, and a client of a real deployment retries.
    async fn retry<T, F, Fut>(&self, what: &str, mut call: F) -> anyhow::Result<T>
    where
        F: FnMut(Client) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<T>>,
    {
        let mut attempt = rand::rng().random_range(0..self.replicas.len());
        loop {
            match call(self.client(attempt)?).await {
                Ok(value) => return Ok(value),
                Err(err) if Instant::now() > self.deadline => return Err(err.context(format!("{what}: gave up"))),
                Err(_) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}

type Client = pb::privacy_request_service_client::PrivacyRequestServiceClient<tonic::transport::Channel>;

/// One request of the run, as its client made it.
#[derive(Debug, Clone)]
struct Made {
    email: String,
    action: pb::Action,
    send_confirmation: bool,
    id: String,
}

/// A request's life from the client's side: create (retried with one AIP-155 request id),
/// confirm by the email's link when it was created with a confirmation, process.
async fn lifecycle(
    clients: Arc<Clients>,
    email: String,
    action: pb::Action,
    send_confirmation: bool,
) -> anyhow::Result<Made> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let created = clients
        .retry("CreatePrivacyRequest", |mut client| {
            let request = clients.request(pb::CreatePrivacyRequestRequest {
                subject: Some(pb::Subject { email: email.clone(), user_id: String::new() }),
                action: action as i32,
                send_confirmation,
                request_id: request_id.clone(),
            });
            async move {
                let created = client.create_privacy_request(request).await?;
                created.into_inner().privacy_request.context("no privacy_request")
            }
        })
        .await?;
    let id = created.id;
    if send_confirmation {
        // The subject's part: wait for the email (the SMTP server may be down for a while),
        // then press the button its link leads to, on whichever replica answers.
        let (link_id, token) = loop {
            if let Some(found) = fleet::confirmation_in(&clients.smtp_dir, &email)? {
                break found;
            }
            anyhow::ensure!(Instant::now() < clients.deadline, "no confirmation email arrived for {id}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        anyhow::ensure!(link_id == id, "the confirmation link is for {link_id}, not {id}");
        let mut attempt = 0;
        loop {
            let addr = &clients.replicas[attempt % clients.replicas.len()];
            let _ = post_confirm(addr, &link_id, &token).await;
            let state = clients.get(&id).await?.state;
            if state != pb::State::Pending as i32 {
                break;
            }
            anyhow::ensure!(Instant::now() < clients.deadline, "{id} is still pending after its link was pressed");
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let mut attempt = 0;
    loop {
        let request = clients.request(pb::ProcessPrivacyRequestRequest { id: id.clone() });
        let Err(status) = clients.client(attempt)?.process_privacy_request(request).await else { break };
        // An earlier call may have gone through with its answer lost in a fault.
        let state = clients.get(&id).await?.state;
        if state == pb::State::Processing as i32 || state == pb::State::Completed as i32 {
            break;
        }
        anyhow::ensure!(Instant::now() < clients.deadline, "ProcessPrivacyRequest {id}: {status:?}");
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(Made { email, action, send_confirmation, id })
}

/// POSTs the confirmation form (the page's button) over HTTP/1.1; returns the status code.
async fn post_confirm(addr: &str, id: &str, token: &str) -> anyhow::Result<u16> {
    let body =
        form_urlencoded::Serializer::new(String::new()).append_pair("id", id).append_pair("token", token).finish();
    let mut stream = tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await??;
    let head = format!(
        "POST /confirm HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut response)).await??;
    let status = String::from_utf8_lossy(&response);
    status.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("no HTTP status line")
}

/// What the checks found, summed over the run.
#[derive(Default)]
struct Findings {
    /// Requests that did not complete, erasure effects a source never applied, archives
    /// missing an item or a file.
    lost: usize,
    double_erasures: usize,
    broken_archives: usize,
    missing_emails: usize,
    duplicate_emails: usize,
    broken_chains: usize,
    /// Erase calls beyond the first for one request at one fault source (the protocol's
    /// idempotency absorbs them; reported, not a failure).
    erase_replays: usize,
    /// Requests privacyd holds that no client made (a retried create made twice).
    duplicate_requests: usize,
    /// The requests that did not end, whose jobs are shown from the database.
    unfinished: Vec<String>,
    problems: Vec<String>,
}

impl Findings {
    fn problem(&mut self, text: String) {
        eprintln!("chaos: {text}");
        self.problems.push(text);
    }
}

pub async fn run(args: ChaosArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let seed = args.seed.unwrap_or_else(|| rand::rng().random());
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = super::tempfile_dir()?;
    eprintln!("chaos: seed {seed}, logs and files in {}", dir.display());
    let total = args.cycles * args.requests_per_cycle;
    let subjects: Vec<String> = (0..total).map(|i| format!("chaos-subject-{i}@example.com")).collect();

    // PostgreSQL, the SMTP sink, the reference sources (started side by side: the JVMs take
    // a while), the fault sources.
    let postgres = Arc::new(tokio::task::spawn_blocking(|| ThrowawayPostgres::start(false)).await??);
    let mut smtp = Smtp::start(dir.join("mail"))?;
    let builds = args.builds()?;
    let languages: Vec<(Lang, usize)> = [Lang::Go, Lang::Python, Lang::Java]
        .into_iter()
        .flat_map(|lang| (0..args.per_language).map(move |i| (lang, i)))
        .collect();
    anyhow::ensure!(languages.len() <= args.sources, "--sources must be at least 3 x --per-language");
    let references: Vec<ReferenceSource> = std::thread::scope(|scope| {
        let started: Vec<_> = languages
            .iter()
            .map(|&(lang, i)| {
                let (builds, dir, subjects) = (&builds, &dir, &subjects);
                scope.spawn(move || ReferenceSource::start(builds, lang, i, dir, subjects))
            })
            .collect();
        started.into_iter().map(|t| t.join().expect("no panic")).collect::<anyhow::Result<Vec<_>>>()
    })?;
    let faulty: Vec<FaultSource> =
        (0..args.sources - references.len()).map(|i| FaultSource::new(format!("faulty-{i}"))).collect();

    // Two replicas; the second uses the first's keys, as every replica must. One archive
    // store: a folder, or a bucket of an S3 server the run starts (kept until the end).
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let s3 = match args.store {
        BenchStore::S3 => Some(tokio::task::spawn_blocking(ThrowawayS3::start).await??),
        BenchStore::File => None,
    };
    let archive_store = match &s3 {
        Some(s3) => format!("s3://{}/chaos", s3.bucket),
        None => {
            let shared = dir.join("archives");
            std::fs::create_dir_all(&shared)?;
            format!("file://{}", shared.display())
        }
    };
    let ports = [free_port()?, free_port()?];
    let first_data = dir.join("replica-0");
    let mut replicas = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let mut a: Vec<std::ffi::OsString> = Vec::new();
        let mut push = |xs: &[&str]| a.extend(xs.iter().map(std::ffi::OsString::from));
        push(&["--listen", &format!("127.0.0.1:{port}"), "--database-url", &postgres.url()]);
        push(&["--smtp-url", &smtp.url(), "--public-url", &format!("http://127.0.0.1:{}", ports[0])]);
        push(&["--data-dir", &dir.join(format!("replica-{i}")).to_string_lossy()]);
        push(&["--archive-store", &archive_store]);
        // Fast leases and retries, so a run of many faults takes minutes, not hours; many
        // attempts, so that a fault lasting seconds costs retries, never a failed request.
        push(&["--job-lease", "2s", "--job-poll-interval", "100ms", "--retry-base", "100ms", "--retry-max", "1s"]);
        push(&["--source-max-attempts", "100", "--mail-max-attempts", "100", "--max-connections-per-ip", "0"]);
        push(&["--log", &args.privacyd_log]);
        if i > 0 {
            push(&["--secret-key-file", &first_data.join("secret-key").to_string_lossy()]);
            push(&["--receipt-signing-key-file", &first_data.join("receipt-signing-key").to_string_lossy()]);
        }
        // The token through the environment: a command line is visible to every local user.
        let mut env = vec![("PRIVACYD_ADMIN_TOKENS".to_owned(), token.clone())];
        if let Some(s3) = &s3 {
            env.extend(
                [
                    ("AWS_ACCESS_KEY_ID", ThrowawayS3::ACCESS_KEY),
                    ("AWS_SECRET_ACCESS_KEY", ThrowawayS3::SECRET_KEY),
                    ("AWS_REGION", "us-east-1"),
                    ("AWS_ENDPOINT_URL", &s3.endpoint),
                    ("AWS_ALLOW_HTTP", "true"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
            );
        }
        let mut replica =
            Replica::new(format!("replica-{i}"), &args.privacyd()?, a, env, dir.join(format!("replica-{i}.log")));
        replica.up().await?;
        replicas.push(replica);
    }

    let bearer: MetadataValue<Ascii> = format!("Bearer {token}").parse()?;
    let auth = {
        let bearer = bearer.clone();
        move |mut r: Request<()>| {
            r.metadata_mut().insert("authorization", bearer.clone());
            Ok(r)
        }
    };
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", replicas[0].addr))?.connect().await?;
    let mut registry = DataSourceRegistryServiceClient::with_interceptor(channel, auth);
    let timeout = |d: Duration| Some(prost_types::Duration { seconds: d.as_secs() as i64, nanos: 0 });
    for reference in &references {
        registry
            .register_data_source(pb::RegisterDataSourceRequest {
                name: reference.name.clone(),
                endpoint: reference.endpoint.clone(),
                call_timeout: timeout(Duration::from_secs(30)),
                ..Default::default()
            })
            .await
            .with_context(|| format!("registering {}", reference.name))?;
    }
    for source in &faulty {
        let endpoint = super::serve(DataSourceServiceServer::new(source.clone())).await?;
        registry
            .register_data_source(pb::RegisterDataSourceRequest {
                name: source.name.clone(),
                endpoint,
                call_timeout: timeout(source::CALL_TIMEOUT),
                ..Default::default()
            })
            .await
            .with_context(|| format!("registering {}", source.name))?;
    }
    eprintln!(
        "chaos: {} replicas, {} sources ({} reference, {} fault-injecting) up after {:.1} s",
        replicas.len(),
        args.sources,
        references.len(),
        faulty.len(),
        started.elapsed().as_secs_f64()
    );

    let clients = Arc::new(Clients {
        replicas: replicas.iter().map(|r| r.addr.clone()).collect(),
        bearer,
        smtp_dir: smtp.dir.clone(),
        deadline: Instant::now() + args.cycle_budget() + args.settle,
    });

    // The cycles: a cycle's requests start spread over it; its fault comes at a random moment,
    // lasts a random while, and is healed before the next cycle.
    // Every kind at least once (in the first five cycles, in a random order), then at random.
    let mut kinds: Vec<FaultKind> = FaultKind::ALL.to_vec();
    kinds.shuffle(&mut rng);
    while kinds.len() < args.cycles {
        kinds.push(*FaultKind::ALL.choose(&mut rng).expect("kinds"));
    }
    kinds.truncate(args.cycles);
    let mut tasks = Vec::new();
    let mut next_subject = 0;
    for (cycle, &kind) in kinds.iter().enumerate() {
        let fault_at = rng.random_range(0..args.requests_per_cycle);
        for r in 0..args.requests_per_cycle {
            if r == fault_at {
                inject(kind, &mut rng, &mut replicas, &postgres, &mut smtp, &faulty).await?;
            }
            let email = subjects[next_subject].clone();
            // Exports and erasures alternate, so both are always in the mix.
            let action = if next_subject % 2 == 0 { pb::Action::Export } else { pb::Action::Erase };
            next_subject += 1;
            let send_confirmation = rng.random_bool(0.5);
            tasks.push(tokio::spawn(lifecycle(clients.clone(), email, action, send_confirmation)));
            tokio::time::sleep(Duration::from_millis(rng.random_range(100..400))).await;
        }
        eprintln!("chaos: cycle {} of {}: {}", cycle + 1, args.cycles, kind.name());
    }
    anyhow::ensure!(replicas.iter().all(Replica::is_up) && smtp.is_up(), "a fault was left in force");

    // Every client's part done, then every request finished and its emails sent or failed.
    let mut made = Vec::new();
    let mut findings = Findings::default();
    for task in tasks {
        match task.await? {
            Ok(m) => made.push(m),
            Err(err) => {
                findings.lost += 1;
                findings.problem(format!("a client could not make its request: {err:#}"));
            }
        }
    }
    let finished = wait_finished(&clients, &made).await?;
    let settled = started.elapsed();

    check_requests(&clients, &made, &finished, &mut findings, &dir, &faulty).await?;
    if !findings.unfinished.is_empty() {
        // What the API does not show: the jobs behind the requests that did not end, and what
        // the database's sessions were doing, so that a rare hang can be told from a lost job.
        if let Err(err) = show_jobs(&postgres.url(), &findings.unfinished).await {
            eprintln!("chaos: reading the unfinished requests' jobs failed: {err:#}");
        }
    }
    check_erasures(&made, &finished, &references, &faulty, &mut findings).await?;
    check_emails(&smtp, &made, &finished, &mut findings)?;
    if let Err(err) = check_duplicates(&clients, &made, &mut findings).await {
        findings.problem(format!("listing privacyd's requests failed: {err:#}"));
    }

    let mut by_kind: BTreeMap<FaultKind, usize> = BTreeMap::new();
    for kind in &kinds {
        *by_kind.entry(*kind).or_default() += 1;
    }
    let faults = by_kind.iter().map(|(k, n)| format!("{} {n}", k.name())).collect::<Vec<_>>().join(", ");
    let exports = made.iter().filter(|m| m.action == pb::Action::Export).count();
    println!(
        "chaos: {} cycles, {} requests ({} exports, {} erasures; {} confirmed by email link), 2 replicas, {} store, {} sources \
         ({} Go, {} Python, {} Java, {} fault-injecting), faults {} ({faults}), lost {}, double erasures {}, \
         duplicate emails {}, missing emails {}, broken archives {}, broken audit chains {}, duplicate requests {}, \
         erase replays {}, settled in {:.0} s",
        args.cycles,
        total,
        exports,
        made.len() - exports,
        made.iter().filter(|m| m.send_confirmation).count(),
        if s3.is_some() { "S3" } else { "file" },
        args.sources,
        args.per_language,
        args.per_language,
        args.per_language,
        faulty.len(),
        kinds.len(),
        findings.lost,
        findings.double_erasures,
        findings.duplicate_emails,
        findings.missing_emails,
        findings.broken_archives,
        findings.broken_chains,
        findings.duplicate_requests,
        findings.erase_replays,
        settled.as_secs_f64(),
    );
    drop(replicas);
    drop(references);
    // Every problem counted above was also listed; duplicate emails and replays are not problems.
    if !findings.problems.is_empty() {
        bail!("{} problems (above); logs in {}", findings.problems.len(), dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Injects one fault and heals it after a random while.
async fn inject(
    kind: FaultKind,
    rng: &mut StdRng,
    replicas: &mut [Replica],
    postgres: &Arc<ThrowawayPostgres>,
    smtp: &mut Smtp,
    faulty: &[FaultSource],
) -> anyhow::Result<()> {
    let pause = Duration::from_millis(rng.random_range(500..3000));
    match kind {
        FaultKind::KillReplica => {
            let i = rng.random_range(0..replicas.len());
            replicas[i].kill();
            tokio::time::sleep(pause).await;
            replicas[i].up().await?;
        }
        FaultKind::RestartPostgres => {
            let immediate = rng.random_bool(0.5);
            let postgres = postgres.clone();
            tokio::task::spawn_blocking(move || postgres.restart(immediate)).await??;
        }
        FaultKind::StopSmtp => {
            smtp.down();
            tokio::time::sleep(pause).await;
            smtp.up()?;
        }
        FaultKind::HangSource | FaultKind::RefuseSource => {
            let source = faulty.choose(rng).context("no fault-injecting source")?;
            let until = Instant::now() + pause;
            source.inject(if kind == FaultKind::HangSource { Fault::Hang(until) } else { Fault::Refuse(until) });
            tokio::time::sleep(pause).await;
        }
    }
    Ok(())
}

/// Waits until every request is in a final state and none of its emails is pending; returns
/// them as they are then. Gives up at the clients' deadline, returning what it has.
async fn wait_finished(clients: &Clients, made: &[Made]) -> anyhow::Result<HashMap<String, pb::PrivacyRequest>> {
    let mut finished = HashMap::new();
    loop {
        let mut pending = 0;
        for m in made {
            if finished.contains_key(&m.id) {
                continue;
            }
            // Past the deadline a replica that does not answer leaves the request unknown,
            // which the checks count as lost.
            let Ok(request) = clients.get(&m.id).await else {
                pending += 1;
                continue;
            };
            let running = matches!(
                pb::State::try_from(request.state),
                Ok(pb::State::Pending | pb::State::Confirmed | pb::State::Processing)
            );
            let mailing = request.emails.iter().any(|e| e.state == pb::DeliveryState::Pending as i32);
            if running || mailing {
                pending += 1;
                if Instant::now() > clients.deadline {
                    finished.insert(m.id.clone(), request);
                }
            } else {
                finished.insert(m.id.clone(), request);
            }
        }
        if pending == 0 || Instant::now() > clients.deadline {
            return Ok(finished);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Prints the jobs of the requests `ids` (kind, source, state, attempts, lease, when due, last
/// error) and the database's sessions that are not idle.
async fn show_jobs(url: &str, ids: &[String]) -> anyhow::Result<()> {
    use sqlx::{Connection, Row};
    let mut db = sqlx::postgres::PgConnection::connect(url).await?;
    let now = privacyd::domain::now().timestamp_micros();
    for id in ids {
        let rows = sqlx::query(
            "SELECT kind, payload, state, attempts, max_attempts, lease_owner, lease_expire_time, run_at, \
             last_error FROM jobs WHERE request_id = $1 ORDER BY create_time, id",
        )
        .bind(id)
        .fetch_all(&mut db)
        .await?;
        for row in rows {
            let lease: Option<i64> = row.try_get("lease_expire_time")?;
            let run_at: i64 = row.try_get("run_at")?;
            eprintln!(
                "chaos: {id} job {} {} {} attempt {} of {}, leased to {} ({}), due {} ms ago: {:?}",
                row.try_get::<String, _>("kind")?,
                row.try_get::<String, _>("payload")?,
                row.try_get::<String, _>("state")?,
                row.try_get::<i32, _>("attempts")?,
                row.try_get::<i32, _>("max_attempts")?,
                row.try_get::<Option<String>, _>("lease_owner")?.unwrap_or_else(|| "none".into()),
                lease.map_or_else(|| "none".to_owned(), |until| format!("{} ms left", (until - now) / 1000)),
                (now - run_at) / 1000,
                row.try_get::<String, _>("last_error")?,
            );
        }
    }
    let sessions = sqlx::query(
        "SELECT pid, state, coalesce(wait_event_type, '') AS wait_type, coalesce(wait_event, '') AS wait, \
         left(query, 120) AS query FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'",
    )
    .fetch_all(&mut db)
    .await?;
    for row in sessions {
        eprintln!(
            "chaos: database session {} {:?} waiting on {} {}: {}",
            row.try_get::<i32, _>("pid")?,
            row.try_get::<Option<String>, _>("state")?,
            row.try_get::<String, _>("wait_type")?,
            row.try_get::<String, _>("wait")?,
            row.try_get::<String, _>("query")?,
        );
    }
    Ok(())
}

/// Final state, archives, receipts.
async fn check_requests(
    clients: &Clients,
    made: &[Made],
    finished: &HashMap<String, pb::PrivacyRequest>,
    findings: &mut Findings,
    dir: &std::path::Path,
    faulty: &[FaultSource],
) -> anyhow::Result<()> {
    let mut unzip_checked = false;
    for m in made {
        let Some(request) = finished.get(&m.id) else {
            findings.lost += 1;
            findings.problem(format!("{} ({:?}): privacyd did not answer about it", m.id, m.action));
            continue;
        };
        if request.state != pb::State::Completed as i32 {
            findings.lost += 1;
            // Where each source got to, so the run's logs can be searched for the rest.
            let sources: Vec<String> = request
                .sources
                .iter()
                .filter(|s| s.state != pb::SourceState::Succeeded as i32)
                .map(|s| {
                    format!(
                        "{} {:?} after {} attempts: {}",
                        s.source_name,
                        pb::SourceState::try_from(s.state),
                        s.attempts,
                        s.last_error
                    )
                })
                .collect();
            let emails: Vec<String> = request
                .emails
                .iter()
                .map(|e| format!("{:?} {:?}", pb::EmailKind::try_from(e.kind), pb::DeliveryState::try_from(e.state)))
                .collect();
            findings.unfinished.push(m.id.clone());
            findings.problem(format!(
                "{} ({:?}) ended {:?}: {:?}; sources not succeeded: {sources:?}; emails: {emails:?}",
                m.id,
                m.action,
                pb::State::try_from(request.state),
                request.state_reason
            ));
            continue;
        }
        match m.action {
            pb::Action::Export => {
                let archive = match download(clients, &m.id).await {
                    Ok(archive) => archive,
                    Err(err) => {
                        findings.broken_archives += 1;
                        findings.problem(format!("{}: the download failed: {err:#}", m.id));
                        continue;
                    }
                };
                let recorded = request.archive.as_ref().map(|a| a.sha256.clone()).unwrap_or_default();
                if hex::encode(Sha256::digest(&archive)) != recorded {
                    findings.broken_archives += 1;
                    findings.problem(format!("{}: the archive's SHA-256 is not the recorded {recorded}", m.id));
                    continue;
                }
                if !unzip_checked {
                    let path = dir.join("first-archive.zip");
                    std::fs::write(&path, &archive)?;
                    let unzip =
                        std::process::Command::new("unzip").arg("-tq").arg(&path).output().context("running unzip")?;
                    if !unzip.status.success() {
                        findings.broken_archives += 1;
                        findings.problem(format!("{}: unzip -t: {}", m.id, String::from_utf8_lossy(&unzip.stdout)));
                    }
                    unzip_checked = true;
                }
                if let Err(err) = check_archive(&archive, &m.email, finished, faulty, m) {
                    findings.broken_archives += 1;
                    findings.problem(format!("{}: {err:#}", m.id));
                }
            }
            _ => {
                let receipt = match clients
                    .retry("GetErasureReceipt", |mut client| {
                        let request = clients.request(pb::GetErasureReceiptRequest { id: m.id.clone() });
                        async move { Ok(client.get_erasure_receipt(request).await?.into_inner()) }
                    })
                    .await
                {
                    Ok(receipt) => receipt,
                    Err(err) => {
                        findings.broken_chains += 1;
                        findings.problem(format!("{}: no receipt: {err:#}", m.id));
                        continue;
                    }
                };
                if let Err(err) = check_chain(&receipt) {
                    findings.broken_chains += 1;
                    findings.problem(format!("{}: the receipt's audit chain: {err:#}", m.id));
                }
            }
        }
    }
    Ok(())
}

/// DownloadExport from whichever replica answers; the whole archive.
async fn download(clients: &Clients, id: &str) -> anyhow::Result<Vec<u8>> {
    clients
        .retry("DownloadExport", |mut client| {
            let request = clients.request(pb::DownloadExportRequest { id: id.into(), ..Default::default() });
            async move {
                let mut stream = client.download_export(request).await?.into_inner();
                let mut bytes = Vec::new();
                let mut header = None;
                while let Some(message) = stream.next().await {
                    match message?.payload {
                        Some(pb::download_export_response::Payload::Header(h)) => header = Some(h),
                        Some(pb::download_export_response::Payload::Chunk(c)) => bytes.extend_from_slice(&c),
                        None => {}
                    }
                }
                let header = header.context("no header")?;
                anyhow::ensure!(
                    bytes.len() as i64 == header.size_bytes,
                    "{} bytes of {}",
                    bytes.len(),
                    header.size_bytes
                );
                anyhow::ensure!(
                    hex::encode(Sha256::digest(&bytes)) == header.sha256,
                    "the download's SHA-256 is not the header's"
                );
                Ok(bytes)
            }
        })
        .await
}

/// The archive opens (every entry read through, CRCs checked), has no entry twice, holds each
/// source's items once with their fields once, and each fault source's file once, byte for
/// byte.
fn check_archive(
    archive: &[u8],
    email: &str,
    _finished: &HashMap<String, pb::PrivacyRequest>,
    faulty: &[FaultSource],
    made: &Made,
) -> anyhow::Result<()> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).context("opening the zip")?;
    let mut entries: HashMap<String, Vec<u8>> = HashMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let name = entry.name()?.into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).with_context(|| format!("reading {name}"))?;
        if entries.insert(name.clone(), bytes).is_some() {
            bail!("{name} is in the archive twice");
        }
    }
    let json = entries.get("export.json").context("no export.json")?;
    let export: serde_json::Value = serde_json::from_slice(json).context("export.json")?;
    let groups = export.as_object().and_then(|o| o.values().next()).and_then(|g| g.as_object()).context("no groups")?;
    let mut per_source: HashMap<String, usize> = HashMap::new();
    for (group, content) in groups {
        if matches!(group.as_str(), "about" | "privacyd-processing-information" | "privacyd-files") {
            continue;
        }
        for (key, item) in content["items"].as_object().context("a group without items")? {
            let source = key.split_once('/').map(|(s, _)| s).context("an item key without a source")?;
            *per_source.entry(source.to_owned()).or_default() += 1;
            let names: Vec<&str> = item.as_array().into_iter().flatten().filter_map(|f| f["name"].as_str()).collect();
            let distinct: HashSet<&&str> = names.iter().collect();
            anyhow::ensure!(distinct.len() == names.len(), "item {key} holds a field twice: {names:?}");
        }
    }
    for source in faulty {
        let items = per_source.remove(&source.name).unwrap_or(0);
        anyhow::ensure!(items == source::RECORDS, "{} items of {} from {}", items, source::RECORDS, source.name);
        let (path, bytes) = source.file(email);
        let name = format!("files/{}/{path}", source.name);
        let found = entries.get(&name).with_context(|| format!("no {name}"))?;
        anyhow::ensure!(found == &bytes, "{name} is not what {} sent", source.name);
    }
    // The reference sources: each seeded subject has a profile, two orders, three comments.
    for (source, items) in per_source {
        anyhow::ensure!(items == 6, "{items} items of 6 from {source} for {}", made.id);
    }
    Ok(())
}

/// The receipt says its chain is intact, and the chain recomputed here from the receipt's
/// events (SHA-256 over the previous digest and each event's canonical JSON, as
/// GetErasureReceipt's documentation specifies) ends at its head.
fn check_chain(receipt: &pb::GetErasureReceiptResponse) -> anyhow::Result<()> {
    anyhow::ensure!(
        receipt.audit_chain_intact,
        "privacyd finds it broken at sequence {}",
        receipt.first_mismatch_sequence
    );
    let document: serde_json::Value = serde_json::from_str(&receipt.receipt_json)?;
    let id = document["request_id"].as_str().context("no request_id")?;
    let chain = &document["audit_chain"];
    let mut previous: [u8; 32] = Sha256::digest(format!("privacyd audit chain v1 {id}")).into();
    let events = chain["events"].as_array().context("no events")?;
    anyhow::ensure!(!events.is_empty(), "no events in the chain");
    for event in events {
        let mut event = event.clone();
        let digest = event.as_object_mut().and_then(|o| o.remove("digest")).context("an event without a digest")?;
        // serde_json's maps are sorted by key; to_string writes no spaces.
        let canonical = serde_json::to_string(&event)?;
        previous = Sha256::new().chain_update(previous).chain_update(canonical.as_bytes()).finalize().into();
        anyhow::ensure!(Some(hex::encode(previous).as_str()) == digest.as_str(), "digest mismatch at {canonical}");
    }
    anyhow::ensure!(chain["head"].as_str() == Some(hex::encode(previous).as_str()), "the head is not the last digest");
    Ok(())
}

/// Each source applied each completed erasure's effect exactly once, and no effect for a
/// request that is not an erasure of the run.
async fn check_erasures(
    made: &[Made],
    finished: &HashMap<String, pb::PrivacyRequest>,
    references: &[ReferenceSource],
    faulty: &[FaultSource],
    findings: &mut Findings,
) -> anyhow::Result<()> {
    let erasures: HashSet<&str> = made
        .iter()
        .filter(|m| {
            m.action == pb::Action::Erase && finished.get(&m.id).is_some_and(|r| r.state == pb::State::Completed as i32)
        })
        .map(|m| m.id.as_str())
        .collect();
    // An erasure that did not complete (counted as lost above) may have reached some sources.
    let all_erasures: HashSet<&str> =
        made.iter().filter(|m| m.action == pb::Action::Erase).map(|m| m.id.as_str()).collect();
    let mut applied: Vec<(String, HashMap<String, u32>)> = Vec::new();
    for reference in references {
        let mut counts: HashMap<String, u32> = HashMap::new();
        for id in reference.erasures().await? {
            *counts.entry(id).or_default() += 1;
        }
        applied.push((reference.name.clone(), counts));
    }
    for source in faulty {
        let counts = source.counts();
        findings.erase_replays += counts.erase_calls.values().map(|n| n.saturating_sub(1) as usize).sum::<usize>();
        applied.push((source.name.clone(), counts.applied));
    }
    for (source, counts) in applied {
        for id in &erasures {
            match counts.get(*id).copied().unwrap_or(0) {
                1 => {}
                0 => {
                    findings.lost += 1;
                    findings.problem(format!("{source} never applied erasure {id}"));
                }
                n => {
                    findings.double_erasures += 1;
                    findings.problem(format!("{source} applied erasure {id} {n} times"));
                }
            }
        }
        for id in counts.keys().filter(|id| !all_erasures.contains(id.as_str())) {
            findings.double_erasures += 1;
            findings.problem(format!("{source} applied an erasure for {id}, which is no erasure of the run"));
        }
    }
    Ok(())
}

/// The kind of an email, from its subject line (templates/email/*.subject.txt).
fn kind_of(subject: &str) -> pb::EmailKind {
    let kinds = [
        ("Please confirm your request", pb::EmailKind::ConfirmationRequest),
        ("A data subject confirmed a request", pb::EmailKind::AdminConfirmed),
        ("We need more time", pb::EmailKind::DeadlineExtended),
        ("export is ready", pb::EmailKind::ExportReady),
        ("erasure request has been fulfilled", pb::EmailKind::ErasureFulfilled),
        ("We cannot fulfil your request", pb::EmailKind::RequestDenied),
    ];
    kinds.into_iter().find(|(text, _)| subject.contains(text)).map_or(pb::EmailKind::Unspecified, |(_, k)| k)
}

/// Every email a request records as sent arrived (by recipient, each request's own address,
/// and kind); the ones that arrived more often are duplicates; a delivery that failed for
/// good is missing too.
fn check_emails(
    smtp: &Smtp,
    made: &[Made],
    finished: &HashMap<String, pb::PrivacyRequest>,
    findings: &mut Findings,
) -> anyhow::Result<()> {
    let mut arrived: HashMap<(String, i32), usize> = HashMap::new();
    for (to, subject) in smtp.messages()? {
        *arrived.entry((to.to_lowercase(), kind_of(&subject) as i32)).or_default() += 1;
    }
    for m in made {
        let mut recorded: HashMap<i32, usize> = HashMap::new();
        for delivery in finished.get(&m.id).map(|r| r.emails.as_slice()).unwrap_or_default() {
            if delivery.state == pb::DeliveryState::Sent as i32 {
                *recorded.entry(delivery.kind).or_default() += 1;
            } else {
                findings.missing_emails += 1;
                findings.problem(format!("{}: a {:?} email ended {:?}", m.id, delivery.kind, delivery.state));
            }
        }
        for (kind, sent) in recorded {
            let got = arrived.get(&(m.email.to_lowercase(), kind)).copied().unwrap_or(0);
            if got < sent {
                findings.missing_emails += sent - got;
                findings.problem(format!(
                    "{}: {sent} {:?} emails recorded as sent, {got} arrived",
                    m.id,
                    pb::EmailKind::try_from(kind)
                ));
            } else {
                findings.duplicate_emails += got - sent;
            }
        }
    }
    Ok(())
}

/// privacyd holds exactly the requests the clients made: a create retried after a fault
/// (with the same AIP-155 request id) must not have made a second one.
async fn check_duplicates(clients: &Clients, made: &[Made], findings: &mut Findings) -> anyhow::Result<()> {
    let mut held = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = clients
            .retry("ListPrivacyRequests", |mut client| {
                let request = clients.request(pb::ListPrivacyRequestsRequest {
                    page_size: 1000,
                    page_token: page_token.clone(),
                    ..Default::default()
                });
                async move { Ok(client.list_privacy_requests(request).await?.into_inner()) }
            })
            .await?;
        held.extend(page.privacy_requests.into_iter().map(|r| r.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let ours: HashSet<&str> = made.iter().map(|m| m.id.as_str()).collect();
    for id in held.iter().filter(|id| !ours.contains(id.as_str())) {
        findings.duplicate_requests += 1;
        findings.problem(format!("privacyd holds {id}, which no client made (a create made twice?)"));
    }
    Ok(())
}

impl ChaosArgs {
    /// How long the cycles take at most: each request's start is spaced by at most 0.4 s and
    /// each fault lasts at most 3 s (a replica's start comes on top; the settle time covers it).
    fn cycle_budget(&self) -> Duration {
        Duration::from_millis((self.cycles * (self.requests_per_cycle * 400 + 3000)) as u64)
    }

    fn privacyd(&self) -> anyhow::Result<PathBuf> {
        let bin = match &self.privacyd {
            Some(path) => path.clone(),
            None => std::env::current_exe()?.with_file_name("privacyd"),
        };
        anyhow::ensure!(bin.is_file(), "{} does not exist: cargo build --bin privacyd", bin.display());
        Ok(bin)
    }

    fn builds(&self) -> anyhow::Result<ReferenceBuilds> {
        let missing =
            "the reference sources are not built: run scripts/polyglot.sh (scripts/chaos.sh finds what it built)";
        let go = self.go_bin_dir.as_ref().context(missing)?.join("reference-datasource");
        let python = self.python.as_ref().context(missing)?.with_file_name("reference-datasource");
        let java = self.java_source_jar.clone().context(missing)?;
        for path in [&go, &python, &java] {
            anyhow::ensure!(path.is_file(), "{} does not exist; {missing}", path.display());
        }
        Ok(ReferenceBuilds { go_source: go, python_source: python, java_jar: java })
    }
}
