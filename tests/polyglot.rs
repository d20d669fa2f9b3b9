//! End to end across languages (issue #5): the privacyd and privacyctl binaries built here,
//! against the Go, Python and Java reference data sources and admin examples exactly as their
//! own CI builds them. One shared subject is held by all three shops; privacyctl's conformance
//! kit passes each source, every admin example exports the subject from all three into one
//! archive, an erasure removes profiles and comments and keeps orders for tax law, and a last
//! export holds only the orders. privacyd serves TLS (a CA made with openssl), so each admin
//! example also shows it connects over TLS with its PRIVACYD_CA_FILE.
//!
//! `scripts/polyglot.sh` builds the clients and runs this test, telling it where they are:
//!
//! | variable | what |
//! |---|---|
//! | `PRIVACYD_E2E_GO_BIN_DIR` | folder with `reference-datasource` and `admin-export` (clients/go/ci.sh) |
//! | `PRIVACYD_E2E_PYTHON` | the clients venv's python, with the `reference-datasource` script beside it |
//! | `PRIVACYD_E2E_JAVA_SOURCE_JAR` | `reference-datasource.jar` |
//! | `PRIVACYD_E2E_JAVA_EXAMPLE_JAR` | `admin-export.jar` |
//!
//! Without them it fails rather than passing having checked nothing; plain `cargo test` skips it.

use std::{
    collections::BTreeSet,
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

#[path = "support/pki.rs"]
mod pki;

use privacyd::{
    proto::privacy::{
        datasource::v1::LegalBasis,
        v1::{
            self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient,
            download_export_response::Payload, privacy_request_service_client::PrivacyRequestServiceClient,
        },
    },
    testing::free_port,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tonic::{Request, Status, metadata::MetadataValue, service::Interceptor, transport::Channel};

/// The subject every shop holds, exported by each admin example and then erased.
const SUBJECT: &str = "jane.polyglot@example.com";
/// A second subject, which the destructive conformance run erases.
const CONFORMANCE_SUBJECT: &str = "conformance.polyglot@example.com";
/// How long one program (a source starting, an admin example, a conformance run) may take.
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a request may take to complete once processing started.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// What each reference source's seed holds for one subject: (export group, the field every
/// item of the group starts with, items). Every source is seeded alike.
const SEEDED: [(&str, &str, usize); 3] =
    [("profile", "Email", 1), ("orders", "Order number", 2), ("comments", "Comment", 3)];
/// What an erasure keeps, for tax law.
const RETAINED: [(&str, &str, usize); 1] = [("orders", "Order number", 2)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the clients built: scripts/polyglot.sh"]
async fn go_python_and_java_sources_and_admin_examples_export_and_erase_one_subject_through_privacyd() {
    let mut timer = Timer::default();

    let clients = Clients::from_env();
    let dir = tempfile::tempdir().unwrap();
    let mut fleet = Fleet::default();

    let privacyd = Privacyd::start(&mut fleet, dir.path());
    let sources: Vec<(Lang, String)> = Lang::ALL
        .into_iter()
        .map(|lang| {
            let endpoint = fleet.start(lang.source_name(), lang.source_command(&clients, dir.path()), dir.path());
            (lang, format!("http://{endpoint}"))
        })
        .collect();
    timer.lap("privacyd and the three sources started");

    // The conformance kit, first reading only, then erasing the second subject for real.
    for (lang, endpoint) in &sources {
        let ran = privacyctl(&["source", "check", endpoint]).await;
        assert_conformant(&ran, lang.source_name(), false);
        let ran = privacyctl(&["source", "check", endpoint, "--subject-email", CONFORMANCE_SUBJECT]).await;
        assert_conformant(&ran, lang.source_name(), true);
    }
    timer.lap("conformance");

    let mut registry = DataSourceRegistryServiceClient::with_interceptor(privacyd.channel().await, privacyd.auth());
    for (lang, endpoint) in &sources {
        let registered = registry
            .register_data_source(pb::RegisterDataSourceRequest {
                name: lang.source_name().into(),
                endpoint: endpoint.clone(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("registering {} at {endpoint}: {e:?}", lang.source_name()))
            .into_inner()
            .data_source
            .unwrap();
        assert!(registered.enabled, "{registered:?}");
        let description = registered.description.expect("privacyd saved the source's Describe");
        assert_eq!(description.name, lang.source_name(), "the name the source describes itself with");
    }
    timer.lap("registration");

    let mut client = PrivacyRequestServiceClient::with_interceptor(privacyd.channel().await, privacyd.auth());

    // Each language's admin example, in turn, for the same subject: one archive each, with all
    // three sources in it.
    for lang in Lang::ALL {
        let out = dir.path().join(format!("{}-admin-export", lang.name()));
        std::fs::create_dir_all(&out).unwrap();
        let ran = run(lang.name(), lang.admin_command(&clients, &out, &privacyd)).await;
        ran.ok(&format!("the {} admin example", lang.name()));
        let archive = ran.archive_line();
        let export = read_export(&archive.path);
        assert_eq!(about(&export, "Report generated for"), SUBJECT);
        check_export(&export, &SEEDED, &format!("the archive the {} admin example downloaded", lang.name()));
        let id = about(&export, "Request");
        let request = get(&mut client, id).await;
        let archived = request.archive.as_ref().unwrap_or_else(|| panic!("no archive on {request:#?}"));
        assert_eq!((archived.size_bytes, archived.sha256.as_str()), (archive.size, archive.sha256.as_str()));
        assert_sources(&request, Some(6));
        timer.lap(&format!("{} admin example", lang.name()));
    }

    // The erasure, through the API as an operator's program would do it.
    let erasure = create(&mut client, SUBJECT, pb::Action::Erase).await;
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: erasure.id.clone() }).await.unwrap();
    let erasure = wait_until_completed(&mut client, &erasure.id).await;
    let summary = erasure.erasure.as_ref().unwrap_or_else(|| panic!("a completed erasure has a summary: {erasure:#?}"));
    assert_eq!(summary.outcome(), pb::ErasureOutcome::PartlyErased, "{summary:?}");
    assert_eq!((summary.items_removed, summary.items_retained), (12, 6), "{summary:?}");
    assert!(summary.verified, "every source passed verification: {erasure:#?}");
    assert_sources(&erasure, None);
    for source in &erasure.sources {
        let name = &source.source_name;
        let erased = source.erasure.as_ref().unwrap_or_else(|| panic!("{name} reported no erasure: {source:#?}"));
        assert_eq!((erased.items_removed, erased.items_retained), (4, 2), "{name}: {erased:#?}");
        let [kept] = erased.retentions.as_slice() else { panic!("{name}: one retention expected: {erased:#?}") };
        assert_eq!((kept.group_id.as_str(), kept.items), ("orders", 2), "{name}: {kept:#?}");
        assert!(!kept.reason.trim().is_empty(), "{name}: a retention says why: {kept:#?}");
        assert_eq!(kept.legal_basis(), LegalBasis::LegalObligation, "{name}: {kept:#?}");
        let verification =
            source.verification.as_ref().unwrap_or_else(|| panic!("{name} was not verified: {source:#?}"));
        assert_eq!(verification.state(), pb::VerificationState::Passed, "{name}: {verification:#?}");
    }
    check_receipt(&mut client, &erasure).await;
    timer.lap("erasure");

    // What is left: the orders, from each source.
    let after = create(&mut client, SUBJECT, pb::Action::Export).await;
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: after.id.clone() }).await.unwrap();
    let after = wait_until_completed(&mut client, &after.id).await;
    assert_sources(&after, Some(2));
    let path = download(&mut client, &after, dir.path()).await;
    check_export(&read_export(&path), &RETAINED, "the export after the erasure");
    timer.lap("export after the erasure");
    // Seen with --nocapture (scripts/polyglot.sh prints it).
    println!("{timer}");
}

/// Where the time went, phase by phase.
struct Timer {
    started: Instant,
    last: Instant,
    laps: Vec<String>,
}

impl Default for Timer {
    fn default() -> Timer {
        Timer { started: Instant::now(), last: Instant::now(), laps: Vec::new() }
    }
}

impl Timer {
    fn lap(&mut self, what: &str) {
        self.laps.push(format!("{what} {:.1}s", self.last.elapsed().as_secs_f64()));
        self.last = Instant::now();
    }
}

impl std::fmt::Display for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "polyglot end to end: {:.1}s ({})", self.started.elapsed().as_secs_f64(), self.laps.join(", "))
    }
}

/// Where scripts/polyglot.sh put what the clients' CI built.
struct Clients {
    go_bin_dir: PathBuf,
    python: PathBuf,
    java_source_jar: PathBuf,
    java_example_jar: PathBuf,
}

impl Clients {
    fn from_env() -> Clients {
        let vars = [
            "PRIVACYD_E2E_GO_BIN_DIR",
            "PRIVACYD_E2E_PYTHON",
            "PRIVACYD_E2E_JAVA_SOURCE_JAR",
            "PRIVACYD_E2E_JAVA_EXAMPLE_JAR",
        ];
        let values = vars.map(|v| std::env::var_os(v).filter(|s| !s.is_empty()).map(PathBuf::from));
        let missing: Vec<&str> = vars.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
        assert!(
            missing.is_empty(),
            "{} not set. This test runs the Go, Python and Java clients, which it does not build: \
             run scripts/polyglot.sh, which builds them with their ci.sh and runs it with these set.",
            missing.join(", ")
        );
        let [go_bin_dir, python, java_source_jar, java_example_jar] = values.map(Option::unwrap);
        let clients = Clients { go_bin_dir, python, java_source_jar, java_example_jar };
        for (var, path) in [
            ("PRIVACYD_E2E_GO_BIN_DIR", clients.go_bin_dir.join("reference-datasource")),
            ("PRIVACYD_E2E_GO_BIN_DIR", clients.go_bin_dir.join("admin-export")),
            ("PRIVACYD_E2E_PYTHON", clients.python.clone()),
            ("PRIVACYD_E2E_PYTHON", clients.python_source()),
            ("PRIVACYD_E2E_JAVA_SOURCE_JAR", clients.java_source_jar.clone()),
            ("PRIVACYD_E2E_JAVA_EXAMPLE_JAR", clients.java_example_jar.clone()),
        ] {
            assert!(path.is_file(), "{} does not exist (from {var}); run scripts/polyglot.sh", path.display());
        }
        clients
    }

    /// The reference source's console script, installed into the venv beside its python.
    fn python_source(&self) -> PathBuf {
        self.python.with_file_name("reference-datasource")
    }
}

#[derive(Debug, Clone, Copy)]
enum Lang {
    Go,
    Python,
    Java,
}

impl Lang {
    const ALL: [Lang; 3] = [Lang::Go, Lang::Python, Lang::Java];

    fn name(self) -> &'static str {
        match self {
            Lang::Go => "go",
            Lang::Python => "python",
            Lang::Java => "java",
        }
    }

    fn source_name(self) -> &'static str {
        match self {
            Lang::Go => "go-shop",
            Lang::Python => "python-shop",
            Lang::Java => "java-shop",
        }
    }

    /// The reference source on a port the OS picks (it prints which), over its own database,
    /// seeded with both subjects in the same order, so every shop holds the same.
    fn source_command(self, clients: &Clients, dir: &Path) -> Command {
        let mut command = match self {
            Lang::Go => Command::new(clients.go_bin_dir.join("reference-datasource")),
            Lang::Python => Command::new(clients.python_source()),
            Lang::Java => java(&clients.java_source_jar),
        };
        command.args(["--listen", "127.0.0.1:0", "--name", self.source_name()]);
        command.arg("--db").arg(dir.join(format!("{}.db", self.source_name())));
        command.args(["--seed", SUBJECT, "--seed", CONFORMANCE_SUBJECT]);
        command.env_remove("REFERENCE_SOURCE_TOKEN");
        command
    }

    /// The admin example, exporting the shared subject into `out`.
    fn admin_command(self, clients: &Clients, out: &Path, privacyd: &Privacyd) -> tokio::process::Command {
        let mut command = match self {
            Lang::Go => tokio::process::Command::new(clients.go_bin_dir.join("admin-export")),
            Lang::Python => {
                let mut c = tokio::process::Command::new(&clients.python);
                c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/python/examples/admin_export.py"));
                c.env("PYTHONDONTWRITEBYTECODE", "1");
                c
            }
            Lang::Java => java(&clients.java_example_jar).into(),
        };
        command.arg("--out").arg(out).arg(SUBJECT);
        command.env("PRIVACYD_ADDR", &privacyd.addr).env("PRIVACYD_ADMIN_TOKEN", &privacyd.admin_token);
        command.env("PRIVACYD_CA_FILE", privacyd.pki.path("ca.pem"));
        command
    }
}

fn java(jar: &Path) -> Command {
    let mut command = Command::new("java");
    command.arg("-jar").arg(jar);
    command
}

/// The long-running processes: each killed on drop, and on a failure its stderr is printed.
#[derive(Default)]
struct Fleet {
    daemons: Vec<Daemon>,
}

struct Daemon {
    name: String,
    child: Child,
    stderr: PathBuf,
}

impl Fleet {
    /// Starts `command` with its stderr in a file under `dir`, and waits for its
    /// `listening on HOST:PORT` line on stdout; returns HOST:PORT.
    fn start(&mut self, name: &str, mut command: Command, dir: &Path) -> String {
        let stderr = dir.join(format!("{name}.stderr"));
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({command:?}): {e}"));
        self.daemons.push(Daemon { name: name.into(), child, stderr });
        let daemon = self.daemons.last_mut().unwrap();

        // Read stdout on a thread for as long as the process lives, so it never blocks on a
        // full pipe; the lines come here until the listening one.
        let (tx, rx) = mpsc::channel();
        let stdout = daemon.child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + PROGRAM_TIMEOUT;
        let mut printed = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(rest) = line.split("listening on ").nth(1) {
                        return rest.split_whitespace().next().expect("an address after `listening on`").to_owned();
                    }
                    printed.push(line);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = daemon.child.wait().unwrap();
                    panic!("{name} ended ({status}) before it listened; stdout: {printed:?}");
                }
            }
            assert!(
                Instant::now() < deadline,
                "{name} printed no `listening on` line within {PROGRAM_TIMEOUT:?}; stdout: {printed:?}"
            );
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for daemon in &mut self.daemons {
            let _ = daemon.child.kill();
            let _ = daemon.child.wait();
        }
        if std::thread::panicking() {
            for daemon in &self.daemons {
                let log = std::fs::read_to_string(&daemon.stderr).unwrap_or_else(|e| format!("(unreadable: {e})"));
                let lines: Vec<&str> = log.lines().collect();
                let tail = &lines[lines.len().saturating_sub(200)..];
                eprintln!("\n----- stderr of {} (last {} lines) -----\n{}", daemon.name, tail.len(), tail.join("\n"));
            }
        }
    }
}

struct Privacyd {
    addr: String,
    admin_token: String,
    /// The CA of privacyd's TLS certificate, and the certificate.
    pki: pki::Pki,
}

impl Privacyd {
    /// The real binary, on a free port, over TLS, over a fresh data folder (SQLite, emails to
    /// the outbox), with fast retries and job polling.
    fn start(fleet: &mut Fleet, dir: &Path) -> Privacyd {
        let pki = pki::pki();
        let addr = format!("127.0.0.1:{}", free_port().unwrap());
        let admin_token = privacyd::domain::SecretToken::generate().expose().to_owned();
        let mut command = Command::new(env!("CARGO_BIN_EXE_privacyd"));
        // Nothing from the environment that runs the test may change privacyd's settings.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PRIVACYD_") {
                command.env_remove(key);
            }
        }
        // Its log goes to a file, printed on a failure: plain text, no colour codes.
        command.env("NO_COLOR", "1");
        // The token through the environment: a command line is visible to every local user.
        command.current_dir(dir).args(["--listen", &addr]).env("PRIVACYD_ADMIN_TOKENS", &admin_token);
        command.arg("--data-dir").arg(dir.join("privacyd"));
        command.args(["--retry-base", "200ms", "--retry-max", "1s", "--job-poll-interval", "100ms"]);
        command.arg("--tls-cert").arg(pki.path("server.pem")).arg("--tls-key").arg(pki.path("server.key"));
        let listening = fleet.start("privacyd", command, dir);
        assert_eq!(listening, addr);
        Privacyd { addr, admin_token, pki }
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("https://{}", self.addr))
            .unwrap()
            .tls_config(self.pki.client_config("ca", None))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    fn auth(&self) -> impl Interceptor + Clone + use<> {
        let value: MetadataValue<_> = format!("Bearer {}", self.admin_token).parse().unwrap();
        move |mut request: Request<()>| -> Result<Request<()>, Status> {
            request.metadata_mut().insert("authorization", value.clone());
            Ok(request)
        }
    }
}

type Client<I> = PrivacyRequestServiceClient<tonic::service::interceptor::InterceptedService<Channel, I>>;

/// What a program printed and how it ended.
struct Ran {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The `archive <path> <size> bytes sha256 <hex>` line of an admin example.
struct ArchiveLine {
    path: PathBuf,
    size: i64,
    sha256: String,
}

impl Ran {
    #[track_caller]
    fn ok(&self, what: &str) {
        assert_eq!(self.code, Some(0), "{what} failed: {self}");
    }

    #[track_caller]
    fn archive_line(&self) -> ArchiveLine {
        let line = self
            .stdout
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("archive "))
            .unwrap_or_else(|| panic!("no `archive ...` line: {self}"));
        let [sha256, "sha256", "bytes", size, path] = line.rsplitn(5, ' ').collect::<Vec<_>>()[..] else {
            panic!("not `archive <path> <size> bytes sha256 <hex>`: {line:?}");
        };
        let archive = ArchiveLine { path: path.into(), size: size.parse().unwrap(), sha256: sha256.into() };
        let bytes = std::fs::read(&archive.path).unwrap_or_else(|e| panic!("{}: {e}; {self}", archive.path.display()));
        assert_eq!(bytes.len() as i64, archive.size, "the archive's size, as printed: {self}");
        assert_eq!(hex::encode(Sha256::digest(&bytes)), archive.sha256, "the archive's SHA-256, as printed: {self}");
        archive
    }
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} exited {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what, self.code, self.stdout, self.stderr
        )
    }
}

/// Runs a program to its end (killed after PROGRAM_TIMEOUT).
async fn run(what: &str, mut command: tokio::process::Command) -> Ran {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let output = tokio::time::timeout(PROGRAM_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {PROGRAM_TIMEOUT:?}: {command:?}"))
        .unwrap_or_else(|e| panic!("running {what} ({command:?}): {e}"));
    Ran {
        what: format!("{what} ({command:?})"),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn privacyctl(args: &[&str]) -> Ran {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_privacyctl"));
    command.args(args).env_remove("PRIVACYD_ADDR").env_remove("PRIVACYD_ADMIN_TOKEN");
    run("privacyctl", command).await
}

/// The kit passed: exit 0, every check PASS or SKIP, and with `--subject-email` the checks
/// on real data ran and passed.
#[track_caller]
fn assert_conformant(ran: &Ran, source: &str, with_subject: bool) {
    ran.ok(&format!("the conformance kit against {source}"));
    let lines: Vec<&str> = ran.stdout.lines().collect();
    let (summary, checks) = lines.split_last().unwrap_or_else(|| panic!("no output: {ran}"));
    assert!(summary.contains(" passed, 0 failed, "), "{source}: summary {summary:?}: {ran}");
    for line in checks {
        assert!(line.starts_with("PASS ") || line.starts_with("SKIP "), "{source}: {line:?}: {ran}");
    }
    let passed: BTreeSet<&str> = checks.iter().filter_map(|l| l.strip_prefix("PASS ")).collect();
    let mut expected = vec!["health", "describe", "export-unknown-subject", "erase-unknown-subject", "deadlines"];
    if with_subject {
        expected.extend(["export-known-subject", "erase-known-subject", "export-after-erase", "erase-idempotent"]);
    }
    for check in expected {
        assert!(passed.contains(check), "{source}: {check} did not pass: {ran}");
    }
}

async fn create<I: Interceptor>(client: &mut Client<I>, email: &str, action: pb::Action) -> pb::PrivacyRequest {
    client
        .create_privacy_request(pb::CreatePrivacyRequestRequest {
            subject: Some(pb::Subject { email: email.into(), user_id: String::new() }),
            action: action as i32,
            send_confirmation: false,
            request_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap()
}

async fn get<I: Interceptor>(client: &mut Client<I>, id: &str) -> pb::PrivacyRequest {
    client
        .get_privacy_request(pb::GetPrivacyRequestRequest { id: id.into() })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap()
}

/// Follows the request with WatchPrivacyRequest until it completes; FAILED or another end is
/// a failure that shows the request (each source's last error).
async fn wait_until_completed<I: Interceptor>(client: &mut Client<I>, id: &str) -> pb::PrivacyRequest {
    let watch = async {
        let mut stream =
            client.watch_privacy_request(pb::WatchPrivacyRequestRequest { id: id.into() }).await.unwrap().into_inner();
        while let Some(message) = stream.message().await.unwrap() {
            let request = message.privacy_request.expect("the request is not deleted");
            match request.state() {
                pb::State::Completed => return Some(request),
                pb::State::Failed | pb::State::Denied | pb::State::Cancelled | pb::State::Expired => {
                    panic!("request {id} ended {:?}: {}\n{request:#?}", request.state(), request.state_reason)
                }
                _ => {}
            }
        }
        None
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, watch).await {
        Ok(Some(request)) => request,
        outcome => {
            let request = get(client, id).await;
            let how = if outcome.is_err() { "did not complete in time" } else { "watch ended early" };
            panic!("request {id} {how}: {request:#?}")
        }
    }
}

/// Every registered source ran and succeeded (an export's with `items` items each).
#[track_caller]
fn assert_sources(request: &pb::PrivacyRequest, items: Option<i64>) {
    let names: BTreeSet<&str> = request.sources.iter().map(|s| s.source_name.as_str()).collect();
    let expected: BTreeSet<&str> = Lang::ALL.iter().map(|l| l.source_name()).collect();
    assert_eq!(names, expected, "{request:#?}");
    for source in &request.sources {
        assert_eq!(source.state(), pb::SourceState::Succeeded, "{source:#?}");
        if let Some(items) = items {
            assert_eq!(source.items, items, "items from {}: {source:#?}", source.source_name);
        }
    }
}

async fn download<I: Interceptor>(client: &mut Client<I>, request: &pb::PrivacyRequest, dir: &Path) -> PathBuf {
    let mut stream = client
        .download_export(pb::DownloadExportRequest { id: request.id.clone(), token: String::new(), offset: 0 })
        .await
        .unwrap()
        .into_inner();
    let mut header = None;
    let mut bytes = Vec::new();
    while let Some(message) = stream.message().await.unwrap() {
        match message.payload.unwrap() {
            Payload::Header(h) => header = Some(h),
            Payload::Chunk(chunk) => bytes.extend_from_slice(&chunk),
        }
    }
    let header = header.expect("a header");
    assert_eq!(bytes.len() as i64, header.size_bytes);
    assert_eq!(hex::encode(Sha256::digest(&bytes)), header.sha256);
    let path = dir.join(&header.file_name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `export.json` from an archive.
fn read_export(path: &Path) -> Value {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut zip = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{} is not a zip: {e}", path.display()));
    let mut json = String::new();
    zip.by_name("export.json")
        .unwrap_or_else(|e| panic!("{} has no export.json: {e}", path.display()))
        .read_to_string(&mut json)
        .unwrap();
    let export: Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("export.json is not JSON ({e}):\n{json}"));
    // WordPress's shape: one object, titled for the subject, that holds the groups.
    export
        .get(format!("Personal Data Export for {SUBJECT}"))
        .unwrap_or_else(|| panic!("export.json is not titled for {SUBJECT}:\n{json}"))
        .clone()
}

/// A field of the export's About item.
#[track_caller]
fn about<'a>(export: &'a Value, name: &str) -> &'a str {
    let fields = export["about"]["items"]["about-1"].as_array().expect("the About item is name/value pairs");
    fields
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no {name:?} in the About item: {fields:?}"))
}

/// The export holds exactly the `expected` data groups, each with the items of all three
/// sources, and each source's processing information. The three shops number their rows
/// alike (`user-1`, `order-1`); the archive keeps them apart as `<source>/<item id>`, never
/// merging one shop's record into another's.
#[track_caller]
fn check_export(export: &Value, expected: &[(&str, &str, usize)], what: &str) {
    let groups = export.as_object().unwrap_or_else(|| panic!("{what}: export.json is not an object"));
    let data: BTreeSet<&str> = groups
        .keys()
        .map(String::as_str)
        .filter(|g| !["about", "privacyd-processing-information", "privacyd-files"].contains(g))
        .collect();
    let wanted: BTreeSet<&str> = expected.iter().map(|(g, _, _)| *g).collect();
    assert_eq!(data, wanted, "{what}: the data groups in export.json:\n{export:#}");

    for (group, first_field, items) in expected {
        let in_group = groups[*group]["items"].as_object().unwrap();
        for lang in Lang::ALL {
            let prefix = format!("{}/", lang.source_name());
            let mine: Vec<Vec<&str>> = in_group
                .iter()
                .filter(|(id, _)| id.starts_with(&prefix))
                .map(|(_, item)| item.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect())
                .collect();
            assert_eq!(mine.len(), *items, "{what}: {group} items of {}:\n{:#}", lang.source_name(), groups[*group]);
            for names in mine {
                assert!(names.contains(first_field), "{what}: {group} item without {first_field}: {names:?}");
                assert_eq!(
                    names.iter().filter(|n| *n == first_field).count(),
                    1,
                    "{what}: merged with another item: {names:?}"
                );
            }
        }
        assert_eq!(in_group.len(), 3 * items, "{what}: {group} holds only the three sources' items");
    }

    let processing = groups["privacyd-processing-information"]["items"].as_object().unwrap();
    for lang in Lang::ALL {
        for (group, _, _) in SEEDED {
            let key = format!("{}/{group}", lang.source_name());
            let info = processing.get(&key).unwrap_or_else(|| panic!("{what}: no processing information {key}"));
            assert_eq!(info[0], serde_json::json!({"name": "Source", "value": lang.source_name()}), "{what}: {key}");
        }
    }
}

async fn check_receipt<I: Interceptor>(client: &mut Client<I>, erasure: &pb::PrivacyRequest) {
    let receipt =
        client.get_erasure_receipt(pb::GetErasureReceiptRequest { id: erasure.id.clone() }).await.unwrap().into_inner();
    assert!(
        receipt.audit_chain_intact,
        "first mismatch at {}:\n{}",
        receipt.first_mismatch_sequence, receipt.receipt_json
    );
    assert_eq!(receipt.first_mismatch_sequence, 0);
    assert_eq!(hex::encode(Sha256::digest(receipt.receipt_json.as_bytes())), receipt.sha256);
    let document: Value = serde_json::from_str(&receipt.receipt_json).unwrap();
    assert_eq!(document["request_id"], erasure.id.as_str());
    assert_eq!(document["outcome"], "PARTLY_ERASED", "{document:#}");
    assert_eq!((&document["items_removed"], &document["items_retained"]), (&12.into(), &6.into()), "{document:#}");
    let named: BTreeSet<&str> =
        document["sources"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    let expected: BTreeSet<&str> = Lang::ALL.iter().map(|l| l.source_name()).collect();
    assert_eq!(named, expected, "the sources the receipt names:\n{document:#}");
    for source in document["sources"].as_array().unwrap() {
        assert_eq!(source["retentions"][0]["group_id"], "orders", "{source:#}");
    }
    let events = document["audit_chain"]["events"].as_array().unwrap();
    assert!(!events.is_empty(), "{document:#}");
    assert_eq!(document["audit_chain"]["head"], events.last().unwrap()["digest"]);
}
