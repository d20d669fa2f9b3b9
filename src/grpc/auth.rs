//! Admin authentication, as a tower layer in front of every service: one place decides which
//! methods are public, so a new admin method cannot be left open by forgetting a check.

use std::{
    collections::HashMap,
    sync::Arc,
    task::{Context, Poll},
};

use futures::future::BoxFuture;
use tonic::Code;
use tower::{Layer, Service};

use super::status::status;
use crate::domain::{Actor, TokenHash};

/// Methods whose own token field is the credential.
const PUBLIC_METHODS: &[&str] =
    &["/privacy.v1.PrivacyRequestService/ConfirmPrivacyRequest", "/privacy.v1.PrivacyRequestService/DownloadExport"];

/// Every method of these packages needs an admin token, unless listed above.
const PROTECTED_PREFIX: &str = "/privacy.v1.";

/// The configured admin tokens, kept only as hashes.
#[derive(Debug, Clone)]
pub struct AdminTokens(Arc<Vec<TokenHash>>);

impl AdminTokens {
    pub fn new(tokens: &[String]) -> Self {
        AdminTokens(Arc::new(tokens.iter().map(|t| TokenHash::of(t)).collect()))
    }

    /// The admin an `authorization` header value proves, if any.
    pub fn authenticate(&self, header: Option<&http::HeaderValue>) -> Option<Actor> {
        let value = header?.to_str().ok()?;
        let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
        let presented = TokenHash::of(token);
        // Compare against every token, so timing does not say which one matched.
        let mut found = None;
        for hash in self.0.iter() {
            if hash.ct_eq(&presented) {
                found = Some(Actor::Admin(hash.fingerprint()));
            }
        }
        found
    }
}

#[derive(Clone)]
pub struct AuthLayer {
    tokens: AdminTokens,
}

impl AuthLayer {
    pub fn new(tokens: AdminTokens) -> Self {
        AuthLayer { tokens }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;
    fn layer(&self, inner: S) -> Auth<S> {
        Auth { inner, tokens: self.tokens.clone() }
    }
}

#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    tokens: AdminTokens,
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
        let protected = path.starts_with(PROTECTED_PREFIX) && !PUBLIC_METHODS.contains(&path);
        let actor = self.tokens.authenticate(request.headers().get(http::header::AUTHORIZATION));
        if protected && actor.is_none() {
            let message = if request.headers().contains_key(http::header::AUTHORIZATION) {
                "the admin token is not valid"
            } else {
                "this method needs an admin token: send the metadata 'authorization: Bearer <token>'"
            };
            let response = status(Code::Unauthenticated, "UNAUTHENTICATED", message, HashMap::new()).into_http();
            return Box::pin(async move { Ok(response) });
        }
        if let Some(actor) = actor {
            request.extensions_mut().insert(actor);
        }
        // The clone that was made ready is the one to call (tower's contract).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(inner.call(request))
    }
}
