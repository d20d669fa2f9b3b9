//! A data source whose behaviour a test controls: it fails, hangs, breaks its stream, lies,
//! or streams slowly, and counts its calls.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures::StreamExt;
use privacyd::proto::privacy::datasource::v1::{
    self as ds,
    data_source_service_server::{DataSourceService, DataSourceServiceServer},
};
use tonic::{Request, Response, Status};

/// A source whose behaviour the test controls.
#[derive(Clone, Default)]
pub struct Misbehaving {
    pub calls: Arc<AtomicUsize>,
    /// Fail every call with this code while set.
    pub failing: Arc<AtomicBool>,
    /// Never answer the first N calls.
    pub hang_first: usize,
    /// Break the stream after one item on the first N calls.
    pub break_first: usize,
    /// Send a file chunk at a wrong offset.
    pub lie: bool,
    /// Stream this many items, this far apart.
    pub slow: Option<(usize, Duration)>,
    /// Stream this many items of this many bytes each, as fast as they are taken.
    pub flood: Option<(usize, usize)>,
    /// Items of a flood taken from this source so far (a cancelled stream stops taking them).
    pub sent: Arc<AtomicUsize>,
}

pub fn item(id: &str) -> ds::ExportResponse {
    ds::ExportResponse {
        payload: Some(ds::export_response::Payload::Item(ds::ExportItem {
            group_id: "things".into(),
            group_label: "Things".into(),
            item_id: id.into(),
            data: vec![ds::ExportField { name: "Name".into(), value: id.into() }],
            ..Default::default()
        })),
    }
}

#[tonic::async_trait]
impl DataSourceService for Misbehaving {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(describe_things("misbehaving")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.failing.load(Ordering::SeqCst) {
            let subject = request.get_ref().subject.clone().unwrap_or_default();
            return Err(Status::internal(format!("the database is on fire (while reading {})", subject.email)));
        }
        if call <= self.hang_first {
            return Ok(Response::new(futures::stream::pending().boxed()));
        }
        if call <= self.break_first {
            let broken = futures::stream::iter(vec![Ok(item("a")), Err(Status::unavailable("connection lost"))]);
            return Ok(Response::new(broken.boxed()));
        }
        if let Some((count, gap)) = self.slow {
            let items = futures::stream::iter(0..count).then(move |i| async move {
                tokio::time::sleep(gap).await;
                Ok(item(&format!("slow-{i}")))
            });
            return Ok(Response::new(items.boxed()));
        }
        if let Some((count, size)) = self.flood {
            let sent = self.sent.clone();
            let items = futures::stream::iter(0..count).map(move |i| {
                sent.fetch_add(1, Ordering::SeqCst);
                let mut flood = item(&format!("flood-{i}"));
                if let Some(ds::export_response::Payload::Item(item)) = &mut flood.payload {
                    item.data[0].value = "x".repeat(size);
                }
                Ok(flood)
            });
            return Ok(Response::new(items.boxed()));
        }
        if self.lie {
            let chunk =
                ds::FileChunk { path: "f.bin".into(), data: vec![1, 2], offset: 7, eof: true, ..Default::default() };
            let lie = ds::ExportResponse { payload: Some(ds::export_response::Payload::FileChunk(chunk)) };
            return Ok(Response::new(futures::stream::iter(vec![Ok(lie)]).boxed()));
        }
        Ok(Response::new(futures::stream::iter(vec![Ok(item("a")), Ok(item("b"))]).boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("this test source only exports"))
    }
}

/// Serves a test data source on a free loopback port and returns its endpoint.
pub async fn serve<S: DataSourceService>(source: S) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(DataSourceServiceServer::new(source))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))),
    );
    format!("http://{addr}")
}

/// What a test source with one export-only category ("things") answers to `Describe`.
pub fn describe_things(name: &str) -> ds::DescribeResponse {
    ds::DescribeResponse {
        name: name.into(),
        version: "1".into(),
        protocol_version: 1,
        capabilities: vec![ds::Capability::Export as i32],
        categories: vec![ds::DataCategory { group_id: "things".into(), label: "Things".into(), ..Default::default() }],
    }
}
