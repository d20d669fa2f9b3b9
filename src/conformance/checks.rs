//! The checks, in the order they run, each against one clause of the contract in
//! `data_source_service.proto`. A check returns what it saw (PASS), the precise way the source
//! broke the contract (FAIL), or why it could not run (SKIP).

use std::collections::BTreeSet;

use futures::future::BoxFuture;
use tonic::Code;

use super::{
    Check, Outcome,
    probe::{CallFailure, MAX_MESSAGE, Probe},
    snapshot::{GroupCount, Snapshot, plural},
    unknown_subject,
};
use crate::proto::privacy::datasource::v1 as pb;

/// The specification.
pub const CHECKS: &[Check] = &[
    Check {
        name: "health",
        verifies: "grpc.health.v1 Check for \"privacy.datasource.v1.DataSourceService\" answers SERVING.",
        run: health,
    },
    Check {
        name: "describe",
        verifies: "Describe answers with protocol_version 1, a name, at least one capability and none \
                   UNSPECIFIED, and at least one data category; every category has a unique group_id \
                   (not \"about\" nor \"privacyd-*\", which privacyd reserves), a label, a description, \
                   purposes, a legal basis and a retention period (GDPR Art. 15(1)).",
        run: describe,
    },
    Check {
        name: "authentication",
        verifies: "With --token: Describe without the bearer token is refused with UNAUTHENTICATED.",
        run: authentication,
    },
    Check {
        name: "export-unknown-subject",
        verifies: "Export for a subject the source cannot hold streams nothing and ends OK.",
        run: export_unknown_subject,
    },
    Check {
        name: "erase-unknown-subject",
        verifies: "Erase for a subject the source cannot hold answers OK with zero removed, zero retained \
                   and no retentions.",
        run: erase_unknown_subject,
    },
    Check {
        name: "erase-idempotent-unknown",
        verifies: "Erase called twice with the same privacy_request_id gives the same answer.",
        run: erase_idempotent_unknown,
    },
    Check {
        name: "export-known-subject",
        verifies: "With --subject-email: Export streams the subject's data and ends OK; every message \
                   follows privacyd's stream rules (items have a group_id and an item_id, a file's chunks \
                   run from offset 0 without gaps to eof, files do not interleave) and every group is one \
                   Describe declares.",
        run: export_known_subject,
    },
    Check {
        name: "export-other-case",
        verifies: "With --subject-email: Export with the address in another case (upper case, or lower case \
                   if it has no lower-case letters) streams the same data as with the address as given: \
                   addresses are compared case-insensitively.",
        run: export_other_case,
    },
    Check {
        name: "erase-known-subject",
        verifies: "With --subject-email (destructive): Erase, called with the address in another case, answers \
                   with consistent counts: something removed or retained, every count between 0 and 2^53 - 1, \
                   items_retained equal to the sum of the retentions, and each retention with a declared \
                   group_id, a reason and a legal basis. Skipped when the subject held nothing to erase.",
        run: erase_known_subject,
    },
    Check {
        name: "export-after-erase",
        verifies: "With --subject-email: after the erasure, Export (with the address as given) holds only groups \
                   Erase said it retained, and no more items in each than it said it retained.",
        run: export_after_erase,
    },
    Check {
        name: "erase-idempotent",
        verifies: "With --subject-email: a second Erase with the same privacy_request_id returns the same \
                   counts and changes nothing: Export afterwards holds the same data.",
        run: erase_idempotent,
    },
    Check {
        name: "deadlines",
        verifies: "Every call above answered, and every Export stream ended, within --deadline.",
        run: deadlines,
    },
    Check {
        name: "message-sizes",
        verifies: "Every message the source sent decoded and was at most 4 MiB.",
        run: message_sizes,
    },
];

/// What the checks share: the source, what it said about itself, and what the checks on the
/// known subject did to it.
pub struct Session {
    probe: Probe,
    subject: Option<pb::Subject>,
    description: Option<pb::DescribeResponse>,
    before_erase: Option<Snapshot>,
    /// The privacy request id of the erasure, and the first answer.
    erasure: Option<(String, pb::EraseResponse)>,
    after_erase: Option<Snapshot>,
    /// Describe (with the token, if one was given) was refused with UNAUTHENTICATED.
    describe_unauthenticated: bool,
}

impl Session {
    pub(super) fn new(probe: Probe, subject: Option<pb::Subject>) -> Self {
        Session {
            probe,
            subject,
            description: None,
            before_erase: None,
            erasure: None,
            after_erase: None,
            describe_unauthenticated: false,
        }
    }

    pub(super) fn begin(&mut self, check: &'static str) {
        self.probe.begin(check);
    }

    /// The group ids Describe declared, if it answered.
    fn declared(&self) -> Option<BTreeSet<String>> {
        Some(self.description.as_ref()?.categories.iter().map(|c| c.group_id.clone()).collect())
    }

    /// Skips a check of an operation the source says it does not implement. When Describe did
    /// not answer, the check runs: its own failure says more than a skip.
    fn requires(&self, capability: pb::Capability) -> Result<(), Outcome> {
        match &self.description {
            Some(d) if !d.capabilities.contains(&(capability as i32)) => {
                Err(Outcome::Skip(format!("the source does not declare {}", capability.as_str_name())))
            }
            _ => Ok(()),
        }
    }

    fn known_subject(&self) -> Result<pb::Subject, Outcome> {
        self.subject.clone().ok_or_else(|| {
            Outcome::Skip("needs --subject-email, a subject the source holds (its data is erased)".into())
        })
    }
}

/// What a check saw, or its outcome if it stopped early.
type Verdict = Result<String, Outcome>;

impl From<CallFailure> for Outcome {
    fn from(failure: CallFailure) -> Self {
        Outcome::Fail(failure.to_string())
    }
}

fn check<'a>(verdict: impl Future<Output = Verdict> + Send + 'a) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        match verdict.await {
            Ok(seen) => Outcome::Pass(seen),
            Err(outcome) => outcome,
        }
    })
}

fn fail<T>(reason: impl Into<String>) -> Result<T, Outcome> {
    Err(Outcome::Fail(reason.into()))
}

fn skip<T>(why: impl Into<String>) -> Result<T, Outcome> {
    Err(Outcome::Skip(why.into()))
}

fn new_request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// "a, b and c".
fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn health(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        s.probe.health().await?;
        Ok("SERVING".to_owned())
    })
}

fn describe(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        let description = match s.probe.describe().await {
            Ok(description) => description,
            Err(failure) => {
                s.describe_unauthenticated = matches!(failure, CallFailure::Status { code: Code::Unauthenticated, .. });
                return Err(failure.into());
            }
        };
        let problems = description_problems(&description);
        let seen = format!(
            "{:?} version {:?}, protocol {}, {}",
            description.name,
            description.version,
            description.protocol_version,
            plural(description.categories.len(), "category")
        );
        s.description = Some(description);
        if problems.is_empty() { Ok(seen) } else { fail(problems.join("; ")) }
    })
}

/// Everything wrong with a description, each problem naming what lacks what.
fn description_problems(d: &pb::DescribeResponse) -> Vec<String> {
    let mut problems = Vec::new();
    if d.protocol_version != 1 {
        problems.push(format!("protocol_version is {}, not 1", d.protocol_version));
    }
    if d.name.trim().is_empty() {
        problems.push("name is empty".into());
    }
    if d.capabilities.is_empty() {
        problems.push("no capabilities".into());
    }
    for raw in &d.capabilities {
        match pb::Capability::try_from(*raw) {
            Ok(pb::Capability::Unspecified) => problems.push("capabilities include CAPABILITY_UNSPECIFIED".into()),
            Err(_) => problems.push(format!("capability {raw} is not one the protocol defines")),
            Ok(_) => {}
        }
    }
    if d.categories.is_empty() {
        problems.push("no data categories".into());
    }
    let mut seen = BTreeSet::new();
    for (i, c) in d.categories.iter().enumerate() {
        let name = if c.group_id.trim().is_empty() {
            format!("category #{} ({:?})", i + 1, c.label)
        } else {
            format!("category {:?}", c.group_id)
        };
        let mut lacks: Vec<String> = Vec::new();
        if c.group_id.trim().is_empty() {
            lacks.push("a group_id".into());
        } else if !seen.insert(c.group_id.as_str()) {
            problems.push(format!("{name} is declared twice"));
        } else if crate::export::rules::is_reserved_group(&c.group_id) {
            problems.push(format!(
                "{name} uses a group id privacyd reserves for its own groups (\"about\", \"privacyd-*\")"
            ));
        }
        let blank = |s: &str| s.trim().is_empty();
        if blank(&c.label) {
            lacks.push("a label".into());
        }
        if blank(&c.description) {
            lacks.push("a description".into());
        }
        if c.purposes.iter().all(|p| blank(p)) {
            lacks.push("purposes".into());
        }
        match pb::LegalBasis::try_from(c.legal_basis) {
            Ok(pb::LegalBasis::Unspecified) => lacks.push("a legal basis".into()),
            Err(_) => {
                problems.push(format!("{name} has legal_basis {}, which the protocol does not define", c.legal_basis))
            }
            Ok(_) => {}
        }
        if blank(&c.retention_period) {
            lacks.push("a retention period".into());
        }
        if !lacks.is_empty() {
            problems.push(format!("{name} lacks {}", join_and(&lacks)));
        }
    }
    problems
}

fn authentication(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        let Some(answer) = s.probe.describe_anonymously().await else {
            // Without --token, say what the source showed: only one that refused Describe
            // needs a token.
            return match (&s.description, s.describe_unauthenticated) {
                (Some(_), _) => skip(
                    "the source answered Describe without a bearer token, so it requires none and there is \
                     no refusal to check (give --token to check a source that requires one)",
                ),
                (None, true) => {
                    skip("the source refused Describe with UNAUTHENTICATED: give its bearer token with --token")
                }
                (None, false) => skip("Describe failed, so whether the source requires a bearer token is unknown"),
            };
        };
        match answer {
            Err(CallFailure::Status { code: Code::Unauthenticated, .. }) => Ok("refused without the token".into()),
            Ok(_) => fail("Describe without the bearer token answered OK; it must fail with UNAUTHENTICATED"),
            Err(other) => fail(format!("without the bearer token, {other}; it must fail with UNAUTHENTICATED")),
        }
    })
}

fn export_unknown_subject(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        s.requires(pb::Capability::Export)?;
        let subject = unknown_subject();
        let declared = s.declared();
        let snapshot = s.probe.export(&subject, declared.as_ref()).await?;
        if !snapshot.is_empty() {
            return fail(format!(
                "Export streamed {} for {}, a subject no source holds; an unknown subject gets an empty stream",
                snapshot.summary(),
                subject.email
            ));
        }
        Ok("an empty stream, ended OK".into())
    })
}

/// "items_removed 4, items_retained 2, retentions [orders: 2]".
fn counts(answer: &pb::EraseResponse) -> String {
    let retentions: Vec<String> = answer.retentions.iter().map(|r| format!("{}: {}", r.group_id, r.items)).collect();
    format!(
        "items_removed {}, items_retained {}, retentions [{}]",
        answer.items_removed,
        answer.items_retained,
        retentions.join(", ")
    )
}

/// The same answer, apart from the free-form messages.
fn same_counts(a: &pb::EraseResponse, b: &pb::EraseResponse) -> bool {
    (a.items_removed, a.items_retained, &a.retentions) == (b.items_removed, b.items_retained, &b.retentions)
}

fn erase_unknown_subject(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        s.requires(pb::Capability::Erase)?;
        let answer = s.probe.erase(&new_request_id(), &unknown_subject()).await?;
        if answer.items_removed != 0 || answer.items_retained != 0 || !answer.retentions.is_empty() {
            return fail(format!(
                "Erase for a subject no source holds answered {}; it must answer zero counts and no retentions",
                counts(&answer)
            ));
        }
        Ok(counts(&answer))
    })
}

fn erase_idempotent_unknown(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        s.requires(pb::Capability::Erase)?;
        let (id, subject) = (new_request_id(), unknown_subject());
        let first = s.probe.erase(&id, &subject).await?;
        let second = s.probe.erase(&id, &subject).await?;
        if !same_counts(&first, &second) {
            return fail(format!(
                "the second Erase with the same privacy_request_id answered {}, the first {}",
                counts(&second),
                counts(&first)
            ));
        }
        Ok(counts(&second))
    })
}

/// "group \"comments\" (2 items, 1 file)".
fn describe_group(group: &str, count: &GroupCount) -> String {
    let what = match (count.items, count.files) {
        (items, 0) => plural(items, "item"),
        (0, files) => plural(files, "file"),
        (items, files) => format!("{}, {}", plural(items, "item"), plural(files, "file")),
    };
    if group.is_empty() { format!("files without a group ({what})") } else { format!("group {group:?} ({what})") }
}

/// The subject with the address in another case: upper case, or lower case if it has no
/// lower-case letters. ASCII letters only: their case mapping is the one every system agrees
/// on (SQL's NOCASE collations fold nothing else).
fn other_case(subject: &pb::Subject) -> pb::Subject {
    let email = if subject.email.bytes().any(|b| b.is_ascii_lowercase()) {
        subject.email.to_ascii_uppercase()
    } else {
        subject.email.to_ascii_lowercase()
    };
    pb::Subject { email, ..subject.clone() }
}

fn export_other_case(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        s.requires(pb::Capability::Export)?;
        let subject = s.known_subject()?;
        let Some(before) = s.before_erase.clone() else {
            return skip("export-known-subject streamed no data to compare with");
        };
        let other = other_case(&subject);
        if other.email == subject.email {
            return skip("the address has no letters, so it has no other case");
        }
        let declared = s.declared();
        let snapshot = s.probe.export(&other, declared.as_ref()).await?;
        if let Some(difference) = before.difference(&snapshot) {
            return fail(format!(
                "Export for {:?} differs from Export for {:?}: {difference}; compare addresses case-insensitively \
                 (privacyd sends them lower-cased, and a source may hold them as the subject typed them)",
                other.email, subject.email
            ));
        }
        Ok(format!("{} for {:?} too", snapshot.summary(), other.email))
    })
}

fn export_known_subject(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        s.requires(pb::Capability::Export)?;
        let subject = s.known_subject()?;
        let declared = s.declared();
        let snapshot = s.probe.export(&subject, declared.as_ref()).await?;
        if snapshot.is_empty() {
            return fail("Export streamed nothing for --subject-email; give a subject the source holds");
        }
        let groups: Vec<String> = snapshot.groups().iter().map(|(g, c)| describe_group(g, c)).collect();
        let seen = format!("{}: {}", snapshot.summary(), groups.join(", "));
        s.before_erase = Some(snapshot);
        Ok(seen)
    })
}

/// Everything inconsistent in an erasure's answer.
fn erase_problems(answer: &pb::EraseResponse, declared: Option<&BTreeSet<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    if answer.items_removed < 0 {
        problems.push(format!("items_removed is negative ({})", answer.items_removed));
    }
    if answer.items_retained < 0 {
        problems.push(format!("items_retained is negative ({})", answer.items_retained));
    }
    let max = crate::domain::MAX_COUNT;
    let counts = [("items_removed", answer.items_removed), ("items_retained", answer.items_retained)]
        .into_iter()
        .chain(answer.retentions.iter().map(|r| ("a retention's items", r.items)));
    for (what, n) in counts {
        if n > max {
            problems.push(format!("{what} is {n}, over {max}, the most the protocol allows"));
        }
    }
    match crate::domain::checked_total(answer.retentions.iter().map(|r| r.items)) {
        Ok(sum) if sum != answer.items_retained => {
            problems.push(format!("items_retained is {} but the retentions add up to {sum}", answer.items_retained))
        }
        Ok(_) => {}
        Err(_) => problems.push("the retentions add up to more than a 64-bit count holds".into()),
    }
    for (i, r) in answer.retentions.iter().enumerate() {
        let name = if r.group_id.is_empty() {
            format!("retention #{}", i + 1)
        } else {
            format!("retention of {:?}", r.group_id)
        };
        let mut lacks: Vec<String> = Vec::new();
        if r.group_id.trim().is_empty() {
            lacks.push("a group_id".into());
        } else if declared.is_some_and(|d| !d.contains(&r.group_id)) {
            problems.push(format!("{name} names a group Describe does not declare"));
        }
        if r.reason.trim().is_empty() {
            lacks.push("a reason".into());
        }
        if matches!(pb::LegalBasis::try_from(r.legal_basis), Ok(pb::LegalBasis::Unspecified) | Err(_)) {
            lacks.push("a legal basis".into());
        }
        if !lacks.is_empty() {
            problems.push(format!("{name} lacks {}", join_and(&lacks)));
        }
    }
    problems
}

fn erase_known_subject(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        s.requires(pb::Capability::Erase)?;
        // In another case than given: a source that compares case-sensitively finds nothing
        // to erase, and export-after-erase (with the address as given) shows what it left.
        let subject = other_case(&s.known_subject()?);
        let id = new_request_id();
        let answer = s.probe.erase(&id, &subject).await?;
        let mut problems = erase_problems(&answer, s.declared().as_ref());
        let held = s.before_erase.as_ref().is_some_and(|before| !before.is_empty());
        let nothing = answer.items_removed == 0 && answer.items_retained == 0 && answer.retentions.is_empty();
        if held && answer.items_removed == 0 && answer.items_retained == 0 {
            problems.push(format!(
                "it reported nothing removed and nothing retained, but Export had streamed data (Erase was called \
                 with {:?}: compare addresses case-insensitively)",
                subject.email
            ));
        }
        let seen = counts(&answer);
        // Recorded even when inconsistent or empty: idempotency and what is left can still be checked.
        s.erasure = Some((id, answer));
        if !problems.is_empty() {
            return fail(format!("Erase answered {seen}: {}", problems.join("; ")));
        }
        if nothing && !held {
            // Zero counts are the right answer for a subject the source does not hold, so they
            // show nothing about how it erases.
            return skip(format!(
                "Erase answered {seen} and Export had streamed nothing for the subject, so there was nothing to \
                 check; give --subject-email a subject the source holds"
            ));
        }
        Ok(seen)
    })
}

fn export_after_erase(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        s.requires(pb::Capability::Export)?;
        let subject = s.known_subject()?;
        let Some((_, erased)) = &s.erasure else {
            return skip("erase-known-subject got no answer");
        };
        let retained: std::collections::BTreeMap<String, i64> =
            erased.retentions.iter().map(|r| (r.group_id.clone(), r.items)).collect();
        let declared = s.declared();
        let snapshot = s.probe.export(&subject, declared.as_ref()).await?;
        let outside: Vec<String> = snapshot
            .groups()
            .iter()
            .filter(|(group, _)| !retained.contains_key(**group))
            .map(|(group, count)| describe_group(group, count))
            .collect();
        // As privacyd verifies: a retained group holds no more items than reported retained.
        let beyond: Vec<String> = snapshot
            .groups()
            .iter()
            .filter_map(|(group, count)| {
                let reported = *retained.get(*group)?;
                let items = i64::try_from(count.items).unwrap_or(i64::MAX);
                (items > reported).then(|| {
                    format!("{} in group {group:?}, which Erase said retains {reported}", plural(count.items, "item"))
                })
            })
            .collect();
        let seen = snapshot.summary();
        let nothing_before = s.before_erase.as_ref().is_none_or(|before| before.is_empty());
        let nothing_after = snapshot.is_empty();
        s.after_erase = Some(snapshot);
        let mut problems = Vec::new();
        if !outside.is_empty() {
            let kept = if retained.is_empty() {
                "none".to_owned()
            } else {
                retained.keys().map(|g| format!("{g:?}")).collect::<Vec<_>>().join(", ")
            };
            problems.push(format!(
                "after Erase, Export still streams {} outside the groups Erase retained ({kept})",
                join_and(&outside)
            ));
        }
        if !beyond.is_empty() {
            problems.push(format!("after Erase, Export still streams {}", join_and(&beyond)));
        }
        if !problems.is_empty() {
            return fail(problems.join("; "));
        }
        if nothing_before && nothing_after {
            return skip(
                "Export streamed nothing for the subject before the erasure either, so there was nothing to see erased",
            );
        }
        Ok(seen)
    })
}

fn erase_idempotent(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        s.requires(pb::Capability::Erase)?;
        let subject = s.known_subject()?;
        let Some((id, first)) = s.erasure.clone() else {
            return skip("erase-known-subject got no answer");
        };
        let held = s.before_erase.as_ref().is_some_and(|before| !before.is_empty());
        if !held && first.items_removed == 0 && first.items_retained == 0 && first.retentions.is_empty() {
            return skip("the first Erase found nothing to erase, so a repeat has nothing it could apply twice");
        }
        // As the first call: the address in another case.
        let second = s.probe.erase(&id, &other_case(&subject)).await?;
        let mut problems = Vec::new();
        if !same_counts(&first, &second) {
            problems.push(format!(
                "the second Erase with the same privacy_request_id answered {}, the first {}",
                counts(&second),
                counts(&first)
            ));
        }
        if let Some(before) = s.after_erase.clone() {
            let declared = s.declared();
            let again = s.probe.export(&subject, declared.as_ref()).await?;
            if let Some(difference) = before.difference(&again) {
                problems.push(format!("Export changed after the second Erase: {difference}"));
            }
        }
        if problems.is_empty() { Ok(counts(&second)) } else { fail(problems.join("; ")) }
    })
}

fn deadlines(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        let late: Vec<String> = s
            .probe
            .log
            .iter()
            .filter_map(|call| call.failure.as_ref().filter(|f| f.is_late()).map(|f| format!("{f} in {}", call.check)))
            .collect();
        if !late.is_empty() {
            return fail(late.join("; "));
        }
        let Some(slowest) = s.probe.log.iter().max_by_key(|call| call.elapsed) else {
            return skip("no calls were made");
        };
        Ok(format!(
            "{} calls within {}; the slowest, {} in {}, took {:.3}s",
            s.probe.log.len(),
            humantime::format_duration(s.probe.deadline()),
            slowest.rpc,
            slowest.check,
            slowest.elapsed.as_secs_f64()
        ))
    })
}

fn message_sizes(s: &mut Session) -> BoxFuture<'_, Outcome> {
    check(async move {
        let broken: Vec<String> = s
            .probe
            .log
            .iter()
            .filter_map(|call| {
                call.failure.as_ref().filter(|f| f.is_size_or_encoding()).map(|f| format!("{f} in {}", call.check))
            })
            .collect();
        if !broken.is_empty() {
            return fail(broken.join("; "));
        }
        Ok(format!("every message decoded and was within {MAX_MESSAGE}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_category_in_a_reserved_group_is_a_problem() {
        let category = |group_id: &str| pb::DataCategory {
            group_id: group_id.into(),
            label: "L".into(),
            description: "D".into(),
            purposes: vec!["P".into()],
            legal_basis: pb::LegalBasis::Contract as i32,
            retention_period: "R".into(),
            ..Default::default()
        };
        let described = |group_id: &str| pb::DescribeResponse {
            name: "n".into(),
            protocol_version: 1,
            capabilities: vec![pb::Capability::Export as i32],
            categories: vec![category(group_id)],
            ..Default::default()
        };
        assert_eq!(description_problems(&described("orders")), Vec::<String>::new());
        for reserved in ["about", "privacyd-files"] {
            let problems = description_problems(&described(reserved));
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("reserves"), "{problems:?}");
        }
    }
}
