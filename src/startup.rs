//! Start-up: turns a [`Config`] into a running privacyd (store, executor, sweeper, server),
//! in one place, so the binary, the tests and the benchmark all start the same thing.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use lettre::message::Mailbox;
use tokio::net::TcpListener;

use crate::{
    admin_tokens::{TokenSettings, TokenSummary},
    config::Config,
    erasure::{self, ErasureSettings},
    executor::{Executor, ExecutorConfig},
    export::{self, ExportSettings},
    grpc::{self, AdminTokens, DataSourceRegistryApi, PrivacyRequestApi},
    http::{self, HttpState},
    keys::{Keys, ReceiptSigner, SecretKeys},
    mail::Mailer,
    metrics::{Metrics, scrape::Scraper},
    notifications::{EmailJob, EmailSettings},
    registry::Registry,
    shutdown::Shutdown,
    store::{Dialect, JobKind, Store},
    templates::Templates,
    workflow::{RetentionPolicy, RetentionSweep, WatchLimits, Workflow, WorkflowSettings},
};

/// A privacyd bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    store: Store,
    workflow: Workflow,
    executor: Executor,
    routes: tonic::service::Routes,
    tokens: AdminTokens,
    server: grpc::ServerSettings,
    token_summary: TokenSummary,
    sweep_interval: Duration,
    retention: RetentionPolicy,
    shutdown_grace: Duration,
    shutdown: Shutdown,
    mail_transport: &'static str,
    /// `--metrics-listen`'s listener and what it serves.
    metrics: Option<(TcpListener, Scraper)>,
    tls_reload_interval: Duration,
}

impl Application {
    pub async fn build(config: Config, shutdown: Shutdown) -> anyhow::Result<Self> {
        private_folder(&config.data_dir, "data")?;
        let (tokens, token_summary) = AdminTokens::load(&TokenSettings {
            env_tokens: &config.admin_tokens,
            tokens_file: config.admin_tokens_file.as_deref(),
            data_dir: &config.data_dir,
        })?;

        let keys = Arc::new(load_keys(&config)?);
        let metrics = Metrics::new();
        let receipt_keys = Arc::new(keys.receipts.published().to_vec());
        let store = Store::connect(&config.database_url(), config.database_max_connections)
            .await
            .context("opening the database")?
            .with_keys(keys)
            .with_metrics(metrics.clone());
        match store
            .reseal_source_tokens()
            .await
            .context("encrypting stored source tokens under the current secret key")?
        {
            0 => {}
            n => tracing::info!(sources = n, "encrypted source tokens under the current secret key"),
        }
        let templates = Templates::load(config.template_dir.clone()).context("loading templates")?;
        let from: Mailbox = config.mail_from.parse().context("--mail-from is not a valid mailbox")?;
        let admin: Option<Mailbox> = config
            .admin_email
            .as_deref()
            .map(|a| a.parse().context("--admin-email is not a valid mailbox"))
            .transpose()?;
        let smtp_ca = config
            .smtp_ca_file
            .as_ref()
            .map(|path| std::fs::read(path).with_context(|| format!("reading --smtp-ca-file {}", path.display())))
            .transpose()?;
        let mailer = Mailer::new(config.smtp_url.as_deref(), smtp_ca.as_deref(), config.data_dir.join("outbox"), from)?;

        // Before binding: a certificate that does not load stops the start with the file and
        // the reason, rather than a server nobody can connect to.
        let tls = config.tls_files()?.as_ref().map(grpc::tls::Tls::load).transpose()?;
        let tls_reload_interval = config.tls_reload_interval;
        let listener =
            TcpListener::bind(config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let public_url = config.public_url(addr);
        let public_origin = crate::console::csrf::origin_of(&public_url);

        let executor_config = ExecutorConfig {
            concurrency: config.job_concurrency,
            max_in_flight: config.job_max_in_flight.max(config.job_concurrency),
            lease: config.job_lease,
            poll_interval: config.job_poll_interval,
            retry_base: config.retry_base,
            retry_max: config.retry_max,
        };
        tracing::info!(
            attempts = config.source_max_attempts,
            retry_window = %humantime::format_duration(executor_config.retry_window(config.source_max_attempts)),
            "a data source that stays down fails a request after this many attempts, this long apart in all"
        );
        let mut executor = Executor::new(store.clone(), executor_config);
        let confirmation_ttl =
            chrono::Duration::from_std(config.confirmation_ttl).context("--confirmation-ttl is too long")?;
        executor.register(
            JobKind::Email,
            Arc::new(EmailJob::new(
                store.clone(),
                mailer.clone(),
                templates.clone(),
                EmailSettings {
                    public_url,
                    organization: config.organization.clone(),
                    confirmation_ttl,
                    admin: admin.clone(),
                    auto_process: config.auto_process,
                },
            )),
        );
        let archive_store = config.archive_store();
        let export = Arc::new(ExportSettings {
            store: crate::objects::Objects::open(&archive_store, &config.archive_store_options)
                .with_context(|| format!("opening the archive store {archive_store}"))?,
            scratch: config.scratch_dir(),
            archive_ttl: chrono::Duration::from_std(config.archive_ttl).context("--archive-ttl is too long")?,
            compression: config.archive_compression,
            organization: config.organization.clone(),
            source_max_attempts: config.source_max_attempts.max(1),
            mail_max_attempts: config.mail_max_attempts.max(1),
        });
        private_folder(&export.scratch, "scratch")?;
        export::register(
            &mut executor,
            &store,
            &templates,
            export.clone(),
            export::ExportQuotas {
                per_source: config.export_source_quota.as_u64(),
                per_request: config.export_request_quota.as_u64(),
            },
        );
        let erasure = Arc::new(ErasureSettings {
            verify: config.verify_erasure,
            delay: chrono::Duration::from_std(config.erase_delay).context("--erase-delay is too long")?,
            source_max_attempts: config.source_max_attempts.max(1),
            mail_max_attempts: config.mail_max_attempts.max(1),
            organization: config.organization.clone(),
        });
        let workflow = Workflow::new(
            store.clone(),
            WorkflowSettings {
                mail_max_attempts: config.mail_max_attempts.max(1),
                notify_admin: admin.is_some(),
                watch_poll: Duration::from_millis(500),
                auto_process: config.auto_process,
                export,
                erasure: erasure.clone(),
                outbox: config.smtp_url.is_none().then(|| config.data_dir.join("outbox")),
                job_lease: config.job_lease,
            },
            executor.waker(),
            shutdown.clone(),
        )
        .with_watch_limits(WatchLimits { per_token: config.watch_max_per_token, total: config.watch_max });
        erasure::register(&mut executor, &store, &workflow, erasure);
        let console_sessions = crate::console::Sessions::new(
            store.clone(),
            tokens.clone(),
            crate::console::SessionSettings {
                idle_timeout: config.console_idle_timeout,
                lifetime: config.console_session_lifetime,
                secure_cookies: tls.is_some(),
                client_certificates_required: tls.as_ref().is_some_and(|tls| tls.client_certificates_required),
            },
        );
        let console = crate::console::router(crate::console::ConsoleState {
            workflow: workflow.clone(),
            templates: templates.clone(),
            tokens: tokens.clone(),
            registry: Registry::new(store.clone()),
            store: store.clone(),
            sessions: console_sessions.clone(),
            organization: config.organization.clone(),
            public_origin,
        });
        let server = grpc::ServerSettings {
            connections: config.connection_limits(),
            public_rate: config.public_rate_limit(),
            page_style_hashes: templates.page_style_hashes(),
            metrics: metrics.clone(),
            tls,
            console_sessions: console_sessions.clone(),
        };
        let public = crate::public::PublicState::new(
            workflow.clone(),
            templates.clone(),
            config.organization.clone(),
            crate::public::PublicSettings {
                self_service: config.self_service,
                rate: config.self_service_rate,
                address_limit: config.self_service_address_limit,
                public_url: config.public_url(addr),
            },
            shutdown.clone(),
        );
        let mut http = http::router(HttpState {
            workflow: workflow.clone(),
            templates,
            organization: config.organization.clone(),
            receipt_keys,
        })
        .merge(crate::public::router(public))
        .merge(console);
        // /metrics is served on the main port only when it has no address of its own.
        let scraper = Scraper::new(metrics, store.clone());
        let metrics = match config.metrics_listen {
            Some(addr) => Some((
                TcpListener::bind(addr).await.with_context(|| format!("listening on --metrics-listen {addr}"))?,
                scraper,
            )),
            None => {
                http = http.merge(crate::metrics::scrape::main_port_routes(scraper, tokens.clone()));
                None
            }
        };
        let registry = DataSourceRegistryApi::new(Registry::new(store.clone()));
        let routes = grpc::routes(PrivacyRequestApi::new(workflow.clone()), registry, http).await?;
        Ok(Application {
            listener,
            addr,
            store,
            workflow,
            executor,
            routes,
            tokens,
            server,
            token_summary,
            sweep_interval: config.sweep_interval,
            retention: config.retention_policy()?,
            shutdown_grace: config.shutdown_grace,
            shutdown,
            mail_transport: mailer.describe(),
            metrics,
            tls_reload_interval,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where `--metrics-listen` serves `/metrics`, if it was given.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// Where the admin tokens came from, for the start-up message.
    pub fn admin_token_summary(&self) -> &TokenSummary {
        &self.token_summary
    }

    /// The admin tokens in force; [`AdminTokens::reload`] on it re-reads the tokens file
    /// (the binary calls it on SIGHUP).
    pub fn admin_tokens(&self) -> AdminTokens {
        self.tokens.clone()
    }

    pub fn database_backend(&self) -> &'static str {
        match self.store.dialect() {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    pub fn mail_transport(&self) -> &'static str {
        self.mail_transport
    }

    /// The TLS certificate in force, when privacyd serves TLS; [`grpc::tls::Certificate::reload`]
    /// re-reads its files (the binary calls it on SIGHUP).
    pub fn tls_certificate(&self) -> Option<Arc<grpc::tls::Certificate>> {
        self.server.tls.as_ref().map(|tls| tls.certificate.clone())
    }

    /// Runs one pass of the sweeper now, as `run` does every `--sweep-interval` (the
    /// benchmark of a million stored requests times it).
    pub async fn sweep_once(&self) {
        sweep_once(&self.workflow, &self.server.console_sessions, &self.retention).await;
    }

    /// Serves until shutdown, then stops the background work and closes the database.
    pub async fn run(self) -> anyhow::Result<()> {
        let Application {
            listener,
            store,
            workflow,
            executor,
            routes,
            tokens,
            server,
            sweep_interval,
            retention,
            shutdown_grace,
            shutdown,
            metrics,
            tls_reload_interval,
            ..
        } = self;
        if let Some(tls) = &server.tls {
            tokio::spawn(grpc::tls::watch(tls.certificate.clone(), tls_reload_interval, shutdown.clone()));
        }
        let executor = tokio::spawn(executor.run(shutdown.clone()));
        if let Some((listener, scraper)) = metrics {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                if let Err(err) = crate::metrics::scrape::serve(listener, scraper, shutdown).await {
                    tracing::error!(error = %err, "serving --metrics-listen failed");
                }
            });
        }
        let sweeper =
            tokio::spawn(sweep(workflow, server.console_sessions.clone(), sweep_interval, retention, shutdown.clone()));
        let mut grace = shutdown.clone();
        // Draining waits for clients to close their connections; a client that keeps an idle
        // one open must not keep privacyd from stopping.
        let served = tokio::select! {
            served = grpc::serve(listener, routes, tokens, server, shutdown) => served,
            _ = async { grace.wait().await; tokio::time::sleep(shutdown_grace).await } => {
                tracing::warn!("connections still open after the shutdown grace period; stopping anyway");
                Ok(())
            }
        };
        let _ = tokio::join!(executor, sweeper);
        store.close().await;
        served
    }
}

/// At start, removes export files a crash left behind; then, on a timer, expires unconfirmed
/// requests whose links ran out (a request must not stay PENDING forever just because nobody
/// looks at it), deletes expired export archives, applies the retention periods to finished
/// requests, and deletes expired console sessions.
async fn sweep(
    workflow: Workflow,
    console_sessions: crate::console::Sessions,
    every: Duration,
    retention: RetentionPolicy,
    mut shutdown: Shutdown,
) {
    match workflow.remove_stray_files().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(folders = n, "removed export files a crash left behind"),
        Err(err) => tracing::warn!(error = %err, "cleaning the export folder failed"),
    }
    loop {
        sweep_once(&workflow, &console_sessions, &retention).await;
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait() => return,
        }
    }
}

/// One pass of the sweeper: each sweep logs what it did, or why it failed, and the next runs.
async fn sweep_once(workflow: &Workflow, console_sessions: &crate::console::Sessions, retention: &RetentionPolicy) {
    match workflow.expire_overdue().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(expired = n, "expired unconfirmed requests"),
        Err(err) => tracing::warn!(error = %err, "expiry sweep failed"),
    }
    match workflow.delete_expired_archives().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "deleted expired export archives"),
        Err(err) => tracing::warn!(error = %err, "archive sweep failed"),
    }
    // The self-service form's per-address limit counts 12 months (GDPR Art. 12(5)).
    match workflow.sweep_self_service_limits().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(forgotten = n, "forgot self-service submissions older than 12 months"),
        Err(err) => tracing::warn!(error = %err, "self-service limit sweep failed"),
    }
    match workflow.apply_retention(retention).await {
        Ok(RetentionSweep { sources_removed: 0, subjects_purged: 0 }) => {}
        Ok(done) => tracing::info!(
            sources_removed = done.sources_removed,
            subjects_purged = done.subjects_purged,
            "applied the retention periods to finished requests"
        ),
        Err(err) => tracing::warn!(error = %err, "retention sweep failed"),
    }
    // After retention, whose deletes it folds too.
    match workflow.fold_request_tallies().await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(rows = n, "folded the request tallies"),
        Err(err) => tracing::warn!(error = %err, "folding the request tallies failed"),
    }
    match console_sessions.sweep().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "deleted expired console sessions"),
        Err(err) => tracing::warn!(error = %err, "console session sweep failed"),
    }
}

/// The secret key and the receipt signing key (see `keys`).
fn load_keys(config: &Config) -> anyhow::Result<Keys> {
    let (secret, generate_secret) = config.secret_key_file();
    let (signing, generate_signing) = config.receipt_signing_key_file();
    Ok(Keys {
        secrets: SecretKeys::load(&secret, generate_secret)?,
        receipts: ReceiptSigner::load(&signing, generate_signing)?,
    })
}

/// Creates a folder only privacyd's user can use (0700), or tightens an existing one that
/// others could read, and says so: an operator should know their files were exposed.
fn private_folder(dir: &std::path::Path, what: &str) -> anyhow::Result<()> {
    let tightened = crate::private_files::create_dir(dir)
        .with_context(|| format!("creating the {what} folder {}", dir.display()))?;
    if tightened {
        tracing::warn!(folder = %dir.display(), "the {what} folder was readable by other users; its mode is now 0700");
    }
    Ok(())
}
