//! What every HTTP (non-gRPC) response carries, and what an unknown path answers (issue 10,
//! item 5). One layer in front of all routes, so a page added later gets the same headers
//! without anyone remembering to add them.

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::{HeaderName, HeaderValue, header};
use tonic::body::Body;
use tower::{Layer, Service};

use super::public_limits::is_grpc;

/// Headers for every HTTP response, with the Content-Security-Policy built from the styles
/// the pages need: one set for the subject's pages (no script at all) and one for the console
/// (its own script and style files only).
#[derive(Clone)]
pub struct PageHeadersLayer {
    headers: std::sync::Arc<Vec<(HeaderName, HeaderValue)>>,
    console_csp: HeaderValue,
}

/// The console's Content-Security-Policy: htmx and the style sheet from privacyd itself
/// (`'self'`), no inline script or style, no eval (htmx is configured without it), htmx's
/// requests to privacyd only, forms posting back to privacyd only, no framing.
pub const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                               img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Whether a path is the console's (its pages get [`CONSOLE_CSP`]).
fn is_console(path: &str) -> bool {
    path == crate::console::session::CONSOLE_PATH || path.starts_with("/console/")
}

impl PageHeadersLayer {
    /// `style_hashes`: CSP hash-sources (`'sha256-…'`) of the pages' inline style blocks.
    pub fn new(style_hashes: &[String]) -> Self {
        let styles = if style_hashes.is_empty() { "'none'".to_owned() } else { style_hashes.join(" ") };
        // No script at all; styles only as the templates have them; forms (the withdraw
        // button) post back to privacyd only; no framing (clickjacking a confirm button).
        let csp = format!(
            "default-src 'none'; style-src {styles}; form-action 'self'; base-uri 'none'; \
             frame-ancestors 'none'"
        );
        let headers = vec![
            // Pages and downloads carry a subject's request id, token or data: no cache may
            // keep them (RFC 9111 section 5.2.2.5).
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            // The page URL holds the token; it must not leak to another site.
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("an ASCII policy")),
            // For browsers older than CSP's frame-ancestors.
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        ];
        PageHeadersLayer { headers: std::sync::Arc::new(headers), console_csp: HeaderValue::from_static(CONSOLE_CSP) }
    }
}

impl<S> Layer<S> for PageHeadersLayer {
    type Service = PageHeaders<S>;
    fn layer(&self, inner: S) -> PageHeaders<S> {
        PageHeaders { inner, headers: self.headers.clone(), console_csp: self.console_csp.clone() }
    }
}

#[derive(Clone)]
pub struct PageHeaders<S> {
    inner: S,
    headers: std::sync::Arc<Vec<(HeaderName, HeaderValue)>>,
    console_csp: HeaderValue,
}

impl<S, B> Service<http::Request<B>> for PageHeaders<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let grpc = is_grpc(&request);
        let path = request.uri().path();
        let console = is_console(path);
        // The console's static files hold no personal data and name their version in the
        // URL: they keep the long cache they were served with. Nothing else may be cached.
        let static_file = path.starts_with(crate::console::static_files::STATIC_PREFIX);
        let headers = self.headers.clone();
        let console_csp = self.console_csp.clone();
        let call = self.inner.call(request);
        Box::pin(async move {
            let mut response = call.await?;
            if !grpc {
                let cacheable = static_file && response.status().is_success();
                for (name, value) in headers.iter() {
                    if *name == header::CACHE_CONTROL && cacheable {
                        continue;
                    }
                    let value = if *name == header::CONTENT_SECURITY_POLICY && console { &console_csp } else { value };
                    response.headers_mut().insert(name.clone(), value.clone());
                }
            }
            Ok(response)
        })
    }
}

/// The fallback of the whole router: gRPC keeps its UNIMPLEMENTED status (what a gRPC client
/// expects for an unknown method), anything else gets a 404 page.
pub async fn not_found(request: axum::extract::Request) -> http::Response<Body> {
    if is_grpc(&request) {
        return tonic::Status::unimplemented(format!("unknown method {}", request.uri().path())).into_http();
    }
    let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title></head>\
                <body><h1>This page does not exist</h1><p>If you followed a link from an email, check that \
                you opened the whole link.</p></body></html>\n";
    http::Response::builder()
        .status(http::StatusCode::NOT_FOUND)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::new(page.to_owned()))
        .expect("a valid response")
}
