//! `privacyctl sources ...`: the data sources registered in privacyd (DataSourceRegistryService).
//! privacyd itself calls the source on register and check; to test a source before registering
//! it, use `privacyctl source check`.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{connection::Connection, output, status::Rpc};
use crate::proto::privacy::v1 as pb;

#[derive(Subcommand, Debug)]
pub enum SourcesCommand {
    /// Register a data source; privacyd calls its Describe first and refuses one that does not
    /// answer or speaks another protocol version.
    Register(RegisterArgs),
    /// List registered sources by name.
    List,
    /// Show one source, with what it declared about the data it holds.
    Get { name: String },
    /// Have privacyd call the source now: its health and a fresh Describe. Exits 1 unless it
    /// is SERVING and describes itself.
    Check { name: String },
    /// Remove a source; requests being processed finish without it.
    Delete { name: String },
    /// Include the source in new exports and erasures.
    Enable { name: String },
    /// Leave the source out of new exports and erasures.
    Disable { name: String },
    /// The registry's audit log, oldest first: who registered, changed, enabled, disabled or
    /// deleted sources, and what changed (never a source's token). Needs the `read` scope.
    Events {
        /// Only this source's events.
        name: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// 1 to 63 characters of a-z, 0-9 and "-", starting with a letter.
    name: String,
    /// The source's gRPC address: http://host:port, or https://host:port for TLS.
    #[arg(long)]
    endpoint: String,
    /// Bearer token privacyd sends to the source.
    #[arg(long, allow_hyphen_values = true)]
    token: Option<String>,
    /// PEM CA certificate to verify the source's TLS certificate with (https:// endpoints).
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Deadline privacyd sets on each call to the source, e.g. 30s or 2m; privacyd's default
    /// is 30s.
    #[arg(long, value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
    /// Register it without including it in requests yet.
    #[arg(long)]
    disabled: bool,
}

fn show(json: bool, source: Option<pb::DataSource>) {
    let source = source.unwrap_or_default();
    if json {
        println!("{}", output::json(&source, "privacy.v1.DataSource"));
    } else {
        print!("{}", output::data_source(&source));
    }
}

pub async fn run(conn: &Connection, json: bool, command: SourcesCommand) -> anyhow::Result<ExitCode> {
    let mut registry = conn.registry();
    match command {
        SourcesCommand::Register(args) => {
            let ca_cert_pem = match &args.ca_file {
                Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
                None => String::new(),
            };
            let registered = registry
                .register_data_source(pb::RegisterDataSourceRequest {
                    name: args.name,
                    tls: args.endpoint.starts_with("https://"),
                    endpoint: args.endpoint,
                    auth_token: args.token.unwrap_or_default(),
                    ca_cert_pem,
                    call_timeout: args
                        .timeout
                        .map(|t| prost_types::Duration { seconds: t.as_secs() as i64, nanos: t.subsec_nanos() as i32 }),
                    enabled: Some(!args.disabled),
                    ..Default::default()
                })
                .await
                .rpc("RegisterDataSource")?;
            show(json, registered.data_source);
        }
        SourcesCommand::List => {
            let mut all = pb::ListDataSourcesResponse::default();
            loop {
                let page = registry
                    .list_data_sources(pb::ListDataSourcesRequest {
                        page_size: 1000,
                        page_token: all.next_page_token.clone(),
                    })
                    .await
                    .rpc("ListDataSources")?;
                all.data_sources.extend(page.data_sources);
                all.next_page_token = page.next_page_token;
                if all.next_page_token.is_empty() {
                    break;
                }
            }
            if json {
                println!("{}", output::json(&all, "privacy.v1.ListDataSourcesResponse"));
            } else {
                println!("{}", output::SOURCE_COLUMNS);
                for source in &all.data_sources {
                    println!("{}", output::data_source_row(source));
                }
            }
        }
        SourcesCommand::Get { name } => {
            let got = registry.get_data_source(pb::GetDataSourceRequest { name }).await.rpc("GetDataSource")?;
            show(json, got.data_source);
        }
        SourcesCommand::Check { name } => {
            let checked =
                registry.check_data_source(pb::CheckDataSourceRequest { name }).await.rpc("CheckDataSource")?;
            let healthy = checked.health == pb::HealthStatus::Serving as i32 && checked.error.is_empty();
            if json {
                println!("{}", output::json(&checked, "privacy.v1.CheckDataSourceResponse"));
            } else {
                println!("health:  {}", output::health(checked.health));
                match &checked.latency {
                    Some(latency) => println!("latency: {}", output::latency(Some(latency))),
                    None => println!("latency: - (Describe did not answer)"),
                }
                if !checked.error.is_empty() {
                    println!("error:   {}", checked.error);
                }
                if let Some(description) = &checked.description {
                    print!("{}", output::description(description));
                }
            }
            return Ok(if healthy { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        SourcesCommand::Delete { name } => {
            registry
                .delete_data_source(pb::DeleteDataSourceRequest { name: name.clone() })
                .await
                .rpc("DeleteDataSource")?;
            if json {
                println!("{{}}");
            } else {
                println!("deleted source {name}");
            }
        }
        SourcesCommand::Enable { name } => show(json, set_enabled(conn, name, true).await?),
        SourcesCommand::Disable { name } => show(json, set_enabled(conn, name, false).await?),
        SourcesCommand::Events { name } => {
            let call = pb::ListAuditEventsRequest {
                subject: pb::AuditSubject::DataSource as i32,
                data_source: name.unwrap_or_default(),
                page_size: 1000,
                ..Default::default()
            };
            return super::requests::print_audit_events(conn, json, call).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_enabled(conn: &Connection, name: String, enabled: bool) -> anyhow::Result<Option<pb::DataSource>> {
    let updated = conn
        .registry()
        .update_data_source(pb::UpdateDataSourceRequest { name, enabled: Some(enabled), ..Default::default() })
        .await
        .rpc("UpdateDataSource")?;
    Ok(updated.data_source)
}
