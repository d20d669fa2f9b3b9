//! Shared test helpers: each test gets its own privacyd (in-process, on a free port) on the
//! backend it names, a real SMTP server shared by the test binary, and a fresh PostgreSQL
//! database when it runs on PostgreSQL.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, OnceLock},
    time::Duration,
};

use privacyd::{
    config::Config,
    proto::privacy::v1::{
        self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient,
        privacy_request_service_client::PrivacyRequestServiceClient,
    },
    shutdown::{self, ShutdownTrigger},
    startup::Application,
    store::Store,
    testing::{ThrowawayPostgres, free_port},
    workflow::{Workflow, WorkflowSettings},
};
use sqlx::Connection;
use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::interceptor::InterceptedService,
    transport::Channel,
};
use tonic_types::StatusExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod <name> { sqlite(), postgres() }` tests that run `async fn <name>(Backend)`
/// once per backend: every behaviour is specified once and checked on both.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::helpers::within_time_limit(super::$name($crate::helpers::Backend::Sqlite)).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::helpers::within_time_limit(super::$name($crate::helpers::Backend::Postgres)).await
                }
            }
        )*
    };
}

/// The longest any storage test may take. The slowest takes seconds; a test that waits for
/// something that never comes (a stream that does not end) fails here, naming itself, rather
/// than holding the whole suite until CI gives up on it.
pub const TEST_TIME_LIMIT: Duration = Duration::from_secs(180);

/// Ends the whole test run if a test holding a privacyd is still running after twice the time
/// limit: the tests that do not go through `on_both_backends!` have no timeout of their own,
/// and a hang in one must fail CI in minutes, not when CI gives up. Dropping it (the test's
/// privacyd going away) stands it down.
struct Watchdog {
    _stand_down: std::sync::mpsc::Sender<()>,
}

impl Watchdog {
    fn start() -> Self {
        let (stand_down, wait) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(2 * TEST_TIME_LIMIT) {
                eprintln!("a test has held its privacyd for over {:?}: stopping the run", 2 * TEST_TIME_LIMIT);
                std::process::exit(1);
            }
        });
        Watchdog { _stand_down: stand_down }
    }
}

pub async fn within_time_limit(test: impl Future<Output = ()>) {
    if tokio::time::timeout(TEST_TIME_LIMIT, test).await.is_err() {
        panic!("the test did not finish within {TEST_TIME_LIMIT:?}");
    }
}

#[derive(Clone)]
pub struct Bearer(pub MetadataValue<Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

pub type AdminClient = PrivacyRequestServiceClient<InterceptedService<Channel, Bearer>>;
pub type RegistryClient = DataSourceRegistryServiceClient<InterceptedService<Channel, Bearer>>;

/// A plain HTTP/1.1 GET over loopback: (status, headers, body).
pub fn http_get(addr: SocketAddr, path_and_query: &str) -> (u16, String, Vec<u8>) {
    http_request(addr, "GET", path_and_query, &[])
}

/// An HTTP/1.1 request with a method and extra headers: (status, headers, body).
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> (u16, String, Vec<u8>) {
    let extra: String = headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
    http_exchange(
        addr,
        &format!("{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"),
    )
}

/// A form POST (application/x-www-form-urlencoded), as a browser sends one: (status, headers,
/// body).
pub fn http_post_form(addr: SocketAddr, path: &str, fields: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let body: String = fields
        .iter()
        .map(|(k, v)| {
            format!("{k}={}", v.replace('%', "%25").replace('&', "%26").replace('+', "%2B").replace('=', "%3D"))
        })
        .collect::<Vec<_>>()
        .join("&");
    http_exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// A plain HTTP/1.1 HEAD over loopback: (status, headers).
pub fn http_head(addr: SocketAddr, path_and_query: &str) -> (u16, String) {
    let (status, head, _) =
        http_exchange(addr, &format!("HEAD {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"));
    (status, head)
}

/// The value of the hidden field `name` in a page's form.
pub fn form_field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no field {name} in {page}")) + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// What a person does with the emailed confirmation link: opens it (a GET, which only shows
/// the request) and presses the page's confirm button (a POST of its hidden fields). Returns
/// the page the button leads to: (status, body).
pub fn confirm_by_pressing_the_button(addr: SocketAddr, link: &str) -> (u16, String) {
    let (status, _, page) = http_get(addr, &link[link.find("/confirm").expect("a confirmation link")..]);
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200, "{page}");
    let fields = [("id", form_field(&page, "id")), ("token", form_field(&page, "token"))];
    let (status, _, body) =
        http_post_form(addr, "/confirm", &fields.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());
    (status, String::from_utf8(body).unwrap())
}

fn http_exchange(addr: SocketAddr, request: &str) -> (u16, String, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, raw[split + 4..].to_vec())
}

/// A running privacyd for one test.
pub struct TestApp {
    pub addr: SocketAddr,
    pub database_url: String,
    pub admin_token: String,
    /// The admin tokens in force, to reload as SIGHUP would.
    pub admin_tokens: privacyd::admin_tokens::AdminTokens,
    pub data_dir: tempfile::TempDir,
    /// Authenticated as admin.
    pub client: AdminClient,
    /// The data source registry, authenticated as admin.
    pub registry: RegistryClient,
    /// No credentials: what a subject (or an attacker) has.
    pub public: PrivacyRequestServiceClient<Channel>,
    /// Where `--metrics-listen` serves `/metrics`, when the test set it.
    pub metrics_addr: Option<SocketAddr>,
    trigger: ShutdownTrigger,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    _watchdog: Watchdog,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts privacyd with test defaults (SMTP to the shared sink, fast retries), adjusted by
    /// `configure`.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_connecting(backend, None, configure).await
    }

    /// As [`TestApp::spawn_with`], for a privacyd that `configure` puts on TLS: the clients
    /// connect over https with `tls` (the CA to trust, and a client certificate for mTLS).
    pub async fn spawn_tls(
        backend: Backend,
        tls: tonic::transport::ClientTlsConfig,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        Self::spawn_connecting(backend, Some(tls), configure).await
    }

    async fn spawn_connecting(
        backend: Backend,
        tls: Option<tonic::transport::ClientTlsConfig>,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}/privacyd.db", data_dir.path().display()),
            Backend::Postgres => fresh_postgres_database().await,
        };
        let admin_token = format!("test-admin-token-{}", uuid::Uuid::new_v4());
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.data_dir = data_dir.path().to_owned();
        config.database_url = Some(database_url.clone());
        config.admin_tokens = vec![admin_token.clone()];
        config.smtp_url = Some(SmtpSink::global().url());
        config.retry_base = Duration::from_millis(100);
        config.retry_max = Duration::from_millis(400);
        config.job_poll_interval = Duration::from_millis(100);
        configure(&mut config);
        Self::start(config, data_dir, database_url, admin_token, tls).await
    }

    async fn start(
        config: Config,
        data_dir: tempfile::TempDir,
        database_url: String,
        admin_token: String,
        tls: Option<tonic::transport::ClientTlsConfig>,
    ) -> Self {
        let (trigger, shutdown) = shutdown::channel();
        let app = Application::build(config, shutdown).await.expect("privacyd starts");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let admin_tokens = app.admin_tokens();
        let server = tokio::spawn(app.run());
        let channel = match tls {
            None => Channel::from_shared(format!("http://{addr}")).unwrap(),
            Some(tls) => Channel::from_shared(format!("https://{addr}")).unwrap().tls_config(tls).unwrap(),
        };
        let channel = channel.connect().await.unwrap();
        let bearer = Bearer(format!("Bearer {admin_token}").parse().unwrap());
        TestApp {
            addr,
            database_url,
            admin_token,
            admin_tokens,
            data_dir,
            client: PrivacyRequestServiceClient::with_interceptor(channel.clone(), bearer.clone()),
            registry: DataSourceRegistryServiceClient::with_interceptor(channel.clone(), bearer),
            public: PrivacyRequestServiceClient::new(channel),
            metrics_addr,
            trigger,
            server,
            _watchdog: Watchdog::start(),
        }
    }

    /// Stops privacyd gracefully and waits for it.
    pub async fn stop(self) {
        self.trigger.trigger();
        self.server.await.unwrap().expect("privacyd stops cleanly");
    }

    /// The workflow on a second connection to the same database: for transitions that only
    /// privacyd's own jobs make (FAILED), which the later pipelines drive.
    pub async fn workflow(&self) -> Workflow {
        let store = Store::connect(&self.database_url, 4).await.unwrap();
        let (trigger, shutdown) = shutdown::channel();
        std::mem::forget(trigger);
        let export = Arc::new(privacyd::export::ExportSettings {
            store: privacyd::objects::Objects::open(
                &privacyd::objects::StoreLocation::File(self.data_dir.path().join("exports")),
                &[],
            )
            .unwrap(),
            scratch: self.data_dir.path().join("scratch"),
            archive_ttl: chrono::Duration::hours(1),
            compression: privacyd::export::Compression::Deflate,
            organization: "test".into(),
            source_max_attempts: 3,
            mail_max_attempts: 3,
        });
        Workflow::new(
            store,
            WorkflowSettings {
                mail_max_attempts: 3,
                notify_admin: false,
                watch_poll: Duration::from_millis(100),
                auto_process: false,
                export,
                erasure: Arc::new(privacyd::erasure::ErasureSettings {
                    verify: true,
                    delay: chrono::Duration::zero(),
                    source_max_attempts: 3,
                    mail_max_attempts: 3,
                    organization: "test".into(),
                }),
                outbox: None,
                job_lease: Duration::from_secs(60),
            },
            Arc::new(tokio::sync::Notify::new()),
            shutdown,
        )
    }

    /// Registers a source that can export and erase and holds nothing: processing needs a
    /// capable source (NO_CAPABLE_SOURCE otherwise), and with this one an export completes
    /// with an empty archive and an erasure as NOTHING_FOUND.
    pub async fn register_empty_source(&self) {
        let source = crate::erasing_source::ErasingSource::new("empty", Default::default());
        self.registry
            .clone()
            .register_data_source(pb::RegisterDataSourceRequest {
                name: "empty".into(),
                endpoint: source.serve().await,
                ..Default::default()
            })
            .await
            .unwrap();
    }

    /// A request that stays PROCESSING: an export whose data source never answers.
    pub async fn processing_request(&self) -> pb::PrivacyRequest {
        let hanging = crate::fake_source::Misbehaving { hang_first: usize::MAX, ..Default::default() };
        let endpoint = crate::fake_source::serve(hanging).await;
        self.registry
            .clone()
            .register_data_source(pb::RegisterDataSourceRequest {
                name: format!("hanging-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
                endpoint,
                call_timeout: Some(prost_types::Duration { seconds: 600, nanos: 0 }),
                ..Default::default()
            })
            .await
            .unwrap();
        let request = self.create(&unique_email(), pb::Action::Export, false).await;
        let processing = self
            .client
            .clone()
            .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.id })
            .await
            .unwrap()
            .into_inner()
            .privacy_request
            .unwrap();
        assert_eq!(state(&processing), pb::State::Processing);
        processing
    }

    pub async fn create(&self, email: &str, action: pb::Action, send_confirmation: bool) -> pb::PrivacyRequest {
        self.client
            .clone()
            .create_privacy_request(pb::CreatePrivacyRequestRequest {
                subject: Some(pb::Subject { email: email.to_owned(), user_id: String::new() }),
                action: action as i32,
                send_confirmation,
                request_id: String::new(),
            })
            .await
            .expect("create succeeds")
            .into_inner()
            .privacy_request
            .unwrap()
    }

    pub async fn get(&self, id: &str) -> pb::PrivacyRequest {
        self.client
            .clone()
            .get_privacy_request(pb::GetPrivacyRequestRequest { id: id.to_owned() })
            .await
            .expect("get succeeds")
            .into_inner()
            .privacy_request
            .unwrap()
    }

    /// The request's last audit event that is not an email's. Emails go out from jobs: one in
    /// flight when a transition is made (a confirmation being sent as an operator denies the
    /// request) is recorded after it.
    pub async fn last_transition(&self, id: &str) -> pb::AuditEvent {
        let is_email = |e: &pb::AuditEvent| {
            [pb::AuditEventType::EmailSent as i32, pb::AuditEventType::EmailFailed as i32].contains(&e.r#type)
        };
        self.audit(id).await.into_iter().rev().find(|e| !is_email(e)).expect("the request has an audit event")
    }

    pub async fn audit(&self, id: &str) -> Vec<pb::AuditEvent> {
        self.client
            .clone()
            .list_audit_events(pb::ListAuditEventsRequest {
                request_id: id.to_owned(),
                page_size: 1000,
                page_token: String::new(),
                ..Default::default()
            })
            .await
            .expect("audit succeeds")
            .into_inner()
            .audit_events
    }

    /// Polls until the request satisfies `done`, or fails the test after 10 seconds.
    pub async fn wait_for(
        &self,
        id: &str,
        what: &str,
        done: impl Fn(&pb::PrivacyRequest) -> bool,
    ) -> pb::PrivacyRequest {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let request = self.get(id).await;
            if done(&request) {
                return request;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}; request is {request:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Confirms through the link in the subject's newest confirmation email, once privacyd
    /// has recorded the email as sent (the mail server may hand it over a moment before the
    /// mailer writes down that it did; a person clicking is never that fast).
    pub async fn confirm_from_email(&self, email: &str) -> pb::PrivacyRequest {
        let mail = SmtpSink::global().wait_for(email, 1).await.pop().unwrap();
        let (id, token) = mail.confirmation();
        self.wait_for(&id, "the confirmation email to be recorded as sent", |r| {
            r.emails.iter().any(|e| {
                e.kind == pb::EmailKind::ConfirmationRequest as i32 && e.state == pb::DeliveryState::Sent as i32
            })
        })
        .await;
        self.public
            .clone()
            .confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id, token })
            .await
            .expect("confirm succeeds")
            .into_inner()
            .privacy_request
            .unwrap()
    }
}

pub fn unique_email() -> String {
    format!("subject-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// The stable reason of a status's ErrorInfo.
pub fn reason(status: &Status) -> String {
    status.get_details_error_info().map(|info| info.reason).unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"))
}

/// One ErrorInfo metadata value.
pub fn error_metadata(status: &Status, key: &str) -> Option<String> {
    status.get_details_error_info()?.metadata.get(key).cloned()
}

pub fn state(request: &pb::PrivacyRequest) -> pb::State {
    pb::State::try_from(request.state).unwrap()
}

/// The URL of a superuser connection to the suite's PostgreSQL: `PRIVACYD_TEST_POSTGRES_URL`
/// when the test command started one, or a throwaway cluster this test binary starts. Never
/// skipped: without PostgreSQL the PostgreSQL tests fail.
fn postgres_admin_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("PRIVACYD_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => ThrowawayPostgres::start(false)
            .expect("PostgreSQL must be available for the PostgreSQL tests (apt-get install postgresql)")
            .stop_when_process_exits(),
    })
}

/// A new, empty database on the suite's PostgreSQL.
pub async fn fresh_postgres_database() -> String {
    let admin = postgres_admin_url();
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("connect to PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}

/// An email as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Email {
    pub envelope_to: String,
    pub raw: String,
}

impl Email {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        self.raw
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The confirmation link in the text part.
    pub fn confirm_link(&self) -> String {
        self.raw
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains("/confirm?"))
            .unwrap_or_else(|| panic!("no confirmation link in {}", self.raw))
            .to_owned()
    }

    /// (id, token) from the confirmation link.
    pub fn confirmation(&self) -> (String, String) {
        let link = self.confirm_link();
        let query = link.split_once('?').unwrap().1;
        let param = |key: &str| query.split('&').find_map(|kv| kv.strip_prefix(&format!("{key}="))).unwrap().to_owned();
        (param("id"), param("token"))
    }
}

/// A real SMTP server (aiosmtpd), one per test binary, storing messages as files.
pub struct SmtpSink {
    port: u16,
    dir: PathBuf,
    _process: Child,
}

impl SmtpSink {
    pub fn global() -> &'static SmtpSink {
        static SINK: OnceLock<SmtpSink> = OnceLock::new();
        SINK.get_or_init(|| SmtpSink::start(free_port().unwrap()))
    }

    /// Starts a sink on `port`, returning once it accepts connections.
    pub fn start(port: u16) -> SmtpSink {
        Self::start_with(port, &[])
    }

    /// [`SmtpSink::start`] with smtp_sink.py's options (`--starttls CERT KEY`, `--auth`).
    pub fn start_with(port: u16, options: &[&str]) -> SmtpSink {
        let dir = std::env::temp_dir().join(format!("privacyd-smtp-{}", uuid::Uuid::new_v4().simple()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut process = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(&dir)
            .args(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut ready = String::new();
        BufReader::new(process.stdout.take().unwrap()).read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "ready", "the SMTP sink did not start (is aiosmtpd installed? pip install aiosmtpd)");
        SmtpSink { port, dir, _process: process }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message whose envelope recipient is `to`, oldest first.
    pub fn messages_to(&self, to: &str) -> Vec<Email> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut names: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|raw| {
                let envelope_to = raw.lines().next().unwrap_or("").trim_start_matches("X-Envelope-To: ").to_owned();
                Email { envelope_to, raw }
            })
            .filter(|m| m.envelope_to.split(',').any(|r| r.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// Waits until at least `count` messages to `to` have arrived (10 seconds at most).
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Email> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let messages = self.messages_to(to);
            if messages.len() >= count {
                return messages;
            }
            assert!(tokio::time::Instant::now() < deadline, "expected {count} emails to {to}, got {}", messages.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The example data source binary, running on a free port with its own database.
pub struct ExampleSource {
    pub endpoint: String,
    process: Child,
    _dir: tempfile::TempDir,
}

impl ExampleSource {
    /// Starts it with demo data for each of `seed`, requiring `token` if given.
    pub fn start(seed: &[&str], token: Option<&str>) -> ExampleSource {
        let dir = tempfile::tempdir().unwrap();
        let addr = format!("127.0.0.1:{}", free_port().unwrap());
        let mut command = Command::new(env!("CARGO_BIN_EXE_example-datasource"));
        command.arg("--listen").arg(&addr).arg("--database").arg(dir.path().join("source.db"));
        for email in seed {
            command.arg("--seed").arg(email);
        }
        if let Some(token) = token {
            command.arg("--token").arg(token);
        }
        let mut process = command.stdout(Stdio::piped()).spawn().expect("example-datasource runs");
        let mut line = String::new();
        BufReader::new(process.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), format!("example-datasource listening on {addr}"));
        ExampleSource { endpoint: format!("http://{addr}"), process, _dir: dir }
    }

    pub fn kill(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for ExampleSource {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A channel to a privacyd binary a test started on 127.0.0.1:`port`, once it listens (polled;
/// a binary that does not listen within 60 s fails the test).
pub async fn channel_when_listening(port: u16) -> Channel {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        assert!(std::time::Instant::now() < deadline, "privacyd never listened");
        match Channel::from_shared(format!("http://127.0.0.1:{port}")).unwrap().connect().await {
            Ok(channel) => return channel,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Stores a new request of `action` for `email`, made by the system, with one job of `kind`
/// (empty payload, due now, up to `max_attempts` attempts): how the executor's own tests start.
/// Returns the request.
pub async fn request_with_job(
    store: &Store,
    email: &str,
    action: privacyd::domain::Action,
    kind: privacyd::store::JobKind,
    max_attempts: i32,
) -> privacyd::domain::PrivacyRequest {
    use privacyd::domain::{Actor, PrivacyRequest, Subject, SubjectEmail};
    let subject = Subject { email: SubjectEmail::parse(email).unwrap(), user_id: None };
    let (request, event) =
        PrivacyRequest::new(subject, action, false, Actor::System("test".into()), privacyd::domain::now());
    let job = privacyd::store::NewJob {
        kind,
        request_id: request.id,
        payload: serde_json::json!({}),
        max_attempts,
        run_at: None,
        trace_context: None,
    };
    store.create_request(&request, &event, &[job], None).await.unwrap();
    request
}

/// The plan of `statement` (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL), one line per
/// node.
pub async fn explain_plan(
    db: &mut sqlx::AnyConnection,
    backend: Backend,
    statement: &privacyd::store::Statement,
) -> String {
    let (prefix, column) = match backend {
        Backend::Sqlite => ("EXPLAIN QUERY PLAN ", 3),
        Backend::Postgres => ("EXPLAIN ", 0),
    };
    let explain =
        privacyd::store::Statement { sql: format!("{prefix}{}", statement.sql), binds: statement.binds.clone() };
    let rows = explain.query().fetch_all(db).await.unwrap();
    rows.iter().map(|row| sqlx::Row::get::<String, _>(row, column)).collect::<Vec<_>>().join("\n")
}
