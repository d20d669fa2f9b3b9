//! The sweeper's retention steps (see `domain::retention`; GDPR Art. 5(1)(e)): finished
//! requests lose their per-source details after `--job-retention` and their subject after
//! `--request-retention`, counted from their `update_time` (when they finished, or later).

use super::Workflow;
use crate::{
    domain::Error,
    store::{RetentionCursor, RetentionStep},
};

/// How long finished requests keep what (`--job-retention`, `--request-retention`).
#[derive(Debug, Clone, Copy)]
pub struct RetentionPolicy {
    /// Source runs and finished jobs but emails.
    pub jobs: chrono::Duration,
    /// The subject's email address and user id.
    pub requests: chrono::Duration,
}

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionSweep {
    /// Requests whose source runs and jobs were removed.
    pub sources_removed: usize,
    /// Requests whose subject was purged.
    pub subjects_purged: usize,
}

/// Requests read per scan; each is then changed in its own transaction.
const BATCH: u32 = 100;

/// Scans per step and sweep: a backlog (the first sweep after an upgrade, years of finished
/// requests) is worked through 1,000 requests a step every `--sweep-interval`, and the
/// sweep's other work (expiring links, deleting archives) is not held up behind it.
const MAX_BATCHES: usize = 10;

impl Workflow {
    /// Applies `policy` to the finished requests it is due for, oldest first, in batches of
    /// [`BATCH`] requests (at most [`MAX_BATCHES`] a step), one transaction per request. Safe on several replicas at once: each request
    /// is checked again under its row lock, and one a replica finds done or busy is skipped.
    pub async fn apply_retention(&self, policy: &RetentionPolicy) -> Result<RetentionSweep, Error> {
        let mut sweep = RetentionSweep::default();
        for step in [RetentionStep::Sources, RetentionStep::Subject] {
            let retention = match step {
                RetentionStep::Sources => policy.jobs,
                RetentionStep::Subject => policy.requests,
            };
            let now = crate::domain::now();
            let finished_before = now - retention;
            let mut cursor: Option<RetentionCursor> = None;
            for _ in 0..MAX_BATCHES {
                let (ids, last) = self.store.retention_due(step, finished_before, cursor.as_ref(), BATCH).await?;
                for &id in &ids {
                    let now = crate::domain::now();
                    match step {
                        RetentionStep::Sources => {
                            if self.store.remove_sources(id, finished_before, now).await? {
                                sweep.sources_removed += 1;
                            }
                        }
                        RetentionStep::Subject => {
                            if self.store.purge_subject(id, finished_before, now).await? {
                                // The outbox's copies of its emails name the subject too.
                                self.remove_outbox_emails(id).await;
                                sweep.subjects_purged += 1;
                            }
                        }
                    }
                }
                if ids.len() < BATCH as usize || self.shutdown.is_triggered() {
                    break;
                }
                cursor = last;
            }
        }
        if sweep.subjects_purged > 0 {
            self.store.after_purge().await;
        }
        Ok(sweep)
    }
}
