//! The caller's deadline (`grpc-timeout`) is enforced by privacyd itself: a call still
//! running when it passes is answered DEADLINE_EXCEEDED by the server, and its handler stops.
//! The call is made over plain HTTP/2 (the h2 crate), not with tonic's client, which enforces
//! the same header on its side and would win the race: here only the server can end it.

use std::time::{Duration, Instant};

use privacyd::proto::privacy::v1 as pb;
use prost::Message;
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{Backend, TestApp, within_time_limit};

/// Calls `RegisterDataSource` with `grpc-timeout: <timeout>` and returns the response's
/// `grpc-status` (from the headers of a trailers-only answer, or from the trailers).
async fn register_with_timeout(app: &TestApp, message: &pb::RegisterDataSourceRequest, timeout: &str) -> String {
    let tcp = TcpStream::connect(app.addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut client = client.ready().await.unwrap();
    let request =
        http::Request::post(format!("http://{}/privacy.v1.DataSourceRegistryService/RegisterDataSource", app.addr))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("grpc-timeout", timeout)
            .header("authorization", format!("Bearer {}", app.admin_token))
            .body(())
            .unwrap();
    let (response, mut send) = client.send_request(request, false).unwrap();
    // One length-prefixed, uncompressed message (gRPC over HTTP/2).
    let body = message.encode_to_vec();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(body.len() as u32).to_be_bytes());
    framed.extend_from_slice(&body);
    send.send_data(framed.into(), true).unwrap();
    let response = response.await.unwrap();
    if let Some(status) = response.headers().get("grpc-status") {
        return status.to_str().unwrap().to_owned();
    }
    let mut body = response.into_body();
    while body.data().await.is_some() {}
    let trailers = body.trailers().await.unwrap().expect("a gRPC answer ends with trailers");
    trailers.get("grpc-status").unwrap().to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_the_callers_deadline_is_answered_deadline_exceeded() {
    within_time_limit(async {
        let app = TestApp::spawn(Backend::Sqlite).await;
        // An endpoint that accepts connections and never answers: registering calls its
        // Describe, which waits for the source's own timeouts (seconds).
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", silent.local_addr().unwrap());
        let _held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                open.push(stream);
            }
        });
        let message = pb::RegisterDataSourceRequest { name: "silent".into(), endpoint, ..Default::default() };

        let started = Instant::now();
        let status = register_with_timeout(&app, &message, "300m").await;
        let took = started.elapsed();
        // 4 is DEADLINE_EXCEEDED.
        assert_eq!(status, "4", "after {took:?}");
        assert!(took < Duration::from_secs(2), "answered only after {took:?}");

        // The handler was dropped: nothing was registered after the deadline either.
        let listed = app.registry.clone().list_data_sources(pb::ListDataSourcesRequest::default()).await.unwrap();
        assert!(listed.into_inner().data_sources.is_empty());
        app.stop().await;
    })
    .await
}
