//! Console sessions: what a sign-in leaves in the browser (a cookie holding a random id) and
//! in the database (the id's SHA-256 with the token's fingerprint, scopes and CSRF token), and
//! how each request finds its session again.
//!
//! - The cookie holds 256 random bits and nothing else; the database holds only their SHA-256,
//!   so a copy of the database opens no session (as with every other token in privacyd).
//! - `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page sends it, the
//!   first defence against cross-site requests; the CSRF token in [`super::csrf`] is the
//!   second), and, when privacyd serves TLS, `Secure` with the `__Host-` prefix (RFC 6265bis
//!   §4.1.3.2: the browser then refuses a cookie of that name set over plain HTTP, by another
//!   host or with a Domain). `__Host-` requires `Path=/`, so a TLS cookie is scoped to the
//!   host rather than to `/console`; over plain HTTP it is scoped to `/console`.
//! - Two expiries: idle (`--console-idle-timeout`, since the last request) and absolute
//!   (`--console-session-lifetime`, since sign-in). An expired session is deleted on sight,
//!   and the sweeper deletes the rest ([`Sessions::sweep`]).
//! - A session names its admin token by fingerprint and works only while a token with that
//!   fingerprint is in force: removing the token from the tokens file and reloading ends
//!   every session it opened. Its scopes are those it had at sign-in and those the token has
//!   now, whichever are fewer.
//!
//! [`SessionLayer`] looks the session up once per request, in front of the public limits:
//! a signed-in operator is an admin (`Actor::Admin`), whom the public rate limit and body cap
//! do not apply to, exactly like a gRPC call with the token. Requests without a valid session
//! stay public and limited.

use std::{
    task::{Context, Poll},
    time::Duration,
};

use futures::future::BoxFuture;
use http::HeaderValue;
use tower::{Layer, Service};

use crate::{
    admin_tokens::{AdminTokens, Grant},
    domain::{Actor, Error, Scope, Scopes, SecretToken, Timestamp},
    grpc::tls::ClientCertificate,
    store::{NewConsoleSession, Store},
};

/// Where the console lives; the session cookie of a plain-HTTP privacyd is scoped to it.
pub const CONSOLE_PATH: &str = "/console";

/// The cookie's name over plain HTTP.
pub const COOKIE_NAME: &str = "privacyd_console";
/// The cookie's name when privacyd serves TLS (`Secure`, host-only, `Path=/`).
pub const SECURE_COOKIE_NAME: &str = "__Host-privacyd_console";

/// How sessions behave; from `--console-idle-timeout`, `--console-session-lifetime` and
/// whether privacyd serves TLS.
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, however busy.
    pub lifetime: Duration,
    /// TLS is on: the cookie is `Secure` and `__Host-` prefixed.
    pub secure_cookies: bool,
    /// `--tls-client-ca`: as an admin token, a session counts only on a connection that
    /// presented a client certificate.
    pub client_certificates_required: bool,
}

/// The sessions of this privacyd (and of every replica sharing its database). Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    store: Store,
    tokens: AdminTokens,
    settings: SessionSettings,
}

/// A signed-in session, as [`SessionLayer`] found it for the current request. Page handlers
/// get it through [`super::ConsoleUser`].
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    /// SHA-256 of the cookie's value, hex: the row's key.
    pub id_hash: String,
    /// The admin token's actor (`Actor::Admin(fingerprint)`), for the audit log.
    pub actor: Actor,
    /// What this session may do now: the scopes it had at sign-in that its token still has.
    pub scopes: Scopes,
    /// The session's CSRF token, for forms.
    pub csrf_token: String,
}

/// Put in a request's extensions when its session could not be looked up (the database did
/// not answer): the page says so rather than asking to sign in again.
#[derive(Debug, Clone, Copy)]
pub struct SessionUnavailable;

impl Sessions {
    pub fn new(store: Store, tokens: AdminTokens, settings: SessionSettings) -> Self {
        Sessions { store, tokens, settings }
    }

    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// The cookie's name: `__Host-`-prefixed under TLS.
    pub fn cookie_name(&self) -> &'static str {
        if self.settings.secure_cookies { SECURE_COOKIE_NAME } else { COOKIE_NAME }
    }

    /// Opens a session for what a token proved; returns the cookie value to send (the only
    /// copy of the session id; the database keeps its hash).
    pub async fn start(&self, grant: &Grant) -> Result<SecretToken, Error> {
        let id = SecretToken::generate();
        let now = crate::domain::now();
        let lifetime = chrono::Duration::from_std(self.settings.lifetime)
            .map_err(|_| Error::Internal("--console-session-lifetime is too long".into()))?;
        let Actor::Admin(actor_id) = &grant.actor else {
            return Err(Error::Internal("a console session for a non-admin actor".into()));
        };
        self.store
            .insert_console_session(&NewConsoleSession {
                id_hash: id.hash().to_hex(),
                actor_id: actor_id.clone(),
                scopes: grant.scopes.to_string(),
                csrf_token: SecretToken::generate().expose().to_owned(),
                create_time: now,
                expire_time: now + lifetime,
            })
            .await?;
        Ok(id)
    }

    /// The live session a cookie value opens, if any. Deletes a session found expired or
    /// whose token is no longer in force, and records the use of a live one (at most every
    /// [`Sessions::touch_every`], so a page with many requests writes once).
    pub async fn resolve(&self, cookie_value: &str) -> Result<Option<ConsoleSession>, Error> {
        // Anything that could not have come from `start` is refused without a query.
        let Some(presented) = SecretToken::from_presented(cookie_value) else { return Ok(None) };
        let id_hash = presented.hash().to_hex();
        let Some(stored) = self.store.console_session(&id_hash).await? else { return Ok(None) };
        let now = crate::domain::now();
        let idle = since(stored.last_seen_time, now);
        let grant = self.tokens.grant_by_fingerprint(&stored.actor_id);
        let scopes = grant.as_ref().and_then(|grant| {
            let at_sign_in = Scopes::parse(&stored.scopes).ok()?;
            grant.scopes.intersection(at_sign_in)
        });
        let ending = if now >= stored.expire_time {
            Some("its lifetime is over")
        } else if idle >= self.settings.idle_timeout {
            Some("it was idle too long")
        } else if grant.is_none() {
            Some("its admin token is no longer in force")
        } else if scopes.is_none() {
            Some("its admin token no longer has any scope it signed in with")
        } else {
            None
        };
        if let Some(why) = ending {
            tracing::info!(actor = %stored.actor_id, reason = why, "console session ended");
            self.store.delete_console_session(&id_hash).await?;
            return Ok(None);
        }
        if idle >= self.touch_every() {
            self.store.touch_console_session(&id_hash, now).await?;
        }
        Ok(Some(ConsoleSession {
            id_hash,
            actor: Actor::Admin(stored.actor_id),
            scopes: scopes.expect("checked above"),
            csrf_token: stored.csrf_token,
        }))
    }

    /// How stale `last_seen_time` may get before a request updates it: a tenth of the idle
    /// timeout, at most a minute. The idle expiry is therefore exact to within that.
    fn touch_every(&self) -> Duration {
        (self.settings.idle_timeout / 10).min(Duration::from_secs(60))
    }

    /// Ends a session (sign-out).
    pub async fn end(&self, session: &ConsoleSession) -> Result<(), Error> {
        self.store.delete_console_session(&session.id_hash).await?;
        Ok(())
    }

    /// Deletes every expired session; the sweeper calls it on each pass. Returns how many.
    pub async fn sweep(&self) -> Result<u64, Error> {
        let now = crate::domain::now();
        let idle = chrono::Duration::from_std(self.settings.idle_timeout).unwrap_or(chrono::Duration::MAX);
        let idle_since = now.checked_sub_signed(idle).unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        self.store.delete_expired_console_sessions(now, idle_since).await
    }

    /// The `Set-Cookie` value that stores a new session's id in the browser. No `Max-Age`: a
    /// session cookie, gone when the browser closes; the server's expiries apply anyway.
    pub fn set_cookie(&self, id: &SecretToken) -> HeaderValue {
        let value = format!("{}={}; {}", self.cookie_name(), id.expose(), self.attributes());
        HeaderValue::from_str(&value).expect("a token is URL-safe base64")
    }

    /// The `Set-Cookie` value that removes the cookie (sign-out, or an ended session).
    pub fn clear_cookie(&self) -> HeaderValue {
        let value = format!("{}=; Max-Age=0; {}", self.cookie_name(), self.attributes());
        HeaderValue::from_str(&value).expect("ASCII")
    }

    fn attributes(&self) -> String {
        if self.settings.secure_cookies {
            "Path=/; HttpOnly; SameSite=Strict; Secure".to_owned()
        } else {
            format!("Path={CONSOLE_PATH}; HttpOnly; SameSite=Strict")
        }
    }

    /// The session cookie's value in a request's `Cookie` headers.
    pub fn cookie_value<'a>(&self, headers: &'a http::HeaderMap) -> Option<&'a str> {
        find_cookie(headers, self.cookie_name())
    }
}

/// A cookie's value in `Cookie` headers (RFC 6265 §5.4: `name=value` pairs separated by
/// `; `, possibly over several headers, as HTTP/2 sends them).
fn find_cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

fn since(then: Timestamp, now: Timestamp) -> Duration {
    (now - then).to_std().unwrap_or(Duration::ZERO)
}

impl ConsoleSession {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }
}

/// Finds each console request's session (see the module's documentation).
#[derive(Clone)]
pub struct SessionLayer {
    sessions: Sessions,
}

impl SessionLayer {
    pub fn new(sessions: Sessions) -> Self {
        SessionLayer { sessions }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;
    fn layer(&self, inner: S) -> SessionService<S> {
        SessionService { inner, sessions: self.sessions.clone() }
    }
}

#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    sessions: Sessions,
}

impl<S, B> Service<http::Request<B>> for SessionService<S>
where
    S: Service<http::Request<B>> + Clone + Send + 'static,
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
        // The clone that was made ready is the one to call (tower's contract).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = request.uri().path();
        let console = path == CONSOLE_PATH || path.starts_with("/console/");
        // Static files are the same for everyone: no lookup for them.
        let wanted = console && !path.starts_with(super::static_files::STATIC_PREFIX);
        let without_certificate = self.sessions.settings.client_certificates_required
            && request.extensions().get::<ClientCertificate>().is_none();
        let cookie = if wanted && !without_certificate {
            self.sessions.cookie_value(request.headers()).map(str::to_owned)
        } else {
            None
        };
        let Some(cookie) = cookie else { return Box::pin(inner.call(request)) };
        let sessions = self.sessions.clone();
        Box::pin(async move {
            match sessions.resolve(&cookie).await {
                Ok(Some(session)) => {
                    request.extensions_mut().insert(session.actor.clone());
                    request.extensions_mut().insert(session);
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "looking up a console session failed");
                    request.extensions_mut().insert(SessionUnavailable);
                }
            }
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_over_several_headers() {
        let mut headers = http::HeaderMap::new();
        headers.append(http::header::COOKIE, HeaderValue::from_static("a=1; privacyd_consolex=no"));
        headers.append(http::header::COOKIE, HeaderValue::from_static("b=2;privacyd_console=yes ; c=3"));
        assert_eq!(find_cookie(&headers, COOKIE_NAME), Some("yes"));
        assert_eq!(find_cookie(&headers, SECURE_COOKIE_NAME), None);
        headers.append(http::header::COOKIE, HeaderValue::from_static("__Host-privacyd_console=tls"));
        assert_eq!(find_cookie(&headers, SECURE_COOKIE_NAME), Some("tls"));
    }
}
