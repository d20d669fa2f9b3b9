//! `privacyctl requests watch ID`: follows WatchPrivacyRequest until the request ends. On a
//! terminal it draws one live line per data source (indicatif) with the audit events scrolling
//! above; elsewhere (a pipe, a log, CI) it prints a line per event and per change of a source,
//! since redrawn lines make no sense there; with `--json`, each message as one JSON line.
//!
//! privacyd replays the request's history first (its audit events so far, marked `replayed`),
//! so a watch that starts late, even on a finished request, shows what happened and ends.
//!
//! WatchPrivacyRequest ends only at a final state, but FAILED is not one (it can be processed
//! again), so the watch stops there itself: an operator watching wants to know it failed. A
//! FAILED in the history stops it only when it is where the request still stands (the last
//! replayed event, with the request FAILED now); an earlier one was followed by a new attempt.

use std::{collections::BTreeMap, io::IsTerminal, process::ExitCode, time::Duration};

use anyhow::bail;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::{
    connection::Connection,
    output,
    status::{Rpc, failed},
};
use crate::proto::privacy::v1 as pb;

/// Where the request stood when the watch stopped.
enum End {
    State(pb::State),
    Deleted,
}

fn is_final(state: pb::State) -> bool {
    matches!(state, pb::State::Completed | pb::State::Denied | pb::State::Cancelled | pb::State::Expired)
}

fn stops_the_watch(state: pb::State) -> bool {
    matches!(
        state,
        pb::State::Completed | pb::State::Failed | pb::State::Denied | pb::State::Cancelled | pb::State::Expired
    )
}

pub async fn watch(conn: &Connection, json: bool, id: &str) -> anyhow::Result<ExitCode> {
    let mut stream = conn
        .requests()
        .watch_privacy_request(pb::WatchPrivacyRequestRequest { id: id.to_owned() })
        .await
        .rpc("WatchPrivacyRequest")?;
    let mut display = Display::new(json);
    let mut latest: Option<pb::PrivacyRequest> = None;
    let mut first = true;
    // Where the replayed history ends, and the state the request was in when the watch began.
    let mut replayed_until = 0;
    let mut state_at_start = pb::State::Unspecified;
    let mut last_event: Option<pb::AuditEvent> = None;
    let end = loop {
        let Some(message) = stream.message().await.map_err(failed("WatchPrivacyRequest"))? else {
            break latest.as_ref().map(|r| End::State(r.state()));
        };
        display.show(&message);
        if let Some(request) = &message.privacy_request {
            latest = Some(request.clone());
        }
        // The state an event made, not the snapshot's: the snapshot may already show where
        // later events lead.
        if first {
            replayed_until = message.replayed_until_sequence;
            state_at_start = message.privacy_request.as_ref().map_or(pb::State::Unspecified, |r| r.state());
        }
        let state = match &message.event {
            Some(event) if event.r#type() == pb::AuditEventType::Deleted => break Some(End::Deleted),
            // A past state that the request has left since: history, not where it ends.
            Some(event) if event.sequence < replayed_until && !is_final(event.to_state()) => None,
            Some(event) if event.sequence == replayed_until && !is_final(event.to_state()) => {
                last_event = Some(event.clone());
                Some(event.to_state()).filter(|s| *s == state_at_start)
            }
            Some(event) => {
                last_event = Some(event.clone());
                Some(event.to_state())
            }
            // An older privacyd, which sends no history: where the request stood at the start.
            None if first && replayed_until == 0 => message.privacy_request.as_ref().map(|r| r.state()),
            None => None,
        };
        first = false;
        if let Some(state) = state.filter(|s| stops_the_watch(*s)) {
            break Some(End::State(state));
        }
    };
    display.finish();
    let reason = || {
        let from_request = latest.as_ref().map(|r| r.state_reason.clone()).unwrap_or_default();
        let from_event = last_event.as_ref().map(|e| e.detail.clone()).unwrap_or_default();
        let reason = if from_request.is_empty() { from_event } else { from_request };
        if reason.is_empty() { String::new() } else { format!(": {reason}") }
    };
    match end {
        Some(End::State(pb::State::Completed)) => {
            if !json {
                println!("request {id} COMPLETED");
                if let Some(archive) = latest.as_ref().and_then(|r| r.archive.as_ref()) {
                    println!(
                        "archive {} ({} bytes, sha256 {}); get it with: privacyctl requests download {id}",
                        archive.file_name, archive.size_bytes, archive.sha256
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(End::State(state)) => {
            bail!("request {id} ended {}{}", output::state(state as i32), reason())
        }
        Some(End::Deleted) => bail!("request {id} was deleted"),
        None => bail!("the watch ended before privacyd sent the request"),
    }
}

/// How progress is shown.
enum Display {
    Json,
    /// Line by line, for pipes and logs: where the request stood when the watch started, then
    /// each event, and each source's line when it changes.
    Lines {
        printed: BTreeMap<String, String>,
        started: bool,
    },
    /// Live lines on a terminal.
    Live {
        multi: MultiProgress,
        header: ProgressBar,
        sources: BTreeMap<String, ProgressBar>,
    },
}

impl Display {
    fn new(json: bool) -> Self {
        if json {
            Display::Json
        } else if std::io::stderr().is_terminal() {
            let multi = MultiProgress::new();
            let header = multi.add(ProgressBar::new_spinner());
            header.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"));
            header.enable_steady_tick(Duration::from_millis(120));
            Display::Live { multi, header, sources: BTreeMap::new() }
        } else {
            Display::Lines { printed: BTreeMap::new(), started: false }
        }
    }

    fn show(&mut self, message: &pb::WatchPrivacyRequestResponse) {
        match self {
            Display::Json => println!("{}", output::json_line(message, "privacy.v1.WatchPrivacyRequestResponse")),
            Display::Lines { printed, started } => {
                if let (false, Some(request)) = (*started, &message.privacy_request) {
                    *started = true;
                    println!(
                        "request {} ({}): {}",
                        request.id,
                        output::action(request.action),
                        output::state(request.state)
                    );
                }
                if let Some(event) = &message.event {
                    println!("{}", output::audit_event(event));
                }
                for source in message.privacy_request.iter().flat_map(|r| &r.sources) {
                    let line = output::source_progress(source);
                    if printed.get(&source.source_name) != Some(&line) {
                        println!("source {line}");
                        printed.insert(source.source_name.clone(), line);
                    }
                }
            }
            Display::Live { multi, header, sources } => {
                if let Some(event) = &message.event {
                    let _ = multi.println(output::audit_event(event));
                }
                let Some(request) = &message.privacy_request else { return };
                header.set_message(format!(
                    "request {} ({}): {}",
                    request.id,
                    output::action(request.action),
                    output::state(request.state)
                ));
                for source in &request.sources {
                    let bar = sources.entry(source.source_name.clone()).or_insert_with(|| {
                        let bar = multi.add(ProgressBar::new_spinner());
                        bar.set_style(ProgressStyle::with_template("  {spinner} {msg}").expect("a valid template"));
                        bar.enable_steady_tick(Duration::from_millis(120));
                        bar
                    });
                    let line = output::source_progress(source);
                    let finished = matches!(
                        source.state(),
                        pb::SourceState::Succeeded
                            | pb::SourceState::Failed
                            | pb::SourceState::Skipped
                            | pb::SourceState::Cancelled
                    );
                    if finished && !bar.is_finished() {
                        bar.finish_with_message(line);
                    } else if !finished {
                        bar.set_message(line);
                    }
                }
            }
        }
    }

    /// Leaves the last state of every line on screen.
    fn finish(&self) {
        if let Display::Live { header, sources, .. } = self {
            for bar in sources.values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
            header.abandon();
        }
    }
}
