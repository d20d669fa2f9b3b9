//! Processing requests across data sources, and what comes of it: export archives, their
//! downloads and their expiry.

use crate::{
    domain::{
        Action, Actor, AuditEventType, Candidate, Capability, Credential, Error, ExportArchive, NewAuditEvent,
        PrivacyRequest, RequestId, SecretToken, SkipReason, State, Timestamp, TokenHash,
    },
    store::{Change, JobKind, NewJob},
};

use super::Workflow;

/// Who asks for an export archive.
pub enum DownloadCredential {
    /// An operator, already authenticated.
    Admin(Actor),
    /// The subject, with the token from the "export ready" email.
    Token(String),
}

/// An archive ready to be read.
pub struct Download {
    pub archive: ExportArchive,
    id: RequestId,
    store: crate::objects::Objects,
}

impl Download {
    /// Bytes `range` of the archive (`0..archive.size_bytes` for all of it), read from the
    /// archive store as the caller takes them.
    pub async fn read(
        &self,
        range: std::ops::Range<u64>,
    ) -> Result<
        futures::stream::BoxStream<'static, Result<bytes::Bytes, crate::objects::StoreError>>,
        crate::objects::StoreError,
    > {
        let size = self.archive.size_bytes.max(0) as u64;
        self.store.read_archive(self.id, self.archive.build, range.start.min(size)..range.end.min(size)).await
    }

    /// A URL that fetches the archive straight from the bucket for about a minute
    /// ([`crate::objects::PRESIGNED_URL_TTL`]), or `None` when privacyd streams it itself (a
    /// local store).
    pub async fn presigned_url(&self) -> Result<Option<url::Url>, crate::objects::StoreError> {
        self.store.presigned_archive_url(self.id, self.archive.build, crate::objects::PRESIGNED_URL_TTL).await
    }
}

impl Workflow {
    /// CONFIRMED or FAILED -> PROCESSING, and the work it starts: one job per enabled source
    /// capable of the action (when processing again: every source of an export, the sources
    /// of an erasure that did not succeed; see `PrivacyRequest::start_processing`); every
    /// other registered source is listed on the request as SKIPPED. An erasure still in its
    /// cooling-off period is scheduled instead. With no source to run, refused with
    /// `NoCapableSource` and nothing changes.
    pub async fn process(&self, actor: Actor, id: RequestId) -> Result<PrivacyRequest, Error> {
        let request = self.get(id).await?;
        if request.state == State::Confirmed
            && let Some(at) = self.erase_not_before(&request).filter(|at| *at > crate::domain::now())
        {
            return self.schedule_erasure(actor, id, at).await;
        }
        self.start_processing(actor, id, request.action).await
    }

    /// Processing that starts on its own (`--auto-process` after confirmation, or the end of a
    /// cooling-off period), with no one to answer: where [`Workflow::process`] would refuse for
    /// want of a capable source, the request FAILS instead with a `state_reason` that says so
    /// (see `PrivacyRequest::fail_without_capable_source`), for the operator to act on.
    pub(super) async fn process_automatically(&self, actor: Actor, id: RequestId) -> Result<PrivacyRequest, Error> {
        match self.process(actor.clone(), id).await {
            Err(Error::NoCapableSource { .. }) => self.fail_without_capable_source(actor, id).await,
            other => other,
        }
    }

    /// See [`Workflow::process_automatically`].
    pub(super) async fn fail_without_capable_source(
        &self,
        actor: Actor,
        id: RequestId,
    ) -> Result<PrivacyRequest, Error> {
        let candidates = self.candidates(self.get(id).await?.action).await?;
        let (request, ()) = self
            .store
            .modify(id, |request| {
                let mut change = Change::new(());
                change.events = request.fail_without_capable_source(actor, candidates, crate::domain::now())?;
                Ok(change)
            })
            .await?;
        Ok(request)
    }

    /// Every registered source, and why it would be skipped for `action`.
    async fn candidates(&self, action: Action) -> Result<Vec<Candidate>, Error> {
        Ok(self
            .store
            .all_sources()
            .await?
            .into_iter()
            .map(|s| {
                let skip = SkipReason::of(
                    s.enabled,
                    s.description.supports(Capability::Export),
                    s.description.supports(Capability::Erase),
                    action,
                );
                (s.name, skip)
            })
            .collect())
    }

    /// The fan-out, the same for every action; the per-source jobs and the domain's fan-in rule
    /// (`source_finished`) do the rest.
    pub(super) async fn start_processing(
        &self,
        actor: Actor,
        id: RequestId,
        action: Action,
    ) -> Result<PrivacyRequest, Error> {
        let (kind, attempts) = match action {
            Action::Export => (JobKind::ExportSource, self.settings.export.source_max_attempts),
            Action::Erase => (JobKind::EraseSource, self.settings.erasure.source_max_attempts),
        };
        let candidates = self.candidates(action).await?;
        let (request, ()) = self
            .store
            .modify(id, |request| {
                let (event, to_run) = request.start_processing(actor, candidates, crate::domain::now())?;
                let mut change = Change::new(()).event(event);
                for source in &to_run {
                    change = change.job(NewJob::for_source(kind, request.id, source, attempts));
                }
                if to_run.is_empty() {
                    // Nothing left to run (every other source succeeded before): finish with
                    // what there is, as the last source's job would have.
                    change = change.job(match action {
                        Action::Export => NewJob::assemble_export(request.id),
                        Action::Erase => NewJob::finish_erasure(request.id),
                    });
                }
                Ok(change)
            })
            .await?;
        self.executor.notify_one();
        Ok(request)
    }

    /// Opens a completed export's archive for download from `offset`, and records the download.
    /// A refused call (bad credential, expired archive, offset past the end) records nothing.
    pub async fn open_download(
        &self,
        id: RequestId,
        credential: DownloadCredential,
        offset: i64,
    ) -> Result<Download, Error> {
        let actor = self.download_actor(id, credential).await?;
        let (_, archive) = self
            .store
            .modify(id, |request| {
                let now = crate::domain::now();
                let archive = downloadable(request, now)?;
                if !(0..=archive.size_bytes).contains(&offset) {
                    return Err(Error::invalid(
                        "offset",
                        format!("must be between 0 and the archive size, {}", archive.size_bytes),
                    ));
                }
                archive.download_count += 1;
                let archive = archive.clone();
                let detail = match offset {
                    0 => format!("download {}", archive.download_count),
                    // A resumed download (DownloadExport's offset, HTTP's Range) is a delivery
                    // of the subject's data too, and is audited as one, with where it began.
                    offset => format!("download {}, from byte {offset}", archive.download_count),
                };
                let event =
                    NewAuditEvent::new(request.id, actor, AuditEventType::ArchiveDownloaded, now).with_detail(detail);
                Ok(Change::new(archive).event(event))
            })
            .await?;
        Ok(Download { archive, id, store: self.settings.export.store.clone() })
    }

    /// What [`Self::open_download`] would serve, checked the same way (credential, archive
    /// present and not expired), without recording anything: for HTTP `HEAD`, and for a
    /// `Range` that cannot be satisfied, neither of which delivers any of the subject's data
    /// (RFC 9110 §9.3.2: HEAD is GET without the content).
    pub async fn peek_download(&self, id: RequestId, credential: DownloadCredential) -> Result<ExportArchive, Error> {
        self.download_actor(id, credential).await?;
        let mut request = self.store.get_request(id).await?.ok_or_else(|| Error::NotFound(id.to_string()))?;
        downloadable(&mut request, crate::domain::now()).cloned()
    }

    /// Who is downloading, once their credential is checked.
    async fn download_actor(&self, id: RequestId, credential: DownloadCredential) -> Result<Actor, Error> {
        match credential {
            DownloadCredential::Admin(actor) => Ok(actor),
            DownloadCredential::Token(raw) => {
                // As for confirmation links: an unknown id, a request without an archive and
                // a wrong token do the same work and get the same answer.
                let token = SecretToken::from_presented(&raw).ok_or(Error::InvalidToken(Credential::DownloadToken))?;
                if !TokenHash::verify(self.store.download_token(id).await?, &token) {
                    return Err(Error::InvalidToken(Credential::DownloadToken));
                }
                Ok(Actor::Subject)
            }
        }
    }
}

/// The request's archive, if it can be downloaded at `now`.
fn downloadable(request: &mut PrivacyRequest, now: Timestamp) -> Result<&mut ExportArchive, Error> {
    let state = request.state;
    let archive = request.archive.as_mut().ok_or(Error::ArchiveNotReady(state))?;
    if archive.delete_time.is_some() || archive.expire_time <= now {
        return Err(Error::ArchiveExpired);
    }
    Ok(archive)
}
