//! Erasure results: what each source says it removed and kept, the check privacyd makes
//! afterwards, and the outcome over all sources. A source's answer is parsed here, so a
//! retention without a reason or counts that do not add up never reach the database.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Action, Actor, AuditEventType, Error, LegalBasis, NewAuditEvent, PrivacyRequest, SourceState, State, Subject,
    Timestamp, Transition,
};

/// The most retention groups and messages kept per source, and their lengths: an answer
/// beyond them is a broken source, not data worth storing.
const MAX_ENTRIES: usize = 100;
const MAX_TEXT_CHARS: usize = 2000;
const MAX_GROUP_CHARS: usize = 256;

/// Data a source kept despite the erasure, and why (GDPR Art. 17(3)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Retention {
    pub group_id: String,
    pub items: i64,
    pub reason: String,
    pub legal_basis: LegalBasis,
    pub retention_period: String,
}

/// What one source's `Erase` answered, validated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceErasure {
    pub items_removed: i64,
    pub items_retained: i64,
    pub retentions: Vec<Retention>,
    pub messages: Vec<String>,
    pub erase_time: Timestamp,
}

impl SourceErasure {
    /// Checks a source's answer against the protocol. The error says what is wrong, for the
    /// operator; it is a protocol violation, which retrying will not fix.
    pub fn parse(
        items_removed: i64,
        items_retained: i64,
        retentions: Vec<Retention>,
        messages: Vec<String>,
        erase_time: Timestamp,
    ) -> Result<Self, String> {
        if items_removed < 0 || items_retained < 0 {
            return Err(format!("negative counts (removed {items_removed}, retained {items_retained})"));
        }
        if retentions.len() > MAX_ENTRIES || messages.len() > MAX_ENTRIES {
            return Err(format!("more than {MAX_ENTRIES} retentions or messages"));
        }
        let mut groups = BTreeSet::new();
        let mut sum: i64 = 0;
        for r in &retentions {
            if r.group_id.trim().is_empty() || r.group_id.chars().count() > MAX_GROUP_CHARS {
                return Err(format!("a retention's group_id must be 1 to {MAX_GROUP_CHARS} characters"));
            }
            if !groups.insert(r.group_id.as_str()) {
                return Err(format!("group {:?} is retained twice", r.group_id));
            }
            if r.items < 0 {
                return Err(format!("group {:?} retains a negative number of items", r.group_id));
            }
            if r.reason.trim().is_empty() {
                return Err(format!("the retention of group {:?} gives no reason", r.group_id));
            }
            if r.reason.chars().count() > MAX_TEXT_CHARS || r.retention_period.chars().count() > MAX_TEXT_CHARS {
                return Err(format!(
                    "the retention of group {:?} has text over {MAX_TEXT_CHARS} characters",
                    r.group_id
                ));
            }
            sum = sum.saturating_add(r.items);
        }
        if sum != items_retained {
            return Err(format!("items_retained is {items_retained} but the retentions add up to {sum}"));
        }
        if messages.iter().any(|m| m.chars().count() > MAX_TEXT_CHARS) {
            return Err(format!("a message is over {MAX_TEXT_CHARS} characters"));
        }
        Ok(SourceErasure { items_removed, items_retained, retentions, messages, erase_time })
    }

    /// The answer with the subject's identifiers taken out of the source's text (groups,
    /// reasons, periods, messages): it goes into audit events and the receipt, which hold no
    /// personal data, and a careless source might quote the subject.
    pub fn redacted(mut self, subject: &Subject) -> Self {
        for r in &mut self.retentions {
            r.group_id = subject.redact(&r.group_id);
            r.reason = subject.redact(&r.reason);
            r.retention_period = subject.redact(&r.retention_period);
        }
        for m in &mut self.messages {
            *m = subject.redact(m);
        }
        self
    }

    fn retained_groups(&self) -> BTreeSet<&str> {
        self.retentions.iter().map(|r| r.group_id.as_str()).collect()
    }

    /// A line for the audit log: counts and retained groups, never the source's free text.
    pub fn summary(&self) -> String {
        let mut text = format!("removed {}, retained {}", self.items_removed, self.items_retained);
        if !self.retentions.is_empty() {
            let groups: Vec<String> =
                self.retentions.iter().map(|r| format!("{} ({} items)", r.group_id, r.items)).collect();
            text.push_str(&format!(" in {}", groups.join(", ")));
        }
        text
    }
}

/// What a verification export found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VerificationState {
    Passed,
    Failed,
    Skipped,
}

impl VerificationState {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationState::Passed => "PASSED",
            VerificationState::Failed => "FAILED",
            VerificationState::Skipped => "SKIPPED",
        }
    }
}

/// Data still exported in a group that was not retained.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Leftover {
    /// Empty for files that belong to no group.
    pub group_id: String,
    pub items: i64,
    pub files: i64,
}

/// What a verification export held, per group: (items, files).
pub type Found = BTreeMap<String, (i64, i64)>;

/// The check privacyd made after a source's erasure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verification {
    pub state: VerificationState,
    pub leftovers: Vec<Leftover>,
    pub detail: String,
    pub verify_time: Timestamp,
}

impl Verification {
    /// Compares what the source still exports with what it said it kept: any group it did
    /// not report as retained must be gone.
    pub fn check(erasure: &SourceErasure, found: &Found, now: Timestamp) -> Self {
        let retained = erasure.retained_groups();
        let leftovers: Vec<Leftover> = found
            .iter()
            .filter(|(group, _)| !retained.contains(group.as_str()))
            .filter(|(_, (items, files))| items + files > 0)
            .map(|(group, &(items, files))| Leftover { group_id: group.clone(), items, files })
            .collect();
        if leftovers.is_empty() {
            let kept: i64 = found.values().map(|(items, _)| items).sum();
            let detail = if kept == 0 {
                "the export after the erasure was empty".to_owned()
            } else {
                format!("the export after the erasure held only retained groups ({kept} items)")
            };
            return Verification { state: VerificationState::Passed, leftovers, detail, verify_time: now };
        }
        let parts: Vec<String> = leftovers
            .iter()
            .map(|l| {
                let group = if l.group_id.is_empty() { "no group" } else { &l.group_id };
                match (l.items, l.files) {
                    (items, 0) => format!("{group}: {}", count(items, "item")),
                    (0, files) => format!("{group}: {}", count(files, "file")),
                    (items, files) => format!("{group}: {}, {}", count(items, "item"), count(files, "file")),
                }
            })
            .collect();
        let detail = format!("still exported outside the retained groups: {}", parts.join("; "));
        Verification { state: VerificationState::Failed, leftovers, detail, verify_time: now }
    }

    /// The result with the subject's identifiers taken out of the groups the source named.
    pub fn redacted(mut self, subject: &Subject) -> Self {
        for l in &mut self.leftovers {
            l.group_id = subject.redact(&l.group_id);
        }
        self.detail = subject.redact(&self.detail);
        self
    }

    pub fn skipped(detail: &str, now: Timestamp) -> Self {
        Verification {
            state: VerificationState::Skipped,
            leftovers: Vec::new(),
            detail: detail.to_owned(),
            verify_time: now,
        }
    }
}

fn count(n: i64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// WordPress's four outcomes of an erasure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureOutcome {
    NothingFound,
    AllErased,
    NothingErased,
    PartlyErased,
}

impl ErasureOutcome {
    pub fn of(removed: i64, retained: i64) -> Self {
        match (removed > 0, retained > 0) {
            (false, false) => ErasureOutcome::NothingFound,
            (true, false) => ErasureOutcome::AllErased,
            (false, true) => ErasureOutcome::NothingErased,
            (true, true) => ErasureOutcome::PartlyErased,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErasureOutcome::NothingFound => "NOTHING_FOUND",
            ErasureOutcome::AllErased => "ALL_ERASED",
            ErasureOutcome::NothingErased => "NOTHING_ERASED",
            ErasureOutcome::PartlyErased => "PARTLY_ERASED",
        }
    }

    /// For the subject, in the fulfilment email.
    pub fn sentence(self) -> &'static str {
        match self {
            ErasureOutcome::NothingFound => "We found no personal data about you to erase.",
            ErasureOutcome::AllErased => "We erased all the personal data we held about you.",
            ErasureOutcome::NothingErased => {
                "We found personal data about you, but the law requires us to keep all of it for now."
            }
            ErasureOutcome::PartlyErased => {
                "We erased your personal data, except some that the law requires us to keep for now."
            }
        }
    }
}

/// An erasure's result over every source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureSummary {
    pub outcome: ErasureOutcome,
    pub items_removed: i64,
    pub items_retained: i64,
    /// Every source passed verification.
    pub verified: bool,
}

impl PrivacyRequest {
    /// The erasure's result, once the request is COMPLETED. Before that there is no outcome
    /// to report: a FAILED erasure (a source that failed, or failed verification) whose
    /// sources each answered would otherwise read as ALL_ERASED, while its data is known to
    /// remain. Each source's own answer stays on its run.
    pub fn erasure_summary(&self) -> Option<ErasureSummary> {
        if self.action != Action::Erase || self.state != State::Completed {
            return None;
        }
        let erasures = || self.sources.iter().filter_map(|r| r.erasure.as_ref());
        let items_removed = erasures().map(|e| e.items_removed).sum();
        let items_retained = erasures().map(|e| e.items_retained).sum();
        let verified = self.sources.iter().all(|r| {
            r.state == SourceState::Succeeded
                && r.verification.as_ref().is_some_and(|v| v.state == VerificationState::Passed)
        });
        Some(ErasureSummary {
            outcome: ErasureOutcome::of(items_removed, items_retained),
            items_removed,
            items_retained,
            verified,
        })
    }
}

impl PrivacyRequest {
    /// Processing a CONFIRMED erasure before its cooling-off period is over schedules it for
    /// `at` instead. Scheduling again changes nothing (`None`).
    pub fn schedule_processing(
        &mut self,
        at: Timestamp,
        actor: Actor,
        now: Timestamp,
    ) -> Result<Option<NewAuditEvent>, Error> {
        if self.state != State::Confirmed {
            return Err(Error::IllegalTransition { state: self.state, attempted: Transition::Process.verb() });
        }
        if self.scheduled_process_time.is_some() {
            return Ok(None);
        }
        self.scheduled_process_time = Some(at);
        self.update_time = now;
        Ok(Some(
            NewAuditEvent::new(self.id, actor, AuditEventType::ErasureScheduled, now)
                .with_detail(format!("processing starts at {}, after the cooling-off period", at.to_rfc3339())),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retention(group: &str, items: i64) -> Retention {
        Retention {
            group_id: group.into(),
            items,
            reason: "tax law".into(),
            legal_basis: LegalBasis::LegalObligation,
            retention_period: "10 years".into(),
        }
    }

    fn now() -> Timestamp {
        crate::domain::now()
    }

    #[test]
    fn answers_that_break_the_protocol_are_refused_with_the_reason() {
        let parse = |removed, retained, retentions| SourceErasure::parse(removed, retained, retentions, vec![], now());
        assert!(parse(3, 2, vec![retention("orders", 2)]).is_ok());
        assert_eq!(
            parse(3, 5, vec![retention("orders", 2)]).unwrap_err(),
            "items_retained is 5 but the retentions add up to 2"
        );
        assert!(parse(-1, 0, vec![]).unwrap_err().contains("negative"));
        let mut unexplained = retention("orders", 2);
        unexplained.reason = " ".into();
        assert!(parse(0, 2, vec![unexplained]).unwrap_err().contains("gives no reason"));
        assert!(parse(0, 4, vec![retention("orders", 2), retention("orders", 2)]).unwrap_err().contains("twice"));
        assert!(parse(0, 0, vec![retention("", 0)]).unwrap_err().contains("group_id"));
    }

    #[test]
    fn verification_accepts_retained_groups_and_names_everything_else() {
        let erasure = SourceErasure::parse(3, 2, vec![retention("orders", 2)], vec![], now()).unwrap();
        let mut found = Found::new();
        found.insert("orders".into(), (2, 1));
        assert_eq!(Verification::check(&erasure, &found, now()).state, VerificationState::Passed);

        found.insert("comments".into(), (2, 0));
        found.insert(String::new(), (0, 1));
        let v = Verification::check(&erasure, &found, now());
        assert_eq!(v.state, VerificationState::Failed);
        assert_eq!(
            v.leftovers,
            vec![
                Leftover { group_id: String::new(), items: 0, files: 1 },
                Leftover { group_id: "comments".into(), items: 2, files: 0 },
            ]
        );
        assert_eq!(v.detail, "still exported outside the retained groups: no group: 1 file; comments: 2 items");
    }

    #[test]
    fn the_four_outcomes() {
        assert_eq!(ErasureOutcome::of(0, 0), ErasureOutcome::NothingFound);
        assert_eq!(ErasureOutcome::of(4, 0), ErasureOutcome::AllErased);
        assert_eq!(ErasureOutcome::of(0, 2), ErasureOutcome::NothingErased);
        assert_eq!(ErasureOutcome::of(4, 2), ErasureOutcome::PartlyErased);
    }
}
