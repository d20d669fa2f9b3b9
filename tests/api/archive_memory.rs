//! Building an archive takes memory bounded by privacyd, not by the shape of a source's data
//! (issue 9, item 8): 150 messages of 1 MiB for one item took privacyd from 22 MB to 474 MB,
//! because the item was merged in memory. privacyd runs as its own process here, so its peak
//! resident memory (VmHWM) is its own. Other shapes (many groups, long ids, one item of
//! 20,000 fields) are measured by `privacy-bench export --shape ...`.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use futures::StreamExt;
use privacyd::proto::privacy::{
    datasource::v1::{self as ds, data_source_service_server::DataSourceService},
    v1::{
        self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient,
        privacy_request_service_client::PrivacyRequestServiceClient,
    },
};
use tonic::{Request, Response, Status};

/// Messages, and bytes of field value in each: 150 MiB for one item.
const MESSAGES: usize = 150;
const MESSAGE_BYTES: usize = 1 << 20;

/// Sends `MESSAGES` messages of the same item, made as they are sent.
#[derive(Clone)]
struct OneBigItem;

#[tonic::async_trait]
impl DataSourceService for OneBigItem {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(crate::fake_source::describe_things("one-big-item")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let messages = futures::stream::iter(0..MESSAGES).map(|i| {
            let mut message = crate::fake_source::item("the-item");
            if let Some(ds::export_response::Payload::Item(item)) = &mut message.payload {
                item.data = vec![ds::ExportField {
                    name: format!("Part {i}"),
                    value: char::from(b'a' + (i % 26) as u8).to_string().repeat(MESSAGE_BYTES),
                }];
            }
            Ok(message)
        });
        Ok(Response::new(messages.boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("export only"))
    }
}

struct Privacyd(Child);

impl Drop for Privacyd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_item_sent_in_150_messages_of_1_mib_is_never_held_in_memory() {
    let source_endpoint = crate::fake_source::serve(OneBigItem).await;

    let dir = tempfile::tempdir().unwrap();
    let port = privacyd::testing::free_port().unwrap();
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let server = Privacyd(
        Command::new(env!("CARGO_BIN_EXE_privacyd"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--job-poll-interval", "50ms", "--log", "warn"])
            .arg("--data-dir")
            .arg(dir.path())
            .env("PRIVACYD_ADMIN_TOKENS", &token)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let channel = crate::helpers::channel_when_listening(port).await;
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    let auth = move |mut r: Request<()>| {
        r.metadata_mut().insert("authorization", bearer.clone());
        Ok(r)
    };
    DataSourceRegistryServiceClient::with_interceptor(channel.clone(), auth.clone())
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "big".into(),
            endpoint: source_endpoint,
            call_timeout: Some(prost_types::Duration { seconds: 300, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut client = PrivacyRequestServiceClient::with_interceptor(channel, auth);
    let id = client
        .create_privacy_request(pb::CreatePrivacyRequestRequest {
            subject: Some(pb::Subject { email: "big@example.com".into(), user_id: String::new() }),
            action: pb::Action::Export as i32,
            send_confirmation: false,
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap()
        .id;
    let before = privacyd::testing::peak_rss(server.0.id()).unwrap();
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: id.clone() }).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let done = loop {
        let request = client
            .get_privacy_request(pb::GetPrivacyRequestRequest { id: id.clone() })
            .await
            .unwrap()
            .into_inner()
            .privacy_request
            .unwrap();
        if request.state != pb::State::Processing as i32 {
            break request;
        }
        assert!(Instant::now() < deadline, "the export did not end: {request:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.state, pb::State::Completed as i32, "{}", done.state_reason);
    assert!(done.archive.is_some());
    assert!(done.sources[0].bytes >= (MESSAGES * MESSAGE_BYTES) as i64, "the whole item was sent: {:?}", done.sources);
    let peak = privacyd::testing::peak_rss(server.0.id()).unwrap();
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    eprintln!("privacyd peak RSS: {:.1} MiB before the export, {:.1} MiB after", mib(before), mib(peak));
    // Holding the item (150 MiB) even once would pass this; the stream's and the archive's
    // buffers (a few messages' worth) stay well under it.
    assert!(
        peak < before + 64 * (1 << 20),
        "privacyd's peak memory grew from {:.1} MiB to {:.1} MiB for one item of {MESSAGES} MiB",
        mib(before),
        mib(peak)
    );
}
