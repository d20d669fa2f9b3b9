//! Admin authentication and authorisation, as a tower layer in front of every service: one
//! table ([`METHODS`]) says for each method of `privacy.v1` whether it is public or which
//! [`Scope`] an admin token needs, so a new method cannot be left open (or all-powerful) by
//! forgetting a check: a method missing from the table is refused, and a test fails.
//!
//! With `--tls-client-ca`, an admin token counts only on a connection that presented a client
//! certificate from that CA (mTLS, as service meshes authenticate services): a leaked token
//! alone no longer makes an admin. rustls has verified any certificate presented before a
//! request arrives ([`super::tls`]); this layer checks that one was.

use std::{
    collections::HashMap,
    task::{Context, Poll},
};

use futures::future::BoxFuture;
use tonic::{Code, Request, Status};
use tower::{Layer, Service};

use super::{status::status, tls::ClientCertificate};
use crate::{
    admin_tokens::{AdminTokens, bearer_token},
    domain::{Actor, Scope},
};

/// Who may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the method's own token field is the credential (the subject's link).
    Public,
    /// The subject with their token, or an admin token holding the scope. An admin token
    /// without the scope is refused rather than silently treated as anonymous.
    SubjectOrAdmin(Scope),
    /// Only an admin token holding the scope.
    Admin(Scope),
}

const REQUESTS: &str = "/privacy.v1.PrivacyRequestService/";
const REGISTRY: &str = "/privacy.v1.DataSourceRegistryService/";

/// Every method of the `privacy.v1` package and who may call it. Each admin method needs
/// exactly one scope; see [`Scope`] for what each covers.
pub const METHODS: &[(&str, &str, Access)] = &[
    (REQUESTS, "CreatePrivacyRequest", Access::Admin(Scope::Requests)),
    (REQUESTS, "GetPrivacyRequest", Access::Admin(Scope::Read)),
    (REQUESTS, "ListPrivacyRequests", Access::Admin(Scope::Read)),
    (REQUESTS, "CountPrivacyRequests", Access::Admin(Scope::Read)),
    (REQUESTS, "GetRequestStatistics", Access::Admin(Scope::Read)),
    // Each operation of the batch is one of the single methods below, all `requests`.
    (REQUESTS, "BatchModifyPrivacyRequests", Access::Admin(Scope::Requests)),
    (REQUESTS, "ConfirmPrivacyRequest", Access::Public),
    (REQUESTS, "ResendConfirmation", Access::Admin(Scope::Requests)),
    (REQUESTS, "ProcessPrivacyRequest", Access::Admin(Scope::Requests)),
    (REQUESTS, "CompletePrivacyRequest", Access::Admin(Scope::Requests)),
    (REQUESTS, "DenyPrivacyRequest", Access::Admin(Scope::Requests)),
    (REQUESTS, "CancelPrivacyRequest", Access::Admin(Scope::Requests)),
    (REQUESTS, "DeletePrivacyRequest", Access::Admin(Scope::Requests)),
    (REQUESTS, "ExtendDeadline", Access::Admin(Scope::Requests)),
    (REQUESTS, "ListAuditEvents", Access::Admin(Scope::Read)),
    (REQUESTS, "WatchPrivacyRequest", Access::Admin(Scope::Read)),
    (REQUESTS, "DownloadExport", Access::SubjectOrAdmin(Scope::Download)),
    (REQUESTS, "GetErasureReceipt", Access::Admin(Scope::Read)),
    (REGISTRY, "RegisterDataSource", Access::Admin(Scope::Sources)),
    (REGISTRY, "GetDataSource", Access::Admin(Scope::Read)),
    (REGISTRY, "ListDataSources", Access::Admin(Scope::Read)),
    (REGISTRY, "UpdateDataSource", Access::Admin(Scope::Sources)),
    (REGISTRY, "DeleteDataSource", Access::Admin(Scope::Sources)),
    (REGISTRY, "CheckDataSource", Access::Admin(Scope::Sources)),
];

/// Every method of these packages is checked against [`METHODS`]; others (health,
/// reflection, HTTP pages) are public.
const PROTECTED_PREFIX: &str = "/privacy.v1.";

/// Who may call the method at `path` (`/package.Service/Method`); `None` for a path of the
/// protected package that the table does not list.
pub fn access(path: &str) -> Option<Access> {
    METHODS.iter().find(|(service, method, _)| path.strip_prefix(service) == Some(method)).map(|(_, _, a)| *a)
}

/// The admin the auth layer authenticated. Admin methods are only reached with one, so its
/// absence is a wiring bug, reported as such rather than served anonymously.
pub fn admin<T>(request: &Request<T>) -> Result<Actor, Status> {
    request
        .extensions()
        .get::<Actor>()
        .cloned()
        .ok_or_else(|| Status::internal("request reached an admin method unauthenticated"))
}

/// A refusal, as an HTTP response carrying the gRPC status.
fn refuse(
    code: Code,
    reason: &str,
    message: String,
    metadata: HashMap<String, String>,
) -> http::Response<tonic::body::Body> {
    status(code, reason, message, metadata).into_http()
}

fn missing_scope(scope: Scope) -> http::Response<tonic::body::Body> {
    refuse(
        Code::PermissionDenied,
        "MISSING_SCOPE",
        format!("this admin token lacks the scope {scope:?} that this method needs", scope = scope.as_str()),
        HashMap::from([("scope".to_owned(), scope.as_str().to_owned())]),
    )
}

/// The refusal of an admin token presented without the client certificate that
/// `--tls-client-ca` requires.
fn client_certificate_required() -> http::Response<tonic::body::Body> {
    refuse(
        Code::Unauthenticated,
        "CLIENT_CERTIFICATE_REQUIRED",
        "admin calls on this server need a TLS client certificate issued by its --tls-client-ca, besides the admin token"
            .to_owned(),
        HashMap::new(),
    )
}

#[derive(Clone)]
pub struct AuthLayer {
    tokens: AdminTokens,
    client_certificates_required: bool,
}

impl AuthLayer {
    /// `client_certificates_required`: admin tokens count only on connections that presented
    /// a verified client certificate (`--tls-client-ca`).
    pub fn new(tokens: AdminTokens, client_certificates_required: bool) -> Self {
        AuthLayer { tokens, client_certificates_required }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;
    fn layer(&self, inner: S) -> Auth<S> {
        Auth { inner, tokens: self.tokens.clone(), client_certificates_required: self.client_certificates_required }
    }
}

#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    tokens: AdminTokens,
    client_certificates_required: bool,
}

impl<S, B> Service<http::Request<B>> for Auth<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        let access = if path.starts_with(PROTECTED_PREFIX) {
            match access(path) {
                Some(access) => Some(access),
                None => {
                    // Fail closed: a method nobody classified is nobody's to call.
                    let response = refuse(
                        Code::PermissionDenied,
                        "METHOD_NOT_CLASSIFIED",
                        "this method is not in privacyd's access table".to_owned(),
                        HashMap::new(),
                    );
                    return Box::pin(async move { Ok(response) });
                }
            }
        } else {
            None
        };
        let header = request.headers().get(http::header::AUTHORIZATION);
        let presented = header.map(|value| value.to_str().ok().and_then(bearer_token));
        let mut grant = presented.flatten().and_then(|token| self.tokens.authenticate(token));
        let without_certificate =
            self.client_certificates_required && request.extensions().get::<ClientCertificate>().is_none();
        if without_certificate && grant.is_some() {
            match access {
                Some(Access::Admin(_) | Access::SubjectOrAdmin(_)) => {
                    return Box::pin(async move { Ok(client_certificate_required()) });
                }
                // Elsewhere (public methods, pages, health) the token is ignored, so that it
                // cannot lift the public rate limits either.
                _ => grant = None,
            }
        }
        let refusal = match (access, &grant) {
            (Some(Access::Admin(_)), None) => Some(refuse(
                Code::Unauthenticated,
                "UNAUTHENTICATED",
                if presented.is_some() {
                    "the admin token is not valid".to_owned()
                } else {
                    "this method needs an admin token: send the metadata 'authorization: Bearer <token>'".to_owned()
                },
                HashMap::new(),
            )),
            (Some(Access::Admin(scope) | Access::SubjectOrAdmin(scope)), Some(grant))
                if !grant.scopes.contains(scope) =>
            {
                Some(missing_scope(scope))
            }
            _ => None,
        };
        if let Some(response) = refusal {
            return Box::pin(async move { Ok(response) });
        }
        if let Some(grant) = grant {
            request.extensions_mut().insert(grant.actor);
        }
        // The clone that was made ready is the one to call (tower's contract).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    /// Every method of `privacy.v1`, from the compiled descriptors: the table must list each
    /// one exactly once, and nothing else.
    #[test]
    fn every_method_of_the_api_has_exactly_one_entry() {
        let set = prost_types::FileDescriptorSet::decode(crate::proto::FILE_DESCRIPTOR_SET).unwrap();
        let mut paths = Vec::new();
        for file in set.file.iter().filter(|f| f.package() == "privacy.v1") {
            for service in &file.service {
                for method in &service.method {
                    paths.push(format!("/privacy.v1.{}/{}", service.name(), method.name()));
                }
            }
        }
        assert!(paths.len() >= 21, "the descriptors list {paths:?}");
        for path in &paths {
            let entries = METHODS.iter().filter(|(s, m, _)| path.strip_prefix(s) == Some(m)).count();
            assert_eq!(entries, 1, "{path} must have exactly one entry in auth::METHODS");
        }
        for (service, method, _) in METHODS {
            let path = format!("{service}{method}");
            assert!(paths.contains(&path), "{path} is in auth::METHODS but not in the API");
        }
    }
}
