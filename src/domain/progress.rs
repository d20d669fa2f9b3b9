//! Processing a request across data sources: one run per source, and what happens when the
//! last one ends. This is the fan-in rule for every action (exports now, erasures next), kept
//! in the domain so that the executor stays generic.

use super::{
    Action, Actor, AuditEventType, Error, NewAuditEvent, PrivacyRequest, Reason, SourceErasure, SourceName, State,
    Timestamp, Transition, Verification, VerificationState,
};

/// Where one source's part stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    Pending,
    Running,
    Succeeded,
    Failed,
    /// Registered, but not asked, and why: disabled, or unable to do the action. Listed so
    /// that a request (and an erasure's receipt) shows every system, and what it did not reach.
    Skipped(SkipReason),
    /// Stopped by the cancellation of a request in PROCESSING before it ended: its outcome is
    /// not known to be complete (see [`PrivacyRequest::stop_sources`]).
    Cancelled,
}

impl SourceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Pending => "PENDING",
            SourceState::Running => "RUNNING",
            SourceState::Succeeded => "SUCCEEDED",
            SourceState::Failed => "FAILED",
            SourceState::Cancelled => "CANCELLED",
            SourceState::Skipped(_) => "SKIPPED",
        }
    }

    /// The state as stored: its name, and for SKIPPED the reason's code (see
    /// [`SkipReason::as_str`]), which no other state has.
    pub fn parse(s: &str, skip_reason: Option<&str>) -> Option<Self> {
        match (s, skip_reason) {
            ("SKIPPED", Some(reason)) => SkipReason::parse(reason).map(SourceState::Skipped),
            (_, Some(_)) => None,
            (s, None) => [
                SourceState::Pending,
                SourceState::Running,
                SourceState::Succeeded,
                SourceState::Failed,
                SourceState::Cancelled,
            ]
            .into_iter()
            .find(|state| state.as_str() == s),
        }
    }

    /// Why the source was skipped, for SKIPPED.
    pub fn skip_reason(self) -> Option<SkipReason> {
        match self {
            SourceState::Skipped(reason) => Some(reason),
            _ => None,
        }
    }

    pub fn is_skipped(self) -> bool {
        self.skip_reason().is_some()
    }

    /// Whether the source's part is over: it will not run again in this processing round.
    pub fn is_terminal(self) -> bool {
        matches!(self, SourceState::Succeeded | SourceState::Failed | SourceState::Skipped(_) | SourceState::Cancelled)
    }
}

/// Why a registered source was not asked to do a request's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// An operator disabled it (`UpdateDataSource` with `enabled: false`).
    Disabled,
    /// Its `Describe` does not list CAPABILITY_EXPORT.
    CannotExport,
    /// Its `Describe` does not list CAPABILITY_ERASE.
    CannotErase,
}

impl SkipReason {
    /// Stable code, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Disabled => "DISABLED",
            SkipReason::CannotExport => "CANNOT_EXPORT",
            SkipReason::CannotErase => "CANNOT_ERASE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [SkipReason::Disabled, SkipReason::CannotExport, SkipReason::CannotErase].into_iter().find(|r| r.as_str() == s)
    }

    /// Why, for operators and the receipt.
    pub fn sentence(self) -> &'static str {
        match self {
            SkipReason::Disabled => "the data source is disabled",
            SkipReason::CannotExport => "the data source cannot export (its Describe lists no CAPABILITY_EXPORT)",
            SkipReason::CannotErase => "the data source cannot erase (its Describe lists no CAPABILITY_ERASE)",
        }
    }

    /// Why a source of this registration would be skipped for `action`; `None` if it runs.
    pub fn of(enabled: bool, can_export: bool, can_erase: bool, action: Action) -> Option<Self> {
        match action {
            _ if !enabled => Some(SkipReason::Disabled),
            Action::Export if !can_export => Some(SkipReason::CannotExport),
            Action::Erase if !can_erase => Some(SkipReason::CannotErase),
            _ => None,
        }
    }
}

/// A registered source as processing sees it: its name, and why it would be skipped.
pub type Candidate = (SourceName, Option<SkipReason>);

/// One source's part of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRun {
    pub source: SourceName,
    pub state: SourceState,
    pub items: i64,
    pub bytes: i64,
    pub attempts: i32,
    pub last_error: String,
    pub start_time: Option<Timestamp>,
    pub finish_time: Option<Timestamp>,
    /// Erasures: what the source's `Erase` answered in this processing round.
    pub erasure: Option<SourceErasure>,
    /// Erasures: the verification export's result.
    pub verification: Option<Verification>,
    /// When the source's next attempt is due, while it waits to be retried (read from its job,
    /// not stored with the run).
    pub next_attempt_time: Option<Timestamp>,
}

impl SourceRun {
    /// A run that waits for its job, or, with a reason, one that is skipped.
    fn new(source: SourceName, skip: Option<SkipReason>) -> Self {
        SourceRun {
            source,
            state: skip.map_or(SourceState::Pending, SourceState::Skipped),
            items: 0,
            bytes: 0,
            attempts: 0,
            last_error: String::new(),
            start_time: None,
            finish_time: None,
            erasure: None,
            verification: None,
            next_attempt_time: None,
        }
    }
}

/// One attempt at building a request's export archive ([`ExportArchive::build`]): 32 random
/// bits, written as 8 lowercase hex digits in the archive's key. It tells apart the builds of
/// one request, which are few (one an attempt of its assembly job), and is short because the
/// key holds it beside the request's id twice (a test S3 server, s3s-fs, names a file after
/// the whole key, and a file's name has at most 255 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArchiveBuild(u32);

impl ArchiveBuild {
    /// A new, random build.
    pub fn new() -> Self {
        ArchiveBuild(rand::random())
    }

    /// Reads the 8 hex digits [`std::fmt::Display`] writes; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.len() == 8 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        hex.then(|| u32::from_str_radix(text, 16).ok().map(ArchiveBuild)).flatten()
    }
}

impl Default for ArchiveBuild {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for ArchiveBuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// A built export archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportArchive {
    /// Which build of the archive this is: its bytes are stored under a key of their own
    /// ([`crate::objects`]), so a build whose job lost its lease, finishing after another was
    /// recorded, cannot replace them. `None` for an archive recorded before builds had keys of
    /// their own (migration 0023), stored under the request's archive name.
    pub build: Option<ArchiveBuild>,
    pub file_name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub create_time: Timestamp,
    pub expire_time: Timestamp,
    pub delete_time: Option<Timestamp>,
    pub download_count: i32,
}

/// How one attempt of a source ended.
#[derive(Debug, Clone)]
pub enum SourceOutcome {
    Succeeded {
        items: i64,
        bytes: i64,
        summary: String,
    },
    /// Failed; `will_retry` says whether the executor tries again.
    Failed {
        error: String,
        will_retry: bool,
    },
}

/// What to do after a source's outcome is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Other sources are still working (or the request moved on meanwhile).
    Wait,
    /// Every source succeeded: build the result.
    Finish,
    /// Every source ended and some failed: the request is now FAILED.
    Failed,
}

impl PrivacyRequest {
    /// CONFIRMED or FAILED -> PROCESSING, and which sources to run. Every registered source
    /// gets a run: those that cannot do the action, or are disabled, as SKIPPED with why. When
    /// processing again, an erasure looks again only at the runs that did not succeed (what
    /// they erased stays recorded; a source enabled meanwhile runs now), and an export at all
    /// of them: a FAILED export's spools are removed when it fails (an export has no side
    /// effects, and the subject's data is not kept on disk for a retry that may never come;
    /// GDPR Art. 5(1)(c) and (e)), and the archive is then one snapshot of one time. A request
    /// none of whose runs ever ran starts over from `candidates`, which includes sources
    /// registered since.
    ///
    /// Refused with [`Error::NoCapableSource`] when no source would run: a request processed
    /// by no system would otherwise complete as "nothing found", and an erasure be certified.
    pub fn start_processing(
        &mut self,
        actor: Actor,
        candidates: Vec<Candidate>,
        now: Timestamp,
    ) -> Result<(NewAuditEvent, Vec<SourceName>), Error> {
        if Transition::Process.apply(self.state).is_none() {
            return Err(Error::IllegalTransition { state: self.state, attempted: Transition::Process.verb() });
        }
        let runs = self.runs_for_processing(&candidates)?;
        let mut event = self.apply(Transition::Process, actor, None, now)?;
        self.scheduled_process_time = None;
        self.sources = runs;
        if let Some(skipped) = self.skipped_list() {
            event = event.with_detail(format!("skipped: {skipped}"));
        }
        let to_run =
            self.sources.iter().filter(|r| r.state == SourceState::Pending).map(|r| r.source.clone()).collect();
        Ok((event, to_run))
    }

    /// When processing starts on its own (after confirmation, or a cooling-off period) and no
    /// source can do the action: CONFIRMED -> PROCESSING -> FAILED, with every source listed
    /// as skipped and a `state_reason` that says what to do. Nothing is certified and the
    /// subject is told nothing untrue; the operator sees a FAILED request, and processing it
    /// again once a capable source is enabled runs it.
    pub fn fail_without_capable_source(
        &mut self,
        actor: Actor,
        candidates: Vec<Candidate>,
        now: Timestamp,
    ) -> Result<Vec<NewAuditEvent>, Error> {
        let refusal = match self.start_processing(actor.clone(), candidates.clone(), now) {
            Err(refusal @ Error::NoCapableSource { .. }) => refusal,
            Err(other) => return Err(other),
            Ok(_) => return Err(Error::Internal("a source can run after all; process the request instead".into())),
        };
        let mut started = self.apply(Transition::Process, actor, None, now)?;
        self.scheduled_process_time = None;
        self.sources = candidates.into_iter().map(|(name, skip)| SourceRun::new(name, skip)).collect();
        if let Some(skipped) = self.skipped_list() {
            started = started.with_detail(format!("skipped: {skipped}"));
        }
        let reason = Reason::parse("reason", &truncate(&refusal.to_string(), Reason::MAX_CHARS))
            .map_err(|e| Error::Internal(e.to_string()))?;
        let failed = self.apply(Transition::Fail, Actor::system("executor"), Some(&reason), now)?;
        Ok(vec![started, failed])
    }

    /// The runs processing would have, or the refusal when none would run.
    fn runs_for_processing(&self, candidates: &[Candidate]) -> Result<Vec<SourceRun>, Error> {
        let mut runs = self.sources.clone();
        if runs.iter().all(|r| r.state.is_skipped()) {
            runs = candidates.iter().map(|(name, skip)| SourceRun::new(name.clone(), *skip)).collect();
        } else {
            // An export runs every source again (its spools are gone); an erasure, what did not
            // succeed.
            for run in runs.iter_mut().filter(|r| self.action == Action::Export || r.state != SourceState::Succeeded) {
                // A source deleted since is not a candidate: its run waits again, and its job
                // fails saying the source was deleted.
                let skip = candidates.iter().find(|(name, _)| *name == run.source).and_then(|(_, skip)| *skip);
                *run = SourceRun::new(run.source.clone(), skip);
            }
        }
        if runs.iter().all(|r| r.state.is_skipped()) {
            let registered = if runs.is_empty() {
                "none is registered".to_owned()
            } else {
                runs.iter()
                    .map(|r| format!("{}: {}", r.source, r.state.skip_reason().map_or("skipped", SkipReason::sentence)))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            return Err(Error::NoCapableSource { action: self.action, registered });
        }
        Ok(runs)
    }

    /// "name (why), ...", for the audit log; `None` if nothing was skipped.
    fn skipped_list(&self) -> Option<String> {
        let skipped: Vec<String> = self
            .sources
            .iter()
            .filter_map(|r| Some(format!("{} ({})", r.source, r.state.skip_reason()?.sentence())))
            .collect();
        (!skipped.is_empty()).then(|| skipped.join(", "))
    }

    /// An operator cancels the request while it is PROCESSING (issue 9, item 18): every source
    /// that has not ended is stopped and recorded as CANCELLED, saying how far it got, so that
    /// nothing cut off is reported as done. A source that succeeded stays SUCCEEDED, and one
    /// whose `Erase` already answered keeps that answer (the erasure was applied; only its
    /// verification was stopped). Returns one SOURCE_CANCELLED audit event per stopped source,
    /// to be recorded before the request's CANCELLED event (a watch ends at that one). The
    /// caller applies [`Transition::Cancel`] and stops the sources' jobs in the same
    /// transaction.
    pub fn stop_sources(&mut self, actor: &Actor, now: Timestamp) -> Vec<NewAuditEvent> {
        if self.state != State::Processing {
            return Vec::new();
        }
        let id = self.id;
        let mut events = Vec::new();
        for run in self.sources.iter_mut().filter(|r| !r.state.is_terminal()) {
            let what = match (&run.erasure, run.state) {
                (Some(erasure), _) => {
                    format!("its erasure was applied ({}); its verification was stopped", erasure.summary())
                }
                (None, SourceState::Running) => {
                    "cut off during its call: what the source applied before it is unknown".to_owned()
                }
                (None, _) if run.attempts > 0 => {
                    "stopped before its next attempt: what its failed attempts applied is unknown".to_owned()
                }
                (None, _) => "stopped before it ran".to_owned(),
            };
            run.state = SourceState::Cancelled;
            run.finish_time = Some(now);
            run.last_error = format!("cancelled while processing: {what}");
            events.push(
                NewAuditEvent::new(id, actor.clone(), AuditEventType::SourceCancelled, now)
                    .with_detail(format!("{}: {what}", run.source)),
            );
        }
        self.update_time = now;
        events
    }

    /// A source's `Erase` answered after the request was cancelled around it: the erasure was
    /// applied, so the run, stopped as "unknown", records what it did. `None` when there is
    /// nothing to add (the run had its answer already, or was not stopped mid-call).
    pub fn erased_after_cancel(
        &mut self,
        source: &SourceName,
        erasure: SourceErasure,
        now: Timestamp,
    ) -> Result<Option<NewAuditEvent>, Error> {
        let id = self.id;
        let run = self.run_mut(source)?;
        if run.state != SourceState::Cancelled || run.erasure.is_some() {
            return Ok(None);
        }
        let what = format!("its Erase answered after the cancellation: applied ({}), not verified", erasure.summary());
        run.erasure = Some(erasure);
        run.last_error = format!("cancelled while processing: {what}");
        self.update_time = now;
        Ok(Some(
            NewAuditEvent::new(id, Actor::system("executor"), AuditEventType::SourceCancelled, now)
                .with_detail(format!("{source}: {what}")),
        ))
    }

    fn run_mut(&mut self, source: &SourceName) -> Result<&mut SourceRun, Error> {
        self.sources
            .iter_mut()
            .find(|r| &r.source == source)
            .ok_or_else(|| Error::Internal(format!("request has no run for source {source}")))
    }

    /// An attempt of `source` starts.
    pub fn source_started(&mut self, source: &SourceName, attempt: i32, now: Timestamp) -> Result<(), Error> {
        let run = self.run_mut(source)?;
        run.state = SourceState::Running;
        run.attempts = attempt;
        run.items = 0;
        run.bytes = 0;
        run.start_time = Some(now);
        self.update_time = now;
        Ok(())
    }

    /// Records how an attempt of `source` ended and decides what happens next. Recording the
    /// same success twice (a job re-run after a crash) changes nothing the second time.
    pub fn source_finished(
        &mut self,
        source: &SourceName,
        outcome: SourceOutcome,
        now: Timestamp,
    ) -> Result<(Vec<NewAuditEvent>, Next), Error> {
        let id = self.id;
        let run = self.run_mut(source)?;
        if run.state.is_terminal() {
            return Ok((Vec::new(), Next::Wait));
        }
        let mut events = Vec::new();
        let system = Actor::system("executor");
        match outcome {
            SourceOutcome::Succeeded { items, bytes, summary } => {
                run.state = SourceState::Succeeded;
                run.items = items;
                run.bytes = bytes;
                run.last_error.clear();
                run.finish_time = Some(now);
                events.push(
                    NewAuditEvent::new(id, system.clone(), AuditEventType::SourceSucceeded, now)
                        .with_detail(format!("{source}: {summary}")),
                );
            }
            SourceOutcome::Failed { error, will_retry: true } => {
                run.state = SourceState::Pending;
                run.last_error = error;
            }
            SourceOutcome::Failed { error, will_retry: false } => {
                run.state = SourceState::Failed;
                run.finish_time = Some(now);
                events.push(
                    NewAuditEvent::new(id, system.clone(), AuditEventType::SourceFailed, now)
                        .with_detail(format!("{source}: {error}")),
                );
                run.last_error = error;
            }
        }
        self.update_time = now;
        if self.state != State::Processing || !self.sources.iter().all(|r| r.state.is_terminal()) {
            return Ok((events, Next::Wait));
        }
        let failures: Vec<String> = self
            .sources
            .iter()
            .filter(|r| r.state == SourceState::Failed)
            .map(|r| format!("source {} failed: {}", r.source, r.last_error))
            .collect();
        if failures.is_empty() {
            return Ok((events, Next::Finish));
        }
        let text = truncate(&failures.join("; "), Reason::MAX_CHARS);
        let reason = Reason::parse("reason", &text).map_err(|e| Error::Internal(e.to_string()))?;
        events.push(self.apply(Transition::Fail, system, Some(&reason), now)?);
        Ok((events, Next::Failed))
    }

    /// A source answered `Erase`. Recorded before verifying, so that a retried verification
    /// (after a failed export or a restart) does not call `Erase` again.
    pub fn source_erased(&mut self, source: &SourceName, erasure: SourceErasure, now: Timestamp) -> Result<(), Error> {
        let run = self.run_mut(source)?;
        run.erasure = Some(erasure);
        self.update_time = now;
        Ok(())
    }

    /// The verification after a source's erasure ends that source's part: it succeeds unless
    /// the source still exports data it did not report as retained, which fails it for good
    /// (asking again would get the same answer) and is flagged in the audit log.
    pub fn source_verified(
        &mut self,
        source: &SourceName,
        verification: Verification,
        now: Timestamp,
    ) -> Result<(Vec<NewAuditEvent>, Next), Error> {
        let id = self.id;
        let run = self.run_mut(source)?;
        let erasure =
            run.erasure.clone().ok_or_else(|| Error::Internal(format!("source {source} verified before it erased")))?;
        if run.state.is_terminal() {
            return Ok((Vec::new(), Next::Wait));
        }
        run.verification = Some(verification.clone());
        let mut flagged = Vec::new();
        let outcome = match verification.state {
            VerificationState::Passed | VerificationState::Skipped => SourceOutcome::Succeeded {
                items: 0,
                bytes: 0,
                summary: format!(
                    "{}; verification {}: {}",
                    erasure.summary(),
                    verification.state.as_str().to_lowercase(),
                    verification.detail
                ),
            },
            VerificationState::Failed => {
                flagged.push(
                    NewAuditEvent::new(id, Actor::system("verifier"), AuditEventType::ErasureVerificationFailed, now)
                        .with_detail(format!("{source}: {}", verification.detail)),
                );
                SourceOutcome::Failed {
                    error: format!("erasure verification failed: {}", verification.detail),
                    will_retry: false,
                }
            }
        };
        let (events, next) = self.source_finished(source, outcome, now)?;
        flagged.extend(events);
        Ok((flagged, next))
    }

    /// Every source erased and passed (or skipped) verification, or was skipped: the request
    /// is fulfilled, and `true` comes back. Unless the sources' counts do not add up in 64
    /// bits (each is within the protocol's bound, so only thousands of sources could): the
    /// request then FAILS rather than report a wrapped-around total, and `false` comes back.
    pub fn erasure_completed(&mut self, now: Timestamp) -> Result<(NewAuditEvent, bool), Error> {
        if let Err(overflow) = self.erasure_totals() {
            let reason = Reason::parse("reason", &overflow).map_err(|e| Error::Internal(e.to_string()))?;
            return Ok((self.apply(Transition::Fail, Actor::system("executor"), Some(&reason), now)?, false));
        }
        let mut event = self.apply(Transition::Complete, Actor::system("executor"), None, now)?;
        if let Some(summary) = self.erasure_summary() {
            let mut detail = format!(
                "{}: removed {}, retained {}",
                summary.outcome.as_str(),
                summary.items_removed,
                summary.items_retained
            );
            if let Some(skipped) = self.skipped_list() {
                detail.push_str(&format!("; not verified, skipped: {skipped}"));
            }
            event = event.with_detail(detail);
        }
        Ok((event, true))
    }

    /// The export archive is built: the request is fulfilled.
    pub fn archive_built(&mut self, archive: ExportArchive, now: Timestamp) -> Result<Vec<NewAuditEvent>, Error> {
        let detail = format!("{} bytes, sha256 {}", archive.size_bytes, archive.sha256);
        self.archive = Some(archive);
        let created = NewAuditEvent::new(self.id, Actor::system("executor"), AuditEventType::ArchiveCreated, now)
            .with_detail(detail);
        let completed = self.apply(Transition::Complete, Actor::system("executor"), None, now)?;
        Ok(vec![created, completed])
    }
}

/// `text` cut to at most `max` characters, marked with "…" when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    text.chars().take(max - 1).collect::<String>() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Subject, SubjectEmail};

    #[test]
    fn an_archive_build_reads_back_as_written_and_nothing_else_reads() {
        for _ in 0..100 {
            let build = ArchiveBuild::new();
            let text = build.to_string();
            assert_eq!(text.len(), 8, "{text}");
            assert_eq!(ArchiveBuild::parse(&text), Some(build));
        }
        for text in ["", "0123456", "012345678", "0123456G", "0123456A", "+1234567", "../../..", "0x123456"] {
            assert_eq!(ArchiveBuild::parse(text), None, "{text:?}");
        }
    }

    fn processing(sources: &[&str]) -> PrivacyRequest {
        processing_for(Action::Export, sources)
    }

    fn processing_for(action: Action, sources: &[&str]) -> PrivacyRequest {
        let subject = Subject { email: SubjectEmail::parse("jane@example.com").unwrap(), user_id: None };
        let now = crate::domain::now();
        let (mut r, _) = PrivacyRequest::new(subject, action, false, Actor::Subject, now);
        let names = sources.iter().map(|s| (SourceName::parse(s).unwrap(), None)).collect();
        r.start_processing(Actor::Subject, names, now).unwrap();
        r
    }

    fn name(s: &str) -> SourceName {
        SourceName::parse(s).unwrap()
    }

    fn ok() -> SourceOutcome {
        SourceOutcome::Succeeded { items: 1, bytes: 10, summary: "1 item".into() }
    }

    /// Cancelling mid-processing stops what had not ended, saying how far each got, keeps what
    /// ended as it ended, and a late success of a stopped source changes nothing.
    #[test]
    fn stopping_the_sources_leaves_nothing_cut_off_reported_as_done() {
        let mut r = processing(&["done", "running", "waiting", "retrying"]);
        let now = crate::domain::now();
        r.source_finished(&name("done"), ok(), now).unwrap();
        r.source_started(&name("running"), 1, now).unwrap();
        r.source_started(&name("retrying"), 1, now).unwrap();
        let retry = SourceOutcome::Failed { error: "UNAVAILABLE: down".into(), will_retry: true };
        r.source_finished(&name("retrying"), retry, now).unwrap();

        let events = r.stop_sources(&Actor::Subject, now);
        let details: Vec<&str> = events.iter().map(|e| e.detail.as_str()).collect();
        assert_eq!(
            details,
            [
                "running: cut off during its call: what the source applied before it is unknown",
                "waiting: stopped before it ran",
                "retrying: stopped before its next attempt: what its failed attempts applied is unknown",
            ]
        );
        assert!(events.iter().all(|e| e.event_type == AuditEventType::SourceCancelled));
        let states: Vec<SourceState> = r.sources.iter().map(|s| s.state).collect();
        use SourceState::*;
        assert_eq!(states, [Succeeded, Cancelled, Cancelled, Cancelled]);
        let (events, next) = r.source_finished(&name("running"), ok(), now).unwrap();
        assert_eq!((events.len(), next, r.sources[1].state), (0, Next::Wait, Cancelled), "not done after all");
        assert!(r.stop_sources(&Actor::Subject, now).is_empty(), "what was stopped is not stopped again");
    }

    #[test]
    fn finishes_when_the_last_source_succeeds_and_only_once() {
        let mut r = processing(&["a", "b"]);
        let now = crate::domain::now();
        assert_eq!(r.source_finished(&name("a"), ok(), now).unwrap().1, Next::Wait);
        assert_eq!(r.source_finished(&name("b"), ok(), now).unwrap().1, Next::Finish);
        let (events, next) = r.source_finished(&name("b"), ok(), now).unwrap();
        assert_eq!((events.len(), next), (0, Next::Wait), "a repeated success is a no-op");
    }

    #[test]
    fn retries_keep_waiting_and_a_final_failure_fails_the_request_naming_the_source() {
        let mut r = processing_for(Action::Erase, &["a", "b"]);
        let now = crate::domain::now();
        let retry = SourceOutcome::Failed { error: "UNAVAILABLE: down".into(), will_retry: true };
        assert_eq!(r.source_finished(&name("a"), retry, now).unwrap().1, Next::Wait);
        assert_eq!(r.sources[0].state, SourceState::Pending);
        let fail = SourceOutcome::Failed { error: "INTERNAL: broken".into(), will_retry: false };
        assert_eq!(r.source_finished(&name("a"), fail, now).unwrap().1, Next::Wait);
        assert_eq!(r.source_finished(&name("b"), ok(), now).unwrap().1, Next::Failed);
        assert_eq!(r.state, State::Failed);
        assert_eq!(r.state_reason.as_deref(), Some("source a failed: INTERNAL: broken"));

        // Processing an erasure again re-runs only what did not succeed.
        let (_, to_run) = r
            .start_processing(Actor::Subject, vec![(name("a"), None), (name("b"), None), (name("c"), None)], now)
            .unwrap();
        assert_eq!(to_run, vec![name("a")]);
        assert_eq!(r.source_finished(&name("a"), ok(), now).unwrap().1, Next::Finish);
    }

    /// A failed export's spools are gone (see `start_processing`): processing it again exports
    /// every one of its sources afresh, and only those.
    #[test]
    fn processing_a_failed_export_again_runs_all_of_its_sources() {
        let mut r = processing(&["a", "b"]);
        let now = crate::domain::now();
        let fail = SourceOutcome::Failed { error: "INTERNAL: broken".into(), will_retry: false };
        r.source_finished(&name("a"), fail, now).unwrap();
        assert_eq!(r.source_finished(&name("b"), ok(), now).unwrap().1, Next::Failed);
        let (_, to_run) = r
            .start_processing(Actor::Subject, vec![(name("a"), None), (name("b"), None), (name("c"), None)], now)
            .unwrap();
        assert_eq!(to_run, vec![name("a"), name("b")]);
        assert!(r.sources.iter().all(|run| run.state == SourceState::Pending && run.items == 0));
        assert_eq!(r.source_finished(&name("a"), ok(), now).unwrap().1, Next::Wait, "b runs again too");
        assert_eq!(r.source_finished(&name("b"), ok(), now).unwrap().1, Next::Finish);
    }

    #[test]
    fn states_round_trip_through_their_columns_and_only_skipped_has_a_reason() {
        for state in [
            SourceState::Pending,
            SourceState::Running,
            SourceState::Succeeded,
            SourceState::Failed,
            SourceState::Skipped(SkipReason::Disabled),
            SourceState::Skipped(SkipReason::CannotExport),
            SourceState::Skipped(SkipReason::CannotErase),
        ] {
            let reason = state.skip_reason().map(SkipReason::as_str);
            assert_eq!(SourceState::parse(state.as_str(), reason), Some(state));
        }
        assert_eq!(SourceState::parse("SKIPPED", None), None);
        assert_eq!(SourceState::parse("FAILED", Some("DISABLED")), None);
        assert_eq!(SourceState::parse("SKIPPED", Some("BORED")), None);
    }

    #[test]
    fn no_capable_source_is_refused_and_nothing_runs_after_a_cancel() {
        let subject = Subject { email: SubjectEmail::parse("jane@example.com").unwrap(), user_id: None };
        let now = crate::domain::now();
        let (mut r, _) = PrivacyRequest::new(subject, Action::Erase, false, Actor::Subject, now);
        for candidates in
            [vec![], vec![(name("a"), Some(SkipReason::Disabled)), (name("b"), Some(SkipReason::CannotErase))]]
        {
            let err = r.start_processing(Actor::Subject, candidates, now).unwrap_err();
            assert!(matches!(err, Error::NoCapableSource { action: Action::Erase, .. }), "{err}");
            assert_eq!((r.state, r.sources.len()), (State::Confirmed, 0), "a refusal changes nothing");
        }
        // Skipped sources are listed; the capable one runs.
        let candidates = vec![(name("a"), Some(SkipReason::Disabled)), (name("b"), None)];
        let (event, to_run) = r.start_processing(Actor::Subject, candidates, now).unwrap();
        assert_eq!(to_run, vec![name("b")]);
        assert_eq!(r.sources[0].state, SourceState::Skipped(SkipReason::Disabled));
        assert_eq!(event.detail, "skipped: a (the data source is disabled)");
        assert_eq!(r.source_finished(&name("b"), ok(), now).unwrap().1, Next::Finish);

        let mut r = processing(&["a"]);
        r.apply(Transition::Deny, Actor::Subject, Some(&Reason::parse("r", "no").unwrap()), crate::domain::now())
            .unwrap();
        assert_eq!(r.source_finished(&name("a"), ok(), crate::domain::now()).unwrap().1, Next::Wait);
    }
}
