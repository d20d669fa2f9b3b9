//! Admin access: tokens with scopes, from a file of hashes that is re-read without a restart,
//! strong tokens only, and the `Bearer` scheme in any case (RFC 7235 §2.1).

use std::{collections::BTreeMap, path::PathBuf, str::FromStr};

use privacyd::{
    admin_tokens::mint,
    config::Config,
    domain::{Scope, Scopes, SecretToken},
    proto::privacy::v1 as pb,
    shutdown,
    startup::Application,
};
use prost::Message;
use tonic::{Code, Request, Status, transport::Channel};

use crate::helpers::{Backend, TestApp, error_metadata, reason};

/// Who may call each method of the API, written out here as the specification the auth
/// layer's table must meet ("public": the subject's own token field is the credential).
const SPEC: &[(&str, &str)] = &[
    ("PrivacyRequestService/CreatePrivacyRequest", "requests"),
    ("PrivacyRequestService/GetPrivacyRequest", "read"),
    ("PrivacyRequestService/ListPrivacyRequests", "read"),
    ("PrivacyRequestService/CountPrivacyRequests", "read"),
    ("PrivacyRequestService/BatchModifyPrivacyRequests", "requests"),
    ("PrivacyRequestService/GetRequestStatistics", "read"),
    ("PrivacyRequestService/ConfirmPrivacyRequest", "public"),
    ("PrivacyRequestService/ResendConfirmation", "requests"),
    ("PrivacyRequestService/ProcessPrivacyRequest", "requests"),
    ("PrivacyRequestService/CompletePrivacyRequest", "requests"),
    ("PrivacyRequestService/DenyPrivacyRequest", "requests"),
    ("PrivacyRequestService/CancelPrivacyRequest", "requests"),
    ("PrivacyRequestService/DeletePrivacyRequest", "requests"),
    ("PrivacyRequestService/ExtendDeadline", "requests"),
    ("PrivacyRequestService/ListAuditEvents", "read"),
    ("PrivacyRequestService/WatchPrivacyRequest", "read"),
    ("PrivacyRequestService/DownloadExport", "download"),
    ("PrivacyRequestService/GetErasureReceipt", "read"),
    ("DataSourceRegistryService/RegisterDataSource", "sources"),
    ("DataSourceRegistryService/GetDataSource", "read"),
    ("DataSourceRegistryService/ListDataSources", "read"),
    ("DataSourceRegistryService/UpdateDataSource", "sources"),
    ("DataSourceRegistryService/DeleteDataSource", "sources"),
    ("DataSourceRegistryService/CheckDataSource", "sources"),
];

/// Every method of `privacy.v1` in the compiled descriptors: path and whether it streams.
fn api_methods() -> Vec<(String, bool)> {
    let set = prost_types::FileDescriptorSet::decode(privacyd::proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut methods = Vec::new();
    for file in set.file.iter().filter(|f| f.package() == "privacy.v1") {
        for service in &file.service {
            for method in &service.method {
                methods.push((format!("{}/{}", service.name(), method.name()), method.server_streaming()));
            }
        }
    }
    methods
}

/// Calls any method with an empty request message (valid protobuf for every request type; the
/// handlers refuse it as bad input, which is after the auth layer let it through).
async fn call(channel: &Channel, method: &str, streaming: bool, authorization: &str) -> Result<(), Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.map_err(|e| Status::unknown(e.to_string()))?;
    let mut request = Request::new(());
    request.metadata_mut().insert("authorization", authorization.parse().unwrap());
    let path = http::uri::PathAndQuery::from_str(&format!("/privacy.v1.{method}")).unwrap();
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    if streaming {
        let mut stream = grpc.server_streaming(request, path, codec).await?.into_inner();
        while stream.message().await?.is_some() {}
    } else {
        grpc.unary(request, path, codec).await?;
    }
    Ok(())
}

fn tokens_file(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// A privacyd with the tokens file at `<data-dir>/admin-tokens` holding `lines` (the test
/// helper's own all-scope token stays configured through the environment setting).
async fn spawn_with_tokens_file(lines: &[String]) -> (TestApp, PathBuf) {
    let file = tempfile::NamedTempFile::new().unwrap().into_temp_path().keep().unwrap();
    std::fs::write(&file, tokens_file(lines)).unwrap();
    let path = file.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.admin_tokens_file = Some(path)).await;
    (app, file)
}

async fn channel(app: &TestApp) -> Channel {
    Channel::from_shared(format!("http://{}", app.addr)).unwrap().connect().await.unwrap()
}

#[tokio::test]
async fn each_scope_allows_exactly_its_methods() {
    let methods = api_methods();
    let spec: BTreeMap<&str, &str> = SPEC.iter().copied().collect();
    for (method, _) in &methods {
        assert!(spec.contains_key(method.as_str()), "{method} is missing from this test's SPEC");
    }
    assert_eq!(methods.len(), SPEC.len(), "SPEC lists a method the API does not have");

    let mut lines = Vec::new();
    let mut tokens = Vec::new();
    for scope in Scope::ALL {
        let (token, entry) = mint(&format!("only-{scope}"), Scopes::parse(scope.as_str()).unwrap()).unwrap();
        lines.push(entry.line());
        tokens.push((scope, token));
    }
    let (app, _) = spawn_with_tokens_file(&lines).await;
    let channel = channel(&app).await;
    for (method, streaming) in &methods {
        let needed = spec[method.as_str()];
        for (scope, token) in &tokens {
            let result = call(&channel, method, *streaming, &format!("Bearer {}", token.expose())).await;
            let refused =
                result.as_ref().err().filter(|e| e.code() == Code::PermissionDenied && reason(e) == "MISSING_SCOPE");
            if needed == "public" || needed == scope.as_str() {
                let err = result.as_ref().err();
                assert!(refused.is_none(), "{method} refused a {scope} token: {err:?}");
                assert_ne!(err.map(Status::code), Some(Code::Unauthenticated), "{method} with a {scope} token");
            } else {
                let err = refused.unwrap_or_else(|| panic!("{method} let a {scope} token through: {result:?}"));
                assert_eq!(error_metadata(err, "scope").as_deref(), Some(needed), "{method}");
                assert!(err.message().contains(needed), "{}", err.message());
            }
        }
    }
}

#[tokio::test]
async fn the_bearer_scheme_matches_in_any_case_with_any_whitespace() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let channel = channel(&app).await;
    let token = &app.admin_token;
    for header in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("bEaReR \t   {token}"),
    ] {
        call(&channel, "PrivacyRequestService/ListPrivacyRequests", false, &header)
            .await
            .unwrap_or_else(|e| panic!("{header:?} refused: {e:?}"));
    }
    for header in [format!("Basic {token}"), format!("Bearer{token}"), token.clone()] {
        let err = call(&channel, "PrivacyRequestService/ListPrivacyRequests", false, &header).await.unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{header:?}");
    }
}

#[tokio::test]
async fn reloading_the_tokens_file_adds_and_revokes_tokens_and_a_bad_file_changes_nothing() {
    let read = Scopes::parse("read").unwrap();
    let (old, old_entry) = mint("old", read).unwrap();
    let (new, new_entry) = mint("new", read).unwrap();
    let (app, file) = spawn_with_tokens_file(&[old_entry.line()]).await;
    let channel = channel(&app).await;
    let list = |token: &SecretToken| {
        let header = format!("Bearer {}", token.expose());
        let channel = channel.clone();
        async move { call(&channel, "PrivacyRequestService/ListPrivacyRequests", false, &header).await }
    };
    list(&old).await.unwrap();
    assert_eq!(list(&new).await.unwrap_err().code(), Code::Unauthenticated);

    // Rotation: the new token's line in, the old one's out, and a reload.
    std::fs::write(&file, tokens_file(&[new_entry.line()])).unwrap();
    assert_eq!(app.admin_tokens.reload().unwrap(), 1);
    list(&new).await.unwrap();
    assert_eq!(list(&old).await.unwrap_err().code(), Code::Unauthenticated, "the removed token is refused");

    // A file that does not parse (here: a token pasted where its hash belongs) keeps the set
    // in force, and the reason names the line, not the token.
    let pasted = SecretToken::generate();
    std::fs::write(&file, format!("{}\nbroken read {}\n", old_entry.line(), pasted.expose())).unwrap();
    let err = format!("{:#}", app.admin_tokens.reload().unwrap_err());
    assert!(err.contains("line 2") && err.contains("sha256:"), "{err}");
    assert!(!err.contains(pasted.expose()), "{err}");
    list(&new).await.unwrap();
    assert_eq!(list(&old).await.unwrap_err().code(), Code::Unauthenticated, "a bad file does not bring it back");

    // A removed file is a mistake too, not "no tokens".
    std::fs::remove_file(&file).unwrap();
    assert!(app.admin_tokens.reload().is_err());
    list(&new).await.unwrap();
}

#[tokio::test]
async fn weak_tokens_are_refused_at_start_with_the_rule() {
    for weak in ["aaaaaaaaaaaaaaaa", "admin-token-for-tests", &"0123456789".repeat(5), &"Ab1!".repeat(16)] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.data_dir = dir.path().to_owned();
        config.admin_tokens = vec![SecretToken::generate().expose().to_owned(), weak.to_owned()];
        let (_trigger, shutdown) = shutdown::channel();
        let err = match Application::build(config, shutdown).await {
            Ok(_) => panic!("{weak:?} was accepted"),
            Err(err) => format!("{err:#}"),
        };
        assert!(err.contains("admin token 2 of PRIVACYD_ADMIN_TOKENS is refused"), "{err}");
        assert!(err.contains("at least 32 characters and an estimated 128 bits"), "{err}");
        assert!(!err.contains(weak), "the message repeats the token: {err}");
    }
}

#[tokio::test]
async fn a_token_without_the_download_scope_cannot_download_an_archive_as_admin() {
    let (token, entry) = mint("reader", Scopes::parse("read,requests").unwrap()).unwrap();
    let (app, _) = spawn_with_tokens_file(&[entry.line()]).await;
    let mut client = pb::privacy_request_service_client::PrivacyRequestServiceClient::new(channel(&app).await);
    let mut request =
        Request::new(pb::DownloadExportRequest { id: uuid::Uuid::now_v7().to_string(), ..Default::default() });
    request.metadata_mut().insert("authorization", format!("Bearer {}", token.expose()).parse().unwrap());
    let err = client.download_export(request).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(reason(&err), "MISSING_SCOPE");
    assert_eq!(error_metadata(&err, "scope").as_deref(), Some("download"));
}

#[tokio::test]
async fn privacyctl_mints_a_token_into_a_private_file_and_prints_only_its_line() {
    use crate::privacyctl::privacyctl;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("ci.token");
    let path = token_file.to_str().unwrap();
    let ran = privacyctl(&["admin-token", "new", "ci", "--scopes", "read,sources", "--token-file", path]).await.ok();
    let token = std::fs::read_to_string(&token_file).unwrap().trim().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let line = ran.stdout.trim().to_owned();
    assert!(line.starts_with("ci read,sources sha256:"), "{line}");
    assert!(!ran.stdout.contains(&token) && !ran.stderr.contains(&token), "the token is printed");

    let (app, _) = spawn_with_tokens_file(&[line]).await;
    let channel = channel(&app).await;
    let header = format!("Bearer {token}");
    call(&channel, "DataSourceRegistryService/ListDataSources", false, &header).await.unwrap();
    let err = call(&channel, "PrivacyRequestService/CreatePrivacyRequest", false, &header).await.unwrap_err();
    assert_eq!((err.code(), reason(&err).as_str()), (Code::PermissionDenied, "MISSING_SCOPE"));

    // An existing token file is never overwritten, and a scope must be one privacyd knows.
    let again = privacyctl(&["admin-token", "new", "ci2", "--scopes", "read", "--token-file", path]).await.failed();
    assert!(again.stderr.contains("ci.token"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&token_file).unwrap().trim(), token);
    let other = dir.path().join("other.token");
    let bad =
        privacyctl(&["admin-token", "new", "x", "--scopes", "admin", "--token-file", other.to_str().unwrap()]).await;
    assert_eq!(bad.code, 2, "a usage error");
    assert!(bad.stderr.contains("unknown scope \"admin\""), "{}", bad.stderr);
    assert!(!other.exists());
}
