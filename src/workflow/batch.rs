//! One operation over many requests (AIP-235 style), for BatchModifyPrivacyRequests and the
//! console's bulk actions. Each request goes through exactly the function its single method
//! calls, so a batch can do nothing the single calls could not, and refuses what they would
//! refuse, with the same error.
//!
//! Not atomic: each request has its own state and legal deadline, and one row a colleague
//! finished meanwhile must not hold back the answers to the others. Each id gets its own
//! result; only a malformed batch as a whole is refused.

use std::collections::HashSet;

use super::Workflow;
use crate::domain::{Actor, Error, PrivacyRequest, Reason, RequestId, Transition};

/// The most ids one batch may name (AIP-235 leaves the limit to the API; a console page
/// shows at most this many rows).
pub const MAX_BATCH: usize = 100;

/// What a batch does to each request, as the single method of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOperation {
    ResendConfirmation,
    Process,
    Complete,
    Cancel,
    Delete,
    Deny,
}

impl BatchOperation {
    pub const ALL: [BatchOperation; 6] = [
        BatchOperation::ResendConfirmation,
        BatchOperation::Process,
        BatchOperation::Complete,
        BatchOperation::Cancel,
        BatchOperation::Delete,
        BatchOperation::Deny,
    ];

    /// A stable lower-case name, as forms and logs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchOperation::ResendConfirmation => "resend",
            BatchOperation::Process => "process",
            BatchOperation::Complete => "complete",
            BatchOperation::Cancel => "cancel",
            BatchOperation::Delete => "delete",
            BatchOperation::Deny => "deny",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == raw)
    }

    /// Whether the operation takes a reason: DENY requires one (GDPR Art. 12(4)), CANCEL
    /// records one if given, the others have nowhere to put it.
    pub fn takes_reason(self) -> bool {
        matches!(self, BatchOperation::Deny | BatchOperation::Cancel)
    }
}

/// What happened to one id of a batch.
#[derive(Debug)]
pub struct BatchOutcome {
    /// The id as given (it may not parse).
    pub id: String,
    /// `Ok` when the operation was applied; otherwise the error the single method gives.
    pub result: Result<(), Error>,
    /// The request afterwards: changed on success, as it is after a refusal; `None` when it
    /// does not exist (any more, after a delete).
    pub request: Option<PrivacyRequest>,
}

impl Workflow {
    /// Applies `operation` to each of `ids` in order. Refuses the whole batch (with
    /// `InvalidField`) only when it is malformed: no ids, more than [`MAX_BATCH`], an id twice,
    /// DENY without a reason, or a reason for an operation that takes none.
    pub async fn batch_modify(
        &self,
        actor: Actor,
        ids: &[String],
        operation: BatchOperation,
        reason: Option<Reason>,
    ) -> Result<Vec<BatchOutcome>, Error> {
        if ids.is_empty() {
            return Err(Error::invalid("ids", "is required: 1 to 100 request ids"));
        }
        if ids.len() > MAX_BATCH {
            return Err(Error::invalid("ids", format!("names {} requests; at most {MAX_BATCH} per batch", ids.len())));
        }
        let mut seen = HashSet::with_capacity(ids.len());
        if let Some(twice) = ids.iter().find(|id| !seen.insert(id.trim().to_ascii_lowercase())) {
            return Err(Error::invalid("ids", format!("names {twice:?} more than once")));
        }
        match (operation, &reason) {
            (BatchOperation::Deny, None) => {
                return Err(Error::invalid("reason", "is required to deny: the subject is told why (GDPR Art. 12(4))"));
            }
            (op, Some(_)) if !op.takes_reason() => {
                return Err(Error::invalid("reason", "is only taken by the deny and cancel operations"));
            }
            _ => {}
        }
        let mut outcomes = Vec::with_capacity(ids.len());
        for raw in ids {
            let outcome = match RequestId::parse("ids", raw) {
                Err(err) => BatchOutcome { id: raw.clone(), result: Err(err), request: None },
                Ok(id) => {
                    let applied = self.apply_one(actor.clone(), id, operation, reason.clone()).await;
                    match applied {
                        Ok(request) => BatchOutcome { id: raw.clone(), result: Ok(()), request },
                        Err(err) => {
                            // The request as the refusal left it, for the caller to show why.
                            let request = self.store.get_request(id).await.ok().flatten();
                            BatchOutcome { id: raw.clone(), result: Err(err), request }
                        }
                    }
                }
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// The single method's workflow call for `operation`.
    async fn apply_one(
        &self,
        actor: Actor,
        id: RequestId,
        operation: BatchOperation,
        reason: Option<Reason>,
    ) -> Result<Option<PrivacyRequest>, Error> {
        let request = match operation {
            BatchOperation::ResendConfirmation => self.resend_confirmation(actor, id).await?,
            BatchOperation::Process => self.process(actor, id).await?,
            BatchOperation::Complete => self.transition(actor, id, Transition::Complete, None).await?,
            BatchOperation::Cancel => self.transition(actor, id, Transition::Cancel, reason).await?,
            BatchOperation::Deny => self.transition(actor, id, Transition::Deny, reason).await?,
            BatchOperation::Delete => {
                self.delete(actor, id).await?;
                return Ok(None);
            }
        };
        Ok(Some(request))
    }
}
