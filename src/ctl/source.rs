//! `privacyctl source check ENDPOINT`: the conformance kit ([`crate::conformance`]) against a
//! data source, called directly (privacyd is not involved). One line per check, a summary,
//! exit 1 if any check failed.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::{
    conformance::{self, CHECKS, Outcome},
    proto::privacy::datasource::v1 as ds,
};

#[derive(Subcommand, Debug)]
pub enum SourceCommand {
    /// Check a data source against the protocol's contract, the way csi-sanity checks CSI
    /// drivers. With --subject-email it ERASES that subject's data in the source.
    Check(CheckArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The source's address: http://host:port, or https://host:port for TLS.
    #[arg(required_unless_present = "list")]
    endpoint: Option<String>,
    /// Bearer token the source requires; also checks that calls without it are refused.
    #[arg(long, allow_hyphen_values = true)]
    token: Option<String>,
    /// PEM CA certificate to verify the source's TLS certificate with.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// The deadline on every call, as privacyd's per-source call timeout: each call must answer,
    /// and each Export stream end, within it.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    deadline: Duration,
    /// A subject the source holds, for the checks on real data. DESTRUCTIVE: the source erases
    /// this subject's data; use a test subject in a test instance.
    #[arg(long)]
    subject_email: Option<String>,
    /// The subject's user id, sent with --subject-email.
    #[arg(long, requires = "subject_email")]
    subject_user_id: Option<String>,
    /// Print what each passing check saw.
    #[arg(long, short)]
    verbose: bool,
    /// List the checks and what each verifies, and exit.
    #[arg(long)]
    list: bool,
}

pub async fn run(command: SourceCommand) -> anyhow::Result<ExitCode> {
    let SourceCommand::Check(args) = command;
    if args.list {
        for check in CHECKS {
            println!("{}\n    {}", check.name, check.verifies);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let ca_cert_pem = match &args.ca_file {
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?),
        None => None,
    };
    let options = conformance::Options {
        endpoint: args.endpoint.expect("clap requires it without --list"),
        token: args.token,
        ca_cert_pem,
        deadline: args.deadline,
        subject: args
            .subject_email
            .map(|email| ds::Subject { email, user_id: args.subject_user_id.unwrap_or_default() }),
    };
    let verbose = args.verbose;
    let report = conformance::run(options, |result| {
        println!("{result}");
        if let Outcome::Pass(seen) = &result.outcome
            && verbose
            && !seen.is_empty()
        {
            println!("    {seen}");
        }
    })
    .await
    .context("cannot check the source")?;
    println!("{}", report.summary());
    Ok(if report.failed() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
