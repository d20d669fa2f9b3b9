//! `privacyctl requests ...`: data-subject requests, from creating one to its audit log. Each
//! command is one call of PrivacyRequestService (listing pages through all of them with
//! `--all`); watching and downloading have modules of their own.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::{
    connection::Connection,
    download::{self, DownloadArgs},
    output,
    status::Rpc,
    watch,
};
use crate::proto::privacy::v1 as pb;

#[derive(Subcommand, Debug)]
pub enum RequestsCommand {
    /// Create a request to export or erase a subject's data.
    Create(CreateArgs),
    /// List requests, newest first.
    List(ListArgs),
    /// Show one request: state, deadline, emails, sources, archive.
    Get { id: String },
    /// Confirm a PENDING request with the token from the subject's confirmation link.
    Confirm {
        id: String,
        /// The token from the link. Tokens are base64url, so one may start with "-": it is taken
        /// as the token, not as a flag.
        #[arg(allow_hyphen_values = true)]
        token: String,
    },
    /// Start work on a CONFIRMED (or FAILED) request.
    Process { id: String },
    /// Mark a PROCESSING request fulfilled (for requests handled by hand).
    Complete { id: String },
    /// Withdraw a request that is not finished. One in PROCESSING has its work stopped: sources
    /// that had not ended are recorded as cancelled (what a source cut off mid-call applied is
    /// unknown); what sources had already erased stays erased.
    Cancel {
        id: String,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Refuse a request; the subject is emailed the reason (GDPR Art. 12(4)).
    Deny {
        id: String,
        /// Why; required.
        #[arg(long)]
        reason: String,
    },
    /// Show a request's audit log, oldest first.
    Audit { id: String },
    /// Follow a request live until it ends: its state, each data source's progress, its audit
    /// events. Exits 0 when it completes, 1 when it ends otherwise (FAILED included).
    Watch { id: String },
    /// Download a completed export's archive, resumably, and check its SHA-256.
    Download(DownloadArgs),
    /// Per action, the requests received in a calendar year (UTC), how they ended, and the
    /// mean and median days to answer them (the figures 11 CCR § 7102(a) asks to publish).
    Stats {
        /// The year; the current one when not given.
        #[arg(long)]
        year: Option<i32>,
    },
    /// Print a completed erasure's receipt (JSON) for the compliance file, or write it to
    /// --out. Exits 1 if the audit log no longer matches the receipt's digest chain.
    Receipt {
        id: String,
        /// Write the receipt here instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ActionArg {
    Export,
    Erase,
}

impl From<ActionArg> for pb::Action {
    fn from(a: ActionArg) -> Self {
        match a {
            ActionArg::Export => pb::Action::Export,
            ActionArg::Erase => pb::Action::Erase,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum StateArg {
    Pending,
    Confirmed,
    Processing,
    Completed,
    Failed,
    Denied,
    Cancelled,
    Expired,
}

impl From<StateArg> for pb::State {
    fn from(s: StateArg) -> Self {
        match s {
            StateArg::Pending => pb::State::Pending,
            StateArg::Confirmed => pb::State::Confirmed,
            StateArg::Processing => pb::State::Processing,
            StateArg::Completed => pb::State::Completed,
            StateArg::Failed => pb::State::Failed,
            StateArg::Denied => pb::State::Denied,
            StateArg::Cancelled => pb::State::Cancelled,
            StateArg::Expired => pb::State::Expired,
        }
    }
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The subject's email address.
    #[arg(long)]
    email: String,
    /// The subject's id in your systems, passed on to data sources.
    #[arg(long)]
    user_id: Option<String>,
    #[arg(long, value_enum)]
    action: ActionArg,
    /// Email the subject a confirmation link (the request starts PENDING). Without it the
    /// request starts CONFIRMED: you have verified the subject yourself.
    #[arg(long)]
    confirm: bool,
    /// Makes retries safe: the same id returns the request the first call created.
    #[arg(long)]
    request_id: Option<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(long, value_enum)]
    state: Option<StateArg>,
    #[arg(long, value_enum)]
    action: Option<ActionArg>,
    /// Only requests for this subject email address.
    #[arg(long)]
    email: Option<String>,
    /// Only requests whose subject email address contains this text (case-insensitive).
    #[arg(long)]
    search: Option<String>,
    /// The order: "create_time desc" (newest first, the default), "due_time" (nearest
    /// deadline first) or "due_time desc".
    #[arg(long)]
    order_by: Option<String>,
    /// Requests per page (privacyd's default is 50, its maximum 1000).
    #[arg(long, default_value_t = 50)]
    page_size: i32,
    /// Continue from a page token printed by an earlier list.
    #[arg(long)]
    page_token: Option<String>,
    /// Every page, not only the first.
    #[arg(long)]
    all: bool,
}

pub async fn run(conn: &Connection, json: bool, command: RequestsCommand) -> anyhow::Result<ExitCode> {
    let mut client = conn.requests();
    // Each call's whole response is what --json prints (as grpcurl does); the text shows the
    // request it carries.
    match command {
        RequestsCommand::Create(args) => {
            let response = client
                .create_privacy_request(pb::CreatePrivacyRequestRequest {
                    subject: Some(pb::Subject { email: args.email, user_id: args.user_id.unwrap_or_default() }),
                    action: pb::Action::from(args.action) as i32,
                    send_confirmation: args.confirm,
                    request_id: args.request_id.unwrap_or_default(),
                })
                .await
                .rpc("CreatePrivacyRequest")?;
            show(json, &response, "CreatePrivacyRequestResponse", &response.privacy_request);
        }
        RequestsCommand::List(args) => return list(conn, json, args).await,
        RequestsCommand::Get { id } => {
            let response =
                client.get_privacy_request(pb::GetPrivacyRequestRequest { id }).await.rpc("GetPrivacyRequest")?;
            show(json, &response, "GetPrivacyRequestResponse", &response.privacy_request);
        }
        RequestsCommand::Confirm { id, token } => {
            let response = client
                .confirm_privacy_request(pb::ConfirmPrivacyRequestRequest { id, token })
                .await
                .rpc("ConfirmPrivacyRequest")?;
            show(json, &response, "ConfirmPrivacyRequestResponse", &response.privacy_request);
        }
        RequestsCommand::Process { id } => {
            let response = client
                .process_privacy_request(pb::ProcessPrivacyRequestRequest { id })
                .await
                .rpc("ProcessPrivacyRequest")?;
            show(json, &response, "ProcessPrivacyRequestResponse", &response.privacy_request);
        }
        RequestsCommand::Complete { id } => {
            let response = client
                .complete_privacy_request(pb::CompletePrivacyRequestRequest { id })
                .await
                .rpc("CompletePrivacyRequest")?;
            show(json, &response, "CompletePrivacyRequestResponse", &response.privacy_request);
        }
        RequestsCommand::Cancel { id, reason } => {
            let response = client
                .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id, reason: reason.unwrap_or_default() })
                .await
                .rpc("CancelPrivacyRequest")?;
            show(json, &response, "CancelPrivacyRequestResponse", &response.privacy_request);
        }
        RequestsCommand::Deny { id, reason } => {
            let response = client
                .deny_privacy_request(pb::DenyPrivacyRequestRequest { id, reason })
                .await
                .rpc("DenyPrivacyRequest")?;
            show(json, &response, "DenyPrivacyRequestResponse", &response.privacy_request);
        }
        RequestsCommand::Audit { id } => return audit(conn, json, id).await,
        RequestsCommand::Watch { id } => return watch::watch(conn, json, &id).await,
        RequestsCommand::Download(args) => return download::download(conn, json, args).await,
        RequestsCommand::Receipt { id, out } => return receipt(conn, json, id, out).await,
        RequestsCommand::Stats { year } => {
            let (start_time, end_time) = match year {
                Some(year) => {
                    let period = crate::domain::StatisticsPeriod::year(year)?;
                    (Some(period.start), Some(period.end))
                }
                None => (None, None),
            };
            let to_proto = |t: crate::domain::Timestamp| prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 };
            let response = client
                .get_request_statistics(pb::GetRequestStatisticsRequest {
                    start_time: start_time.map(to_proto),
                    end_time: end_time.map(to_proto),
                })
                .await
                .rpc("GetRequestStatistics")?;
            if json {
                println!("{}", output::json(&response, "privacy.v1.GetRequestStatisticsResponse"));
            } else {
                println!("ACTION\tRECEIVED\tCOMPLETED\tDENIED\tCANCELLED\tEXPIRED\tOPEN\tMEAN_DAYS\tMEDIAN_DAYS");
                for a in &response.actions {
                    let action = pb::Action::try_from(a.action).unwrap_or(pb::Action::Unspecified).as_str_name();
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.1}\t{:.1}",
                        action.trim_start_matches("ACTION_"),
                        a.received_count,
                        a.completed_count,
                        a.denied_count,
                        a.cancelled_count,
                        a.expired_count,
                        a.open_count,
                        a.mean_days_to_answer,
                        a.median_days_to_answer
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a response that carries a request: with --json the whole response message, named
/// `response_name` in package privacy.v1; otherwise the request as text.
fn show<M: prost::Message>(json: bool, response: &M, response_name: &str, request: &Option<pb::PrivacyRequest>) {
    if json {
        println!("{}", output::json(response, &format!("privacy.v1.{response_name}")));
    } else {
        print!("{}", output::request(&request.clone().unwrap_or_default()));
    }
}

async fn list(conn: &Connection, json: bool, args: ListArgs) -> anyhow::Result<ExitCode> {
    let mut client = conn.requests();
    let mut call = pb::ListPrivacyRequestsRequest {
        page_size: args.page_size,
        page_token: args.page_token.unwrap_or_default(),
        action: args.action.map_or(pb::Action::Unspecified, pb::Action::from) as i32,
        state: args.state.map_or(pb::State::Unspecified, pb::State::from) as i32,
        subject_email: args.email.unwrap_or_default(),
        subject_email_search: args.search.unwrap_or_default(),
        order_by: args.order_by.unwrap_or_default(),
        ..Default::default()
    };
    let mut all = pb::ListPrivacyRequestsResponse::default();
    loop {
        let page = client.list_privacy_requests(call.clone()).await.rpc("ListPrivacyRequests")?;
        all.privacy_requests.extend(page.privacy_requests);
        all.next_page_token = page.next_page_token;
        if !args.all || all.next_page_token.is_empty() {
            break;
        }
        call.page_token = all.next_page_token.clone();
    }
    if json {
        println!("{}", output::json(&all, "privacy.v1.ListPrivacyRequestsResponse"));
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", output::REQUEST_COLUMNS);
    for request in &all.privacy_requests {
        println!("{}", output::request_row(request));
    }
    if !all.next_page_token.is_empty() {
        // On stderr, so the table on stdout stays a table.
        eprintln!("more: --page-token {} (or --all)", all.next_page_token);
    }
    Ok(ExitCode::SUCCESS)
}

async fn audit(conn: &Connection, json: bool, id: String) -> anyhow::Result<ExitCode> {
    let call = pb::ListAuditEventsRequest { request_id: id, page_size: 1000, ..Default::default() };
    print_audit_events(conn, json, call).await
}

/// Prints every page of a ListAuditEvents call (request or registry events).
pub(super) async fn print_audit_events(
    conn: &Connection,
    json: bool,
    mut call: pb::ListAuditEventsRequest,
) -> anyhow::Result<ExitCode> {
    let mut client = conn.requests();
    let mut all = pb::ListAuditEventsResponse::default();
    loop {
        let page = client.list_audit_events(call.clone()).await.rpc("ListAuditEvents")?;
        all.audit_events.extend(page.audit_events);
        if page.next_page_token.is_empty() {
            break;
        }
        call.page_token = page.next_page_token;
    }
    if json {
        println!("{}", output::json(&all, "privacy.v1.ListAuditEventsResponse"));
    } else {
        for event in &all.audit_events {
            println!("{}", output::audit_event(event));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn receipt(
    conn: &Connection,
    json: bool,
    id: String,
    out: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    let answer =
        conn.requests().get_erasure_receipt(pb::GetErasureReceiptRequest { id }).await.rpc("GetErasureReceipt")?;
    match &out {
        Some(path) => std::fs::write(path, &answer.receipt_json)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?,
        // With --json, the whole response (the receipt is its `receiptJson`), as grpcurl shows it.
        None if json => println!("{}", output::json(&answer, "privacy.v1.GetErasureReceiptResponse")),
        None => println!("{}", answer.receipt_json),
    }
    // On stderr, so that standard output is exactly the receipt.
    eprintln!("sha256 {}", answer.sha256);
    // The signature goes with the file: an auditor verifies it against the key they pinned
    // from /.well-known/privacyd/receipt-keys (README, "Verifying a receipt").
    if answer.signed {
        eprintln!("signature {}", answer.signature);
        eprintln!("signing key {} (ed25519 {})", answer.signing_key_id, answer.signing_public_key);
    } else {
        eprintln!("unsigned: written before privacyd signed receipts");
    }
    if answer.audit_chain_intact {
        eprintln!("audit chain intact");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "audit chain BROKEN: event #{} no longer matches the receipt (changed, removed or inserted since)",
            answer.first_mismatch_sequence
        );
        Ok(ExitCode::FAILURE)
    }
}
