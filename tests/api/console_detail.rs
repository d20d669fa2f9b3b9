//! A request's page and the data sources pages of the console (issue 12), over plain HTTP: what
//! each shows, that every button calls the same workflow as the gRPC method (and is refused
//! in words when the state does not allow it), the archive download through the console, the
//! receipt's JSON, the live progress fragment, the scopes, and the pages' headers.

use std::time::Duration;

use privacyd::proto::privacy::v1 as pb;
use sha2::Digest;

use crate::{
    console_harness::{ConsoleClient, Reply, spawn_with_tokens},
    erasing_source::ErasingSource,
    fake_source::{Misbehaving, serve},
    helpers::{Backend, TestApp, state, unique_email},
    on_both_backends,
};

/// Signs in off the runtime's workers (the harness speaks blocking HTTP/1.1).
async fn sign_in(app: &TestApp) -> ConsoleClient {
    let (addr, token) = (app.addr, app.admin_token.clone());
    tokio::task::spawn_blocking(move || ConsoleClient::sign_in(addr, &token).expect("the admin token signs in"))
        .await
        .unwrap()
}

async fn get(client: &ConsoleClient, path: &str) -> Reply {
    let (client, path) = (client.clone(), path.to_owned());
    tokio::task::spawn_blocking(move || client.get(&path)).await.unwrap()
}

async fn get_htmx(client: &ConsoleClient, path: &str) -> Reply {
    let (client, path) = (client.clone(), path.to_owned());
    tokio::task::spawn_blocking(move || client.get_htmx(&path)).await.unwrap()
}

async fn post(client: &ConsoleClient, path: &str, fields: &[(&str, &str)]) -> Reply {
    let (client, path) = (client.clone(), path.to_owned());
    let fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::task::spawn_blocking(move || {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        client.post(&path, &fields)
    })
    .await
    .unwrap()
}

async fn register(app: &TestApp, name: &str, endpoint: String) {
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: name.into(),
            endpoint,
            call_timeout: Some(prost_types::Duration { seconds: 2, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// A pending request's page: subject, state, deadline, the buttons PENDING allows and no
/// other; an operation the state refuses is answered with the page and the refusal in words;
/// deny with a reason goes through the workflow (DENIED, the reason kept, the actor the
/// token's fingerprint), and without a reason is refused saying what is missing.
async fn request_page_and_its_buttons(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = sign_in(&app).await;
    let email = unique_email();
    let created = app.create(&email, pb::Action::Export, true).await;
    let path = format!("/console/requests/{}", created.id);

    let page = get(&client, &path).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
    assert!(page.body.contains(&email), "the subject is shown");
    assert!(page.body.contains(r#"data-state="PENDING""#));
    assert!(page.body.contains(r#"id="days-left">30 days left"#), "{}", page.body);
    for button in [r#"id="resend""#, r#"id="deny""#, r#"id="cancel""#, r#"id="extend""#] {
        assert!(page.body.contains(button), "{button} missing");
    }
    for absent in [r#"id="process""#, r#"id="complete""#, r#"id="delete""#] {
        assert!(!page.body.contains(absent), "{absent} offered on a PENDING request");
    }
    assert!(page.body.contains("CREATED"), "the timeline lists the creation");

    // A state that refuses: the page again, saying why in the domain's words.
    let refused = post(&client, &format!("{path}/process"), &[]).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert!(refused.body.contains("Cannot process a request that is PENDING."), "{}", refused.body);
    assert_eq!(state(&app.get(&created.id).await), pb::State::Pending);

    let no_reason = post(&client, &format!("{path}/deny"), &[("reason", "  ")]).await;
    assert_eq!(no_reason.status, 422, "{no_reason:?}");
    assert!(no_reason.body.contains("Reason: is required."), "{}", no_reason.body);

    let denied = post(&client, &format!("{path}/deny"), &[("reason", "identity could not be verified")]).await;
    assert_eq!(denied.status, 303, "{denied:?}");
    assert_eq!(denied.header("location").unwrap(), format!("{path}?done=deny"));
    let request = app.get(&created.id).await;
    assert_eq!(state(&request), pb::State::Denied);
    assert_eq!(request.state_reason, "identity could not be verified");
    let event = app.last_transition(&created.id).await;
    assert_eq!(event.actor.unwrap().id, privacyd::domain::TokenHash::of(&app.admin_token).fingerprint());
    let after = get(&client, &format!("{path}?done=deny")).await;
    assert!(after.body.contains("The request is denied"), "{}", after.body);
    assert!(after.body.contains(r#"id="delete""#), "a denied request can be deleted");

    // Delete: a confirmation step, then the request is gone and its page a 404.
    let confirm = get(&client, &format!("{path}/delete")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains(r#"id="confirm-delete""#));
    let deleted = post(&client, &format!("{path}/delete"), &[]).await;
    assert_eq!(deleted.status, 200, "{deleted:?}");
    let gone = get(&client, &path).await;
    assert_eq!(gone.status, 404);
    app.stop().await;
}

/// The extend form: days and a reason move the deadline (Art. 12(3)) and email the subject;
/// past the two-month limit it is refused in words.
async fn extend_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = sign_in(&app).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    let path = format!("/console/requests/{}", created.id);
    let extended = post(&client, &format!("{path}/extend"), &[("days", "10"), ("reason", "many systems")]).await;
    assert_eq!(extended.status, 303, "{extended:?}");
    let request = app.get(&created.id).await;
    assert_eq!(request.deadline_extension_days, 10);
    assert_eq!(request.due_time.unwrap().seconds - created.due_time.unwrap().seconds, 10 * 86_400);
    let page = get(&client, &path).await;
    assert!(page.body.contains("40 days left"), "{}", page.body);
    assert!(page.body.contains("Extended by 10 days: many systems"));

    let too_far = post(&client, &format!("{path}/extend"), &[("days", "62"), ("reason", "more")]).await;
    assert_eq!(too_far.status, 422, "{too_far:?}");
    assert!(too_far.body.contains("The deadline may be extended by two months at most"), "{}", too_far.body);
    let not_a_number = post(&client, &format!("{path}/extend"), &[("days", "ten"), ("reason", "more")]).await;
    assert_eq!(not_a_number.status, 422);
    assert!(not_a_number.body.contains("must be a whole number of days"));
    app.stop().await;
}

/// An export processed from the page, through to the download: the file's SHA-256 is the
/// archive's, and the download is in the timeline as this admin's.
async fn export_through_to_download(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register_empty_source().await;
    let client = sign_in(&app).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    let path = format!("/console/requests/{}", created.id);
    assert_eq!(post(&client, &format!("{path}/process"), &[]).await.status, 303);
    let done = app.wait_for(&created.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    let archive = done.archive.unwrap();

    let page = get(&client, &path).await;
    assert!(page.body.contains(&archive.sha256), "the page shows the SHA-256");
    assert!(page.body.contains(&format!(r#"data-bytes="{}""#, archive.size_bytes)));

    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::new()
        .get(format!("http://{}{path}/archive", app.addr))
        .header("cookie", &client.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains(&archive.file_name));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, archive.size_bytes);
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), archive.sha256);
    let downloaded = app
        .audit(&created.id)
        .await
        .into_iter()
        .find(|e| e.r#type == pb::AuditEventType::ArchiveDownloaded as i32)
        .expect("the download is audited");
    assert_eq!(downloaded.actor.unwrap().id, privacyd::domain::TokenHash::of(&app.admin_token).fingerprint());
    app.stop().await;
}

/// An erasure through to its receipt: shown as a table with `audit_chain_intact`, and its JSON
/// downloaded byte for byte as GetErasureReceipt returns it.
async fn erasure_through_to_receipt(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let source = ErasingSource::new("shop", Default::default());
    register(&app, "shop", source.serve().await).await;
    let client = sign_in(&app).await;
    let created = app.create(&unique_email(), pb::Action::Erase, false).await;
    let path = format!("/console/requests/{}", created.id);
    assert_eq!(post(&client, &format!("{path}/process"), &[]).await.status, 303);
    app.wait_for(&created.id, "the erasure to complete", |r| state(r) == pb::State::Completed).await;
    let receipt = app
        .client
        .clone()
        .get_erasure_receipt(pb::GetErasureReceiptRequest { id: created.id.clone() })
        .await
        .unwrap()
        .into_inner();

    let page = get(&client, &path).await;
    assert!(page.body.contains(r#"id="audit-chain" data-intact="true""#), "{}", page.body);
    assert!(page.body.contains(&receipt.sha256));
    assert!(page.body.contains(r#"id="receipt-table""#));
    assert!(page.body.contains(r#"id="erasure""#), "erasure results per source");
    let json = get(&client, &format!("{path}/receipt.json")).await;
    assert_eq!(json.status, 200);
    assert_eq!(json.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(json.body, receipt.receipt_json);

    // An export has no receipt: refused in words.
    let export = app.create(&unique_email(), pb::Action::Export, false).await;
    let none = get(&client, &format!("/console/requests/{}/receipt.json", export.id)).await;
    assert_eq!(none.status, 409);
    assert!(none.body.contains("only erasures have receipts"), "{}", none.body);
    app.stop().await;
}

/// While a slow source runs, the progress fragment shows its items climbing and tells htmx to
/// poll again; once the request is final, an htmx poll is answered with HX-Refresh.
async fn live_progress(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slow = Misbehaving { slow: Some((40, Duration::from_millis(100))), ..Default::default() };
    register(&app, "slow", serve(slow).await).await;
    let client = sign_in(&app).await;
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    let path = format!("/console/requests/{}", created.id);
    assert_eq!(post(&client, &format!("{path}/process"), &[]).await.status, 303);
    let page = get(&client, &path).await;
    assert!(page.body.contains(r#"hx-trigger="every 2s""#), "a PROCESSING page polls: {}", page.body);
    assert!(page.body.contains(r#"id="refresh""#), "and has a Refresh link without JavaScript");

    let items = |body: &str| -> i64 {
        let start = body.find(r#"<td class="items">"#).map(|i| i + r#"<td class="items">"#.len());
        start.map(|s| body[s..].split('<').next().unwrap().trim().parse().unwrap()).unwrap_or(0)
    };
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let fragment = get_htmx(&client, &format!("{path}/progress")).await;
        assert_eq!(fragment.status, 200);
        assert!(!fragment.body.contains("<html"), "a fragment, not a page");
        if fragment.header("hx-refresh").is_some() {
            break;
        }
        assert!(fragment.body.contains(r#"hx-trigger="every 2s""#));
        seen.push(items(&fragment.body));
        assert!(tokio::time::Instant::now() < deadline, "the export never finished: {seen:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    seen.dedup();
    assert!(seen.len() >= 3, "the item count changed while the source ran: {seen:?}");
    assert_eq!(state(&app.get(&created.id).await), pb::State::Completed);
    let final_page = get(&client, &path).await;
    assert!(!final_page.body.contains("hx-trigger"), "a final page does not poll");
    app.stop().await;
}

/// A read-only token sees the pages; every button answers 403 naming the scope it lacks, and
/// changes nothing. Unknown or malformed ids are a 404 page.
async fn read_only_and_unknown(backend: Backend) {
    let (app, tokens) = spawn_with_tokens(backend, &["read"], |_| {}).await;
    let token = tokens.tokens[0].clone();
    let addr = app.addr;
    let reader = tokio::task::spawn_blocking(move || ConsoleClient::sign_in(addr, &token).unwrap()).await.unwrap();
    let created = app.create(&unique_email(), pb::Action::Export, true).await;
    let path = format!("/console/requests/{}", created.id);
    let page = get(&reader, &path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"id="read-only""#));
    for op in ["resend", "deny", "cancel", "extend"] {
        let refused = post(&reader, &format!("{path}/{op}"), &[("reason", "x"), ("days", "1")]).await;
        assert_eq!(refused.status, 403, "{op}: {refused:?}");
        assert!(refused.body.contains("requests"), "names the scope");
    }
    assert_eq!(state(&app.get(&created.id).await), pb::State::Pending);
    assert_eq!(get(&reader, "/console/sources").await.status, 200);
    let register = post(&reader, "/console/sources", &[("name", "x"), ("endpoint", "http://127.0.0.1:1")]).await;
    assert_eq!(register.status, 403);

    for unknown in [format!("/console/requests/{}", uuid::Uuid::new_v4()), "/console/requests/not-an-id".into()] {
        let missing = get(&reader, &unknown).await;
        assert_eq!(missing.status, 404, "{unknown}");
        assert!(missing.body.contains("There is no privacy request with this id"));
        assert_eq!(missing.header("cache-control").as_deref(), Some("no-store"));
    }
    let no_source = get(&reader, "/console/sources/nothing-here").await;
    assert_eq!(no_source.status, 404);
    app.stop().await;
}

/// The sources page: a healthy and an unreachable source, each checked within the page's
/// deadline; registering a source whose Describe fails shows the error in the form (and not
/// the token typed); register, disable, enable and delete go through the registry.
async fn sources_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = sign_in(&app).await;
    // The example source answers grpc.health.v1 (the fake ones do not).
    let healthy = crate::helpers::ExampleSource::start(&[], None);
    register(&app, "healthy", healthy.endpoint.clone()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone_addr = listener.local_addr().unwrap();
    drop(listener);
    let gone = serve(Misbehaving::default()).await;
    register(&app, "gone", gone).await;
    sqlx_move(&app, "gone", &format!("http://{gone_addr}")).await;

    let started = std::time::Instant::now();
    let page = get(&client, "/console/sources").await;
    assert!(started.elapsed() < Duration::from_secs(8), "the page waited {:?}", started.elapsed());
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
    assert!(page.body.contains(r#"data-source="healthy" data-health="SERVING""#), "{}", page.body);
    assert!(page.body.contains(r#"data-source="gone" data-health="UNREACHABLE""#), "{}", page.body);

    let source_page = get(&client, "/console/sources/healthy").await;
    assert!(source_page.body.contains(r#"<tr data-group=""#), "categories listed: {}", source_page.body);
    assert!(source_page.body.contains(r#"id="health" data-health="SERVING""#));
    assert!(source_page.body.contains("DATA_SOURCE_REGISTERED"));

    let failing = post(
        &client,
        "/console/sources",
        &[
            ("name", "broken"),
            ("endpoint", &format!("http://{gone_addr}")),
            ("auth_token", "tok-do-not-show"),
            ("call_timeout", "1s"),
        ],
    )
    .await;
    assert_eq!(failing.status, 422, "{failing:?}");
    assert!(
        failing.body.contains("Not registered: data source &quot;broken&quot; did not answer Describe"),
        "{}",
        failing.body
    );
    assert!(!failing.body.contains("tok-do-not-show"));
    assert!(failing.body.contains(&format!("value=\"http:&#x2f;&#x2f;{gone_addr}\"")), "the form keeps the endpoint");

    let another = serve(Misbehaving::default()).await;
    let registered =
        post(&client, "/console/sources", &[("name", "another"), ("endpoint", &another), ("enabled", "true")]).await;
    assert_eq!(registered.status, 303, "{registered:?}");
    let listed =
        app.registry.clone().get_data_source(pb::GetDataSourceRequest { name: "another".into() }).await.unwrap();
    assert!(listed.into_inner().data_source.unwrap().enabled);

    assert_eq!(post(&client, "/console/sources/another/disable", &[]).await.status, 303);
    let source = |app: &TestApp| {
        let mut registry = app.registry.clone();
        async move {
            registry.get_data_source(pb::GetDataSourceRequest { name: "another".into() }).await.map(|r| r.into_inner())
        }
    };
    assert!(!source(&app).await.unwrap().data_source.unwrap().enabled);
    assert_eq!(post(&client, "/console/sources/another/enable", &[]).await.status, 303);
    assert!(source(&app).await.unwrap().data_source.unwrap().enabled);
    let confirm = get(&client, "/console/sources/another/delete").await;
    assert!(confirm.body.contains(r#"id="confirm-delete""#));
    assert_eq!(post(&client, "/console/sources/another/delete", &[]).await.status, 303);
    assert_eq!(source(&app).await.unwrap_err().code(), tonic::Code::NotFound);
    app.stop().await;
}

/// Moves a registered source to `endpoint` behind the registry's back (as if its host went
/// away), so the page finds it unreachable.
async fn sqlx_move(app: &TestApp, name: &str, endpoint: &str) {
    use sqlx::Connection;
    let sql = "UPDATE data_sources SET endpoint = $1 WHERE name = $2";
    if app.database_url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
        sqlx::query(sql).bind(endpoint).bind(name).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
        sqlx::query(sql).bind(endpoint).bind(name).execute(&mut conn).await.unwrap();
    }
}

on_both_backends!(
    request_page_and_its_buttons,
    extend_form,
    export_through_to_download,
    erasure_through_to_receipt,
    live_progress,
    read_only_and_unknown,
    sources_pages,
);

/// The pages in headless Chromium (tests/support/console/request_page.py): the extend and deny
/// forms, Process on an export and its source's item count seen changing live without a
/// reload, the download's SHA-256 equal to the archive's, a completed erasure's receipt with
/// `audit_chain_intact` and its JSON, registering a source whose Describe fails, disabling a
/// source; axe-core finds no WCAG 2.1 A/AA violation on any of these pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_and_sources_pages_in_a_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let slow = Misbehaving { slow: Some((60, Duration::from_millis(150))), ..Default::default() };
    register(&app, "slow", serve(slow).await).await;
    let shop = ErasingSource::new("shop", Default::default());
    register(&app, "shop", shop.serve().await).await;
    let pending = app.create(&unique_email(), pb::Action::Export, true).await;
    let export = app.create(&unique_email(), pb::Action::Export, false).await;
    let erasure = app.create(&unique_email(), pb::Action::Erase, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: erasure.id.clone() })
        .await
        .unwrap();
    app.wait_for(&erasure.id, "the erasure to complete", |r| state(r) == pb::State::Completed).await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let unreachable = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);

    let output = crate::console_harness::run_scenario(
        "request_page.py",
        &[
            format!("http://{}", app.addr),
            app.admin_token.clone(),
            pending.id.clone(),
            export.id.clone(),
            erasure.id.clone(),
            unreachable,
        ],
        Duration::from_secs(170),
    )
    .await;
    let printed = |label| crate::console_harness::printed(&output, label);
    assert_eq!(printed("extended"), "Extended by 5 days: several systems to search");
    assert!(printed("denied state").starts_with("DENIED: identity not verified"), "{output}");
    assert_eq!(state(&app.get(&pending.id).await), pb::State::Denied);
    assert_eq!(printed("after process"), "PROCESSING");
    let seen: Vec<&str> = printed("items seen").split(',').collect();
    assert!(seen.len() >= 3, "the item count changed live at least twice: {seen:?}\n{output}");
    assert_eq!(printed("export state"), "COMPLETED");
    assert_eq!(printed("download status"), "200");
    assert_eq!(printed("download sha256 matches"), "True");
    assert_eq!(printed("audit chain intact"), "true");
    assert_eq!(printed("receipt status"), "200");
    assert_eq!(printed("receipt names the request"), "True");
    assert!(printed("register error").contains("did not answer Describe"), "{output}");
    assert_eq!(printed("after disable"), "false");
    for page in [
        "pending request",
        "completed export",
        "completed erasure",
        "data sources",
        "data sources with an error",
        "data source",
    ] {
        assert!(output.contains(&format!("axe {page}: clean")), "{page}\n{output}");
    }
    app.stop().await;
}
