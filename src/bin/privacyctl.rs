//! privacyctl: the operator's command line for privacyd, and the data source conformance kit.
//! Everything is in the library's `ctl` module; see `privacyctl --help` and docs/privacyctl.md.

use std::process::ExitCode;

use clap::Parser;
use privacyd::ctl::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    run(Cli::parse()).await
}
