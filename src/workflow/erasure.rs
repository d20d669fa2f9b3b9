//! Erasure-specific operations: the cooling-off period (scheduling, and the subject
//! withdrawing meanwhile) and the receipt.

use crate::{
    domain::{Action, Actor, Credential, Error, PrivacyRequest, RequestId, State, Timestamp},
    erasure::receipt::{self, ChainCheck, Receipt},
    store::{Change, NewJob},
};

use super::Workflow;

impl Workflow {
    /// The earliest an erasure may run: its confirmation plus the cooling-off period. `None`
    /// for exports and without a cooling-off period.
    pub fn erase_not_before(&self, request: &PrivacyRequest) -> Option<Timestamp> {
        let delay = self.settings.erasure.delay;
        if request.action != Action::Erase || delay <= chrono::Duration::zero() {
            return None;
        }
        request.confirm_time.map(|confirmed| confirmed + delay)
    }

    pub(super) async fn schedule_erasure(
        &self,
        actor: Actor,
        id: RequestId,
        at: Timestamp,
    ) -> Result<PrivacyRequest, Error> {
        let (request, ()) = self
            .store
            .modify(id, |request| {
                let mut change = Change::new(());
                if let Some(event) = request.schedule_processing(at, actor, crate::domain::now())? {
                    change = change.event(event).job(NewJob::start_erasure(request.id, at));
                }
                Ok(change)
            })
            .await?;
        Ok(request)
    }

    /// The scheduled start of an erasure whose cooling-off period is over.
    pub async fn start_scheduled_erasure(&self, id: RequestId) -> Result<PrivacyRequest, Error> {
        let request = self.get(id).await?;
        if request.state != State::Confirmed {
            return Err(Error::IllegalTransition { state: request.state, attempted: "start" });
        }
        if self.erase_not_before(&request).is_some_and(|at| at > crate::domain::now()) {
            // This replica's clock is behind the one that scheduled it: try again later.
            return Err(Error::Unavailable("the cooling-off period is not over on this replica's clock".into()));
        }
        match self.start_processing(Actor::system("scheduler"), id, request.action).await {
            // No one is there to be told: fail the request for the operator (see
            // `Workflow::process_automatically`).
            Err(Error::NoCapableSource { .. }) => {
                self.fail_without_capable_source(Actor::system("scheduler"), id).await
            }
            other => other,
        }
    }

    /// When a confirmed erasure's cooling-off period ends, while the subject may still
    /// withdraw it; `None` when they may not (see `PrivacyRequest::check_withdrawal`).
    pub fn withdrawable_until(&self, request: &PrivacyRequest) -> Option<Timestamp> {
        let at = self.erase_not_before(request)?;
        request.check_withdrawal(Some(at), crate::domain::now()).ok().map(|()| at)
    }

    /// The subject withdraws an erasure in its cooling-off period, with the token from their
    /// confirmation link. An unknown id and a wrong token are both `InvalidToken`; a request
    /// that is not (or no longer) an erasure in its cooling-off period is `NotWithdrawable`.
    pub async fn withdraw(&self, id: RequestId, token: &str) -> Result<PrivacyRequest, Error> {
        let token = self.check_confirmation_token(id, token).await?;
        let result = self
            .store
            .modify(id, |request| {
                let not_before = self.erase_not_before(request);
                Ok(Change::new(()).event(request.withdraw_with(&token, not_before, crate::domain::now())?))
            })
            .await;
        match result {
            Ok((request, ())) => Ok(request),
            // Deleted since the check: as unknown.
            Err(Error::NotFound(_)) => Err(Error::InvalidToken(Credential::ConfirmationToken)),
            Err(err) => Err(err),
        }
    }

    /// A completed erasure's receipt, and whether the audit log still matches it.
    pub async fn erasure_receipt(&self, id: RequestId) -> Result<(Receipt, ChainCheck), Error> {
        let receipt = match self.store.get_receipt(id).await? {
            Some(receipt) => receipt,
            None => {
                let request = self.get(id).await?;
                if request.action != Action::Erase {
                    return Err(Error::NotAnErasure);
                }
                if request.state != State::Completed {
                    return Err(Error::ReceiptNotReady(request.state));
                }
                receipt::issue(&self.store, &self.settings.erasure.organization, id, false)
                    .await?
                    .ok_or_else(|| Error::Internal("a completed erasure without a receipt".into()))?
            }
        };
        let events = self.store.all_audit_events(id).await?;
        let check = receipt::check(&receipt.document, id, &events)?;
        Ok((receipt, check))
    }
}
