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
    /// Change a registered source: every setting UpdateDataSource takes. Only the flags given
    /// change; privacyd calls Describe again when the endpoint or TLS settings change.
    Update(UpdateArgs),
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

/// The limits on connecting and on Export streams (see the plugin guide); unset keeps the
/// source's own (or, registering, privacyd's defaults: 5s, the call timeout, and 1h).
#[derive(Args, Debug)]
pub struct Limits {
    /// Connecting, until the source's first bytes, e.g. 5s.
    #[arg(long, value_parser = humantime::parse_duration)]
    connect_timeout: Option<Duration>,
    /// An Export stream fails when no message comes for this long, e.g. 30s.
    #[arg(long, value_parser = humantime::parse_duration)]
    stream_idle_timeout: Option<Duration>,
    /// An Export stream may run at most this long, e.g. 1h.
    #[arg(long, value_parser = humantime::parse_duration)]
    stream_max_duration: Option<Duration>,
    /// The most calls (Export streams, Erase) in flight to the source at once, across
    /// privacyd's replicas: 1 to 1000; privacyd's default is 16.
    #[arg(long, value_name = "N")]
    max_concurrent_calls: Option<u32>,
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
    #[command(flatten)]
    limits: Limits,
    /// Register it without including it in requests yet.
    #[arg(long)]
    disabled: bool,
}

/// Prints a response that carries a source: with --json the whole response message, named
/// `response_name` in package privacy.v1 (what grpcurl prints); otherwise the source as text.
#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// The source's name.
    name: String,
    /// A new gRPC address: http://host:port, or https://host:port. On a source with a token,
    /// needs --token (or --no-token) too: a token belongs to the address it was given for.
    #[arg(long)]
    endpoint: Option<String>,
    /// A new bearer token privacyd sends to the source.
    #[arg(long, allow_hyphen_values = true, conflicts_with = "no_token")]
    token: Option<String>,
    /// Send no bearer token any more.
    #[arg(long)]
    no_token: bool,
    /// Connect with TLS (true) or without (false).
    #[arg(long, value_name = "BOOL")]
    tls: Option<bool>,
    /// A new PEM CA certificate to verify the source's TLS certificate with.
    #[arg(long, value_name = "FILE", conflicts_with = "system_roots")]
    ca_file: Option<PathBuf>,
    /// Verify the source's TLS certificate with the system roots again (no own CA).
    #[arg(long)]
    system_roots: bool,
    /// A new deadline per call to the source, e.g. 30s or 2m.
    #[arg(long, value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
    #[command(flatten)]
    limits: Limits,
    /// Include the source in new exports and erasures (true) or leave it out (false).
    #[arg(long, value_name = "BOOL")]
    enabled: Option<bool>,
}

impl UpdateArgs {
    /// The UpdateDataSource call: one line per field of UpdateDataSourceRequest, and no
    /// `..Default::default()`, so that a field added to the proto does not compile here until
    /// privacyctl can set it (issue 9, item 19: every field UpdateDataSource takes is
    /// reachable from privacyctl; a unit test checks the same against the descriptor).
    fn into_request(self) -> anyhow::Result<pb::UpdateDataSourceRequest> {
        let ca_cert_pem = match (&self.ca_file, self.system_roots) {
            (Some(path), _) => {
                Some(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)
            }
            (None, true) => Some(String::new()),
            (None, false) => None,
        };
        Ok(pb::UpdateDataSourceRequest {
            name: self.name,
            endpoint: self.endpoint,
            auth_token: if self.no_token { Some(String::new()) } else { self.token },
            tls: self.tls,
            ca_cert_pem,
            call_timeout: self.timeout.map(proto_duration),
            connect_timeout: self.limits.connect_timeout.map(proto_duration),
            stream_idle_timeout: self.limits.stream_idle_timeout.map(proto_duration),
            stream_max_duration: self.limits.stream_max_duration.map(proto_duration),
            max_concurrent_calls: self.limits.max_concurrent_calls,
            enabled: self.enabled,
        })
    }
}

fn proto_duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration { seconds: d.as_secs() as i64, nanos: d.subsec_nanos() as i32 }
}

fn show<M: prost::Message>(json: bool, response: &M, response_name: &str, source: &Option<pb::DataSource>) {
    if json {
        println!("{}", output::json(response, &format!("privacy.v1.{response_name}")));
    } else {
        print!("{}", output::data_source(&source.clone().unwrap_or_default()));
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
                    call_timeout: args.timeout.map(proto_duration),
                    connect_timeout: args.limits.connect_timeout.map(proto_duration),
                    stream_idle_timeout: args.limits.stream_idle_timeout.map(proto_duration),
                    stream_max_duration: args.limits.stream_max_duration.map(proto_duration),
                    max_concurrent_calls: args.limits.max_concurrent_calls,
                    enabled: Some(!args.disabled),
                })
                .await
                .rpc("RegisterDataSource")?;
            show(json, &registered, "RegisterDataSourceResponse", &registered.data_source);
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
            show(json, &got, "GetDataSourceResponse", &got.data_source);
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
        SourcesCommand::Update(args) => update(&mut registry, json, args.into_request()?).await?,
        SourcesCommand::Enable { name } => {
            update(&mut registry, json, pb::UpdateDataSourceRequest { name, enabled: Some(true), ..Default::default() })
                .await?
        }
        SourcesCommand::Disable { name } => {
            let call = pb::UpdateDataSourceRequest { name, enabled: Some(false), ..Default::default() };
            update(&mut registry, json, call).await?
        }
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

async fn update(
    registry: &mut super::connection::RegistryClient,
    json: bool,
    call: pb::UpdateDataSourceRequest,
) -> anyhow::Result<()> {
    let updated = registry.update_data_source(call).await.rpc("UpdateDataSource")?;
    show(json, &updated, "UpdateDataSourceResponse", &updated.data_source);
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use prost::Message;

    use super::*;
    use crate::ctl::{Cli, Command};

    fn update_call(args: &[&str]) -> pb::UpdateDataSourceRequest {
        let cli = Cli::try_parse_from([&["privacyctl", "sources", "update", "shop"], args].concat()).unwrap();
        let Command::Sources(SourcesCommand::Update(args)) = cli.command else { panic!("not an update: {cli:?}") };
        args.into_request().unwrap()
    }

    /// Every field of UpdateDataSourceRequest, read from privacyd's own descriptors (so a field
    /// added to the proto is in this list at once), can be set from the command line.
    #[test]
    fn sources_update_reaches_every_field_update_data_source_takes() {
        let ca = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca.path(), "-----BEGIN CERTIFICATE-----\n").unwrap();
        let call = update_call(&[
            "--endpoint",
            "https://shop:7001",
            "--token",
            "-secret",
            "--tls",
            "true",
            "--ca-file",
            ca.path().to_str().unwrap(),
            "--timeout",
            "1m 30s",
            "--connect-timeout",
            "3s",
            "--stream-idle-timeout",
            "45s",
            "--stream-max-duration",
            "2h",
            "--max-concurrent-calls",
            "4",
            "--enabled",
            "false",
        ]);
        let pool = prost_reflect::DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).unwrap();
        let descriptor = pool.get_message_by_name("privacy.v1.UpdateDataSourceRequest").unwrap();
        let dynamic =
            prost_reflect::DynamicMessage::decode(descriptor.clone(), call.encode_to_vec().as_slice()).unwrap();
        let unset: Vec<String> =
            descriptor.fields().filter(|f| !dynamic.has_field(f)).map(|f| f.name().to_owned()).collect();
        assert!(unset.is_empty(), "privacyctl sources update cannot set: {unset:?}");
        assert_eq!(call.call_timeout, Some(prost_types::Duration { seconds: 90, nanos: 0 }));
        assert_eq!(call.connect_timeout, Some(prost_types::Duration { seconds: 3, nanos: 0 }));
        assert_eq!(call.stream_idle_timeout, Some(prost_types::Duration { seconds: 45, nanos: 0 }));
        assert_eq!(call.stream_max_duration, Some(prost_types::Duration { seconds: 7200, nanos: 0 }));
        assert_eq!(call.max_concurrent_calls, Some(4));
        assert_eq!((call.tls, call.enabled), (Some(true), Some(false)));
        assert_eq!(call.auth_token.as_deref(), Some("-secret"));

        // Only what is given changes; the token and the CA can also be removed.
        let call = update_call(&["--no-token", "--system-roots"]);
        assert_eq!((call.auth_token.as_deref(), call.ca_cert_pem.as_deref()), (Some(""), Some("")));
        assert_eq!((call.endpoint, call.tls, call.call_timeout, call.enabled), (None, None, None, None));
        assert!(
            Cli::try_parse_from(["privacyctl", "sources", "update", "shop", "--token", "t", "--no-token"]).is_err()
        );
    }
}
