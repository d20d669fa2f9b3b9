//! privacyctl's `--json` prints what grpcurl prints for the same call (issue 9, item 22): the
//! response message in the protobuf JSON mapping with grpcurl's field names
//! (`{"privacyRequest": {...}}`, not the bare request), so a script written against one works
//! with the other. Each command runs both ways against one privacyd and the parsed JSON is
//! compared. And `privacyctl sources update` reaches every field UpdateDataSource takes
//! (issue 9, item 19).

use std::{process::Command, time::Duration};

use privacyd::proto::privacy::v1 as pb;
use serde_json::Value;

use crate::{
    fake_source::{Misbehaving, serve},
    helpers::{Backend, TestApp, state, unique_email},
    privacyctl::ctl,
};

/// grpcurl (installed by scripts/test.sh into ~/go/bin) making `method` with `body`, parsed:
/// one value per message it printed.
fn grpcurl(app: &TestApp, method: &str, body: &Value) -> Vec<Value> {
    let home = std::env::var("HOME").unwrap_or_default();
    let path = format!("{}:{home}/go/bin", std::env::var("PATH").unwrap_or_default());
    let output = Command::new("grpcurl")
        .env("PATH", path)
        .args(["-plaintext", "-H", &format!("authorization: Bearer {}", app.admin_token), "-d", &body.to_string()])
        .arg(app.addr.to_string())
        .arg(method)
        .output()
        .expect("grpcurl runs (go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4)");
    assert!(output.status.success(), "grpcurl {method}: {}", String::from_utf8_lossy(&output.stderr));
    values(&String::from_utf8(output.stdout).unwrap())
}

/// Every JSON value in `text`, in order (grpcurl prints one per message; privacyctl's watch one
/// per line).
fn values(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text).into_iter::<Value>().map(|v| v.expect("JSON")).collect()
}

/// privacyctl with --json, parsed to its one value.
async fn privacyctl_json(app: &TestApp, args: &[&str]) -> Value {
    let ran = ctl(app, &[args, &["--json"]].concat()).await.ok();
    let mut all = values(&ran.stdout);
    assert_eq!(all.len(), 1, "one JSON value from {args:?}: {}", ran.stdout);
    all.pop().unwrap()
}

const REQUESTS: &str = "privacy.v1.PrivacyRequestService";
const REGISTRY: &str = "privacy.v1.DataSourceRegistryService";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacyctl_json_is_what_grpcurl_prints_for_every_command() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let endpoint = serve(Misbehaving { slow: Some((2, Duration::from_millis(10))), ..Default::default() }).await;
    let id = |v: &Value| v["privacyRequest"]["id"].as_str().expect("a privacyRequest with an id").to_owned();

    // Sources: register, get, list, update, disable, enable, events.
    let registered =
        privacyctl_json(&app, &["sources", "register", "things", "--endpoint", &endpoint, "--timeout", "20s"]).await;
    let got = grpcurl(&app, &format!("{REGISTRY}/GetDataSource"), &serde_json::json!({"name": "things"}));
    assert_eq!(registered, got[0], "register answers RegisterDataSourceResponse, as GetDataSource shows it");
    assert_eq!(privacyctl_json(&app, &["sources", "get", "things"]).await, got[0]);
    let list = grpcurl(&app, &format!("{REGISTRY}/ListDataSources"), &serde_json::json!({"page_size": 1000}));
    assert_eq!(privacyctl_json(&app, &["sources", "list"]).await, list[0]);
    for args in [
        &["sources", "update", "things", "--timeout", "45s"][..],
        &["sources", "disable", "things"],
        &["sources", "enable", "things"],
    ] {
        let updated = privacyctl_json(&app, args).await;
        let got = grpcurl(&app, &format!("{REGISTRY}/GetDataSource"), &serde_json::json!({"name": "things"}));
        assert_eq!(updated, got[0], "{args:?}");
    }
    let events = grpcurl(
        &app,
        &format!("{REQUESTS}/ListAuditEvents"),
        &serde_json::json!({"subject": "AUDIT_SUBJECT_DATA_SOURCE", "data_source": "things", "page_size": 1000}),
    );
    assert_eq!(privacyctl_json(&app, &["sources", "events", "things"]).await, events[0]);
    // This test source serves no health service: check exits 1, and prints the answer still.
    let checked = values(&ctl(&app, &["sources", "check", "things", "--json"]).await.failed().stdout).remove(0);
    let mut grpcurl_checked =
        grpcurl(&app, &format!("{REGISTRY}/CheckDataSource"), &serde_json::json!({"name": "things"}));
    let without_latency = |mut v: Value| {
        v.as_object_mut().unwrap().remove("latency").expect("a latency");
        v
    };
    assert_eq!(without_latency(checked), without_latency(grpcurl_checked.remove(0)), "all but the time it took");

    // Requests: every command that answers with a request answers the whole response.
    let created =
        privacyctl_json(&app, &["requests", "create", "--email", &unique_email(), "--action", "export"]).await;
    let export = id(&created);
    let get =
        |id: &str| grpcurl(&app, &format!("{REQUESTS}/GetPrivacyRequest"), &serde_json::json!({"id": id})).remove(0);
    assert_eq!(created, get(&export), "CreatePrivacyRequestResponse: {{\"privacyRequest\": ...}}");
    assert_eq!(privacyctl_json(&app, &["requests", "get", &export]).await, get(&export));
    let processed = privacyctl_json(&app, &["requests", "process", &export]).await;
    assert_eq!(processed["privacyRequest"]["state"], "STATE_PROCESSING", "{processed}");
    // Completed, its email sent: nothing changes it any more while the two are compared.
    app.wait_for(&export, "the export to complete and its email to go", |r| {
        state(r) == pb::State::Completed && r.emails.iter().all(|e| e.state == pb::DeliveryState::Sent as i32)
    })
    .await;
    let list =
        grpcurl(&app, &format!("{REQUESTS}/ListPrivacyRequests"), &serde_json::json!({"page_size": 50})).remove(0);
    assert_eq!(privacyctl_json(&app, &["requests", "list"]).await, list);
    let audit = grpcurl(
        &app,
        &format!("{REQUESTS}/ListAuditEvents"),
        &serde_json::json!({"request_id": export, "page_size": 1000}),
    )
    .remove(0);
    assert_eq!(privacyctl_json(&app, &["requests", "audit", &export]).await, audit);
    // A stream: the same messages, one JSON value each.
    let watched = ctl(&app, &["requests", "watch", &export, "--json"]).await.ok();
    let grpcurl_watched = grpcurl(&app, &format!("{REQUESTS}/WatchPrivacyRequest"), &serde_json::json!({"id": export}));
    assert!(grpcurl_watched.len() > 2, "the request and its history: {grpcurl_watched:?}");
    assert_eq!(values(&watched.stdout), grpcurl_watched);
    // A download prints the stream's first message, the header; the bytes go to the file.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export.zip");
    let downloaded = privacyctl_json(&app, &["requests", "download", &export, "--out", out.to_str().unwrap()]).await;
    let header = &grpcurl(&app, &format!("{REQUESTS}/DownloadExport"), &serde_json::json!({"id": export}))[0];
    assert_eq!(&downloaded, header);
    assert!(downloaded["header"]["sha256"].is_string(), "{downloaded}");

    for (command, args) in [
        ("cancel", vec!["--reason", "made by mistake"]),
        ("deny", vec!["--reason", "not the subject"]),
        ("complete", vec![]),
    ] {
        let created =
            privacyctl_json(&app, &["requests", "create", "--email", &unique_email(), "--action", "export"]).await;
        let request = id(&created);
        if command == "complete" {
            // Complete is for a request in PROCESSING, fulfilled by hand: its source never
            // answers meanwhile.
            ctl(&app, &["sources", "disable", "things"]).await.ok();
            let hangs = serve(Misbehaving { hang_first: 1000, ..Default::default() }).await;
            ctl(&app, &["sources", "register", "hangs", "--endpoint", &hangs]).await.ok();
            app.client
                .clone()
                .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: request.clone() })
                .await
                .unwrap();
        }
        let answered = privacyctl_json(&app, &[&["requests", command, &request][..], &args].concat()).await;
        let after = get(&request);
        assert_eq!(answered.as_object().unwrap().keys().collect::<Vec<_>>(), ["privacyRequest"], "{command}");
        assert_eq!(answered["privacyRequest"]["id"], after["privacyRequest"]["id"], "{command}");
        assert_eq!(answered["privacyRequest"]["state"], after["privacyRequest"]["state"], "{command}");
    }
}

/// `sources update` changes a registered source: every setting, with what privacyd answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacyctl_sources_update_changes_a_registered_source() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let first = serve(Misbehaving::default()).await;
    let second = serve(Misbehaving::default()).await;
    ctl(&app, &["sources", "register", "shop", "--endpoint", &first, "--token", "old-token"]).await.ok();
    let source = || async {
        app.registry
            .clone()
            .get_data_source(pb::GetDataSourceRequest { name: "shop".into() })
            .await
            .unwrap()
            .into_inner()
            .data_source
            .unwrap()
    };

    let updated = ctl(&app, &["sources", "update", "shop", "--timeout", "2m", "--enabled", "false"]).await.ok();
    assert!(updated.stdout.contains("call timeout: 2m\n"), "{}", updated.stdout);
    let now = source().await;
    assert_eq!(now.call_timeout.unwrap().seconds, 120);
    assert!(!now.enabled && now.has_auth_token && now.endpoint == first);

    // A new address without saying which token goes there is refused, with privacyd's reason.
    let refused = ctl(&app, &["sources", "update", "shop", "--endpoint", &second]).await.failed();
    assert!(refused.stderr.contains("AUTH_TOKEN_REQUIRED"), "{}", refused.stderr);
    ctl(&app, &["sources", "update", "shop", "--endpoint", &second, "--no-token", "--enabled", "true"]).await.ok();
    let now = source().await;
    assert_eq!((now.endpoint.as_str(), now.has_auth_token, now.enabled), (second.as_str(), false, true));
    ctl(&app, &["sources", "update", "shop", "--token", "new-token"]).await.ok();
    assert!(source().await.has_auth_token);
    // TLS to a source that speaks plaintext: privacyd calls Describe before saving, and refuses.
    let tls = ctl(&app, &["sources", "update", "shop", "--tls", "true", "--token", "new-token"]).await.failed();
    assert!(tls.stderr.contains("UpdateDataSource"), "{}", tls.stderr);
    assert!(!source().await.tls, "nothing saved");
}
