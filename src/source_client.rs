//! The client side of the plugin protocol: how privacyd reaches a data source (TLS, a custom
//! CA, a bearer token, a deadline on every call) and turns what it answers into validated
//! domain values. Everything privacyd asks of a source goes through here.

use std::time::{Duration, Instant};

use tonic::{
    Code, Request,
    metadata::{Ascii, MetadataValue},
    service::interceptor::InterceptedService,
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint},
};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::{
    domain::{
        Capability, DataCategory, Error, LegalBasis, Retention, SourceConnection, SourceDescription, SourceErasure,
    },
    proto::privacy::datasource::v1::{self as pb, data_source_service_client::DataSourceServiceClient},
};

/// The service name sources report health for.
pub const HEALTH_SERVICE: &str = "privacy.datasource.v1.DataSourceService";

/// A failed call to a source: the gRPC code and message it ended with.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct CallError {
    pub code: Code,
    pub message: String,
}

impl CallError {
    /// The codes the protocol says privacyd retries.
    pub fn is_retryable(&self) -> bool {
        matches!(self.code, Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted)
    }
}

impl From<tonic::Status> for CallError {
    fn from(status: tonic::Status) -> Self {
        CallError { code: status.code(), message: status.message().to_owned() }
    }
}

/// Why an `Erase` call did not give a usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EraseFailure {
    /// The call failed (or ran out of time) with this code.
    #[error("{0}")]
    Call(CallError),
    /// The source answered, but against the protocol; asking again will not help.
    #[error("protocol violation: {0}")]
    Protocol(String),
}

impl EraseFailure {
    pub fn is_retryable(&self) -> bool {
        matches!(self, EraseFailure::Call(call) if call.is_retryable())
    }
}

/// What the source's health service says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Serving,
    NotServing,
    Unreachable,
}

#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, tonic::Status> {
        if let Some(token) = &self.0 {
            request.metadata_mut().insert("authorization", token.clone());
        }
        Ok(request)
    }
}

/// A connection to one data source.
#[derive(Clone)]
pub struct SourceClient {
    channel: Channel,
    bearer: Bearer,
    call_timeout: Duration,
}

impl SourceClient {
    /// Prepares a connection; it is made on the first call, so an unreachable source shows up
    /// as that call's UNAVAILABLE, with the reason.
    pub fn new(connection: &SourceConnection) -> Result<Self, Error> {
        let endpoint = connection.endpoint.as_str();
        let https = endpoint.starts_with("https://");
        if connection.tls != https {
            return Err(Error::invalid(
                "tls",
                if connection.tls { "needs an https:// endpoint" } else { "is off, so the endpoint must be http://" },
            ));
        }
        let mut builder = Endpoint::from_shared(endpoint.to_owned())
            .map_err(|e| Error::invalid("endpoint", e.to_string()))?
            .connect_timeout(Duration::from_secs(5).min(connection.call_timeout))
            .tcp_nodelay(true);
        if connection.tls {
            let tls = match &connection.ca_cert_pem {
                Some(pem) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
                None => ClientTlsConfig::new().with_native_roots(),
            };
            builder = builder.tls_config(tls).map_err(|e| Error::invalid("ca_cert_pem", e.to_string()))?;
        }
        let bearer = match &connection.auth_token {
            Some(token) => Some(
                format!("Bearer {token}")
                    .parse()
                    .map_err(|_| Error::invalid("auth_token", "must be printable ASCII"))?,
            ),
            None => None,
        };
        Ok(SourceClient {
            channel: builder.connect_lazy(),
            bearer: Bearer(bearer),
            call_timeout: connection.call_timeout,
        })
    }

    /// The generated client, with the bearer token and the protocol's message size limit; for
    /// callers that need the source's answers as sent (the conformance kit).
    pub fn client(&self) -> DataSourceServiceClient<InterceptedService<Channel, Bearer>> {
        // Sources may stream files in chunks of up to 1 MiB plus framing; allow 4 MiB, the
        // protocol's limit.
        DataSourceServiceClient::with_interceptor(self.channel.clone(), self.bearer.clone())
            .max_decoding_message_size(4 * 1024 * 1024)
    }

    /// A request carrying the deadline, so the source knows when privacyd gives up.
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.set_timeout(self.call_timeout);
        request
    }

    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// Calls `Describe` and validates the answer. Also returns how long the call took.
    pub async fn describe(&self, source_name: &str) -> Result<(SourceDescription, Duration), Error> {
        let started = Instant::now();
        let mut client = self.client();
        let call = client.describe(self.request(pb::DescribeRequest {}));
        let answer = match tokio::time::timeout(self.call_timeout, call).await {
            Ok(Ok(response)) => response.into_inner(),
            Ok(Err(status)) => {
                return Err(Error::SourceUnreachable {
                    source_name: source_name.to_owned(),
                    message: CallError::from(status).to_string(),
                });
            }
            Err(_) => {
                return Err(Error::SourceUnreachable {
                    source_name: source_name.to_owned(),
                    message: format!("no answer within {:?}", self.call_timeout),
                });
            }
        };
        Ok((validate_description(source_name, answer)?, started.elapsed()))
    }

    /// Opens the source's export stream for a subject; the call carries the deadline.
    pub async fn export(
        &self,
        message: pb::ExportRequest,
    ) -> Result<tonic::Streaming<pb::ExportResponse>, tonic::Status> {
        Ok(self.client().export(self.request(message)).await?.into_inner())
    }

    /// Calls `Erase` (idempotent per `privacy_request_id`) under the deadline and validates
    /// the answer.
    pub async fn erase(&self, message: pb::EraseRequest) -> Result<SourceErasure, EraseFailure> {
        let mut client = self.client();
        let call = client.erase(self.request(message));
        let answer = match tokio::time::timeout(self.call_timeout, call).await {
            Ok(Ok(response)) => response.into_inner(),
            Ok(Err(status)) => return Err(EraseFailure::Call(status.into())),
            Err(_) => {
                return Err(EraseFailure::Call(CallError {
                    code: Code::DeadlineExceeded,
                    message: format!("no answer within {:?}", self.call_timeout),
                }));
            }
        };
        let retentions = answer
            .retentions
            .into_iter()
            .map(|r| Retention {
                group_id: r.group_id,
                items: r.items,
                reason: r.reason,
                legal_basis: legal_basis_from_message(r.legal_basis),
                retention_period: r.retention_period,
            })
            .collect();
        SourceErasure::parse(
            answer.items_removed,
            answer.items_retained,
            retentions,
            answer.messages,
            crate::domain::now(),
        )
        .map_err(EraseFailure::Protocol)
    }

    /// The source's grpc.health.v1 status for the plugin service.
    pub async fn health(&self) -> (Health, Option<String>) {
        let mut client = HealthClient::with_interceptor(self.channel.clone(), self.bearer.clone());
        let call = client.check(self.request(HealthCheckRequest { service: HEALTH_SERVICE.to_owned() }));
        match tokio::time::timeout(self.call_timeout, call).await {
            Ok(Ok(response)) => match response.into_inner().status() {
                ServingStatus::Serving => (Health::Serving, None),
                other => (Health::NotServing, Some(format!("health reports {}", other.as_str_name()))),
            },
            Ok(Err(status)) => (Health::Unreachable, Some(CallError::from(status).to_string())),
            Err(_) => (Health::Unreachable, Some(format!("no answer within {:?}", self.call_timeout))),
        }
    }
}

fn validate_description(source_name: &str, d: pb::DescribeResponse) -> Result<SourceDescription, Error> {
    let invalid = |message: String| Error::InvalidDescription { source_name: source_name.to_owned(), message };
    if d.protocol_version != SourceDescription::PROTOCOL_VERSION {
        return Err(Error::UnsupportedProtocolVersion {
            source_name: source_name.to_owned(),
            version: d.protocol_version,
        });
    }
    let mut capabilities = Vec::new();
    for raw in &d.capabilities {
        let capability = match pb::Capability::try_from(*raw) {
            Ok(pb::Capability::Export) => Capability::Export,
            Ok(pb::Capability::Erase) => Capability::Erase,
            _ => return Err(invalid(format!("capability {raw} is not one this protocol defines"))),
        };
        if !capabilities.contains(&capability) {
            capabilities.push(capability);
        }
    }
    if capabilities.is_empty() {
        return Err(invalid("it declares no capabilities".into()));
    }
    let mut categories = Vec::new();
    for c in d.categories {
        if c.group_id.trim().is_empty() || c.label.trim().is_empty() {
            return Err(invalid("every data category needs a group_id and a label".into()));
        }
        // Items of a reserved group break the Export protocol, so a category of one is a mistake.
        if crate::export::rules::is_reserved_group(&c.group_id) {
            return Err(invalid(format!(
                "data category {:?} uses a group id privacyd reserves for its own groups (\"about\", \"privacyd-*\")",
                c.group_id
            )));
        }
        if categories.iter().any(|k: &DataCategory| k.group_id == c.group_id) {
            return Err(invalid(format!("data category {:?} is declared twice", c.group_id)));
        }
        let legal_basis = legal_basis_from_message(c.legal_basis);
        categories.push(DataCategory {
            group_id: c.group_id,
            label: c.label,
            description: c.description,
            purposes: c.purposes,
            legal_basis,
            recipients: c.recipients,
            retention_period: c.retention_period,
            origin: c.origin,
        });
    }
    Ok(SourceDescription {
        name: d.name,
        version: d.version,
        protocol_version: d.protocol_version,
        capabilities,
        categories,
    })
}

/// The description as the protocol message, for privacyd's own API.
pub fn description_message(d: &SourceDescription) -> pb::DescribeResponse {
    pb::DescribeResponse {
        name: d.name.clone(),
        version: d.version.clone(),
        protocol_version: d.protocol_version,
        capabilities: d
            .capabilities
            .iter()
            .map(|c| match c {
                Capability::Export => pb::Capability::Export as i32,
                Capability::Erase => pb::Capability::Erase as i32,
            })
            .collect(),
        categories: d
            .categories
            .iter()
            .map(|c| pb::DataCategory {
                group_id: c.group_id.clone(),
                label: c.label.clone(),
                description: c.description.clone(),
                purposes: c.purposes.clone(),
                legal_basis: legal_basis_message(c.legal_basis),
                recipients: c.recipients.clone(),
                retention_period: c.retention_period.clone(),
                origin: c.origin.clone(),
            })
            .collect(),
    }
}

/// A legal basis from the wire; values this version does not know count as not stated.
pub fn legal_basis_from_message(raw: i32) -> LegalBasis {
    match pb::LegalBasis::try_from(raw) {
        Ok(pb::LegalBasis::Unspecified) | Err(_) => LegalBasis::Unspecified,
        Ok(pb::LegalBasis::Consent) => LegalBasis::Consent,
        Ok(pb::LegalBasis::Contract) => LegalBasis::Contract,
        Ok(pb::LegalBasis::LegalObligation) => LegalBasis::LegalObligation,
        Ok(pb::LegalBasis::VitalInterests) => LegalBasis::VitalInterests,
        Ok(pb::LegalBasis::PublicTask) => LegalBasis::PublicTask,
        Ok(pb::LegalBasis::LegitimateInterests) => LegalBasis::LegitimateInterests,
    }
}

pub fn legal_basis_message(basis: LegalBasis) -> i32 {
    (match basis {
        LegalBasis::Unspecified => pb::LegalBasis::Unspecified,
        LegalBasis::Consent => pb::LegalBasis::Consent,
        LegalBasis::Contract => pb::LegalBasis::Contract,
        LegalBasis::LegalObligation => pb::LegalBasis::LegalObligation,
        LegalBasis::VitalInterests => pb::LegalBasis::VitalInterests,
        LegalBasis::PublicTask => pb::LegalBasis::PublicTask,
        LegalBasis::LegitimateInterests => pb::LegalBasis::LegitimateInterests,
    }) as i32
}

/// The subject as data sources are given it: the email in its canonical form
/// (`SubjectEmail::canonical`), so that every source is asked with the same form.
pub fn subject_message(subject: &crate::domain::Subject) -> pb::Subject {
    subject_message_as(subject, &subject.email.canonical())
}

/// The subject with the email in a given form: a verification export asks with each of the
/// address's forms (`SubjectEmail::verification_forms`).
pub fn subject_message_as(subject: &crate::domain::Subject, email: &str) -> pb::Subject {
    pb::Subject {
        email: email.to_owned(),
        user_id: subject.user_id.as_ref().map(|u| u.as_str().to_owned()).unwrap_or_default(),
    }
}
