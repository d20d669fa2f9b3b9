//! How responses are shown: a stable, readable text by default, or with `--json` the
//! protobuf JSON mapping of the response (what grpcurl prints, so scripts written for one work
//! with the other), produced from privacyd's own descriptors rather than by hand.

use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, DynamicMessage};

use crate::proto::{
    FILE_DESCRIPTOR_SET,
    privacy::{datasource::v1 as ds, v1 as pb},
};

fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("privacyd's descriptors decode"))
}

/// The protobuf JSON of a message; `full_name` is its protobuf name, e.g.
/// "privacy.v1.PrivacyRequest".
pub fn json<M: prost::Message>(message: &M, full_name: &str) -> String {
    let descriptor =
        pool().get_message_by_name(full_name).unwrap_or_else(|| panic!("{full_name} is a privacyd message"));
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .expect("a message re-decodes with its own descriptor");
    serde_json::to_string_pretty(&dynamic).expect("protobuf JSON serialises")
}

/// The same, on one line: for streams, one message per line.
pub fn json_line<M: prost::Message>(message: &M, full_name: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(&json(message, full_name)).expect("valid JSON");
    value.to_string()
}

/// An enum value's name without its type prefix ("STATE_PENDING" -> "PENDING"); the number if
/// this privacyctl does not know it (a newer privacyd).
macro_rules! short_name {
    ($enum:ty, $prefix:literal, $value:expr) => {
        match <$enum>::try_from($value) {
            Ok(v) => v.as_str_name().strip_prefix($prefix).unwrap_or(v.as_str_name()).to_owned(),
            Err(_) => format!("{}", $value),
        }
    };
}

pub fn state(value: i32) -> String {
    short_name!(pb::State, "STATE_", value)
}

pub fn action(value: i32) -> String {
    short_name!(pb::Action, "ACTION_", value).to_lowercase()
}

pub fn source_state(value: i32) -> String {
    short_name!(pb::SourceState, "SOURCE_STATE_", value)
}

fn email_kind(value: i32) -> String {
    short_name!(pb::EmailKind, "EMAIL_KIND_", value)
}

fn delivery_state(value: i32) -> String {
    short_name!(pb::DeliveryState, "DELIVERY_STATE_", value)
}

fn event_type(value: i32) -> String {
    short_name!(pb::AuditEventType, "AUDIT_EVENT_TYPE_", value)
}

pub fn health(value: i32) -> String {
    short_name!(pb::HealthStatus, "HEALTH_STATUS_", value)
}

fn capability(value: i32) -> String {
    short_name!(ds::Capability, "CAPABILITY_", value)
}

fn legal_basis(value: i32) -> String {
    short_name!(ds::LegalBasis, "LEGAL_BASIS_", value)
}

/// RFC 3339 in UTC, to the second; "-" when unset.
pub fn time(ts: Option<&prost_types::Timestamp>) -> String {
    ts.and_then(|ts| chrono::DateTime::from_timestamp(ts.seconds, ts.nanos.max(0) as u32))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".to_owned())
}

pub fn duration(d: Option<&prost_types::Duration>) -> String {
    match d {
        Some(d) => humantime::format_duration(std::time::Duration::new(d.seconds.max(0) as u64, d.nanos.max(0) as u32))
            .to_string(),
        None => "-".to_owned(),
    }
}

/// How long a call took, to a tenth of a millisecond.
pub fn latency(d: Option<&prost_types::Duration>) -> String {
    match d {
        Some(d) => format!("{:.1}ms", d.seconds as f64 * 1e3 + d.nanos as f64 / 1e6),
        None => "-".to_owned(),
    }
}

pub fn bytes(n: i64) -> String {
    format!("{}", indicatif::HumanBytes(n.max(0) as u64))
}

/// Label/value lines, the labels aligned.
struct Block(Vec<(String, String)>);

impl Block {
    fn new() -> Self {
        Block(Vec::new())
    }

    fn line(&mut self, label: &str, value: impl Into<String>) -> &mut Self {
        self.0.push((label.to_owned(), value.into()));
        self
    }

    fn render(&self) -> String {
        let width = self.0.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 1;
        self.0
            .iter()
            .map(|(label, value)| format!("{:<width$} {value}\n", format!("{label}:"), width = width))
            .collect()
    }
}

/// One source's progress: "example  RUNNING  4 items  195.31 KiB  attempt 1  last error: ...".
pub fn source_progress(p: &pb::SourceProgress) -> String {
    if p.state == pb::SourceState::Skipped as i32 {
        // Never asked: no counts or attempts to show, only why.
        return format!("{}  {}  {}", p.source_name, source_state(p.state), p.skip_reason);
    }
    let mut line = format!(
        "{}  {}  {} items  {}  attempt {}",
        p.source_name,
        source_state(p.state),
        p.items,
        bytes(p.bytes),
        p.attempts
    );
    if !p.last_error.is_empty() {
        line.push_str(&format!("  last error: {}", p.last_error));
    }
    // Waiting out a retry's backoff: when it ends, rather than a request that looks stuck.
    if p.next_attempt_time.is_some() {
        line.push_str(&format!("  next attempt: {}", time(p.next_attempt_time.as_ref())));
    }
    line
}

/// A request, everything privacyd says about it.
pub fn request(r: &pb::PrivacyRequest) -> String {
    let mut b = Block::new();
    let subject = r.subject.clone().unwrap_or_default();
    b.line("id", &r.id).line("action", action(r.action)).line("state", state(r.state));
    if !r.state_reason.is_empty() {
        b.line("reason", &r.state_reason);
    }
    let user = if subject.user_id.is_empty() { String::new() } else { format!(" (user id {})", subject.user_id) };
    let who = match r.subject_purge_time {
        Some(purged) => format!("purged {} (--request-retention)", time(Some(&purged))),
        None => format!("{}{user}", subject.email),
    };
    b.line("subject", who)
        .line("created", time(r.create_time.as_ref()))
        .line("confirmed", time(r.confirm_time.as_ref()))
        .line("due", time(r.due_time.as_ref()));
    if r.confirmation_expire_time.is_some() {
        b.line("link expires", time(r.confirmation_expire_time.as_ref()));
    }
    if r.deadline_extension_days > 0 {
        b.line("extended", format!("{} days: {}", r.deadline_extension_days, r.deadline_extension_reason));
    }
    if r.complete_time.is_some() {
        b.line("completed", time(r.complete_time.as_ref()));
    }
    b.line("updated", time(r.update_time.as_ref()));
    for email in &r.emails {
        let mut value =
            format!("{} {} (attempts {})", email_kind(email.kind), delivery_state(email.state), email.attempts);
        if !email.last_error.is_empty() {
            value.push_str(&format!(", last error: {}", email.last_error));
        }
        b.line("email", value);
    }
    if r.scheduled_process_time.is_some() {
        b.line("erases after", time(r.scheduled_process_time.as_ref()));
    }
    for source in &r.sources {
        b.line("source", source_progress(source));
        if let Some(e) = &source.erasure {
            // What the source said, which verification may contradict: not "erased".
            b.line("  reported", format!("removed {}, retained {}", e.items_removed, e.items_retained));
            for kept in &e.retentions {
                b.line(
                    "  kept",
                    format!(
                        "{} ({} items): {} [{}] {}",
                        kept.group_id,
                        kept.items,
                        kept.reason,
                        legal_basis(kept.legal_basis),
                        kept.retention_period
                    ),
                );
            }
        }
        if let Some(v) = &source.verification {
            let state = short_name!(pb::VerificationState, "VERIFICATION_STATE_", v.state);
            b.line("  verified", format!("{state}: {}", v.detail));
            for left in &v.leftovers {
                b.line("  left", leftover(left));
            }
        }
    }
    if let Some(line) = erasure_line(r) {
        b.line("erasure", line);
    }
    if let Some(a) = &r.archive {
        b.line("archive", format!("{} ({}, {} bytes)", a.file_name, bytes(a.size_bytes), a.size_bytes))
            .line("sha256", &a.sha256)
            .line("expires", time(a.expire_time.as_ref()))
            .line("downloads", a.download_count.to_string());
        if a.delete_time.is_some() {
            b.line("deleted", time(a.delete_time.as_ref()));
        }
    }
    b.render()
}

/// "comments: 5000 items", "no group: 1 file", "orders: 49 items": what verification found left.
fn leftover(l: &pb::Leftover) -> String {
    let group = if l.group_id.is_empty() { "no group" } else { &l.group_id };
    let mut parts = Vec::new();
    if l.items > 0 || l.files == 0 {
        parts.push(format!("{} {}", l.items, if l.items == 1 { "item" } else { "items" }));
    }
    if l.files > 0 {
        parts.push(format!("{} {}", l.files, if l.files == 1 { "file" } else { "files" }));
    }
    format!("{group}: {}", parts.join(", "))
}

/// An erasure's result: the outcome once COMPLETED (and why it is not verified, if it is not);
/// before that, that there is no outcome, and what verification found left, so that no
/// source's reported counts read as the result.
fn erasure_line(r: &pb::PrivacyRequest) -> Option<String> {
    if let Some(e) = &r.erasure {
        let outcome = short_name!(pb::ErasureOutcome, "ERASURE_OUTCOME_", e.outcome);
        let verified = match (e.verified, e.sources_skipped) {
            (true, _) => "verified".to_owned(),
            (false, 0) => "not verified".to_owned(),
            (false, 1) => "not verified: 1 source skipped".to_owned(),
            (false, n) => format!("not verified: {n} sources skipped"),
        };
        return Some(format!("{outcome}: removed {}, retained {}, {verified}", e.items_removed, e.items_retained));
    }
    if r.action != pb::Action::Erase as i32 || r.state != pb::State::Failed as i32 {
        return None;
    }
    let failed: Vec<String> = r
        .sources
        .iter()
        .filter_map(|s| {
            let v = s.verification.as_ref().filter(|v| v.state == pb::VerificationState::Failed as i32)?;
            let left: Vec<String> = v.leftovers.iter().map(leftover).collect();
            Some(format!("{} ({})", s.source_name, left.join("; ")))
        })
        .collect();
    Some(if failed.is_empty() {
        "no outcome: the erasure failed (see reason)".to_owned()
    } else {
        format!("no outcome: verification found data still held by {}", failed.join(", "))
    })
}

/// The header of `requests list`.
pub const REQUEST_COLUMNS: &str =
    "ID                                    ACTION  STATE       CREATED               DUE                   EMAIL";

/// One row of `requests list`, under [`REQUEST_COLUMNS`].
pub fn request_row(r: &pb::PrivacyRequest) -> String {
    format!(
        "{:<36}  {:<6}  {:<10}  {:<20}  {:<20}  {}",
        r.id,
        action(r.action),
        state(r.state),
        time(r.create_time.as_ref()),
        time(r.due_time.as_ref()),
        match (&r.subject, r.subject_purge_time) {
            (_, Some(_)) => "(purged)",
            (Some(s), None) => s.email.as_str(),
            (None, None) => "",
        }
    )
}

/// One audit event: "#12 2026-11-22T09:00:01Z PROCESSING_STARTED CONFIRMED -> PROCESSING by admin
/// 1a2b3c4d5e6f: detail" ("CREATED -> PENDING" for the first).
pub fn audit_event(e: &pb::AuditEvent) -> String {
    let mut line = format!("#{} {} {}", e.sequence, time(e.time.as_ref()), event_type(e.r#type));
    if !e.data_source.is_empty() {
        line.push_str(&format!(" source {}", e.data_source));
    }
    if e.to_state != pb::State::Unspecified as i32 {
        if e.from_state != pb::State::Unspecified as i32 {
            line.push_str(&format!(" {}", state(e.from_state)));
        }
        line.push_str(&format!(" -> {}", state(e.to_state)));
    }
    if e.email_kind != pb::EmailKind::Unspecified as i32 {
        line.push_str(&format!(" ({})", email_kind(e.email_kind)));
    }
    if let Some(actor) = &e.actor {
        let kind = short_name!(pb::ActorKind, "ACTOR_KIND_", actor.kind).to_lowercase();
        if actor.id.is_empty() {
            line.push_str(&format!(" by {kind}"));
        } else {
            line.push_str(&format!(" by {kind} {}", actor.id));
        }
    }
    if !e.detail.is_empty() {
        line.push_str(&format!(": {}", e.detail));
    }
    line
}

/// What a source said about itself.
pub fn description(d: &ds::DescribeResponse) -> String {
    let capabilities: Vec<String> = d.capabilities.iter().map(|c| capability(*c)).collect();
    let mut out = Block::new()
        .line("described as", format!("{:?} version {:?}, protocol {}", d.name, d.version, d.protocol_version))
        .line("capabilities", capabilities.join(", "))
        .render();
    for c in &d.categories {
        out.push_str(&format!("category {:?} ({}):\n", c.group_id, c.label));
        let mut b = Block::new();
        b.line("  description", &c.description)
            .line("  purposes", c.purposes.join("; "))
            .line("  legal basis", legal_basis(c.legal_basis))
            .line("  recipients", c.recipients.join("; "))
            .line("  retention", &c.retention_period)
            .line("  origin", &c.origin);
        out.push_str(&b.render());
    }
    out
}

/// A registered source.
pub fn data_source(s: &pb::DataSource) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut b = Block::new();
    b.line("name", &s.name)
        .line("endpoint", &s.endpoint)
        .line("enabled", yes_no(s.enabled))
        .line("tls", if s.tls && !s.ca_cert_pem.is_empty() { "yes, own CA" } else { yes_no(s.tls) })
        .line("auth token", yes_no(s.has_auth_token))
        .line("call timeout", duration(s.call_timeout.as_ref()))
        .line("max calls", format!("{} in flight", s.max_concurrent_calls))
        .line("created", time(s.create_time.as_ref()))
        .line("updated", time(s.update_time.as_ref()));
    let mut out = b.render();
    if let Some(d) = &s.description {
        out.push_str(&description(d));
    }
    out
}

/// The header of `sources list`.
pub const SOURCE_COLUMNS: &str = "NAME                  ENABLED  TIMEOUT  CAPABILITIES   ENDPOINT";

/// One row of `sources list`, under [`SOURCE_COLUMNS`].
pub fn data_source_row(s: &pb::DataSource) -> String {
    let capabilities: Vec<String> =
        s.description.as_ref().map(|d| d.capabilities.iter().map(|c| capability(*c)).collect()).unwrap_or_default();
    format!(
        "{:<20}  {:<7}  {:<7}  {:<13}  {}",
        s.name,
        if s.enabled { "yes" } else { "no" },
        duration(s.call_timeout.as_ref()),
        capabilities.join(","),
        s.endpoint
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purged_subject_is_shown_as_purged_with_its_time() {
        let request = pb::PrivacyRequest {
            id: "r1".into(),
            subject_purge_time: Some(prost_types::Timestamp { seconds: 1_796_000_000, nanos: 0 }),
            ..Default::default()
        };
        assert!(request_row(&request).ends_with("(purged)"), "{}", request_row(&request));
        assert!(
            super::request(&request).contains("purged 2026-11-30T00:53:20Z (--request-retention)"),
            "{}",
            super::request(&request)
        );
    }

    #[test]
    fn a_waiting_source_shows_its_next_attempt() {
        let progress = pb::SourceProgress {
            source_name: "billing".into(),
            attempts: 1,
            last_error: "Unavailable: connecting to http://127.0.0.1:1: tcp connect error".into(),
            next_attempt_time: Some(prost_types::Timestamp { seconds: 1_796_000_000, nanos: 0 }),
            ..Default::default()
        };
        assert!(
            source_progress(&progress).ends_with("next attempt: 2026-11-30T00:53:20Z"),
            "{}",
            source_progress(&progress)
        );
    }

    #[test]
    fn json_is_the_protobuf_mapping() {
        let request = pb::PrivacyRequest {
            id: "r1".into(),
            action: pb::Action::Export as i32,
            state: pb::State::Processing as i32,
            create_time: Some(prost_types::Timestamp { seconds: 0, nanos: 0 }),
            ..Default::default()
        };
        let value: serde_json::Value = serde_json::from_str(&json(&request, "privacy.v1.PrivacyRequest")).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "id": "r1", "action": "ACTION_EXPORT", "state": "STATE_PROCESSING",
                "createTime": "1970-01-01T00:00:00Z"
            })
        );
    }

    /// A failed verification: no outcome, the leftovers shown, no "erased" (issue 9, item 21).
    #[test]
    fn a_failed_verification_shows_what_was_left_not_what_the_source_reported() {
        let request = pb::PrivacyRequest {
            action: pb::Action::Erase as i32,
            state: pb::State::Failed as i32,
            sources: vec![
                pb::SourceProgress {
                    source_name: "forum".into(),
                    state: pb::SourceState::Failed as i32,
                    erasure: Some(pb::SourceErasure { items_removed: 5000, ..Default::default() }),
                    verification: Some(pb::ErasureVerification {
                        state: pb::VerificationState::Failed as i32,
                        detail: "still exported outside the retained groups: comments: 5000 items".into(),
                        leftovers: vec![pb::Leftover { group_id: "comments".into(), items: 5000, files: 0 }],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                pb::SourceProgress {
                    source_name: "crm".into(),
                    state: pb::SourceState::Skipped as i32,
                    skip_reason: "the data source is disabled".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let text = super::request(&request);
        assert!(!text.contains("ALL_ERASED") && !text.contains("erased:"), "{text}");
        assert!(text.contains("  reported: removed 5000, retained 0\n"), "{text}");
        assert!(text.contains("  left:     comments: 5000 items\n"), "{text}");
        assert!(
            text.contains(
                "erasure:    no outcome: verification found data still held by forum (comments: 5000 items)\n"
            ),
            "{text}"
        );
        assert!(text.contains("source:     crm  SKIPPED  the data source is disabled\n"), "{text}");

        let completed = pb::PrivacyRequest {
            action: pb::Action::Erase as i32,
            state: pb::State::Completed as i32,
            erasure: Some(pb::ErasureSummary {
                outcome: pb::ErasureOutcome::NothingFound as i32,
                sources_skipped: 1,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(
            super::request(&completed).contains("NOTHING_FOUND: removed 0, retained 0, not verified: 1 source skipped")
        );
    }

    #[test]
    fn enum_names_are_short_and_unknown_values_are_numbers() {
        assert_eq!(state(pb::State::Completed as i32), "COMPLETED");
        assert_eq!(action(pb::Action::Erase as i32), "erase");
        assert_eq!(state(99), "99");
    }
}
