//! `privacy.v1.PrivacyRequestService`: a thin layer that parses messages into domain values,
//! calls the workflow, and converts the results back.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::{
    auth::admin,
    convert::{self, parse_action, parse_subject},
    listing,
};
use crate::{
    domain::{Actor, IdempotencyKey, ListOrder, PageSize, Reason, RequestId, SourceName, StatisticsPeriod, Transition},
    proto::privacy::v1::{self as pb, privacy_request_service_server::PrivacyRequestService},
    workflow::{CreateInput, DownloadCredential, Workflow},
};

pub struct PrivacyRequestApi {
    workflow: Workflow,
}

impl PrivacyRequestApi {
    pub fn new(workflow: Workflow) -> Self {
        PrivacyRequestApi { workflow }
    }
}

fn id(raw: &str) -> Result<RequestId, Status> {
    Ok(RequestId::parse("id", raw)?)
}

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl PrivacyRequestService for PrivacyRequestApi {
    async fn create_privacy_request(
        &self,
        request: Request<pb::CreatePrivacyRequestRequest>,
    ) -> Result<Response<pb::CreatePrivacyRequestResponse>, Status> {
        let actor = admin(&request)?;
        let req = request.into_inner();
        let input = CreateInput {
            subject: parse_subject(req.subject)?,
            action: parse_action(req.action)?
                .ok_or_else(|| crate::domain::Error::invalid("action", "is required: ACTION_EXPORT or ACTION_ERASE"))?,
            send_confirmation: req.send_confirmation,
            idempotency_key: IdempotencyKey::parse_optional(&req.request_id)?,
        };
        let created = self.workflow.create(actor, input).await?;
        Ok(Response::new(pb::CreatePrivacyRequestResponse { privacy_request: Some(convert::privacy_request(created)) }))
    }

    async fn get_privacy_request(
        &self,
        request: Request<pb::GetPrivacyRequestRequest>,
    ) -> Result<Response<pb::GetPrivacyRequestResponse>, Status> {
        let found = self.workflow.get(id(&request.get_ref().id)?).await?;
        Ok(Response::new(pb::GetPrivacyRequestResponse { privacy_request: Some(convert::privacy_request(found)) }))
    }

    async fn list_privacy_requests(
        &self,
        request: Request<pb::ListPrivacyRequestsRequest>,
    ) -> Result<Response<pb::ListPrivacyRequestsResponse>, Status> {
        let req = request.into_inner();
        let filter = listing::parse_filter(listing::FilterFields {
            action: req.action,
            state: req.state,
            subject_email: &req.subject_email,
            subject_email_search: &req.subject_email_search,
            created_after: req.created_after,
            created_before: req.created_before,
            due_before: req.due_before,
        })?;
        let order = ListOrder::parse(&req.order_by)?;
        let (requests, next_page_token) =
            self.workflow.list(filter, order, PageSize::parse(req.page_size, 50)?, &req.page_token).await?;
        Ok(Response::new(pb::ListPrivacyRequestsResponse {
            privacy_requests: requests.into_iter().map(convert::privacy_request).collect(),
            next_page_token,
        }))
    }

    async fn count_privacy_requests(
        &self,
        request: Request<pb::CountPrivacyRequestsRequest>,
    ) -> Result<Response<pb::CountPrivacyRequestsResponse>, Status> {
        let req = request.into_inner();
        let filter = listing::parse_filter(listing::FilterFields {
            action: req.action,
            state: 0,
            subject_email: &req.subject_email,
            subject_email_search: &req.subject_email_search,
            created_after: req.created_after,
            created_before: req.created_before,
            due_before: req.due_before,
        })?;
        let counts = self.workflow.count(&filter).await?;
        Ok(Response::new(pb::CountPrivacyRequestsResponse {
            total_count: counts.iter().map(|(_, n)| n).sum(),
            state_counts: counts
                .into_iter()
                .map(|(state, count)| pb::StateCount { state: convert::state(state) as i32, count })
                .collect(),
        }))
    }

    async fn batch_modify_privacy_requests(
        &self,
        request: Request<pb::BatchModifyPrivacyRequestsRequest>,
    ) -> Result<Response<pb::BatchModifyPrivacyRequestsResponse>, Status> {
        let actor = admin(&request)?;
        let req = request.into_inner();
        let operation = listing::parse_operation(req.operation)?;
        let reason = Reason::parse_optional("reason", &req.reason)?;
        let outcomes = self.workflow.batch_modify(actor, &req.ids, operation, reason).await?;
        Ok(Response::new(pb::BatchModifyPrivacyRequestsResponse {
            results: outcomes.into_iter().map(listing::batch_result).collect(),
        }))
    }

    async fn get_request_statistics(
        &self,
        request: Request<pb::GetRequestStatisticsRequest>,
    ) -> Result<Response<pb::GetRequestStatisticsResponse>, Status> {
        let req = request.into_inner();
        let period = StatisticsPeriod::new(
            listing::parse_time("start_time", req.start_time)?,
            listing::parse_time("end_time", req.end_time)?,
            crate::domain::now(),
        )?;
        let actions = self.workflow.statistics(period).await?;
        Ok(Response::new(pb::GetRequestStatisticsResponse {
            start_time: Some(convert::timestamp(period.start)),
            end_time: Some(convert::timestamp(period.end)),
            actions: actions.into_iter().map(listing::action_statistics).collect(),
        }))
    }

    async fn confirm_privacy_request(
        &self,
        request: Request<pb::ConfirmPrivacyRequestRequest>,
    ) -> Result<Response<pb::ConfirmPrivacyRequestResponse>, Status> {
        let req = request.into_inner();
        let confirmed = self.workflow.confirm(id(&req.id)?, &req.token).await?;
        Ok(Response::new(pb::ConfirmPrivacyRequestResponse {
            privacy_request: Some(convert::privacy_request(confirmed)),
        }))
    }

    async fn resend_confirmation(
        &self,
        request: Request<pb::ResendConfirmationRequest>,
    ) -> Result<Response<pb::ResendConfirmationResponse>, Status> {
        let actor = admin(&request)?;
        let resent = self.workflow.resend_confirmation(actor, id(&request.get_ref().id)?).await?;
        Ok(Response::new(pb::ResendConfirmationResponse { privacy_request: Some(convert::privacy_request(resent)) }))
    }

    async fn process_privacy_request(
        &self,
        request: Request<pb::ProcessPrivacyRequestRequest>,
    ) -> Result<Response<pb::ProcessPrivacyRequestResponse>, Status> {
        let actor = admin(&request)?;
        let r = self.workflow.process(actor, id(&request.get_ref().id)?).await?;
        Ok(Response::new(pb::ProcessPrivacyRequestResponse { privacy_request: Some(convert::privacy_request(r)) }))
    }

    async fn complete_privacy_request(
        &self,
        request: Request<pb::CompletePrivacyRequestRequest>,
    ) -> Result<Response<pb::CompletePrivacyRequestResponse>, Status> {
        let actor = admin(&request)?;
        let r = self.workflow.transition(actor, id(&request.get_ref().id)?, Transition::Complete, None).await?;
        Ok(Response::new(pb::CompletePrivacyRequestResponse { privacy_request: Some(convert::privacy_request(r)) }))
    }

    async fn deny_privacy_request(
        &self,
        request: Request<pb::DenyPrivacyRequestRequest>,
    ) -> Result<Response<pb::DenyPrivacyRequestResponse>, Status> {
        let actor = admin(&request)?;
        let req = request.get_ref();
        let id = id(&req.id)?;
        let reason = Reason::parse("reason", &req.reason)?;
        let r = self.workflow.transition(actor, id, Transition::Deny, Some(reason)).await?;
        Ok(Response::new(pb::DenyPrivacyRequestResponse { privacy_request: Some(convert::privacy_request(r)) }))
    }

    async fn cancel_privacy_request(
        &self,
        request: Request<pb::CancelPrivacyRequestRequest>,
    ) -> Result<Response<pb::CancelPrivacyRequestResponse>, Status> {
        let actor = admin(&request)?;
        let req = request.get_ref();
        let id = id(&req.id)?;
        let reason = Reason::parse_optional("reason", &req.reason)?;
        let r = self.workflow.transition(actor, id, Transition::Cancel, reason).await?;
        Ok(Response::new(pb::CancelPrivacyRequestResponse { privacy_request: Some(convert::privacy_request(r)) }))
    }

    async fn delete_privacy_request(
        &self,
        request: Request<pb::DeletePrivacyRequestRequest>,
    ) -> Result<Response<pb::DeletePrivacyRequestResponse>, Status> {
        let actor = admin(&request)?;
        self.workflow.delete(actor, id(&request.get_ref().id)?).await?;
        Ok(Response::new(pb::DeletePrivacyRequestResponse {}))
    }

    async fn extend_deadline(
        &self,
        request: Request<pb::ExtendDeadlineRequest>,
    ) -> Result<Response<pb::ExtendDeadlineResponse>, Status> {
        let actor = admin(&request)?;
        let req = request.get_ref();
        let id = id(&req.id)?;
        let reason = Reason::parse("reason", &req.reason)?;
        let r = self.workflow.extend_deadline(actor, id, req.extension_days, reason).await?;
        Ok(Response::new(pb::ExtendDeadlineResponse { privacy_request: Some(convert::privacy_request(r)) }))
    }

    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let req = request.into_inner();
        let page_size = PageSize::parse(req.page_size, 100)?;
        let subject = pb::AuditSubject::try_from(req.subject)
            .map_err(|_| crate::domain::Error::invalid("subject", "is not a known AuditSubject"))?;
        if subject == pb::AuditSubject::DataSource || !req.data_source.is_empty() {
            if subject == pb::AuditSubject::PrivacyRequest {
                return Err(crate::domain::Error::invalid("data_source", "only lists data source events").into());
            }
            if !req.request_id.is_empty() {
                return Err(crate::domain::Error::invalid("request_id", "must be empty for data source events").into());
            }
            let source = match req.data_source.as_str() {
                "" => None,
                raw => Some(SourceName::parse(raw).map_err(|_| {
                    crate::domain::Error::invalid("data_source", "is not a data source name (a-z, 0-9 and -)")
                })?),
            };
            let (events, next_page_token) = self.workflow.registry_events(source, page_size, &req.page_token).await?;
            return Ok(Response::new(pb::ListAuditEventsResponse {
                audit_events: events.into_iter().map(convert::registry_event).collect(),
                next_page_token,
            }));
        }
        let request_id = match req.request_id.as_str() {
            "" => None,
            raw => Some(RequestId::parse("request_id", raw)?),
        };
        let (events, next_page_token) = self.workflow.audit_events(request_id, page_size, &req.page_token).await?;
        Ok(Response::new(pb::ListAuditEventsResponse {
            audit_events: events.into_iter().map(convert::audit_event).collect(),
            next_page_token,
        }))
    }

    type WatchPrivacyRequestStream = ResponseStream<pb::WatchPrivacyRequestResponse>;

    async fn watch_privacy_request(
        &self,
        request: Request<pb::WatchPrivacyRequestRequest>,
    ) -> Result<Response<Self::WatchPrivacyRequestStream>, Status> {
        let holder = admin(&request)?;
        let watch = self.workflow.watch(&holder, id(&request.get_ref().id)?).await?;
        let replayed_until = watch.replayed_until;
        let mut first = true;
        let stream = watch.map(move |item| {
            let first = std::mem::take(&mut first);
            item.map(|(request, event)| pb::WatchPrivacyRequestResponse {
                privacy_request: request.map(convert::privacy_request),
                replayed: event.as_ref().is_some_and(|e| e.sequence <= replayed_until),
                replayed_until_sequence: if first { replayed_until } else { 0 },
                event: event.map(convert::audit_event),
            })
            .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(stream)))
    }

    type DownloadExportStream = ResponseStream<pb::DownloadExportResponse>;

    async fn download_export(
        &self,
        request: Request<pb::DownloadExportRequest>,
    ) -> Result<Response<Self::DownloadExportStream>, Status> {
        // Public method: the auth layer passed an admin through as an Actor if the call had
        // a valid admin token; otherwise the download token is the credential.
        let admin = request.extensions().get::<Actor>().cloned();
        let req = request.into_inner();
        let id = id(&req.id)?;
        let anonymous = admin.is_none() || !req.token.is_empty();
        let credential = match admin {
            Some(actor) if req.token.is_empty() => DownloadCredential::Admin(actor),
            _ => DownloadCredential::Token(req.token),
        };
        let download = match self.workflow.open_download(id, credential, req.offset).await {
            // A token holder is not told whether an id exists; an admin is.
            Err(crate::domain::Error::NotFound(_)) if anonymous => {
                return Err(crate::domain::Error::InvalidToken(crate::domain::Credential::DownloadToken).into());
            }
            other => other?,
        };
        let size = download.archive.size_bytes.max(0) as u64;
        let mut body = download
            .read(req.offset as u64..size)
            .await
            .map_err(|e| Status::internal(format!("the archive cannot be read: {e}")))?;
        let header = pb::ExportArchiveHeader {
            file_name: download.archive.file_name.clone(),
            size_bytes: download.archive.size_bytes,
            sha256: download.archive.sha256.clone(),
            expire_time: Some(convert::timestamp(download.archive.expire_time)),
        };
        // A small bounded channel: the archive is read from the store only as fast as the
        // client takes it, and sent in chunks of DOWNLOAD_CHUNK whatever size the store reads.
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let header =
                pb::DownloadExportResponse { payload: Some(pb::download_export_response::Payload::Header(header)) };
            if tx.send(Ok(header)).await.is_err() {
                return;
            }
            let mut chunk = Vec::with_capacity(DOWNLOAD_CHUNK);
            loop {
                let next = body.next().await;
                let done = match next {
                    Some(Ok(mut bytes)) => {
                        while !bytes.is_empty() {
                            let n = bytes.len().min(DOWNLOAD_CHUNK - chunk.len());
                            chunk.extend_from_slice(&bytes.split_to(n));
                            if chunk.len() == DOWNLOAD_CHUNK {
                                let full = std::mem::replace(&mut chunk, Vec::with_capacity(DOWNLOAD_CHUNK));
                                let message = pb::DownloadExportResponse {
                                    payload: Some(pb::download_export_response::Payload::Chunk(full)),
                                };
                                if tx.send(Ok(message)).await.is_err() {
                                    return;
                                }
                            }
                        }
                        false
                    }
                    Some(Err(err)) => {
                        let _ = tx.send(Err(Status::internal(format!("reading the archive: {err}")))).await;
                        return;
                    }
                    None => true,
                };
                if done {
                    if !chunk.is_empty() {
                        let message = pb::DownloadExportResponse {
                            payload: Some(pb::download_export_response::Payload::Chunk(chunk)),
                        };
                        let _ = tx.send(Ok(message)).await;
                    }
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
    }

    async fn get_erasure_receipt(
        &self,
        request: Request<pb::GetErasureReceiptRequest>,
    ) -> Result<Response<pb::GetErasureReceiptResponse>, Status> {
        let (receipt, check) = self.workflow.erasure_receipt(id(&request.get_ref().id)?).await?;
        let signature = receipt.signature.unwrap_or_default();
        Ok(Response::new(pb::GetErasureReceiptResponse {
            receipt_json: receipt.document,
            sha256: receipt.sha256,
            audit_chain_intact: check.intact,
            first_mismatch_sequence: check.first_mismatch_sequence,
            signed: !signature.signature.is_empty(),
            signature: signature.signature,
            signing_key_id: signature.key_id,
            signing_public_key: signature.public_key,
        }))
    }
}

/// Bytes per download message: within the protocol's 64 KiB to 1 MiB.
const DOWNLOAD_CHUNK: usize = 256 * 1024;
