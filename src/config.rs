//! Configuration: every setting is a command-line flag and a `PRIVACYD_*` environment
//! variable, with defaults that run on a fresh machine (SQLite and an email outbox in
//! `./data`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "privacyd",
    version,
    about = "Handles data-subject requests (GDPR export and erasure) across many data sources."
)]
pub struct Config {
    /// Address to serve gRPC and HTTP on.
    #[arg(long, env = "PRIVACYD_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// Folder for the SQLite database, the email outbox and the admin tokens file.
    #[arg(long, env = "PRIVACYD_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB.
    /// [default: sqlite://<data-dir>/privacyd.db]
    #[arg(long, env = "PRIVACYD_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Most database connections.
    #[arg(long, env = "PRIVACYD_DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,

    /// SMTP server to send email through: smtp://HOST:PORT, smtp://HOST?tls=required
    /// (STARTTLS), smtps://HOST, with optional USER:PASSWORD@. Without it, emails are written
    /// as .eml files to <data-dir>/outbox.
    #[arg(long, env = "PRIVACYD_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of privacyd's emails.
    #[arg(long, env = "PRIVACYD_MAIL_FROM", default_value = "privacyd <privacy@localhost>")]
    pub mail_from: String,

    /// Where "a subject confirmed a request" emails go; none are sent without it.
    #[arg(long, env = "PRIVACYD_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// The organisation's name, as emails and pages show it.
    #[arg(long, env = "PRIVACYD_ORGANIZATION", default_value = "privacyd")]
    pub organization: String,

    /// Base URL the subject's browser reaches privacyd's HTTP endpoint at, for links in emails.
    /// [default: http://<listen>]
    #[arg(long, env = "PRIVACYD_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// How long a confirmation link works.
    #[arg(long, env = "PRIVACYD_CONFIRMATION_TTL", default_value = "24h", value_parser = humantime::parse_duration)]
    pub confirmation_ttl: Duration,

    /// How often expired confirmations are swept to EXPIRED.
    #[arg(long, env = "PRIVACYD_SWEEP_INTERVAL", default_value = "30s", value_parser = humantime::parse_duration)]
    pub sweep_interval: Duration,

    /// Attempts to send an email before it is marked failed.
    #[arg(long, env = "PRIVACYD_MAIL_MAX_ATTEMPTS", default_value_t = 8)]
    pub mail_max_attempts: i32,

    /// Delay before the first retry of a failed job; doubles per attempt.
    #[arg(long, env = "PRIVACYD_RETRY_BASE", default_value = "30s", value_parser = humantime::parse_duration)]
    pub retry_base: Duration,

    /// Longest delay between retries.
    #[arg(long, env = "PRIVACYD_RETRY_MAX", default_value = "1h", value_parser = humantime::parse_duration)]
    pub retry_max: Duration,

    /// How long a replica's claim on a job lasts without renewal; a crashed replica's jobs are
    /// taken over after this.
    #[arg(long, env = "PRIVACYD_JOB_LEASE", default_value = "60s", value_parser = humantime::parse_duration)]
    pub job_lease: Duration,

    /// How often each replica looks for due jobs (it is also woken at once by its own work).
    #[arg(long, env = "PRIVACYD_JOB_POLL_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub job_poll_interval: Duration,

    /// Jobs run at once on this replica. Jobs mostly wait on data sources, so this is sized
    /// for every source of a large installation to work on a request at once.
    #[arg(long, env = "PRIVACYD_JOB_CONCURRENCY", default_value_t = 128)]
    pub job_concurrency: usize,

    /// Deprecated: the same as `--archive-store file://<dir>`, which replaces it.
    #[arg(long, env = "PRIVACYD_EXPORT_DIR")]
    pub export_dir: Option<PathBuf>,

    /// How long an export archive can be downloaded before it is deleted.
    #[arg(long, env = "PRIVACYD_ARCHIVE_TTL", default_value = "72h", value_parser = humantime::parse_duration)]
    pub archive_ttl: Duration,

    /// How archive entries are stored: deflate (smaller) or stored (faster).
    #[arg(long, env = "PRIVACYD_ARCHIVE_COMPRESSION", value_enum, default_value_t = crate::export::Compression::Deflate)]
    pub archive_compression: crate::export::Compression,

    /// Calls to a data source for one request before the request fails. Between attempts the
    /// retry backoff waits (--retry-base, doubling, capped by --retry-max): with the defaults,
    /// 8 attempts span 30s + 1m + 2m + ... + 32m = 1h 3m 30s, so a source that is down for a
    /// deploy or a failover does not fail the request (5 attempts spanned 7.5 minutes). The
    /// request shows each source's next attempt (`next_attempt_time`); privacyd logs the
    /// span at start-up.
    #[arg(long, env = "PRIVACYD_SOURCE_MAX_ATTEMPTS", default_value_t = 8)]
    pub source_max_attempts: i32,

    /// Cooling-off period between an erasure's confirmation and its execution, during which
    /// the subject or an operator can still cancel it (e.g. 24h). 0 erases at once.
    #[arg(long, env = "PRIVACYD_ERASE_DELAY", default_value = "0s", value_parser = humantime::parse_duration)]
    pub erase_delay: Duration,

    /// After each source's erasure, export the subject again and fail the source if anything
    /// is left outside the groups it reported as retained.
    #[arg(long, env = "PRIVACYD_VERIFY_ERASURE", default_value_t = true, action = clap::ArgAction::Set)]
    pub verify_erasure: bool,

    /// Start processing requests as soon as they are confirmed.
    #[arg(long, env = "PRIVACYD_AUTO_PROCESS")]
    pub auto_process: bool,

    /// How long to let open calls and connections finish after SIGTERM before stopping anyway.
    #[arg(long, env = "PRIVACYD_SHUTDOWN_GRACE", default_value = "10s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Duration,

    /// Folder of templates replacing the built-in ones (same names, e.g.
    /// email/confirmation_request.html).
    #[arg(long, env = "PRIVACYD_TEMPLATE_DIR")]
    pub template_dir: Option<PathBuf>,

    /// Log format.
    #[arg(long, env = "PRIVACYD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter, in tracing's EnvFilter syntax.
    #[arg(long, env = "PRIVACYD_LOG", default_value = "info")]
    pub log: String,

    // Resource bounds: what one client or one data source can make privacyd hold.
    /// Most `WatchPrivacyRequest` streams one admin token may have open on this replica at
    /// once; more are refused with RESOURCE_EXHAUSTED (reason TOO_MANY_WATCHES).
    #[arg(long, env = "PRIVACYD_WATCH_MAX_PER_TOKEN", default_value_t = 100)]
    pub watch_max_per_token: usize,

    /// Most `WatchPrivacyRequest` streams open on this replica at once, all tokens together.
    #[arg(long, env = "PRIVACYD_WATCH_MAX", default_value_t = 1000)]
    pub watch_max: usize,

    /// Most bytes one data source may stream into one request's export (the encoded size of
    /// each item and file chunk, as it arrives), e.g. 2GiB or 500MB; past it the source fails
    /// for good with EXPORT_QUOTA_EXCEEDED and its spool is removed. The default is well above
    /// one person's data (the largest exports, mailboxes and photo libraries, come to a few
    /// GiB) and well below a disk.
    #[arg(long, env = "PRIVACYD_EXPORT_SOURCE_QUOTA", default_value = "2GiB")]
    pub export_source_quota: bytesize::ByteSize,

    /// Most bytes all data sources together may stream into one request's export, e.g. 10GiB:
    /// what the spools of one request may take on disk (sources streaming on different
    /// replicas are counted from the database, about once a second).
    #[arg(long, env = "PRIVACYD_EXPORT_REQUEST_QUOTA", default_value = "10GiB")]
    pub export_request_quota: bytesize::ByteSize,

    // Connection limits: what a client can make privacyd hold (see grpc::connections).
    /// Connections open at once; a new one beyond this is closed at once. Keep it below the
    /// process's file limit (`ulimit -n`), which the database and spool files share.
    #[arg(long, env = "PRIVACYD_MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: usize,

    /// Connections open at once from one client IP address; 0 for no such limit. Behind a
    /// reverse proxy every client has the proxy's address: raise it or set 0 there.
    #[arg(long, env = "PRIVACYD_MAX_CONNECTIONS_PER_IP", default_value_t = 64)]
    pub max_connections_per_ip: usize,

    /// Time a new connection has to send its first request (and HTTP/1 each request's
    /// headers, also between keep-alive requests) before it is closed.
    #[arg(long, env = "PRIVACYD_HANDSHAKE_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub handshake_timeout: Duration,

    /// Time a connection may stay open with no call in progress before it is closed (HTTP/2
    /// GOAWAY; clients reconnect on their next call).
    #[arg(long, env = "PRIVACYD_IDLE_TIMEOUT", default_value = "5m", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,

    /// How often an HTTP/2 connection is pinged when nothing else arrives on it.
    #[arg(long, env = "PRIVACYD_KEEPALIVE_INTERVAL", default_value = "60s", value_parser = humantime::parse_duration)]
    pub keepalive_interval: Duration,

    /// How long a keepalive ping may go unanswered before the connection is closed as dead.
    #[arg(long, env = "PRIVACYD_KEEPALIVE_TIMEOUT", default_value = "20s", value_parser = humantime::parse_duration)]
    pub keepalive_timeout: Duration,

    /// Concurrent calls (HTTP/2 streams) on one connection.
    #[arg(long, env = "PRIVACYD_MAX_STREAMS_PER_CONNECTION", default_value_t = 100)]
    pub max_streams_per_connection: u32,

    /// Requests per minute one client IP address may make without an admin token (the links
    /// in emails, ConfirmPrivacyRequest, DownloadExport with a token, any other page); 0 turns
    /// the limit off. Health checks and reflection are not counted.
    #[arg(long, env = "PRIVACYD_PUBLIC_RATE_LIMIT", default_value_t = 60)]
    pub public_rate_limit: u32,

    /// Requests one client IP address may make at once, without an admin token, before the
    /// per-minute rate applies.
    #[arg(long, env = "PRIVACYD_PUBLIC_RATE_BURST", default_value_t = 30)]
    pub public_rate_burst: u32,

    // --- Admin access: which admin tokens exist and what each may do (see admin_tokens.rs).
    /// File of admin tokens, one `NAME SCOPES sha256:HEX` line per token (hashes only; mint
    /// lines with `privacyctl admin-token new`). Re-read on SIGHUP. Must exist if given.
    /// [default: <data-dir>/admin-tokens, generated with one token on first start]
    #[arg(long, env = "PRIVACYD_ADMIN_TOKENS_FILE")]
    pub admin_tokens_file: Option<PathBuf>,

    /// Extra admin tokens with every scope, comma-separated; each must be strong (32+
    /// characters, 128+ bits estimated). Set them through the environment: the flag form is
    /// deprecated, since command lines are visible to every local user in `ps`. Not reloaded.
    #[arg(
        long = "admin-token",
        env = "PRIVACYD_ADMIN_TOKENS",
        value_delimiter = ',',
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub admin_tokens: Vec<String>,

    // --- Keys and secrets (see README "Security") ---
    /// Secret key file: AES-256-GCM keys, one standard-base64 32-byte key per line (`openssl
    /// rand -base64 32`), the first current. Encrypts data sources' tokens at rest and keys the
    /// subject hashes in erasure receipts. To rotate, put a new key first; the next start
    /// re-encrypts every token, after which the old line can go. Every replica needs the same
    /// file. [default: <data-dir>/secret-key, generated (0600) on first start; a file named
    /// here must exist]
    #[arg(long, env = "PRIVACYD_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,

    /// Receipt signing key file: Ed25519 private keys as PKCS#8 PEM blocks (`openssl genpkey
    /// -algorithm ed25519`); the first signs new erasure receipts, later ones are retired keys
    /// still published for the receipts they signed. [default: <data-dir>/receipt-signing-key,
    /// generated (0600) on first start; a file named here must exist]
    #[arg(long, env = "PRIVACYD_RECEIPT_SIGNING_KEY_FILE")]
    pub receipt_signing_key_file: Option<PathBuf>,

    /// PEM CA certificate(s) to trust, besides the system roots, for the SMTP server's TLS
    /// certificate (STARTTLS or smtps://), e.g. an internal CA.
    #[arg(long, env = "PRIVACYD_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,

    // --- TLS on privacyd's own port (see grpc::tls) ---
    /// PEM certificate chain (the server's certificate first) to serve gRPC and HTTP over TLS
    /// on --listen, with ALPN offering h2 and http/1.1. Needs --tls-key. Re-read on SIGHUP and
    /// when its content changes (see --tls-reload-interval); a pair that does not load is
    /// logged and the certificate in force kept. Without it privacyd speaks plaintext.
    #[arg(long, env = "PRIVACYD_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert's first certificate. Needs
    /// --tls-cert.
    #[arg(long, env = "PRIVACYD_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// PEM CA certificate(s) for client certificates (mTLS). A client certificate not issued by
    /// them is refused at the handshake; connections without one are served, but admin calls
    /// on them are refused (UNAUTHENTICATED, reason CLIENT_CERTIFICATE_REQUIRED) even with a
    /// valid admin token. Read at start. Needs --tls-cert.
    #[arg(long, env = "PRIVACYD_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,

    /// How often --tls-cert and --tls-key are read for a change of content (a renewal by
    /// cert-manager or an ACME client); 0s for SIGHUP only.
    #[arg(long, env = "PRIVACYD_TLS_RELOAD_INTERVAL", default_value = "10s", value_parser = humantime::parse_duration)]
    pub tls_reload_interval: Duration,

    // --- Retention (GDPR Art. 5(1)(e), storage limitation; see README "In production") ---
    /// How long a finished request (COMPLETED, DENIED, CANCELLED, EXPIRED) keeps its
    /// per-source details: its source runs and its finished jobs (but its emails) are deleted
    /// this long after it last changed, e.g. 30days or 720h. Its states, times, outcome
    /// (erasure summary, archive record), emails, audit events and receipt stay.
    #[arg(long, env = "PRIVACYD_JOB_RETENTION", default_value = "30days", value_parser = humantime::parse_duration)]
    pub job_retention: Duration,

    /// How long a finished request keeps its subject's personal data: the email address and
    /// user id (and what could lead back to them: the idempotency digest, email delivery errors)
    /// are purged this long after it last changed, e.g. 3years (a year is 365.25 days) or
    /// 1000days. The request stays, with its id, action, states, times and outcome, and shows
    /// `subject_purge_time` instead of a subject.
    #[arg(long, env = "PRIVACYD_REQUEST_RETENTION", default_value = "3years", value_parser = humantime::parse_duration)]
    pub request_retention: Duration,

    // --- Traces (OpenTelemetry; see README "In production") ---
    /// OTLP/gRPC collector to send traces to, e.g. `http://otel-collector:4317` (`https://`
    /// checks the collector's certificate against the system roots). Off when unset. The
    /// standard `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` variables name the service
    /// (default `privacyd`) and add resource attributes; `OTEL_EXPORTER_OTLP_HEADERS` and
    /// `OTEL_EXPORTER_OTLP_TIMEOUT` are honoured too.
    #[arg(long, env = "PRIVACYD_OTLP_ENDPOINT", value_parser = parse_otlp_endpoint)]
    pub otlp_endpoint: Option<url::Url>,

    // --- Per-source limits (issue 11, section 5) ---
    /// Jobs this replica holds at once, counting those waiting on a data source's answer. A
    /// job gives up its --job-concurrency slot while it waits on a source (an `Erase`, an
    /// `Export` stream's next message), so slots bound privacyd's own work and this bounds
    /// the calls one replica has open and the leases it renews (each about three times a
    /// --job-lease). How many calls each source gets is its own `max_concurrent_calls`
    /// (registry; default 16). A value below --job-concurrency counts as --job-concurrency.
    #[arg(long, env = "PRIVACYD_JOB_MAX_IN_FLIGHT", default_value_t = 1024)]
    pub job_max_in_flight: usize,

    // --- Metrics (Prometheus; see docs/metrics.md).
    /// Serve `GET /metrics` on this address (e.g. 0.0.0.0:9090), without a token, INSTEAD of on
    /// the main port; keep it off the public network. Unset: `/metrics` is on the main port
    /// and needs an admin token with the `read` scope (the main port is public).
    #[arg(long, env = "PRIVACYD_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    // Object storage (issue 11, section 1): spools and archives without a shared disk.
    /// Where export spools and archives are kept, for every replica: `file://<absolute folder>`
    /// (one machine, or a volume all replicas mount) or `s3://<bucket>[/<prefix>]` (any
    /// S3-compatible service; credentials, region and endpoint from the standard `AWS_*`
    /// variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
    /// AWS_ALLOW_HTTP). With S3, download links redirect to URLs presigned for 60 seconds.
    /// [default: file://<data-dir>/exports]
    #[arg(long, env = "PRIVACYD_ARCHIVE_STORE", conflicts_with = "export_dir")]
    pub archive_store: Option<crate::objects::StoreLocation>,

    /// Settings of an s3:// archive store that override the AWS_* variables, as
    /// `key=value` with object_store's S3 keys (comma-separated in the variable), e.g.
    /// `endpoint=http://127.0.0.1:9000,allow_http=true` for a MinIO or s3s-fs on loopback,
    /// `virtual_hosted_style_request=true`, `disable_bulk_delete=true`. Give credentials through
    /// the AWS_* variables or the platform's identity rather than here: arguments are visible to
    /// every local user.
    #[arg(long = "archive-store-option", env = "PRIVACYD_ARCHIVE_STORE_OPTIONS", value_delimiter = ',')]
    pub archive_store_options: Vec<String>,

    // --- The subject's own pages (issue 12): the public /request form and its limits.
    /// Serve the public form at /request where a person asks for a copy of their data or its
    /// erasure; `false` answers /request with a 404 page saying requests are not taken there.
    #[arg(long, env = "PRIVACYD_SELF_SERVICE", default_value_t = true, action = clap::ArgAction::Set)]
    pub self_service: bool,

    /// Submissions of the /request form one client IP address (an IPv6 /64) may make, as
    /// COUNT/PERIOD (e.g. 5/hour, 20/day, 3/10m), or `off` behind a gateway that limits
    /// already. Over it, a 429 page with Retry-After. Counted per replica, on top of
    /// --public-rate-limit.
    #[arg(long, env = "PRIVACYD_SELF_SERVICE_RATE", default_value = "5/hour", value_parser = SelfServiceRate::parse)]
    pub self_service_rate: SelfServiceRate,

    /// Requests the /request form accepts per email address in 12 months (GDPR Art. 12(5):
    /// requests "manifestly unfounded or excessive, in particular because of their repetitive
    /// character" may be refused); 0 for no limit. Kept in the database as a keyed hash of the
    /// address, so it holds across replicas. Over it, the form answers as always and sends
    /// nothing.
    #[arg(long, env = "PRIVACYD_SELF_SERVICE_ADDRESS_LIMIT", default_value_t = 4)]
    pub self_service_address_limit: u32,

    // --- Console: sessions (issue 12; console-core; see docs/console.md).
    /// How long a console session may go unused before it ends (the next page asks to sign in
    /// again), e.g. 30m or 1h. OWASP's session guidance suggests 15 to 30 minutes for
    /// applications that handle sensitive data.
    #[arg(long, env = "PRIVACYD_CONSOLE_IDLE_TIMEOUT", default_value = "30m", value_parser = humantime::parse_duration)]
    pub console_idle_timeout: Duration,

    /// How long a console session lasts at most from sign-in, however busy, e.g. 12h or 8h.
    #[arg(long, env = "PRIVACYD_CONSOLE_SESSION_LIFETIME", default_value = "12h", value_parser = humantime::parse_duration)]
    pub console_session_lifetime: Duration,
}

/// `--self-service-rate`: at most `count` submissions per `period` from one client address,
/// or none at all (`off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelfServiceRate(pub Option<(std::num::NonZeroU32, Duration)>);

impl SelfServiceRate {
    /// Parses `off`, or `COUNT/PERIOD` where PERIOD is `second`, `minute`, `hour`, `day` or a
    /// duration (`10m`, `2h`).
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim() == "off" {
            return Ok(SelfServiceRate(None));
        }
        let usage = || format!("{text:?} is not COUNT/PERIOD (e.g. 5/hour, 20/day, 3/10m) or off");
        let (count, period) = text.trim().split_once('/').ok_or_else(usage)?;
        let count: std::num::NonZeroU32 = count.trim().parse().map_err(|_| usage())?;
        let period = match period.trim() {
            "second" => Duration::from_secs(1),
            "minute" => Duration::from_secs(60),
            "hour" => Duration::from_secs(3600),
            "day" => Duration::from_secs(86_400),
            other => humantime::parse_duration(other).map_err(|_| usage())?,
        };
        if period.is_zero() {
            return Err(usage());
        }
        Ok(SelfServiceRate(Some((count, period))))
    }
}

/// An OTLP endpoint must be an absolute `http://` or `https://` URL: the exporter would
/// otherwise fail on every export, long after start-up, with nobody watching its errors.
fn parse_otlp_endpoint(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err("must be an http:// or https:// URL of an OTLP/gRPC collector, e.g. http://127.0.0.1:4317".into()),
    }
}

impl Config {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("privacyd.db").display()))
    }

    /// `--archive-store`, or the deprecated `--export-dir` as a local store, or the default.
    pub fn archive_store(&self) -> crate::objects::StoreLocation {
        self.archive_store.clone().unwrap_or_else(|| {
            let dir = self.export_dir.clone().unwrap_or_else(|| self.data_dir.join("exports"));
            // The local store needs an absolute folder; a relative one is taken from here.
            crate::objects::StoreLocation::File(std::path::absolute(&dir).unwrap_or(dir))
        })
    }

    /// This replica's scratch folder: spools while their sources stream, archive indexes
    /// while they are built. Never shared.
    pub fn scratch_dir(&self) -> PathBuf {
        self.data_dir.join("scratch")
    }

    /// The base URL for links in emails: --public-url, or the bound address, https when
    /// privacyd serves TLS.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        let scheme = if self.tls_cert.is_some() { "https" } else { "http" };
        self.public_url.clone().unwrap_or_else(|| format!("{scheme}://{bound}"))
    }

    /// The TLS files, when --tls-cert (and so --tls-key) is set.
    pub fn tls_files(&self) -> anyhow::Result<Option<crate::grpc::tls::TlsFiles>> {
        match (&self.tls_cert, &self.tls_key) {
            (None, None) if self.tls_client_ca.is_some() => {
                anyhow::bail!("--tls-client-ca needs --tls-cert and --tls-key")
            }
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(crate::grpc::tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.tls_client_ca.clone(),
            })),
            // clap's `requires` refuses these on the command line; a Config built in code
            // (tests, the benchmark) gets the same rule here.
            (Some(_), None) => anyhow::bail!("--tls-cert needs --tls-key (PRIVACYD_TLS_KEY)"),
            (None, Some(_)) => anyhow::bail!("--tls-key needs --tls-cert (PRIVACYD_TLS_CERT)"),
        }
    }

    pub fn connection_limits(&self) -> crate::grpc::ConnectionLimits {
        crate::grpc::ConnectionLimits {
            max_connections: self.max_connections.max(1),
            max_connections_per_ip: self.max_connections_per_ip,
            handshake_timeout: self.handshake_timeout,
            idle_timeout: self.idle_timeout,
            keepalive_interval: self.keepalive_interval,
            keepalive_timeout: self.keepalive_timeout,
            max_streams: self.max_streams_per_connection.max(1),
        }
    }

    /// The retention periods, as the sweeper applies them.
    pub fn retention_policy(&self) -> anyhow::Result<crate::workflow::RetentionPolicy> {
        use anyhow::Context;
        Ok(crate::workflow::RetentionPolicy {
            jobs: chrono::Duration::from_std(self.job_retention).context("--job-retention is too long")?,
            requests: chrono::Duration::from_std(self.request_retention).context("--request-retention is too long")?,
        })
    }

    pub fn public_rate_limit(&self) -> crate::grpc::RateLimit {
        crate::grpc::RateLimit { per_minute: self.public_rate_limit, burst: self.public_rate_burst }
    }

    /// The secret key file, and whether privacyd may create it (only at the default path: a
    /// file named by the operator that is missing is a mistake, e.g. a secret not mounted).
    pub fn secret_key_file(&self) -> (PathBuf, bool) {
        match &self.secret_key_file {
            Some(path) => (path.clone(), false),
            None => (self.data_dir.join("secret-key"), true),
        }
    }

    /// The receipt signing key file, and whether privacyd may create it (as above).
    pub fn receipt_signing_key_file(&self) -> (PathBuf, bool) {
        match &self.receipt_signing_key_file {
            Some(path) => (path.clone(), false),
            None => (self.data_dir.join("receipt-signing-key"), true),
        }
    }

    /// A configuration with every default, for tests and benchmarks.
    pub fn defaults() -> Self {
        Config::parse_from(["privacyd"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_defaults_to_30_days_for_jobs_and_3_years_for_subjects() {
        let policy = Config::defaults().retention_policy().unwrap();
        assert_eq!(policy.jobs, chrono::Duration::days(30));
        // humantime's year is 365.25 days.
        assert_eq!(policy.requests, chrono::Duration::hours(3 * 8766));
        let config = Config::try_parse_from(["privacyd", "--job-retention", "7days", "--request-retention", "400days"])
            .unwrap()
            .retention_policy()
            .unwrap();
        assert_eq!((config.jobs, config.requests), (chrono::Duration::days(7), chrono::Duration::days(400)));
    }

    #[test]
    fn self_service_settings_parse_and_turn_off() {
        let config = Config::defaults();
        assert!(config.self_service);
        assert_eq!(config.self_service_address_limit, 4);
        let five = std::num::NonZeroU32::new(5).unwrap();
        assert_eq!(config.self_service_rate, SelfServiceRate(Some((five, Duration::from_secs(3600)))));
        assert_eq!(SelfServiceRate::parse("off").unwrap(), SelfServiceRate(None));
        assert_eq!(SelfServiceRate::parse("5/10m").unwrap().0.unwrap().1, Duration::from_secs(600));
        for bad in ["5", "0/hour", "x/hour", "5/fortnight", "5/0s"] {
            assert!(SelfServiceRate::parse(bad).is_err(), "{bad}");
        }
        let config = Config::try_parse_from([
            "privacyd",
            "--self-service=false",
            "--self-service-rate",
            "off",
            "--self-service-address-limit",
            "0",
        ])
        .unwrap();
        assert!(!config.self_service);
        assert_eq!((config.self_service_rate, config.self_service_address_limit), (SelfServiceRate(None), 0));
    }

    #[test]
    fn an_admin_token_may_start_with_a_hyphen() {
        let config = Config::try_parse_from(["privacyd", "--admin-token", "-Ab_c,second"]).unwrap();
        assert_eq!(config.admin_tokens, ["-Ab_c", "second"]);
    }

    #[test]
    fn tls_needs_both_the_certificate_and_the_key() {
        for args in [&["--tls-cert", "c.pem"][..], &["--tls-key", "k.pem"], &["--tls-client-ca", "ca.pem"]] {
            let err = Config::try_parse_from(["privacyd"].iter().chain(args)).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument, "{args:?}: {err}");
        }
        let config = Config::try_parse_from(["privacyd", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap();
        assert!(config.tls_files().unwrap().is_some());
        assert_eq!(config.public_url("127.0.0.1:8443".parse().unwrap()), "https://127.0.0.1:8443");
        let mut config = Config::defaults();
        assert_eq!(config.public_url("127.0.0.1:80".parse().unwrap()), "http://127.0.0.1:80");
        config.tls_key = Some("k.pem".into());
        assert!(config.tls_files().unwrap_err().to_string().contains("--tls-cert"));
    }
}

/// Property tests of `--self-service-rate` (case counts: see
/// `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::testing::proptest_cases::cases(256))]

        /// `COUNT/PERIOD` reads as that count per that period, with a named or a humantime
        /// period, spaces anywhere.
        #[test]
        fn rates_read_as_written(count in 1u32.., seconds in 1u64..10_000_000, named in 0..5u8, pad in " {0,2}") {
            let (period, expected) = match named {
                0 => ("second".to_owned(), Duration::from_secs(1)),
                1 => ("minute".to_owned(), Duration::from_secs(60)),
                2 => ("hour".to_owned(), Duration::from_secs(3600)),
                3 => ("day".to_owned(), Duration::from_secs(86_400)),
                _ => (humantime::format_duration(Duration::from_secs(seconds)).to_string(), Duration::from_secs(seconds)),
            };
            let rate = SelfServiceRate::parse(&format!("{pad}{count}{pad}/{pad}{period}{pad}")).unwrap();
            prop_assert_eq!(rate.0.map(|(n, p)| (n.get(), p)), Some((count, expected)));
        }

        /// Any text: `off`, a positive count per a positive period, or refused with the text
        /// quoted back to the operator; never a panic.
        #[test]
        fn any_text_is_a_rate_or_refused(text in prop_oneof!["[0-9]{0,11}/[0-9a-z ]{0,8}", "\\PC{0,16}"]) {
            match SelfServiceRate::parse(&text) {
                Ok(SelfServiceRate(None)) => prop_assert_eq!(text.trim(), "off"),
                Ok(SelfServiceRate(Some((_, period)))) => prop_assert!(!period.is_zero()),
                Err(message) => {
                    let quoted = format!("{text:?}");
                    prop_assert!(message.contains(&quoted));
                }
            }
        }
    }
}
