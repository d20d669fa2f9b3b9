//! Faults of privacyd itself: killed with SIGKILL in the middle of an export or an erasure it
//! finishes the job after a restart (no source applying an erasure twice), and several
//! replicas on one PostgreSQL share the work, each job run once.

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::Ordering,
    time::Duration,
};

use futures::StreamExt;
use privacyd::{
    proto::privacy::v1::{self as pb, privacy_request_service_client::PrivacyRequestServiceClient},
    testing::free_port,
};
use tonic::{Request, transport::Channel};

use crate::{
    erasing_source::{Behaviour, ErasingSource},
    fake_source::{Misbehaving, serve},
    helpers::{Backend, SmtpSink, fresh_postgres_database, unique_email},
    on_both_backends,
};

on_both_backends!(
    a_killed_privacyd_finishes_the_export_after_a_restart,
    a_killed_privacyd_finishes_an_erasure_and_no_source_applies_it_twice,
);

/// The privacyd binary as a separate process, so it can be killed for real.
struct Replica {
    child: Child,
    addr: String,
}

impl Replica {
    /// With `smtp`, emails go to the shared SMTP server; without, to the replica's own outbox
    /// (which shows which replica sent what).
    fn start(database_url: &str, data_dir: &Path, export_dir: &Path, token: &str, smtp: bool) -> Replica {
        let addr = format!("127.0.0.1:{}", free_port().unwrap());
        let mut command = Command::new(env!("CARGO_BIN_EXE_privacyd"));
        if smtp {
            command.args(["--smtp-url", &SmtpSink::global().url()]);
        }
        let child = command
            .args(["--listen", &addr, "--database-url", database_url])
            .env("PRIVACYD_ADMIN_TOKENS", token)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--export-dir")
            .arg(export_dir)
            // A dead replica's jobs are taken over after its lease: keep it short here.
            .args(["--job-lease", "2s", "--job-poll-interval", "100ms", "--retry-base", "100ms"])
            .args(["--log", "warn"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Replica { child, addr }
    }

    async fn client(
        &self,
        token: &str,
    ) -> PrivacyRequestServiceClient<
        tonic::service::interceptor::InterceptedService<Channel, impl tonic::service::Interceptor + Clone>,
    > {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let channel = loop {
            match Channel::from_shared(format!("http://{}", self.addr)).unwrap().connect().await {
                Ok(channel) => break channel,
                Err(_) if std::time::Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(err) => panic!("privacyd did not start: {err}"),
            }
        };
        let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
        PrivacyRequestServiceClient::with_interceptor(channel, move |mut r: Request<()>| {
            r.metadata_mut().insert("authorization", bearer.clone());
            Ok(r)
        })
    }

    fn kill(mut self) {
        // SIGKILL: no shutdown, no lease released, nothing flushed.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A confirmed export request.
fn export_for(email: &str) -> pb::CreatePrivacyRequestRequest {
    pb::CreatePrivacyRequestRequest {
        subject: Some(pb::Subject { email: email.to_owned(), user_id: String::new() }),
        action: pb::Action::Export as i32,
        send_confirmation: false,
        request_id: String::new(),
    }
}

async fn database(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/privacyd.db", dir.display()),
        Backend::Postgres => fresh_postgres_database().await,
    }
}

async fn register(addr: &str, token: &str, name: &str, endpoint: &str) {
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut registry =
        privacyd::proto::privacy::v1::data_source_registry_service_client::DataSourceRegistryServiceClient::new(
            channel,
        );
    let mut request = Request::new(pb::RegisterDataSourceRequest {
        name: name.into(),
        endpoint: endpoint.into(),
        ..Default::default()
    });
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    registry.register_data_source(request).await.unwrap();
}

async fn a_killed_privacyd_finishes_the_export_after_a_restart(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let exports: PathBuf = dir.path().join("exports");
    let url = database(backend, dir.path()).await;
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let slow = Misbehaving { slow: Some((30, Duration::from_millis(100))), ..Default::default() };
    let endpoint = serve(slow.clone()).await;

    let first = Replica::start(&url, dir.path(), &exports, &token, true);
    let mut client = first.client(&token).await;
    register(&first.addr, &token, "slow", &endpoint).await;
    let created =
        client.create_privacy_request(export_for(&unique_email())).await.unwrap().into_inner().privacy_request.unwrap();
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() }).await.unwrap();
    // Kill it half-way through the source's stream.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let request =
            client.get_privacy_request(pb::GetPrivacyRequestRequest { id: created.id.clone() }).await.unwrap();
        let run = request.into_inner().privacy_request.unwrap().sources.first().cloned();
        if run.is_some_and(|r| r.state == pb::SourceState::Running as i32 && r.items > 0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the export never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(client);
    first.kill();

    let second = Replica::start(&url, dir.path(), &exports, &token, true);
    let mut client = second.client(&token).await;
    let done = until_completed(&mut client, &created.id).await;
    assert_eq!(slow.calls.load(Ordering::SeqCst), 2, "the interrupted call, then one after the restart");
    assert_eq!(done.sources[0].items, 30);

    // The archive is whole: every item once.
    let mut stream = client
        .download_export(pb::DownloadExportRequest { id: created.id.clone(), token: String::new(), offset: 0 })
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(message) = stream.next().await {
        if let Some(pb::download_export_response::Payload::Chunk(chunk)) = message.unwrap().payload {
            bytes.extend(chunk);
        }
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut json = String::new();
    zip.by_name("export.json").unwrap().read_to_string(&mut json).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let groups = json.as_object().unwrap().values().next().unwrap();
    let items = groups["things"]["items"].as_object().unwrap();
    assert_eq!(items.len(), 30);
    assert!(items.values().all(|fields| fields.as_array().unwrap().len() == 1), "no item doubled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_postgres_share_the_work_and_run_each_job_once() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    let url = fresh_postgres_database().await;
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let source = Misbehaving { slow: Some((2, Duration::from_millis(20))), ..Default::default() };
    let endpoint = serve(source.clone()).await;
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let a = Replica::start(&url, &a_dir, &exports, &token, false);
    let b = Replica::start(&url, &b_dir, &exports, &token, false);
    let clients = [a.client(&token).await, b.client(&token).await];
    register(&a.addr, &token, "counted", &endpoint).await;

    const REQUESTS: usize = 24;
    let mut ids = Vec::new();
    for i in 0..REQUESTS {
        let mut client = clients[i % 2].clone();
        let created = client
            .create_privacy_request(export_for(&unique_email()))
            .await
            .unwrap()
            .into_inner()
            .privacy_request
            .unwrap();
        client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() }).await.unwrap();
        ids.push(created.id);
    }
    let mut client = clients[0].clone();
    for id in &ids {
        assert_eq!(until_completed(&mut client, id).await.sources[0].attempts, 1);
    }
    assert_eq!(source.calls.load(Ordering::SeqCst), REQUESTS, "each source job ran exactly once");
    // Every archive is in the export folder the replicas share.
    let built = ids.iter().filter(|id| exports.join(id).exists()).count();
    assert_eq!(built, REQUESTS);
    // Each "export ready" email was sent once, and both replicas sent some: the work was
    // shared, not merely survived.
    let sent = |dir: &Path| -> usize {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let a = count_eml(&a_dir.join("outbox"));
            let b = count_eml(&b_dir.join("outbox"));
            if a + b >= REQUESTS || std::time::Instant::now() > deadline {
                return count_eml(&dir.join("outbox"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let (by_a, by_b) = (sent(&a_dir), sent(&b_dir));
    assert_eq!(by_a + by_b, REQUESTS);
    assert!(by_a > 0 && by_b > 0, "replica a sent {by_a}, replica b {by_b}");
}

fn count_eml(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| d.filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))).count())
        .unwrap_or(0)
}

/// Polls until the request is COMPLETED, or fails the test after 30 seconds.
async fn until_completed<T>(client: &mut PrivacyRequestServiceClient<T>, id: &str) -> pb::PrivacyRequest
where
    T: tonic::client::GrpcService<tonic::body::Body> + Clone,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let request = client
            .get_privacy_request(pb::GetPrivacyRequestRequest { id: id.to_owned() })
            .await
            .unwrap()
            .into_inner()
            .privacy_request
            .unwrap();
        if request.state == pb::State::Completed as i32 {
            return request;
        }
        assert!(std::time::Instant::now() < deadline, "not completed after the restart: {request:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Two kills: one while a source is applying `Erase` (privacyd has not heard back), one while
/// privacyd verifies another source's erasure. After the restart both finish; the first
/// source is asked again with the same request id and answers from its idempotency record
/// (its effect counted once), the second is not asked to erase again at all.
async fn a_killed_privacyd_finishes_an_erasure_and_no_source_applies_it_twice(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let exports: PathBuf = dir.path().join("exports");
    let url = database(backend, dir.path()).await;
    let token = privacyd::domain::SecretToken::generate().expose().to_owned();
    let email = unique_email();
    let mid_erase = ErasingSource::new(
        "mid-erase",
        Behaviour { retain: vec!["orders"], answer_after: Some(Duration::from_secs(3)), ..Default::default() },
    );
    mid_erase.hold(&email, "orders", 2).hold(&email, "comments", 3);
    let mid_verify = ErasingSource::new(
        "mid-verify",
        Behaviour { export_delay: Some(Duration::from_secs(3)), ..Default::default() },
    );
    mid_verify.hold(&email, "comments", 4);
    let endpoints = (mid_erase.serve().await, mid_verify.serve().await);

    let first = Replica::start(&url, dir.path(), &exports, &token, true);
    let mut client = first.client(&token).await;
    register(&first.addr, &token, "mid-erase", &endpoints.0).await;
    register(&first.addr, &token, "mid-verify", &endpoints.1).await;
    let created = client
        .create_privacy_request(pb::CreatePrivacyRequestRequest {
            action: pb::Action::Erase as i32,
            ..export_for(&email)
        })
        .await
        .unwrap()
        .into_inner()
        .privacy_request
        .unwrap();
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() }).await.unwrap();
    // Kill once the first source has applied its erasure (but not answered) and the second is
    // being verified.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while mid_erase.effects.load(Ordering::SeqCst) == 0 || mid_verify.export_calls.load(Ordering::SeqCst) == 0 {
        assert!(std::time::Instant::now() < deadline, "the erasure never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(client);
    first.kill();

    let second = Replica::start(&url, dir.path(), &exports, &token, true);
    let mut client = second.client(&token).await;
    let done = until_completed(&mut client, &created.id).await;
    let counts = |name: &str| {
        let run = done.sources.iter().find(|s| s.source_name == name).unwrap();
        let erasure = run.erasure.clone().unwrap();
        (erasure.items_removed, erasure.items_retained, run.verification.clone().unwrap().state)
    };
    let passed = pb::VerificationState::Passed as i32;
    assert_eq!(counts("mid-erase"), (3, 2, passed), "the counts of the erasure that was applied");
    assert_eq!(counts("mid-verify"), (4, 0, passed));
    assert_eq!(mid_erase.effects.load(Ordering::SeqCst), 1, "applied once");
    assert_eq!(mid_erase.erase_calls.load(Ordering::SeqCst), 2, "asked again after the restart, same request id");
    assert_eq!(mid_verify.effects.load(Ordering::SeqCst), 1);
    assert_eq!(mid_verify.erase_calls.load(Ordering::SeqCst), 1, "its answer was recorded before the kill");
    assert_eq!(mid_verify.export_calls.load(Ordering::SeqCst), 2, "verification ran again");
    assert_eq!(mid_erase.held(&email).into_iter().collect::<Vec<_>>(), vec![("orders".to_owned(), 2)]);
    assert!(mid_verify.held(&email).is_empty());
}
