//! The privacyd server.

use std::process::ExitCode;

use clap::Parser;
use privacyd::{
    config::Config,
    shutdown,
    startup::{AdminTokenSource, Application},
    telemetry,
};

#[tokio::main]
async fn main() -> ExitCode {
    // Before anything is created: every file privacyd or a library it uses makes is private.
    privacyd::private_files::restrict_umask();
    tune_allocator();
    let config = Config::parse();
    if let Err(err) = telemetry::init(config.log_format, &config.log) {
        eprintln!("privacyd: {err:#}");
        return ExitCode::FAILURE;
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("privacyd: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let (trigger, shutdown) = shutdown::channel();
    let app = Application::build(config, shutdown).await?;
    let addr = app.local_addr();
    // The start-up message goes to stdout, not the log: it is for the person who started
    // privacyd, and it is the one place the generated admin token is ever shown.
    say(&format!("privacyd listening on {addr} (gRPC and HTTP)"));
    say(&format!("  database: {}    email: {}", app.database_backend(), app.mail_transport()));
    let header = match app.admin_token_source() {
        AdminTokenSource::Configured(n) => {
            say(&format!("  admin tokens: {n} configured"));
            "authorization: Bearer <admin token>".to_owned()
        }
        AdminTokenSource::File(path) => {
            say(&format!("  admin token: in {}", path.display()));
            format!("authorization: Bearer $(cat {})", path.display())
        }
        AdminTokenSource::Generated(path, token) => {
            say(&format!("  admin token (generated, saved to {}): {token}", path.display()));
            format!("authorization: Bearer $(cat {})", path.display())
        }
    };
    say(&format!("  admin calls need the header: grpcurl -plaintext -H \"{header}\" {addr} list"));
    tokio::spawn(async move {
        shutdown::signal().await;
        tracing::info!("shutting down");
        trigger.trigger();
    });
    app.run().await
}

/// Writes a start-up line to stdout. A closed stdout (privacyd piped into `head`, or a
/// supervisor that stopped reading) must not take the server down, so errors are ignored.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// glibc raises its mmap threshold each time a large block is freed; after that, the 256 KiB
/// message buffers of exports come from the heap and fragment it, and resident memory grows
/// with the size of an export (measured: 48 MB at 1 GiB against 35 MB at 100 MiB). A fixed
/// threshold gives such buffers back to the system when freed (35 MB at 1 GiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: called once at start-up, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
