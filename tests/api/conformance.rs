//! The conformance kit, `privacyctl source check`: the example data source passes every check;
//! sources that break the contract fail the checks they break, each with the precise reason.
//! privacyd is not involved: the kit calls the source directly.

use std::{
    convert::Infallible,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use futures::{Stream, future::BoxFuture};
use privacyd::proto::privacy::datasource::v1::{
    self as ds,
    data_source_service_server::{DataSourceService, DataSourceServiceServer},
};
use tonic::{Request, Response, Status, server::NamedService};
use tonic_health::ServingStatus;

use crate::{
    helpers::{ExampleSource, unique_email},
    privacyctl::privacyctl,
};

const SUBJECT_CHECKS: [&str; 5] =
    ["export-known-subject", "export-other-case", "erase-known-subject", "export-after-erase", "erase-idempotent"];

fn skipped_without_subject() -> Vec<String> {
    SUBJECT_CHECKS
        .iter()
        .map(|name| format!("SKIP {name}: needs --subject-email, a subject the source holds (its data is erased)"))
        .collect()
}

/// The report with what changes from run to run (the random subject, times) replaced.
fn lines(stdout: &str) -> Vec<String> {
    stdout.lines().map(|line| without_times(&without_random_subject(line))).collect()
}

fn without_random_subject(line: &str) -> String {
    match line.find("conformance-") {
        Some(at) => format!("{}conformance-<random>{}", &line[..at], &line[at + "conformance-".len() + 32..]),
        None => line.to_owned(),
    }
}

fn without_times(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("gave up after ") {
        let (head, tail) = rest.split_at(at + "gave up after ".len());
        out.push_str(head);
        out.push_str("<time>");
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == 's');
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_source_passes_every_check() {
    let email = unique_email();
    let token = "a-token-the-source-requires";
    let source = ExampleSource::start(&[&email], Some(token));

    let ran = privacyctl(&["source", "check", &source.endpoint, "--token", token]).await.ok();
    let mut expected: Vec<String> = [
        "PASS health",
        "PASS describe",
        "PASS authentication",
        "PASS export-unknown-subject",
        "PASS erase-unknown-subject",
        "PASS erase-idempotent-unknown",
    ]
    .map(String::from)
    .to_vec();
    expected.extend(skipped_without_subject());
    expected.extend(["PASS deadlines", "PASS message-sizes", "8 passed, 0 failed, 5 skipped"].map(String::from));
    assert_eq!(lines(&ran.stdout), expected);

    let ran = privacyctl(&["source", "check", &source.endpoint, "--token", token, "--subject-email", &email, "-v"])
        .await
        .ok();
    let verdicts: Vec<&str> = ran.stdout.lines().filter(|l| !l.starts_with("    ")).collect();
    assert_eq!(
        verdicts,
        [
            "PASS health",
            "PASS describe",
            "PASS authentication",
            "PASS export-unknown-subject",
            "PASS erase-unknown-subject",
            "PASS erase-idempotent-unknown",
            "PASS export-known-subject",
            "PASS export-other-case",
            "PASS erase-known-subject",
            "PASS export-after-erase",
            "PASS erase-idempotent",
            "PASS deadlines",
            "PASS message-sizes",
            "13 passed, 0 failed, 0 skipped",
        ]
    );
    // --verbose says what each check saw.
    assert!(ran.stdout.contains(
        "PASS export-known-subject\n    4 items, 1 file (200000 bytes): group \"account\" (1 item), group \"comments\" (2 items), group \"uploads\" (1 item, 1 file)\n"
    ), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("PASS erase-idempotent\n    items_removed 4, items_retained 0, retentions []\n"),
        "{}",
        ran.stdout
    );

    // It is destructive: the subject's data is gone, so the checks on it now fail.
    let ran =
        privacyctl(&["source", "check", &source.endpoint, "--token", token, "--subject-email", &email]).await.failed();
    assert!(
        ran.stdout.contains(
            "FAIL export-known-subject: Export streamed nothing for --subject-email; give a subject the source holds\n"
        ),
        "{}",
        ran.stdout
    );

    // Without the token it requires, the kit says so (and only then).
    let ran = privacyctl(&["source", "check", &source.endpoint]).await.failed();
    assert!(
        ran.stdout.contains(
            "SKIP authentication: the source refused Describe with UNAUTHENTICATED: give its bearer token with --token\n"
        ),
        "{}",
        ran.stdout
    );

    // A wrong token is not a conformance question but a setup one: every call says so.
    let ran = privacyctl(&["source", "check", &source.endpoint, "--token", "wrong"]).await.failed();
    assert!(
        ran.stdout.contains("FAIL describe: Describe failed with UNAUTHENTICATED: a valid bearer token is required\n"),
        "{}",
        ran.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checks_can_be_listed_with_what_each_verifies() {
    let ran = privacyctl(&["source", "check", "--list"]).await.ok();
    let names: Vec<&str> = ran.stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(
        names,
        [
            "health",
            "describe",
            "authentication",
            "export-unknown-subject",
            "erase-unknown-subject",
            "erase-idempotent-unknown",
            "export-known-subject",
            "export-other-case",
            "erase-known-subject",
            "export-after-erase",
            "erase-idempotent",
            "deadlines",
            "message-sizes",
        ]
    );
    assert!(ran.stdout.contains("destructive"), "{}", ran.stdout);
}

type ExportStream = Pin<Box<dyn Stream<Item = Result<ds::ExportResponse, Status>> + Send>>;

/// Serves `source` with a health service that reports `serving`.
async fn serve<S: DataSourceService>(source: S, serving: bool) -> String {
    serve_service(DataSourceServiceServer::new(source), serving).await
}

async fn serve_service<Svc>(service: Svc, serving: bool) -> String
where
    Svc: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
            Error = Infallible,
        > + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    Svc::Future: Send + 'static,
{
    let (health, health_service) = tonic_health::server::health_reporter();
    let status = if serving { ServingStatus::Serving } else { ServingStatus::NotServing };
    health.set_service_status(Svc::NAME, status).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health_service)
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))),
    );
    format!("http://{addr}")
}

fn category(group_id: &str, legal_basis: ds::LegalBasis) -> ds::DataCategory {
    ds::DataCategory {
        group_id: group_id.into(),
        label: group_id.to_uppercase(),
        description: format!("The subject's {group_id}."),
        purposes: vec!["Running the shop".into()],
        legal_basis: legal_basis as i32,
        recipients: vec![],
        retention_period: "Two years".into(),
        origin: String::new(),
    }
}

fn item(group_id: &str, item_id: &str) -> Result<ds::ExportResponse, Status> {
    Ok(ds::ExportResponse {
        payload: Some(ds::export_response::Payload::Item(ds::ExportItem {
            group_id: group_id.into(),
            item_id: item_id.into(),
            data: vec![ds::ExportField { name: "Name".into(), value: item_id.into() }],
            ..Default::default()
        })),
    })
}

const KNOWN: &str = "known@example.com";

/// A source that breaks the contract in every way the kit checks, apart from time and size:
/// not serving, a protocol version of its own, a category without a legal basis, data for a
/// subject it cannot hold, items without ids, an Erase that counts again on every call, a
/// retention without a reason, data left outside the retained groups, and data that changes
/// when the erasure is repeated.
#[derive(Clone, Default)]
struct Liar {
    erase_calls: Arc<AtomicUsize>,
    erased: Arc<AtomicBool>,
    erased_again: Arc<AtomicBool>,
}

#[tonic::async_trait]
impl DataSourceService for Liar {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(ds::DescribeResponse {
            name: "liar".into(),
            version: "1".into(),
            protocol_version: 2,
            capabilities: vec![ds::Capability::Export as i32, ds::Capability::Erase as i32],
            categories: vec![
                category("orders", ds::LegalBasis::Unspecified),
                category("comments", ds::LegalBasis::Consent),
            ],
        }))
    }

    type ExportStream = ExportStream;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<ExportStream>, Status> {
        let known = request.into_inner().subject.unwrap_or_default().email.eq_ignore_ascii_case(KNOWN);
        let items = match (known, self.erased.load(Ordering::SeqCst), self.erased_again.load(Ordering::SeqCst)) {
            (false, _, _) => vec![item("orders", "order-1")],
            (true, false, _) => vec![item("orders", "order-1"), item("", "")],
            (true, true, false) => vec![item("comments", "comment-1")],
            (true, true, true) => vec![item("comments", "comment-1"), item("comments", "comment-2")],
        };
        Ok(Response::new(Box::pin(futures::stream::iter(items))))
    }

    async fn erase(&self, request: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        let calls = self.erase_calls.fetch_add(1, Ordering::SeqCst) as i64 + 1;
        if !request.into_inner().subject.unwrap_or_default().email.eq_ignore_ascii_case(KNOWN) {
            return Ok(Response::new(ds::EraseResponse { items_removed: calls, ..Default::default() }));
        }
        if self.erased.swap(true, Ordering::SeqCst) {
            self.erased_again.store(true, Ordering::SeqCst);
        }
        Ok(Response::new(ds::EraseResponse {
            items_removed: calls,
            items_retained: 1,
            retentions: vec![ds::Retention { group_id: "orders".into(), items: 1, ..Default::default() }],
            messages: vec![],
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_breaks_the_contract_fails_with_precise_reasons() {
    let endpoint = serve(Liar::default(), false).await;
    let ran = privacyctl(&["source", "check", &endpoint, "--subject-email", KNOWN]).await.failed();
    assert_eq!(
        lines(&ran.stdout),
        [
            "FAIL health: grpc.health.v1 Check for \"privacy.datasource.v1.DataSourceService\": health reports NOT_SERVING",
            "FAIL describe: protocol_version is 2, not 1; category \"orders\" lacks a legal basis",
            "SKIP authentication: the source answered Describe without a bearer token, so it requires none and \
             there is no refusal to check (give --token to check a source that requires one)",
            "FAIL export-unknown-subject: Export streamed 1 item, 0 files (0 bytes) for conformance-<random>@invalid.example, \
             a subject no source holds; an unknown subject gets an empty stream",
            "FAIL erase-unknown-subject: Erase for a subject no source holds answered items_removed 1, items_retained 0, \
             retentions []; it must answer zero counts and no retentions",
            "FAIL erase-idempotent-unknown: the second Erase with the same privacy_request_id answered items_removed 3, \
             items_retained 0, retentions [], the first items_removed 2, items_retained 0, retentions []",
            "FAIL export-known-subject: Export broke the stream rules at message 2: an item without a group_id or item_id",
            "SKIP export-other-case: export-known-subject streamed no data to compare with",
            "FAIL erase-known-subject: Erase answered items_removed 4, items_retained 1, retentions [orders: 1]: \
             retention of \"orders\" lacks a reason and a legal basis",
            "FAIL export-after-erase: after Erase, Export still streams group \"comments\" (1 item) outside the groups \
             Erase retained (\"orders\")",
            "FAIL erase-idempotent: the second Erase with the same privacy_request_id answered items_removed 5, \
             items_retained 1, retentions [orders: 1], the first items_removed 4, items_retained 1, retentions \
             [orders: 1]; Export changed after the second Erase: 1 item new (comments/comment-2)",
            "PASS deadlines",
            "PASS message-sizes",
            "2 passed, 9 failed, 2 skipped",
        ]
    );
}

/// A well-described source whose Export never ends and whose Erase never answers.
#[derive(Clone, Default)]
struct Hanging;

fn honest_description() -> ds::DescribeResponse {
    ds::DescribeResponse {
        name: "slow".into(),
        version: "1".into(),
        protocol_version: 1,
        capabilities: vec![ds::Capability::Export as i32, ds::Capability::Erase as i32],
        categories: vec![category("orders", ds::LegalBasis::Contract)],
    }
}

#[tonic::async_trait]
impl DataSourceService for Hanging {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(honest_description()))
    }

    type ExportStream = ExportStream;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<ExportStream>, Status> {
        Ok(Response::new(Box::pin(futures::stream::pending())))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        futures::future::pending().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_and_streams_past_the_deadline_fail_with_the_time_they_took() {
    let endpoint = serve(Hanging, true).await;
    let ran = privacyctl(&["source", "check", &endpoint, "--deadline", "1s"]).await.failed();
    let export_late = "Export stream did not end within the 1s deadline (0 messages received; gave up after <time>)";
    let erase_late = "Erase did not answer within the 1s deadline (gave up after <time>)";
    let mut expected = vec![
        "PASS health".to_owned(),
        "PASS describe".to_owned(),
        "SKIP authentication: the source answered Describe without a bearer token, so it requires none and there \
         is no refusal to check (give --token to check a source that requires one)"
            .to_owned(),
        format!("FAIL export-unknown-subject: {export_late}"),
        format!("FAIL erase-unknown-subject: {erase_late}"),
        format!("FAIL erase-idempotent-unknown: {erase_late}"),
    ];
    expected.extend(skipped_without_subject());
    expected.extend([
        format!(
            "FAIL deadlines: {export_late} in export-unknown-subject; {erase_late} in erase-unknown-subject; \
             {erase_late} in erase-idempotent-unknown"
        ),
        "PASS message-sizes".to_owned(),
        "3 passed, 4 failed, 6 skipped".to_owned(),
    ]);
    assert_eq!(lines(&ran.stdout), expected);
    // The time is the measured one, at least the deadline.
    assert!(ran.stdout.contains("(gave up after 1."), "{}", ran.stdout);
}

/// An honest source holding nothing, whose Describe can be made too big.
#[derive(Clone, Default)]
struct Plain {
    huge_description: bool,
}

#[tonic::async_trait]
impl DataSourceService for Plain {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        let mut description = honest_description();
        if self.huge_description {
            description.categories[0].description = "x".repeat(5 << 20);
        }
        Ok(Response::new(description))
    }

    type ExportStream = ExportStream;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<ExportStream>, Status> {
        Ok(Response::new(Box::pin(futures::stream::empty())))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Ok(Response::new(ds::EraseResponse::default()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_the_size_limit_fail_naming_the_call() {
    let endpoint = serve(Plain { huge_description: true }, true).await;
    let ran = privacyctl(&["source", "check", &endpoint]).await.failed();
    let report = lines(&ran.stdout);
    let too_large = "Describe sent a message over the protocol's 4 MiB limit (found 5242";
    assert!(report[1].starts_with(&format!("FAIL describe: {too_large}")), "{report:#?}");
    assert!(report[1].ends_with(" bytes, the limit is: 4194304 bytes)"), "{report:#?}");
    assert_eq!(
        report[2],
        "SKIP authentication: Describe failed, so whether the source requires a bearer token is unknown"
    );
    assert!(report[12].starts_with(&format!("FAIL message-sizes: {too_large}")), "{report:#?}");
    assert!(report[12].ends_with(" in describe"), "{report:#?}");
    assert_eq!(report[13], "5 passed, 2 failed, 6 skipped");
}

/// What a broken encoder might send for Describe: field 3 (`protocol_version`, a varint) as a
/// string.
#[derive(Clone, PartialEq, prost::Message)]
struct NotADescription {
    #[prost(string, tag = "3")]
    protocol_version: String,
}

/// [`Plain`], except that Describe answers with a message that does not decode.
#[derive(Clone)]
struct Undecodable(DataSourceServiceServer<Plain>);

impl NamedService for Undecodable {
    const NAME: &'static str = "privacy.datasource.v1.DataSourceService";
}

impl tower::Service<http::Request<tonic::body::Body>> for Undecodable {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        if request.uri().path() != "/privacy.datasource.v1.DataSourceService/Describe" {
            return self.0.call(request);
        }
        Box::pin(async move {
            let answer = tower::service_fn(|_: Request<ds::DescribeRequest>| async {
                Ok::<_, Status>(Response::new(NotADescription { protocol_version: "one".into() }))
            });
            let codec = tonic_prost::ProstCodec::<NotADescription, ds::DescribeRequest>::default();
            Ok(tonic::server::Grpc::new(codec).unary(answer, request).await)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_that_do_not_decode_fail_naming_the_call() {
    let endpoint = serve_service(Undecodable(DataSourceServiceServer::new(Plain::default())), true).await;
    let ran = privacyctl(&["source", "check", &endpoint]).await.failed();
    let report = lines(&ran.stdout);
    let undecodable = "Describe sent a message that does not decode (failed to decode Protobuf message: ";
    assert!(report[1].starts_with(&format!("FAIL describe: {undecodable}")), "{report:#?}");
    assert!(report[12].starts_with(&format!("FAIL message-sizes: {undecodable}")), "{report:#?}");
    assert_eq!(report[13], "5 passed, 2 failed, 6 skipped");
}

/// A source that compares addresses case-sensitively: it holds KNOWN as written and finds it
/// only so. privacyd sends addresses lower-cased, but the subject may have signed up as
/// "Known@Example.com"; the kit must catch it (issue 9, item 1).
#[derive(Clone, Default)]
struct CaseSensitive {
    erased: Arc<AtomicBool>,
}

#[tonic::async_trait]
impl DataSourceService for CaseSensitive {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(honest_description()))
    }

    type ExportStream = ExportStream;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<ExportStream>, Status> {
        let known = request.into_inner().subject.unwrap_or_default().email == KNOWN;
        let items = if known && !self.erased.load(Ordering::SeqCst) { vec![item("orders", "order-1")] } else { vec![] };
        Ok(Response::new(Box::pin(futures::stream::iter(items))))
    }

    async fn erase(&self, request: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        if request.into_inner().subject.unwrap_or_default().email != KNOWN {
            return Ok(Response::new(ds::EraseResponse::default()));
        }
        let removed = if self.erased.swap(true, Ordering::SeqCst) { 0 } else { 1 };
        Ok(Response::new(ds::EraseResponse { items_removed: removed, ..Default::default() }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_compares_addresses_case_sensitively_fails_the_case_checks() {
    let endpoint = serve(CaseSensitive::default(), true).await;
    let ran = privacyctl(&["source", "check", &endpoint, "--subject-email", KNOWN]).await.failed();
    let report = lines(&ran.stdout);
    let subject_checks: Vec<&str> = report[6..11].iter().map(String::as_str).collect();
    assert_eq!(
        subject_checks,
        [
            "PASS export-known-subject",
            "FAIL export-other-case: Export for \"KNOWN@EXAMPLE.COM\" differs from Export for \"known@example.com\": \
             1 item gone (orders/order-1); compare addresses case-insensitively (privacyd sends them lower-cased, and \
             a source may hold them as the subject typed them)",
            "FAIL erase-known-subject: Erase answered items_removed 0, items_retained 0, retentions []: it reported \
             nothing removed and nothing retained, but Export had streamed data (Erase was called with \
             \"KNOWN@EXAMPLE.COM\": compare addresses case-insensitively)",
            "FAIL export-after-erase: after Erase, Export still streams group \"orders\" (1 item) outside the groups \
             Erase retained (none)",
            "PASS erase-idempotent",
        ],
        "{report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_with_nothing_to_check_are_skipped_not_passed() {
    // Plain holds nothing: an erasure of the "known" subject removes and retains nothing,
    // which is right and shows nothing (issue 9, item 29).
    let endpoint = serve(Plain::default(), true).await;
    let ran = privacyctl(&["source", "check", &endpoint, "--subject-email", KNOWN]).await.failed();
    let report = lines(&ran.stdout);
    let subject_checks: Vec<&str> = report[6..11].iter().map(String::as_str).collect();
    assert_eq!(
        subject_checks,
        [
            "FAIL export-known-subject: Export streamed nothing for --subject-email; give a subject the source holds",
            "SKIP export-other-case: export-known-subject streamed no data to compare with",
            "SKIP erase-known-subject: Erase answered items_removed 0, items_retained 0, retentions [] and Export had \
             streamed nothing for the subject, so there was nothing to check; give --subject-email a subject the \
             source holds",
            "SKIP export-after-erase: Export streamed nothing for the subject before the erasure either, so there was \
             nothing to see erased",
            "SKIP erase-idempotent: the first Erase found nothing to erase, so a repeat has nothing it could apply twice",
        ],
        "{report:#?}"
    );
    assert_eq!(report[13], "7 passed, 1 failed, 5 skipped");
}
