//! `privacyctl admin-token new`: mints an admin token for privacyd's tokens file, offline. The
//! token goes to a file only its owner can read; standard output gets the line to add to
//! privacyd's tokens file, which holds the token's SHA-256, never the token.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Subcommand;

use crate::{admin_tokens::mint, domain::Scopes, private_files};

#[derive(Subcommand, Debug)]
pub enum AdminTokenCommand {
    /// Generate a token (256 random bits), write it to --token-file (mode 0600, never
    /// overwritten), and print its tokens-file line: append that line to privacyd's
    /// admin-tokens file and send privacyd SIGHUP.
    New {
        /// A name for people (logs, the tokens file): 1 to 64 of A-Z a-z 0-9 . _ -
        name: String,
        /// What the token may do, comma-separated: read, requests, sources, download.
        #[arg(long, value_parser = parse_scopes)]
        scopes: Scopes,
        /// Where to write the token; must not exist yet.
        #[arg(long, value_name = "FILE")]
        token_file: PathBuf,
    },
}

fn parse_scopes(raw: &str) -> Result<Scopes, String> {
    Scopes::parse(raw)
}

pub fn run(command: AdminTokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminTokenCommand::New { name, scopes, token_file } => {
            let (token, entry) = mint(&name, scopes).map_err(anyhow::Error::msg)?;
            private_files::write_new_file(&token_file, format!("{}\n", token.expose()).as_bytes())
                .with_context(|| format!("writing the token to {}", token_file.display()))?;
            println!("{}", entry.line());
            Ok(ExitCode::SUCCESS)
        }
    }
}
