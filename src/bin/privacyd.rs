//! The privacyd server.

use std::process::ExitCode;

use clap::Parser;
use privacyd::{admin_tokens::AdminTokens, config::Config, shutdown, startup::Application, telemetry, traces};

/// jemalloc, for Rust's allocations and (unprefixed) for the C libraries' `malloc` too, SQLite's
/// page caches among them. Under steady load glibc's malloc spread freed memory over one arena
/// per thread (privacyd has ~150: tokio's blocking pool for file I/O, one per SQLite
/// connection) and returned little of it: 10 minutes of `privacy-bench soak` grew the RSS from
/// 73 to 116 MiB while the heap in use stayed under 27 MiB (heaptrack). jemalloc returns dirty
/// pages after `dirty_decay_ms` (1 s here, see [`malloc_conf`]), so the RSS follows what is in
/// use (figures in README, "Sustained mixed load"). The `background_threads` feature purges
/// from a thread of jemalloc's own, so an idle privacyd gives memory back too.
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read once at its start (its `malloc_conf` symbol; `MALLOC_CONF` in the
/// environment overrides them): freed pages go back to the system after 1 s rather than 10 s
/// (`dirty_decay_ms`), straight away rather than through a second "muzzy" stage
/// (`muzzy_decay_ms`). With jemalloc's defaults a 1 GiB export peaked at 102 - 108 MiB (the
/// last seconds' freed 256 KiB message buffers still held); with these 66 - 68 MiB, and the
/// same 65 - 68 MiB at 100 MiB (`privacy-bench export`, README "Export").
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[unsafe(no_mangle)]
#[allow(non_upper_case_globals)]
pub static malloc_conf: &[u8; 37] = b"dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// Threads for blocking work (tokio's `spawn_blocking`: file reads and writes of spools and
/// archives, DNS lookups). tokio's default is 512, and under a steady load of exports privacyd
/// kept 80 - 150 of them, each with its allocator caches (glibc's arenas, jemalloc's tcache),
/// which is where its memory went (issue 14, section 3). Disk I/O gains nothing from more
/// threads than this on the machines privacyd runs on; more work waits in tokio's queue.
const BLOCKING_THREADS: usize = 16;

fn main() -> ExitCode {
    // Before anything is created: every file privacyd or a library it uses makes is private.
    privacyd::private_files::restrict_umask();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads(BLOCKING_THREADS).build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve()),
        Err(err) => {
            eprintln!("privacyd: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    let config = Config::parse();
    let traces = match config.otlp_endpoint.as_ref().map(traces::Exporter::new).transpose() {
        Ok(traces) => traces,
        Err(err) => {
            eprintln!("privacyd: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(err) = telemetry::init(config.log_format, &config.log, traces.as_ref()) {
        eprintln!("privacyd: {err:#}");
        return ExitCode::FAILURE;
    }
    telemetry::install_panic_hook();
    let result = run(config).await;
    // After the server and the executor stopped: their last spans are in the final batch.
    if let Some(traces) = traces {
        traces.shutdown().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("privacyd: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    if token_on_command_line() {
        let warning = "--admin-token is deprecated: every local user can read a command line (ps, /proc); \
                       put tokens in the admin tokens file, or in PRIVACYD_ADMIN_TOKENS";
        eprintln!("privacyd: WARNING: {warning}");
        tracing::warn!("{warning}");
    }
    // Listening for SIGHUP before anything is printed: a SIGHUP's default action is to end the
    // process, and a script that reads the start-up message and rotates a token at once must
    // not stop privacyd instead.
    #[cfg(unix)]
    let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    let (trigger, shutdown) = shutdown::channel();
    let app = Application::build(config, shutdown).await?;
    let addr = app.local_addr();
    // The start-up message goes to stdout, not the log: it is for the person who started
    // privacyd. It says where the admin tokens are, never a token.
    let tls = app.tls_certificate();
    match &tls {
        None => say(&format!("privacyd listening on {addr} (gRPC and HTTP)")),
        Some(certificate) => {
            say(&format!("privacyd listening on {addr} (gRPC and HTTP over TLS)"));
            say(&format!(
                "  TLS certificate: sha256 {} (re-read on SIGHUP and when its files change)",
                certificate.fingerprint()
            ));
        }
    }
    say(&format!("  database: {}    email: {}", app.database_backend(), app.mail_transport()));
    let tokens = app.admin_token_summary();
    if let Some(generated) = &tokens.generated {
        say(&format!(
            "  admin token: generated into {} (readable only by you; every scope), its hash into {}",
            generated.display(),
            tokens.file.display()
        ));
    }
    match tokens.from_file {
        Some(n) => say(&format!("  admin tokens: {n} in {} (re-read on SIGHUP)", tokens.file.display())),
        None => say(&format!("  admin tokens file: none yet at {} (read on SIGHUP)", tokens.file.display())),
    }
    if tokens.from_env > 0 {
        say(&format!("  admin tokens: {} from PRIVACYD_ADMIN_TOKENS", tokens.from_env));
    }
    let header = match &tokens.generated {
        Some(path) => format!("authorization: Bearer $(cat {})", path.display()),
        None => "authorization: Bearer <admin token>".to_owned(),
    };
    let transport = if tls.is_some() { "-cacert <CA file>" } else { "-plaintext" };
    say(&format!("  admin calls need the header: grpcurl {transport} -H \"{header}\" {addr} list"));
    #[cfg(unix)]
    tokio::spawn(reload_on_sighup(hangups, app.admin_tokens(), tls));
    tokio::spawn(async move {
        shutdown::signal().await;
        tracing::info!("shutting down");
        trigger.trigger();
    });
    app.run().await
}

/// Whether admin tokens were given as a flag rather than through the environment or a file.
fn token_on_command_line() -> bool {
    std::env::args_os().any(|arg| arg == "--admin-token" || arg.to_string_lossy().starts_with("--admin-token="))
}

/// Re-reads the admin tokens file and the TLS certificate on each SIGHUP, the Unix convention
/// for "reload your configuration", so tokens and certificates rotate with no restart. Files
/// that do not load keep what is in force (each reload logs why).
#[cfg(unix)]
async fn reload_on_sighup(
    hangups: std::io::Result<tokio::signal::unix::Signal>,
    tokens: AdminTokens,
    tls: Option<std::sync::Arc<privacyd::grpc::tls::Certificate>>,
) {
    let mut hangups = match hangups {
        Ok(hangups) => hangups,
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for SIGHUP; admin tokens will not be reloaded");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        let _ = tokens.reload();
        if let Some(certificate) = &tls {
            certificate.reload_and_log();
        }
    }
}

/// Writes a start-up line to stdout. A closed stdout (privacyd piped into `head`, or a
/// supervisor that stopped reading) must not take the server down, so errors are ignored.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}
