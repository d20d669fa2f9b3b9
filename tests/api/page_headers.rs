//! The HTTP side's hygiene (issue 10, item 5): unknown paths are 404 (gRPC callers still get
//! UNIMPLEMENTED), and every HTTP response, present page or future one, carries headers that
//! keep it out of caches, frames, other sites' Referer and content sniffing.

use base64::Engine;
use sha2::Digest;
use tonic::Code;

use crate::helpers::{Backend, TestApp, http_get, http_post_form, within_time_limit};

/// Header `name` (lower-case) of a response head, if present.
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

fn assert_page_headers(what: &str, head: &str) {
    assert_eq!(header(head, "cache-control").as_deref(), Some("no-store"), "{what}: {head}");
    assert_eq!(header(head, "referrer-policy").as_deref(), Some("no-referrer"), "{what}: {head}");
    assert_eq!(header(head, "x-content-type-options").as_deref(), Some("nosniff"), "{what}: {head}");
    assert_eq!(header(head, "x-frame-options").as_deref(), Some("DENY"), "{what}: {head}");
    let csp = header(head, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP in {head}"));
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for needed in ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"] {
        assert!(directives.contains(&needed), "{what}: CSP {csp} lacks {needed}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("script-src"), "{what}: CSP {csp} allows script or inline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_are_404_for_browsers_and_unimplemented_for_grpc() {
    within_time_limit(async {
        let app = TestApp::spawn(Backend::Sqlite).await;
        let addr = app.addr;
        for path in ["/", "/no-such-page", "/favicon.ico", "/confirm/extra", "/admin"] {
            let (status, head, body) = tokio::task::spawn_blocking(move || http_get(addr, path)).await.unwrap();
            assert_eq!(status, 404, "GET {path}: {head}");
            assert!(header(&head, "grpc-status").is_none(), "GET {path} answered as gRPC: {head}");
            assert!(String::from_utf8_lossy(&body).contains("does not exist"), "GET {path}");
            assert_page_headers(&format!("GET {path}"), &head);
        }
        let (status, head, _) =
            tokio::task::spawn_blocking(move || http_post_form(addr, "/no-such-form", &[("a", "b")])).await.unwrap();
        assert_eq!(status, 404, "POST to an unknown path: {head}");

        // A gRPC client calling a method privacyd does not have still gets UNIMPLEMENTED.
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.unwrap();
        let codec = tonic_prost::ProstCodec::<(), ()>::default();
        let path = http::uri::PathAndQuery::from_static("/other.v1.NoSuchService/Nothing");
        let err = grpc.unary(tonic::Request::new(()), path, codec).await.unwrap_err();
        assert_eq!(err.code(), Code::Unimplemented, "{err:?}");
        app.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_carries_the_security_headers_and_its_styles_are_allowed_by_hash() {
    within_time_limit(async {
        let app = TestApp::spawn(Backend::Sqlite).await;
        let addr = app.addr;
        let request =
            app.create(&crate::helpers::unique_email(), privacyd::proto::privacy::v1::Action::Export, true).await;
        let gets = [
            "/confirm?id=not-an-id&token=x".to_owned(),
            format!("/confirm?id={}&token=wrong", request.id),
            "/download?id=x&token=y".to_owned(),
            "/withdraw".to_owned(),
        ];
        for path in gets {
            let (status, head, body) = {
                let path = path.clone();
                tokio::task::spawn_blocking(move || http_get(addr, &path)).await.unwrap()
            };
            assert_page_headers(&format!("GET {path} ({status})"), &head);
            // Every inline style block of a page is allowed by its hash, and nothing else is.
            let body = String::from_utf8_lossy(&body).into_owned();
            let csp = header(&head, "content-security-policy").unwrap();
            let mut rest = body.as_str();
            while let Some(start) = rest.find("<style>") {
                let end = rest[start..].find("</style>").unwrap() + start;
                let css = &rest[start + "<style>".len()..end];
                let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(css.as_bytes()));
                assert!(
                    csp.contains(&format!("'sha256-{hash}'")),
                    "GET {path}: the page's style is not allowed by {csp}"
                );
                rest = &rest[end..];
            }
        }
        let (_, head, _) =
            tokio::task::spawn_blocking(move || http_post_form(addr, "/withdraw", &[("id", "x"), ("token", "y")]))
                .await
                .unwrap();
        assert_page_headers("POST /withdraw", &head);
        app.stop().await;
    })
    .await
}
