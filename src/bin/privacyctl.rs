//! privacyctl: the operator's command line for privacyd, and the data source conformance kit.
//! Everything is in the library's `ctl` module; see `privacyctl --help` and docs/privacyctl.md.

use std::process::ExitCode;

use clap::Parser;
use privacyd::ctl::{Cli, run};

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`privacyctl ... | head`) would
    // panic; end quietly instead, as other command line tools do. (Sockets are unaffected:
    // Rust sends with MSG_NOSIGNAL.)
    // SAFETY: set before any other thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // The conformance kit handles what sources send, which a panic's message could quote.
    privacyd::telemetry::install_panic_hook();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime starts");
    runtime.block_on(run(cli))
}
