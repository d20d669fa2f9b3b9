//! Processing a request across data sources: one run per source, and what happens when the
//! last one ends. This is the fan-in rule for every action (exports now, erasures next), kept
//! in the domain so that the executor stays generic.

use super::{
    Actor, AuditEventType, Error, NewAuditEvent, PrivacyRequest, Reason, SourceErasure, SourceName, State, Timestamp,
    Transition, Verification, VerificationState,
};

/// Where one source's part stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl SourceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Pending => "PENDING",
            SourceState::Running => "RUNNING",
            SourceState::Succeeded => "SUCCEEDED",
            SourceState::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [SourceState::Pending, SourceState::Running, SourceState::Succeeded, SourceState::Failed]
            .into_iter()
            .find(|state| state.as_str() == s)
    }

    fn is_terminal(self) -> bool {
        matches!(self, SourceState::Succeeded | SourceState::Failed)
    }
}

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
    fn pending(source: SourceName) -> Self {
        SourceRun {
            source,
            state: SourceState::Pending,
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

/// A built export archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportArchive {
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
    /// CONFIRMED or FAILED -> PROCESSING, and which sources to run: on the first processing,
    /// every source in `available`; when processing again, only those that did not succeed.
    pub fn start_processing(
        &mut self,
        actor: Actor,
        available: Vec<SourceName>,
        now: Timestamp,
    ) -> Result<(NewAuditEvent, Vec<SourceName>), Error> {
        let event = self.apply(Transition::Process, actor, None, now)?;
        self.scheduled_process_time = None;
        let to_run: Vec<SourceName> = if self.sources.is_empty() {
            self.sources = available.into_iter().map(SourceRun::pending).collect();
            self.sources.iter().map(|r| r.source.clone()).collect()
        } else {
            self.sources
                .iter_mut()
                .filter(|r| r.state != SourceState::Succeeded)
                .map(|r| {
                    *r = SourceRun::pending(r.source.clone());
                    r.source.clone()
                })
                .collect()
        };
        Ok((event, to_run))
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
        let mut text = failures.join("; ");
        if text.chars().count() > Reason::MAX_CHARS {
            text = text.chars().take(Reason::MAX_CHARS - 1).collect::<String>() + "…";
        }
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

    /// Every source erased and passed (or skipped) verification: the request is fulfilled.
    pub fn erasure_completed(&mut self, now: Timestamp) -> Result<NewAuditEvent, Error> {
        let mut event = self.apply(Transition::Complete, Actor::system("executor"), None, now)?;
        if let Some(summary) = self.erasure_summary() {
            event = event.with_detail(format!(
                "{}: removed {}, retained {}",
                summary.outcome.as_str(),
                summary.items_removed,
                summary.items_retained
            ));
        }
        Ok(event)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Action, Subject, SubjectEmail};

    fn processing(sources: &[&str]) -> PrivacyRequest {
        let subject = Subject { email: SubjectEmail::parse("jane@example.com").unwrap(), user_id: None };
        let now = crate::domain::now();
        let (mut r, _) = PrivacyRequest::new(subject, Action::Export, false, Actor::Subject, now);
        let names = sources.iter().map(|s| SourceName::parse(s).unwrap()).collect();
        r.start_processing(Actor::Subject, names, now).unwrap();
        r
    }

    fn name(s: &str) -> SourceName {
        SourceName::parse(s).unwrap()
    }

    fn ok() -> SourceOutcome {
        SourceOutcome::Succeeded { items: 1, bytes: 10, summary: "1 item".into() }
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
        let mut r = processing(&["a", "b"]);
        let now = crate::domain::now();
        let retry = SourceOutcome::Failed { error: "UNAVAILABLE: down".into(), will_retry: true };
        assert_eq!(r.source_finished(&name("a"), retry, now).unwrap().1, Next::Wait);
        assert_eq!(r.sources[0].state, SourceState::Pending);
        let fail = SourceOutcome::Failed { error: "INTERNAL: broken".into(), will_retry: false };
        assert_eq!(r.source_finished(&name("a"), fail, now).unwrap().1, Next::Wait);
        assert_eq!(r.source_finished(&name("b"), ok(), now).unwrap().1, Next::Failed);
        assert_eq!(r.state, State::Failed);
        assert_eq!(r.state_reason.as_deref(), Some("source a failed: INTERNAL: broken"));

        // Processing again re-runs only what did not succeed.
        let (_, to_run) = r.start_processing(Actor::Subject, vec![name("a"), name("b"), name("c")], now).unwrap();
        assert_eq!(to_run, vec![name("a")]);
        assert_eq!(r.source_finished(&name("a"), ok(), now).unwrap().1, Next::Finish);
    }

    #[test]
    fn no_sources_finishes_at_once_and_nothing_runs_after_a_cancel() {
        let r = processing(&[]);
        assert!(r.sources.is_empty());
        let mut r = processing(&["a"]);
        r.apply(Transition::Deny, Actor::Subject, Some(&Reason::parse("r", "no").unwrap()), crate::domain::now())
            .unwrap();
        assert_eq!(r.source_finished(&name("a"), ok(), crate::domain::now()).unwrap().1, Next::Wait);
    }
}
