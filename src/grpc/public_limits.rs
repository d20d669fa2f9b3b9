//! What a caller without an admin token may do: how often, and how much it may send.
//!
//! Everything a caller reaches without an admin token is "public": the subject's gRPC calls
//! (ConfirmPrivacyRequest, DownloadExport with a token), every HTTP page (the links in emails,
//! and any page added later), unknown paths, health and reflection. The rule is by
//! classification, not by a list of handlers, so a new public page is covered the day it is
//! added.
//!
//! - **Rate** (issue 10, item 4): per client address, a token bucket (GCRA, from `governor`)
//!   of `burst` requests refilled at `per_minute`. Health checks and reflection are exempt:
//!   they hold no secret to guess and load balancers poll them. Over the limit, gRPC answers
//!   RESOURCE_EXHAUSTED with reason `RATE_LIMITED` and a `google.rpc.RetryInfo`; HTTP answers
//!   429 with `Retry-After` (RFC 6585 section 4, RFC 9110 section 10.2.3).
//! - **Size** (issue 10, item 1): a public request body may hold [`PUBLIC_REQUEST_BYTES`] in
//!   all. A confirmation is under 200 bytes; without this bound each of a connection's streams
//!   could make privacyd buffer a whole admin-sized message.
//! - **Time**: the body of a rate-limited public request must arrive within the handshake
//!   timeout, so a call cannot hold one of its connection's streams by trickling its body
//!   (or never ending it). Health and reflection streams are exempt: grpcurl keeps its
//!   reflection stream open for as long as the call it describes.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures::future::BoxFuture;
use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock};
use tonic::{Code, Status, body::Body};
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};

use super::{connections::client_ip, status::DOMAIN};
use crate::{domain::Actor, shutdown::Shutdown};

/// Most bytes a public request body may hold: a few small messages with their 5-byte gRPC
/// prefixes (a reflection session sends several), or an HTML form.
pub const PUBLIC_REQUEST_BYTES: usize = 8 * 1024;

/// How often addresses that have refilled their bucket are forgotten, so the limiter's memory
/// is bounded by the addresses seen in one period.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// Per-address request rate for public calls.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Requests per minute, sustained; 0 turns the limit off.
    pub per_minute: u32,
    /// Requests allowed at once before the rate applies.
    pub burst: u32,
}

/// The shared state of the public limits; one per server.
#[derive(Clone)]
pub struct PublicLimitsLayer {
    limiter: Option<IpRateLimiter>,
    body_timeout: Duration,
}

impl PublicLimitsLayer {
    /// Builds the limits and, when a rate applies, a task that forgets idle addresses until
    /// `shutdown`. `body_timeout`: time a public request has to send its whole body.
    pub fn new(rate: RateLimit, body_timeout: Duration, shutdown: Shutdown) -> Self {
        let limiter = NonZeroU32::new(rate.per_minute).map(|per_minute| {
            let period = Duration::from_secs(60) / per_minute.get();
            let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
            let quota = Quota::with_period(period).expect("a period of at least 1 µs").allow_burst(burst);
            IpRateLimiter::new(quota, shutdown)
        });
        PublicLimitsLayer { limiter, body_timeout }
    }
}

/// A token bucket per client address (GCRA, from `governor`), keyed by [`bucket`], whose idle
/// addresses are forgotten every minute until shutdown so its memory stays bounded. The
/// public limit above uses one; so does the `/request` form (`--self-service-rate`).
#[derive(Clone)]
pub struct IpRateLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl IpRateLimiter {
    pub fn new(quota: Quota, mut shutdown: Shutdown) -> Self {
        let limiter = Arc::new(DefaultKeyedRateLimiter::hashmap(quota));
        let forget = limiter.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(FORGET_EVERY) => {}
                    _ = shutdown.wait() => return,
                }
                forget.retain_recent();
                forget.shrink_to_fit();
            }
        });
        IpRateLimiter { limiter }
    }

    /// Takes one request from `ip`'s bucket, or says how long until one is allowed.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        self.limiter.check_key(&bucket(ip)).map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }
}

/// A wait as `Retry-After` gives it: whole seconds, rounded up, and never 0 (RFC 9110
/// section 10.2.3 has no finer unit).
pub fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

impl<S> Layer<S> for PublicLimitsLayer {
    type Service = PublicLimits<S>;
    fn layer(&self, inner: S) -> PublicLimits<S> {
        PublicLimits { inner, limiter: self.limiter.clone(), body_timeout: self.body_timeout }
    }
}

#[derive(Clone)]
pub struct PublicLimits<S> {
    inner: S,
    limiter: Option<IpRateLimiter>,
    body_timeout: Duration,
}

impl<S> Service<http::Request<Body>> for PublicLimits<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // AuthLayer, in front of this one, marks a request that proved an admin token.
        let admin = matches!(request.extensions().get::<Actor>(), Some(Actor::Admin(_)));
        if admin {
            return Box::pin(self.inner.call(request));
        }
        let path = request.uri().path();
        let exempt = path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.");
        if let (false, Some(limiter), Some(ip)) = (exempt, &self.limiter, client_ip(&request))
            && let Err(wait) = limiter.check(ip)
        {
            let response = too_many_requests(is_grpc(&request), wait);
            return Box::pin(async move { Ok(response) });
        }
        let deadline = (!exempt).then(|| Box::pin(tokio::time::sleep(self.body_timeout)));
        let request = request.map(|body| Body::new(Capped { body, remaining: PUBLIC_REQUEST_BYTES, deadline }));
        Box::pin(self.inner.call(request))
    }
}

/// The key a client is counted under: its IPv4 address, or its IPv6 /64, since one host is
/// usually given a whole /64 (RFC 6177) and could otherwise rotate through it for fresh
/// buckets.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

pub fn is_grpc<B>(request: &http::Request<B>) -> bool {
    request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

fn too_many_requests(grpc: bool, wait: Duration) -> http::Response<Body> {
    let seconds = retry_after_seconds(wait);
    if grpc {
        let mut details = ErrorDetails::with_error_info(
            "RATE_LIMITED",
            DOMAIN,
            HashMap::from([("retry_after_seconds".to_owned(), seconds.to_string())]),
        );
        details.set_retry_info(Some(Duration::from_secs(seconds)));
        let message = format!("too many requests from your address; try again in {seconds} s");
        return Status::with_error_details(Code::ResourceExhausted, message, details).into_http();
    }
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too many requests</title></head>\
         <body><h1>Too many requests</h1><p>Too many requests came from your address. Please try again in \
         {seconds} seconds.</p></body></html>\n"
    );
    http::Response::builder()
        .status(http::StatusCode::TOO_MANY_REQUESTS)
        .header(http::header::RETRY_AFTER, seconds)
        .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::new(page))
        .expect("a valid response")
}

/// A request body that fails once it has delivered more than `remaining` bytes, or when it
/// has not ended by `deadline`. The failure is a `Status`, which tonic hands to the caller
/// as it is.
struct Capped {
    body: Body,
    remaining: usize,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl http_body::Body for Capped {
    type Data = hyper::body::Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let frame = match Pin::new(&mut self.body).poll_frame(cx) {
            Poll::Ready(frame) => frame,
            Poll::Pending => {
                if let Some(deadline) = self.deadline.as_mut()
                    && deadline.as_mut().poll(cx).is_ready()
                {
                    self.deadline = None;
                    let message = "the request was not sent in time";
                    return Poll::Ready(Some(Err(Status::deadline_exceeded(message))));
                }
                return Poll::Pending;
            }
        };
        if frame.is_none() || self.body.is_end_stream() {
            // Sent in full: the response may take as long as it takes.
            self.deadline = None;
        }
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
        {
            match self.remaining.checked_sub(data.len()) {
                Some(left) => self.remaining = left,
                None => {
                    let message =
                        format!("a request without an admin token may send at most {PUBLIC_REQUEST_BYTES} bytes");
                    return Poll::Ready(Some(Err(Status::resource_exhausted(message))));
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_host_is_one_bucket_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(bucket(a), bucket(b));
        assert_ne!(bucket(a), bucket(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(bucket(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }
}
