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

/// The largest count a source may report (removed, retained, one group's retention): 2^53 - 1,
/// the largest integer every JSON reader holds exactly (RFC 8259 §6; receipts and the JSON
/// mapping of the API carry these counts). No system holds that much about one person, and the
/// bound leaves room to add the counts of thousands of sources without overflow; the sums are
/// checked all the same.
pub const MAX_COUNT: i64 = (1 << 53) - 1;

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
        if items_removed > MAX_COUNT || items_retained > MAX_COUNT {
            return Err(format!(
                "counts over {MAX_COUNT}, the most the protocol allows (removed {items_removed}, retained {items_retained})"
            ));
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
            if r.items > MAX_COUNT {
                return Err(format!(
                    "group {:?} retains {} items, over {MAX_COUNT}, the most the protocol allows",
                    r.group_id, r.items
                ));
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
            // Checked, not saturating: a saturated sum of huge retentions equals a huge
            // items_retained and would pass.
            sum = sum
                .checked_add(r.items)
                .ok_or_else(|| "the retentions add up to more than a 64-bit count holds".to_owned())?;
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

    /// The groups reported retained: a verification counts them by name, whatever else the
    /// source streams.
    pub fn retained_groups(&self) -> BTreeSet<&str> {
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

/// Data still exported after an erasure that the source did not report as retained: in a
/// group it did not retain, or in a retained group beyond the count it reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Leftover {
    /// Empty for files that belong to no group.
    pub group_id: String,
    /// Items beyond those reported retained (all of them, in a group not retained).
    pub items: i64,
    pub files: i64,
    /// In a retained group: the count the source reported retained, which the export
    /// exceeded. `None` for a group the source did not retain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_retained: Option<i64>,
}

/// What a verification export held: items and files per group, each item and file counted
/// once however many messages or address forms carried it. Memory is bounded whatever a source
/// sends: past [`Found::MAX_GROUPS`] groups, further groups (never a retained one, which is
/// always counted by name) are only counted together in `others`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Group id -> (items, files).
    pub groups: BTreeMap<String, (i64, i64)>,
    /// Groups beyond the named ones: (groups, items, files).
    pub others: (i64, i64, i64),
}

impl Found {
    /// Groups counted by name. A leftover is a leftover however many groups it spans; the first
    /// thousand name enough of them for an operator to act on.
    pub const MAX_GROUPS: usize = 1000;

    fn is_empty(&self) -> bool {
        self.groups.values().all(|&(items, files)| items == 0 && files == 0) && self.others.1 == 0 && self.others.2 == 0
    }
}

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
    /// not report as retained must be gone, and a retained group may hold no more items than
    /// the source reported retained (a source that says it kept 1 order and keeps 50 has not
    /// erased 49). Files are not counted by retentions, so files in a retained group pass.
    pub fn check(erasure: &SourceErasure, found: &Found, now: Timestamp) -> Self {
        let retained: BTreeMap<&str, i64> = erasure.retentions.iter().map(|r| (r.group_id.as_str(), r.items)).collect();
        let mut leftovers = Vec::new();
        for (group, &(items, files)) in &found.groups {
            match retained.get(group.as_str()) {
                None if items > 0 || files > 0 => {
                    leftovers.push(Leftover { group_id: group.clone(), items, files, reported_retained: None })
                }
                Some(&reported) if items > reported => leftovers.push(Leftover {
                    group_id: group.clone(),
                    items: items - reported,
                    files: 0,
                    reported_retained: Some(reported),
                }),
                _ => {}
            }
        }
        let (other_groups, other_items, other_files) = found.others;
        if leftovers.is_empty() && other_items == 0 && other_files == 0 {
            // i128: the sum of any number of i64 counts a stream can produce fits.
            let kept: i128 = found.groups.values().map(|&(items, _)| i128::from(items)).sum();
            let detail = if found.is_empty() {
                "the export after the erasure was empty".to_owned()
            } else {
                format!("the export after the erasure held only retained groups ({kept} items)")
            };
            return Verification { state: VerificationState::Passed, leftovers, detail, verify_time: now };
        }
        let mut parts: Vec<String> = leftovers
            .iter()
            .map(|l| {
                let group = if l.group_id.is_empty() { "no group" } else { &l.group_id };
                match (l.reported_retained, l.items, l.files) {
                    (Some(reported), items, _) => {
                        format!("{group}: {} beyond the {reported} reported retained", count(items, "item"))
                    }
                    (None, items, 0) => format!("{group}: {}", count(items, "item")),
                    (None, 0, files) => format!("{group}: {}", count(files, "file")),
                    (None, items, files) => format!("{group}: {}, {}", count(items, "item"), count(files, "file")),
                }
            })
            .collect();
        if other_items > 0 || other_files > 0 {
            parts.push(format!(
                "{} more: {}, {}",
                count(other_groups, "group"),
                count(other_items, "item"),
                count(other_files, "file")
            ));
        }
        let what = if leftovers.iter().any(|l| l.reported_retained.is_some()) {
            "still exported beyond what the source reported retained"
        } else {
            "still exported outside the retained groups"
        };
        let detail = format!("{what}: {}", parts.join("; "));
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

    pub fn parse(s: &str) -> Option<Self> {
        [
            ErasureOutcome::NothingFound,
            ErasureOutcome::AllErased,
            ErasureOutcome::NothingErased,
            ErasureOutcome::PartlyErased,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
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
    /// Every registered source erased and passed verification: none was skipped, none went
    /// unchecked.
    pub verified: bool,
    /// Registered sources the erasure did not reach (disabled, or unable to erase): they may
    /// still hold the subject's data, so the outcome covers only the others.
    pub sources_skipped: usize,
}

impl ErasureSummary {
    /// For the subject, in the fulfilment email: the outcome, and, when sources were skipped,
    /// that it covers only the systems searched (a "nothing found" must not read as if every
    /// system was searched).
    pub fn sentence(&self) -> String {
        if self.sources_skipped == 0 {
            return self.outcome.sentence().to_owned();
        }
        let searched = match self.outcome {
            ErasureOutcome::NothingFound => "In the systems we searched, we found no personal data about you to erase.",
            ErasureOutcome::AllErased => {
                "We erased all the personal data we found about you in the systems we searched."
            }
            ErasureOutcome::NothingErased => {
                "In the systems we searched, we found personal data about you, but the law requires us to keep all of it for now."
            }
            ErasureOutcome::PartlyErased => {
                "In the systems we searched, we erased your personal data, except some that the law requires us to keep for now."
            }
        };
        let skipped = if self.sources_skipped == 1 {
            "1 of our systems was".to_owned()
        } else {
            format!("{} of our systems were", self.sources_skipped)
        };
        format!("{searched} {skipped} not part of this erasure (listed below), and may still hold data about you.")
    }
}

/// The sum of counts sources reported, checked: the error says the sum overflowed, which only
/// counts a source should never have sent can cause.
pub fn checked_total(counts: impl IntoIterator<Item = i64>) -> Result<i64, String> {
    counts.into_iter().try_fold(0i64, |sum, n| {
        sum.checked_add(n).ok_or_else(|| "the sources' counts add up to more than a 64-bit count holds".to_owned())
    })
}

impl PrivacyRequest {
    /// The erasure's result, once the request is COMPLETED. Before that there is no outcome
    /// to report: a FAILED erasure (a source that failed, or failed verification) whose
    /// sources each answered would otherwise read as ALL_ERASED, while its data is known to
    /// remain. Each source's own answer stays on its run. `None` also when the counts do not
    /// add up in 64 bits, which [`PrivacyRequest::erasure_completed`] never lets complete.
    /// Once the runs were removed (`--job-retention`), the summary kept when they were.
    pub fn erasure_summary(&self) -> Option<ErasureSummary> {
        if self.action != Action::Erase || self.state != State::Completed {
            return None;
        }
        if let Some(removed) = &self.sources_removed {
            return removed.erasure.clone();
        }
        let (items_removed, items_retained) = self.erasure_totals().ok()?;
        let verified = self.sources.iter().all(|r| {
            r.state == SourceState::Succeeded
                && r.verification.as_ref().is_some_and(|v| v.state == VerificationState::Passed)
        });
        Some(ErasureSummary {
            outcome: ErasureOutcome::of(items_removed, items_retained),
            items_removed,
            items_retained,
            verified,
            sources_skipped: self.sources.iter().filter(|r| r.state.is_skipped()).count(),
        })
    }

    /// Items removed and retained over every source's answer, checked.
    pub(super) fn erasure_totals(&self) -> Result<(i64, i64), String> {
        let erasures = || self.sources.iter().filter_map(|r| r.erasure.as_ref());
        Ok((checked_total(erasures().map(|e| e.items_removed))?, checked_total(erasures().map(|e| e.items_retained))?))
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
        let mut found = Found::default();
        found.groups.insert("orders".into(), (2, 1));
        assert_eq!(Verification::check(&erasure, &found, now()).state, VerificationState::Passed);

        found.groups.insert("comments".into(), (2, 0));
        found.groups.insert(String::new(), (0, 1));
        let v = Verification::check(&erasure, &found, now());
        assert_eq!(v.state, VerificationState::Failed);
        assert_eq!(
            v.leftovers,
            vec![
                Leftover { group_id: String::new(), items: 0, files: 1, reported_retained: None },
                Leftover { group_id: "comments".into(), items: 2, files: 0, reported_retained: None },
            ]
        );
        assert_eq!(v.detail, "still exported outside the retained groups: no group: 1 file; comments: 2 items");
    }

    #[test]
    fn more_items_left_in_a_retained_group_than_reported_fail_verification() {
        let erasure = SourceErasure::parse(0, 1, vec![retention("orders", 1)], vec![], now()).unwrap();
        let mut found = Found::default();
        found.groups.insert("orders".into(), (50, 0));
        let v = Verification::check(&erasure, &found, now());
        assert_eq!(v.state, VerificationState::Failed);
        assert_eq!(
            v.leftovers,
            vec![Leftover { group_id: "orders".into(), items: 49, files: 0, reported_retained: Some(1) }]
        );
        assert_eq!(
            v.detail,
            "still exported beyond what the source reported retained: orders: 49 items beyond the 1 reported retained"
        );
        // Groups past the named ones fail it too.
        let found = Found { others: (3, 3, 0), ..Found::default() };
        assert_eq!(
            Verification::check(&erasure, &found, now()).detail,
            "still exported outside the retained groups: 3 groups more: 3 items, 0 files"
        );
    }

    #[test]
    fn counts_from_sources_are_bounded_and_summed_with_checks() {
        let parse = |removed, retained, retentions| SourceErasure::parse(removed, retained, retentions, vec![], now());
        // A saturating sum made i64::MAX + 1 equal i64::MAX.
        let err = parse(0, i64::MAX, vec![retention("a", i64::MAX), retention("b", 1)]).unwrap_err();
        assert!(err.contains(&MAX_COUNT.to_string()), "{err}");
        let err = parse(0, MAX_COUNT, vec![retention("a", MAX_COUNT - 1), retention("b", 1)]);
        assert!(err.is_ok());
        assert!(parse(6_000_000_000_000_000_000, 0, vec![]).unwrap_err().contains("counts over"));
        assert!(parse(0, -1, vec![]).unwrap_err().contains("negative"));
        assert!(parse(0, 0, vec![retention("a", -1)]).unwrap_err().contains("negative"));
        assert_eq!(checked_total([MAX_COUNT, MAX_COUNT]), Ok(2 * MAX_COUNT));
        assert!(checked_total([i64::MAX, 1]).is_err());
    }

    #[test]
    fn the_four_outcomes() {
        assert_eq!(ErasureOutcome::of(0, 0), ErasureOutcome::NothingFound);
        assert_eq!(ErasureOutcome::of(4, 0), ErasureOutcome::AllErased);
        assert_eq!(ErasureOutcome::of(0, 2), ErasureOutcome::NothingErased);
        assert_eq!(ErasureOutcome::of(4, 2), ErasureOutcome::PartlyErased);
    }
}

/// Property tests of the checks on a source's erasure answer and on its verification (case
/// counts: see `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::proptest_cases::cases;

    /// Counts where the rules have edges: small, at the bound, past it, negative, extreme.
    fn count() -> impl Strategy<Value = i64> {
        prop_oneof![
            4 => 0..5i64,
            1 => Just(MAX_COUNT),
            1 => Just(MAX_COUNT + 1),
            1 => Just(-1i64),
            1 => Just(i64::MAX),
            1 => Just(i64::MIN),
            1 => any::<i64>(),
        ]
    }

    fn text(max: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-z ]{0,6}".prop_map(String::from),
            1 => Just(" \t".to_owned()),
            1 => Just("é".repeat(max)),
            1 => Just("é".repeat(max + 1)),
        ]
    }

    fn retention() -> impl Strategy<Value = Retention> {
        // Mostly valid and often the same group, so that each rule is what decides some cases.
        let group = prop_oneof![3 => "[ab]".prop_map(String::from), 1 => text(MAX_GROUP_CHARS)];
        let reason = prop_oneof![3 => Just("tax law".to_owned()), 1 => text(MAX_TEXT_CHARS)];
        let count = prop_oneof![3 => 0..5i64, 1 => count()];
        (group, count, reason, text(MAX_TEXT_CHARS)).prop_map(|(group_id, items, reason, retention_period)| Retention {
            group_id,
            items,
            reason,
            legal_basis: LegalBasis::LegalObligation,
            retention_period,
        })
    }

    /// The protocol's rules for an answer, written out again, independently of `parse`.
    fn follows_the_rules(removed: i64, retained: i64, retentions: &[Retention], messages: &[String]) -> bool {
        let chars = |s: &str| s.chars().count();
        let count_ok = |n: i64| (0..=MAX_COUNT).contains(&n);
        let groups: BTreeSet<&str> = retentions.iter().map(|r| r.group_id.as_str()).collect();
        count_ok(removed)
            && count_ok(retained)
            && retentions.len() <= MAX_ENTRIES
            && messages.len() <= MAX_ENTRIES
            && groups.len() == retentions.len()
            && retentions.iter().all(|r| {
                !r.group_id.trim().is_empty()
                    && chars(&r.group_id) <= MAX_GROUP_CHARS
                    && count_ok(r.items)
                    && !r.reason.trim().is_empty()
                    && chars(&r.reason) <= MAX_TEXT_CHARS
                    && chars(&r.retention_period) <= MAX_TEXT_CHARS
            })
            && retentions.iter().map(|r| i128::from(r.items)).sum::<i128>() == i128::from(retained)
            && messages.iter().all(|m| chars(m) <= MAX_TEXT_CHARS)
    }

    fn now() -> Timestamp {
        chrono::DateTime::UNIX_EPOCH
    }

    proptest! {
        #![proptest_config(cases(256))]

        /// An answer is accepted exactly when it follows every rule, and is kept as given.
        #[test]
        fn answers_are_accepted_exactly_when_they_follow_the_rules(
            removed in count(),
            retentions in prop::collection::vec(retention(), 0..4),
            extra in prop_oneof![3 => Just(0i64), 1 => count()],
            messages in prop::collection::vec(text(MAX_TEXT_CHARS), 0..3),
        ) {
            // Mostly the honest sum, so that the other rules are what decides.
            let retained = retentions.iter().fold(0i64, |sum, r| sum.wrapping_add(r.items)).wrapping_add(extra);
            let expected = follows_the_rules(removed, retained, &retentions, &messages);
            let parsed = SourceErasure::parse(removed, retained, retentions.clone(), messages.clone(), now());
            prop_assert_eq!(parsed.is_ok(), expected, "{:?}", parsed);
            if let Ok(erasure) = parsed {
                prop_assert_eq!(erasure.retentions, retentions);
                prop_assert_eq!(erasure.messages, messages);
                prop_assert_eq!((erasure.items_removed, erasure.items_retained), (removed, retained));
            }
        }

        /// More than the protocol's hundred retentions or messages is refused.
        #[test]
        fn too_many_entries_are_refused(n in MAX_ENTRIES + 1..MAX_ENTRIES + 4, messages in any::<bool>()) {
            let (retentions, texts) = if messages {
                (Vec::new(), vec!["m".to_owned(); n])
            } else {
                let retention = |i: usize| Retention {
                    group_id: format!("g{i}"), items: 0, reason: "law".into(),
                    legal_basis: LegalBasis::LegalObligation, retention_period: String::new(),
                };
                ((0..n).map(retention).collect(), Vec::new())
            };
            prop_assert!(SourceErasure::parse(0, 0, retentions, texts, now()).is_err());
        }

        /// A verification passes exactly when nothing outside the retained groups, and no more
        /// than reported in them, was found; the leftovers it lists are exactly the excess.
        #[test]
        fn verification_passes_exactly_when_nothing_is_left_over(
            retained in prop::collection::btree_map("[a-d]", 0..4i64, 0..3),
            found in prop::collection::btree_map("[a-f]", (0..6i64, 0..3i64), 0..5),
            others in (0..2i64, 0..3i64, 0..3i64),
        ) {
            let retentions: Vec<Retention> = retained.iter().map(|(g, &items)| Retention {
                group_id: g.clone(), items, reason: "law".into(),
                legal_basis: LegalBasis::LegalObligation, retention_period: String::new(),
            }).collect();
            let sum = retained.values().sum();
            let erasure = SourceErasure::parse(1, sum, retentions, Vec::new(), now()).unwrap();
            let found = Found { groups: found, others };
            let verification = Verification::check(&erasure, &found, now());
            let mut excess = Vec::new();
            for (group, &(items, files)) in &found.groups {
                match retained.get(group) {
                    None if items > 0 || files > 0 => excess.push((group.clone(), items, files)),
                    Some(&reported) if items > reported => excess.push((group.clone(), items - reported, 0)),
                    _ => {}
                }
            }
            let clean = excess.is_empty() && others.1 == 0 && others.2 == 0;
            prop_assert_eq!(verification.state == VerificationState::Passed, clean, "{:?}", verification);
            prop_assert_eq!(verification.state == VerificationState::Failed, !clean);
            let listed: Vec<_> = verification.leftovers.iter().map(|l| (l.group_id.clone(), l.items, l.files)).collect();
            prop_assert_eq!(listed, excess);
        }

        /// The total of the sources' counts is their exact sum, or an error when that does not
        /// fit 64 bits: never a wrapped or saturated number.
        #[test]
        fn totals_are_exact_or_refused(counts in prop::collection::vec(count(), 0..6)) {
            let exact: i128 = counts.iter().map(|&n| i128::from(n)).sum();
            let fits_all_the_way = counts
                .iter()
                .try_fold(0i64, |sum, &n| sum.checked_add(n))
                .is_some();
            match checked_total(counts.iter().copied()) {
                Ok(total) => prop_assert!(fits_all_the_way && i128::from(total) == exact),
                Err(_) => prop_assert!(!fits_all_the_way),
            }
        }
    }
}
