//! Everything an operator's page about one request shows, read in one place: the request, its
//! whole audit timeline, what the operator may do now, and for a completed erasure its receipt
//! with the audit chain check. The console renders it; the gRPC API offers the same through
//! Get, ListAuditEvents and GetErasureReceipt.

use crate::{
    domain::{Action, AuditEvent, DeadlineStatus, Error, Operation, PrivacyRequest, RequestId, State},
    erasure::receipt::{ChainCheck, Receipt},
};

use super::Workflow;

/// One request as its page shows it.
#[derive(Debug)]
pub struct RequestPage {
    pub request: PrivacyRequest,
    /// Every audit event of the request, oldest first.
    pub timeline: Vec<AuditEvent>,
    /// The operations its state allows (see [`Operation::allowed`]).
    pub operations: Vec<Operation>,
    pub deadline: DeadlineStatus,
    /// A completed erasure's receipt: `Some(Ok(..))` with whether the audit log still matches
    /// its chain, `Some(Err(..))` when it cannot be had (the error says why, e.g.
    /// `ReceiptLost`), `None` for anything else.
    pub receipt: Option<Result<(Receipt, ChainCheck), Error>>,
}

impl Workflow {
    /// The page of request `id`; `NotFound` if there is none.
    pub async fn request_page(&self, id: RequestId) -> Result<RequestPage, Error> {
        let request = self.get(id).await?;
        let timeline = self.store.all_audit_events(id).await?;
        let receipt = if request.action == Action::Erase && request.state == State::Completed {
            match self.erasure_receipt(id).await {
                // The database failing is the page failing, not a receipt problem.
                Err(err @ Error::Unavailable(_)) => return Err(err),
                other => Some(other),
            }
        } else {
            None
        };
        Ok(RequestPage {
            operations: Operation::allowed(request.state),
            deadline: DeadlineStatus::of(&request, crate::domain::now()),
            timeline,
            receipt,
            request,
        })
    }
}
