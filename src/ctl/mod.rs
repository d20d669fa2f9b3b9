//! privacyctl: privacyd for operators who would rather not write grpcurl calls, and the
//! conformance kit for the teams that write data sources. `src/bin/privacyctl.rs` parses the
//! command line into a [`Cli`] and hands it to [`run`].
//!
//! One module per concern: [`connection`] (address, admin token, clients), [`status`] (errors
//! as operators read them), [`output`] (text and protobuf JSON), [`requests`], [`watch`] and
//! [`download`] (PrivacyRequestService), [`sources`] (the registry), [`source`] (a data source
//! called directly), [`admin_token`] (minting tokens for privacyd's tokens file, offline).

pub mod admin_token;
pub mod connection;
pub mod download;
pub mod output;
pub mod requests;
pub mod source;
pub mod sources;
pub mod status;
pub mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tonic::Code;

use self::{connection::Connection, status::RpcError};

#[derive(Parser, Debug)]
#[command(name = "privacyctl", version, about = "Operate privacyd, and check data sources against the plugin protocol")]
pub struct Cli {
    #[command(flatten)]
    pub target: connection::Target,
    /// Print privacyd's responses as protobuf JSON (what grpcurl prints); `watch` prints one
    /// message per line.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Data-subject requests: create, list, move through their states, watch, download.
    #[command(subcommand)]
    Requests(requests::RequestsCommand),
    /// The data sources registered in privacyd.
    #[command(subcommand)]
    Sources(sources::SourcesCommand),
    /// A data source itself, called directly: the conformance kit.
    #[command(subcommand)]
    Source(source::SourceCommand),
    /// Admin tokens for privacyd's tokens file, minted here without contacting privacyd.
    #[command(subcommand)]
    AdminToken(admin_token::AdminTokenCommand),
}

/// Runs a command; errors are printed as `privacyctl: ...` on stderr and exit 1.
pub async fn run(cli: Cli) -> ExitCode {
    let has_token = matches!(cli.target.token(), Ok(Some(_)));
    let result = match cli.command {
        Command::Source(command) => source::run(command).await,
        Command::AdminToken(command) => admin_token::run(command),
        Command::Requests(command) => match Connection::open(&cli.target).await {
            Ok(conn) => requests::run(&conn, cli.json, command).await,
            Err(err) => Err(err),
        },
        Command::Sources(command) => match Connection::open(&cli.target).await {
            Ok(conn) => sources::run(&conn, cli.json, command).await,
            Err(err) => Err(err),
        },
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("privacyctl: {err:#}");
            let unauthenticated = err
                .chain()
                .filter_map(|e| e.downcast_ref::<RpcError>())
                .any(|e| e.status.code() == Code::Unauthenticated);
            if unauthenticated && !has_token {
                eprintln!(
                    "privacyctl: no admin token was given: set PRIVACYD_ADMIN_TOKEN, or pass --admin-token or --token-file"
                );
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// Tokens are URL-safe base64, so one in 64 starts with "-"; each is a value wherever a
    /// token goes, never read as a flag.
    #[test]
    fn tokens_that_start_with_a_hyphen_are_values() {
        let commands: [&[&str]; 5] = [
            &["privacyctl", "requests", "confirm", "0190-id", "-Ab_c"],
            &["privacyctl", "requests", "download", "0190-id", "--token", "-Ab_c"],
            &["privacyctl", "--admin-token", "-Ab_c", "requests", "list"],
            &["privacyctl", "sources", "register", "shop", "--endpoint", "http://shop:50051", "--token", "-Ab_c"],
            &["privacyctl", "source", "check", "http://shop:50051", "--token", "-Ab_c"],
        ];
        for command in commands {
            let parsed = Cli::try_parse_from(command).unwrap_or_else(|err| panic!("{command:?}: {err}"));
            assert!(format!("{parsed:?}").contains("\"-Ab_c\""), "{command:?} lost the token: {parsed:?}");
        }
    }
}
