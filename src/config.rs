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

    /// Folder for the SQLite database, the email outbox and the generated admin token.
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

    /// Admin bearer tokens, comma-separated (at least 16 characters each). Without any, a token
    /// is generated into <data-dir>/admin-token on first start.
    #[arg(
        long = "admin-token",
        env = "PRIVACYD_ADMIN_TOKENS",
        value_delimiter = ',',
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub admin_tokens: Vec<String>,

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

    /// Where export spools and archives are kept; replicas must share it.
    /// [default: <data-dir>/exports]
    #[arg(long, env = "PRIVACYD_EXPORT_DIR")]
    pub export_dir: Option<PathBuf>,

    /// How long an export archive can be downloaded before it is deleted.
    #[arg(long, env = "PRIVACYD_ARCHIVE_TTL", default_value = "72h", value_parser = humantime::parse_duration)]
    pub archive_ttl: Duration,

    /// How archive entries are stored: deflate (smaller) or stored (faster).
    #[arg(long, env = "PRIVACYD_ARCHIVE_COMPRESSION", value_enum, default_value_t = crate::export::Compression::Deflate)]
    pub archive_compression: crate::export::Compression,

    /// Calls to a data source for one request before the request fails.
    #[arg(long, env = "PRIVACYD_SOURCE_MAX_ATTEMPTS", default_value_t = 5)]
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
}

impl Config {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("privacyd.db").display()))
    }

    pub fn export_dir(&self) -> PathBuf {
        self.export_dir.clone().unwrap_or_else(|| self.data_dir.join("exports"))
    }

    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{bound}"))
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
    fn an_admin_token_may_start_with_a_hyphen() {
        let config = Config::try_parse_from(["privacyd", "--admin-token", "-Ab_c,second"]).unwrap();
        assert_eq!(config.admin_tokens, ["-Ab_c", "second"]);
    }
}
