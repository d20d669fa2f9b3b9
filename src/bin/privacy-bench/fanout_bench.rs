//! `privacy-bench erase-fanout`: an erasure across N slow sources against one source.

use std::time::{Duration, Instant};

use futures::StreamExt;
use privacyd::{
    config::Config,
    proto::privacy::{
        datasource::v1::{
            self as ds,
            data_source_service_server::{DataSourceService, DataSourceServiceServer},
        },
        v1 as pb,
    },
    shutdown,
    startup::Application,
};
use tonic::{Request, Response, Status, transport::Channel};

use super::FanoutArgs;

/// A source that takes `latency` to answer anything, and holds one item per subject.
#[derive(Clone)]
struct Slow {
    name: String,
    latency: Duration,
}

#[tonic::async_trait]
impl DataSourceService for Slow {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(ds::DescribeResponse {
            name: self.name.clone(),
            version: "bench".into(),
            protocol_version: 1,
            capabilities: vec![ds::Capability::Export as i32, ds::Capability::Erase as i32],
            categories: vec![ds::DataCategory {
                group_id: "things".into(),
                label: "Things".into(),
                ..Default::default()
            }],
        }))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        tokio::time::sleep(self.latency).await;
        // Erased: nothing left to export.
        Ok(Response::new(futures::stream::empty().boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        tokio::time::sleep(self.latency).await;
        Ok(Response::new(ds::EraseResponse { items_removed: 1, ..Default::default() }))
    }
}

/// Seconds from the start of processing to completion of one erasure, as privacyd's audit
/// log times them (PROCESSING_STARTED to COMPLETED), so how the client notices the end
/// does not count.
async fn erase_once<T>(
    client: &mut pb::privacy_request_service_client::PrivacyRequestServiceClient<T>,
) -> anyhow::Result<f64>
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let created = client
        .create_privacy_request(pb::CreatePrivacyRequestRequest {
            subject: Some(pb::Subject {
                email: format!("bench-{}@example.com", uuid::Uuid::now_v7().simple()),
                user_id: String::new(),
            }),
            action: pb::Action::Erase as i32,
            send_confirmation: false,
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .privacy_request
        .ok_or_else(|| anyhow::anyhow!("no request"))?;
    let id = created.id;
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.clone() }).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let request = client
            .get_privacy_request(pb::GetPrivacyRequestRequest { id: id.clone() })
            .await?
            .into_inner()
            .privacy_request
            .ok_or_else(|| anyhow::anyhow!("no request"))?;
        match pb::State::try_from(request.state) {
            Ok(pb::State::Completed) => break,
            Ok(pb::State::Processing) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            _ => anyhow::bail!("the erasure ended {:?}: {}", request.state, request.state_reason),
        }
    }
    let events = client
        .list_audit_events(pb::ListAuditEventsRequest { request_id: id, page_size: 1000, ..Default::default() })
        .await?
        .into_inner()
        .audit_events;
    let at = |kind: pb::AuditEventType| {
        super::event_times(&events, kind).next().ok_or_else(|| anyhow::anyhow!("no {kind:?} event"))
    };
    Ok(at(pb::AuditEventType::Completed)? - at(pb::AuditEventType::ProcessingStarted)?)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

pub async fn run(args: FanoutArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.sources >= 1 && args.rounds >= 1, "need at least one source and one round");
    let dir = super::tempfile_dir()?;
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse()?;
    config.data_dir = dir.clone();
    let (_postgres, backend) = match args.backend {
        super::Backend::Sqlite => (None, "sqlite"),
        super::Backend::Postgres => {
            let (owned, url, _) = super::postgres_database(args.postgres_url.as_deref(), true).await?;
            config.database_url = Some(url);
            (owned, "postgres")
        }
        super::Backend::Both => anyhow::bail!("--backend: sqlite or postgres, one per run"),
    };
    config.admin_tokens = vec![token.clone()];
    config.log = "warn".into();
    let (trigger, shutdown) = shutdown::channel();
    let app = Application::build(config, shutdown).await?;
    let addr = app.local_addr();
    let server = tokio::spawn(app.run());
    let channel = Channel::from_shared(format!("http://{addr}"))?.connect().await?;
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
    let auth = move |mut r: Request<()>| {
        r.metadata_mut().insert("authorization", bearer.clone());
        Ok(r)
    };
    let mut registry = pb::data_source_registry_service_client::DataSourceRegistryServiceClient::with_interceptor(
        channel.clone(),
        auth.clone(),
    );
    let mut client = pb::privacy_request_service_client::PrivacyRequestServiceClient::with_interceptor(channel, auth);
    let mut register = async |i: usize| -> anyhow::Result<()> {
        let name = format!("source-{i}");
        let endpoint =
            super::serve(DataSourceServiceServer::new(Slow { name: name.clone(), latency: args.latency })).await?;
        registry.register_data_source(pb::RegisterDataSourceRequest { name, endpoint, ..Default::default() }).await?;
        Ok(())
    };

    register(0).await?;
    let mut single = Vec::new();
    for _ in 0..args.rounds {
        single.push(erase_once(&mut client).await?);
    }
    for i in 1..args.sources {
        register(i).await?;
    }
    let mut fanout = Vec::new();
    for _ in 0..args.rounds {
        fanout.push(erase_once(&mut client).await?);
    }
    trigger.trigger();
    server.await??;
    let _ = std::fs::remove_dir_all(&dir);

    let (single, fanout) = (median(single), median(fanout));
    let line = serde_json::json!({
        "bench": "erase-fanout",
        "backend": backend,
        "sources": args.sources,
        "latency_ms": args.latency.as_millis(),
        "seconds": super::round(fanout),
        "single_source_seconds": super::round(single),
        "ratio": super::round(fanout / single),
        "rounds": args.rounds,
    });
    println!("{line}");
    Ok(())
}
