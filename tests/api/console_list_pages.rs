//! The console's request table, bulk actions, CSV download and statistics page (issue 12),
//! over plain HTTP with a signed-in session: what each page shows and does without
//! JavaScript. The browser walk (Selenium, axe-core) is in console_list_browser.rs.

use privacyd::proto::privacy::v1 as pb;

use crate::{
    console_harness::{ConsoleClient, Reply, spawn_with_tokens},
    helpers::{Backend, TestApp, state, unique_email},
    on_both_backends,
};

on_both_backends!(
    the_table_shows_tabs_filters_and_pages,
    a_bulk_action_confirms_then_answers_each_row,
    the_next_step_button_moves_a_request_on,
    the_csv_holds_every_filtered_request_defused,
    the_statistics_page_shows_the_year,
);

/// A page's text as the browser reads it: the entities minijinja writes decoded.
fn decoded(reply: &Reply) -> String {
    reply
        .body
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `href` of the link whose text starts with `text`.
fn link(page: &str, text: &str) -> Option<String> {
    let at = page.find(&format!(">{text}"))?;
    let start = page[..at].rfind("href=\"")? + 6;
    Some(page[start..].split('"').next()?.to_owned())
}

/// The ids of the table's rows, in order.
fn row_ids(page: &str) -> Vec<String> {
    page.split("<tr data-id=\"").skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()).collect()
}

fn client(app: &TestApp) -> ConsoleClient {
    ConsoleClient::sign_in(app.addr, &app.admin_token).unwrap_or_else(|reply| panic!("sign-in refused: {reply:?}"))
}

async fn set_due(app: &TestApp, id: &str, due: chrono::DateTime<chrono::Utc>) {
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap();
    sqlx::query("UPDATE privacy_requests SET due_time = $2 WHERE id = $1")
        .bind(id.to_owned())
        .bind(due.timestamp_micros())
        .execute(&mut db)
        .await
        .unwrap();
}

async fn the_table_shows_tabs_filters_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let pending = app.create(&format!("pat.{tag}@example.com"), pb::Action::Export, true).await;
    let mut confirmed = Vec::new();
    for i in 0..3 {
        confirmed.push(app.create(&format!("c{i}.{tag}@example.com"), pb::Action::Erase, false).await);
    }
    // One overdue by three days, the others due later in order.
    let now = chrono::Utc::now();
    set_due(&app, &confirmed[2].id, now - chrono::Duration::hours(60)).await;
    set_due(&app, &confirmed[0].id, now + chrono::Duration::days(5)).await;
    set_due(&app, &confirmed[1].id, now + chrono::Duration::days(9)).await;
    set_due(&app, &pending.id, now + chrono::Duration::days(20)).await;
    let other = app.create(&unique_email(), pb::Action::Export, false).await;
    let client = client(&app);

    let all = client.get(&format!("/console/requests?q={tag}"));
    assert_eq!(all.status, 200, "{all:?}");
    let page = decoded(&all);
    assert!(page.contains(">All <span class=\"count\">(4)</span>"), "{page}");
    assert!(page.contains(">Pending <span class=\"count\">(1)</span>"), "{page}");
    assert!(page.contains(">Confirmed <span class=\"count\">(3)</span>"), "{page}");
    assert!(page.contains(">Denied <span class=\"count\">(0)</span>"), "{page}");
    assert!(!row_ids(&page).contains(&other.id), "the search filters");
    assert!(page.contains("Overdue by 3 days"), "overdue said in words, not colour alone");
    assert!(page.contains(">Resend confirmation</button>") && page.contains(">Process</button>"));
    assert_eq!(all.header("cache-control").as_deref(), Some("no-store"));

    // The Pending tab's link keeps the search.
    let pending_tab = link(&page, "Pending").unwrap();
    assert!(pending_tab.contains(&format!("q={tag}")) && pending_tab.contains("state=PENDING"), "{pending_tab}");
    assert_eq!(row_ids(&decoded(&client.get(&pending_tab))), vec![pending.id.clone()]);

    // Sort by due date, nearest first; action filter; pages of the table's size are 50, so
    // the filters narrow it: erasures only.
    let by_due = decoded(&client.get(&format!("/console/requests?q={tag}&sort=due")));
    let order = vec![confirmed[2].id.clone(), confirmed[0].id.clone(), confirmed[1].id.clone(), pending.id.clone()];
    assert_eq!(row_ids(&by_due), order);
    let erasures = decoded(&client.get(&format!("/console/requests?q={tag}&action=ERASE&sort=due_desc")));
    assert_eq!(row_ids(&erasures), vec![confirmed[1].id.clone(), confirmed[0].id.clone(), confirmed[2].id.clone()]);
    let due_soon = (now + chrono::Duration::days(7)).format("%Y-%m-%d");
    let soon = decoded(&client.get(&format!("/console/requests?q={tag}&due_before={due_soon}&sort=due")));
    assert_eq!(row_ids(&soon), vec![confirmed[2].id.clone(), confirmed[0].id.clone()]);
    let today = now.format("%Y-%m-%d");
    let created_today =
        decoded(&client.get(&format!("/console/requests?q={tag}&created_from={today}&created_to={today}")));
    assert_eq!(row_ids(&created_today).len(), 4);

    // A bad filter is said in words, with a 400.
    let bad = client.get("/console/requests?created_from=31.12.2025");
    assert_eq!(bad.status, 400);
    assert!(decoded(&bad).contains("Created from must be a date written YYYY-MM-DD."), "{}", bad.body);

    // htmx gets the results alone.
    let fragment = client.get_htmx(&format!("/console/requests?q={tag}"));
    assert_eq!(fragment.status, 200);
    assert!(!fragment.body.contains("<html") && fragment.body.contains("<table id=\"requests\""));
    app.stop().await;
}

async fn a_bulk_action_confirms_then_answers_each_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.create(&unique_email(), pb::Action::Export, true).await;
    let b = app.create(&unique_email(), pb::Action::Erase, false).await;
    let c = app.create(&unique_email(), pb::Action::Export, false).await;
    app.client
        .clone()
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: c.id.clone(), reason: String::new() })
        .await
        .unwrap();
    let client = client(&app);
    let ids = [("id", a.id.as_str()), ("id", b.id.as_str()), ("id", c.id.as_str())];

    let mut fields = vec![("operation", "deny")];
    fields.extend_from_slice(&ids);
    let confirm = client.post("/console/requests/bulk", &fields);
    assert_eq!(confirm.status, 200, "{confirm:?}");
    assert_eq!(row_ids(&confirm.body), vec![a.id.clone(), b.id.clone(), c.id.clone()], "the selection, to confirm");
    assert!(confirm.body.contains("<textarea id=\"reason\" name=\"reason\" rows=\"3\" required"));
    assert_eq!(state(&app.get(&a.id).await), pb::State::Pending, "nothing changes before confirming");

    // Confirming without the reason a denial needs: asked again, nothing changed.
    let no_reason = client.post("/console/requests/bulk/apply", &fields);
    assert_eq!(no_reason.status, 422);
    assert!(decoded(&no_reason).contains("Give the reason for the denial"), "{}", no_reason.body);
    assert_eq!(state(&app.get(&b.id).await), pb::State::Confirmed);

    fields.push(("reason", "We could not verify who asked."));
    let result = client.post("/console/requests/bulk/apply", &fields);
    assert_eq!(result.status, 200, "{result:?}");
    let page = decoded(&result);
    assert!(page.contains("2 done, 1 refused."), "{page}");
    assert!(page.contains("Done: now Denied"));
    assert!(page.contains("Refused: cannot deny a request that is cancelled"), "{page}");
    for id in [&a.id, &b.id] {
        let denied = app.get(id).await;
        assert_eq!(state(&denied), pb::State::Denied);
        assert_eq!(denied.state_reason, "We could not verify who asked.");
    }
    // The audit log names the console's token as a gRPC call's.
    assert_eq!(app.last_transition(&b.id).await.actor.unwrap().kind, pb::ActorKind::Admin as i32);

    // A read-only token sees no checkboxes and cannot post.
    let (app2, tokens) = spawn_with_tokens(backend, &["read"], |_| {}).await;
    let r = app2.create(&unique_email(), pb::Action::Export, false).await;
    let reader = ConsoleClient::sign_in(app2.addr, &tokens.tokens[0]).unwrap();
    let table = reader.get("/console/requests");
    assert_eq!(table.status, 200);
    assert!(!table.body.contains("name=\"id\""), "no checkboxes without the requests scope");
    let refused = reader.post("/console/requests/bulk/apply", &[("operation", "cancel"), ("id", &r.id)]);
    assert_eq!(refused.status, 403);
    assert_eq!(state(&app2.get(&r.id).await), pb::State::Confirmed);
    // And without the CSRF token nothing happens either.
    let forged = client.post_raw("/console/requests/bulk/apply", &format!("operation=delete&id={}", a.id));
    assert_eq!(forged.status, 403);
    assert_eq!(state(&app.get(&a.id).await), pb::State::Denied);
    app2.stop().await;
    app.stop().await;
}

async fn the_next_step_button_moves_a_request_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register_empty_source().await;
    let r = app.create(&unique_email(), pb::Action::Export, false).await;
    let client = client(&app);
    let table = decoded(&client.get("/console/requests?state=CONFIRMED"));
    assert!(table.contains(&format!("name=\"id\" value=\"{}\"", r.id)));
    let back = crate::console_harness::hidden_field(&table, "back").unwrap();
    assert_eq!(back, "/console/requests?state=CONFIRMED");
    let pressed =
        client.post("/console/requests/bulk/apply", &[("id", &r.id), ("operation", "process"), ("back", &back)]);
    assert_eq!(pressed.status, 303, "{pressed:?}");
    assert_eq!(pressed.header("location").as_deref(), Some(back.as_str()));
    let done = app.wait_for(&r.id, "the export to complete", |r| state(r) == pb::State::Completed).await;
    assert!(done.archive.is_some());
    // A completed export's next step is its download, from the request's page.
    let table = decoded(&client.get("/console/requests?state=COMPLETED"));
    assert!(table.contains(&format!("<a href=\"/console/requests/{}/archive\">Download</a>", r.id)), "{table}");
    // A refused button shows why, and does not redirect.
    let again =
        client.post("/console/requests/bulk/apply", &[("id", &r.id), ("operation", "process"), ("back", &back)]);
    assert_eq!(again.status, 200);
    assert!(decoded(&again).contains("Refused: cannot process a request that is completed"), "{}", again.body);
    // `back` leads only to the table.
    let away = client.post(
        "/console/requests/bulk/apply",
        &[("id", &r.id), ("operation", "delete"), ("back", "https://elsewhere.example/")],
    );
    assert_eq!(away.status, 200, "not a redirect elsewhere");
    app.stop().await;
}

async fn the_csv_holds_every_filtered_request_defused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    // More than one database page (500) of the download, created concurrently.
    let mut created = std::collections::HashSet::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..520 {
        let mut client = app.client.clone();
        let email = format!("p{i}.{tag}@example.com");
        tasks.spawn(async move {
            client
                .create_privacy_request(pb::CreatePrivacyRequestRequest {
                    subject: Some(pb::Subject { email, user_id: String::new() }),
                    action: pb::Action::Export as i32,
                    send_confirmation: false,
                    request_id: String::new(),
                })
                .await
                .unwrap()
                .into_inner()
                .privacy_request
                .unwrap()
                .id
        });
    }
    while let Some(id) = tasks.join_next().await {
        created.insert(id.unwrap());
    }
    let formula = app.create(&format!("=1+2.{tag}@example.com"), pb::Action::Erase, false).await;
    app.create(&unique_email(), pb::Action::Export, false).await;
    let client = client(&app);

    // The table pages through the same list, 50 rows at a time, by keyset links.
    let first = decoded(&client.get(&format!("/console/requests?q={tag}")));
    let first_rows = row_ids(&first);
    assert_eq!(first_rows.len(), 50);
    assert!(link(&first, "First page").is_none());
    let second = decoded(&client.get(&link(&first, "Next page").expect("a next page link")));
    let second_rows = row_ids(&second);
    assert_eq!(second_rows.len(), 50);
    assert!(second_rows.iter().all(|id| !first_rows.contains(id)), "no row twice");
    assert!(link(&second, "First page").is_some());

    let reply = client.get(&format!("/console/requests.csv?q={tag}&sort=due"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    let disposition = reply.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment; filename=\"privacy-requests-"), "{disposition}");
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(reply.header("transfer-encoding").as_deref(), Some("chunked"), "streamed, not built whole");

    let mut reader = csv::Reader::from_reader(reply.body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&header[..5], ["id", "email", "user_id", "action", "status"]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 521, "every filtered request, over two pages, once");
    let ids: std::collections::HashSet<String> = records.iter().map(|r| r[0].to_owned()).collect();
    assert_eq!(ids.len(), 521);
    assert!(created.is_subset(&ids));
    let defused = records.iter().find(|r| r[0] == formula.id).unwrap();
    assert_eq!(&defused[1], format!("'=1+2.{tag}@example.com"), "a formula is written as text");
    assert_eq!(&defused[3], "Erasure");
    assert_eq!(&defused[4], "Confirmed");
    assert_eq!(&defused[11], "Process");
    assert!(records.iter().all(|r| r[9] == *"no" && r[8].parse::<i64>().unwrap() >= 29));
    app.stop().await;
}

async fn the_statistics_page_shows_the_year(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let denied = app.create(&unique_email(), pb::Action::Erase, false).await;
    app.client
        .clone()
        .deny_privacy_request(pb::DenyPrivacyRequestRequest { id: denied.id, reason: "no".into() })
        .await
        .unwrap();
    app.create(&unique_email(), pb::Action::Export, true).await;
    let client = client(&app);
    let page = client.get("/console/statistics");
    assert_eq!(page.status, 200, "{page:?}");
    let body = decoded(&page);
    let year = chrono::Datelike::year(&chrono::Utc::now());
    assert!(body.contains(&format!("<option value=\"{year}\" selected>")), "this year by default");
    let row = |action: &str| {
        let start = body.find(&format!("<tr data-action=\"{action}\">")).unwrap();
        body[start..].split("</tr>").next().unwrap().to_owned()
    };
    // Export: received 1, still open 1. Erasure: received 1, denied 1, answered 1.
    assert!(row("Export").contains("<td>1</td><td>0</td><td>0</td>"), "{}", row("Export"));
    // Nothing answered yet: no time to answer, a dash rather than "0.0" days.
    assert!(row("Export").contains("<td>—</td><td>—</td>"), "{}", row("Export"));
    assert!(
        row("Erasure").contains("<th scope=\"row\">Erasure</th><td>1</td><td>0</td><td>1</td>"),
        "{}",
        row("Erasure")
    );
    let before = client.get("/console/statistics?year=2019");
    assert!(decoded(&before).contains("<tr data-action=\"Export\">\n      <th scope=\"row\">Export</th><td>0</td>"));
    let bad = client.get("/console/statistics?year=1999");
    assert_eq!(bad.status, 400);
    assert!(decoded(&bad).contains("Choose a year from 2018 to"));
    app.stop().await;
}

/// The table in a real browser (Selenium, headless Chromium), axe-core clean on every page:
/// tabs and counts, pages, search and sort through the htmx-enhanced filter form, a bulk
/// denial over three requests where one refuses, the Next-step button, the CSV, statistics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_list_in_the_browser() {
    use std::time::Duration;

    use crate::console_harness::{printed, run_scenario};

    let app = TestApp::spawn(Backend::Sqlite).await;
    app.register_empty_source().await;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    for i in 0..55 {
        app.create(&format!("page-{i}.{tag}@example.com"), pb::Action::Export, false).await;
    }
    let bulk: Vec<_> = [
        app.create(&format!("bulk-0.{tag}@example.com"), pb::Action::Export, true).await,
        app.create(&format!("bulk-1.{tag}@example.com"), pb::Action::Erase, false).await,
        app.create(&format!("bulk-2.{tag}@example.com"), pb::Action::Export, false).await,
    ]
    .into();
    app.client
        .clone()
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: bulk[2].id.clone(), reason: String::new() })
        .await
        .unwrap();
    let next = app.create(&format!("next.{tag}@example.com"), pb::Action::Export, false).await;

    let base = format!("http://{}", app.addr);
    let output =
        run_scenario("requests_list.py", &[base, app.admin_token.clone(), tag.clone()], Duration::from_secs(170)).await;
    assert_eq!(printed(&output, "tab All"), "All (59)");
    assert_eq!(printed(&output, "tab Confirmed"), "Confirmed (57)");
    assert_eq!(printed(&output, "tab Cancelled"), "Cancelled (1)");
    assert_eq!(printed(&output, "rows on the first page"), "50");
    assert_eq!(printed(&output, "rows on the second page"), "9");
    assert_eq!(printed(&output, "pages overlap"), "False");
    assert_eq!(printed(&output, "search found"), format!("bulk-0.{tag}@example.com"));
    assert_eq!(printed(&output, "ticked"), "3");
    assert_eq!(printed(&output, "confirm heading"), "Deny: 3 requests");
    assert_eq!(printed(&output, "bulk summary"), "2 done, 1 refused.");
    assert_eq!(printed(&output, "bulk refused"), "Refused: cannot deny a request that is cancelled");
    for r in &bulk[..2] {
        assert_eq!(state(&app.get(&r.id).await), pb::State::Denied);
    }
    assert_eq!(printed(&output, "next step"), "Process");
    assert!(printed(&output, "back at").starts_with("/console/requests?q=next."), "{output}");
    assert_eq!(printed(&output, "status after"), "COMPLETED");
    assert_eq!(printed(&output, "next step after"), "Download");
    assert_eq!(state(&app.get(&next.id).await), pb::State::Completed);
    assert_eq!(printed(&output, "csv disposition"), "attachment");
    assert_eq!(printed(&output, "csv type"), "text/csv; charset=utf-8");
    assert_eq!(printed(&output, "csv rows"), "59");
    assert_eq!(printed(&output, "csv denied"), "2");
    assert!(printed(&output, "csv columns").starts_with("id,email,user_id,action,status"));
    assert!(printed(&output, "statistics export").starts_with("Export 58"), "{output}");
    for page in ["requests", "requests filtered", "bulk confirm", "bulk result", "statistics"] {
        assert!(output.contains(&format!("axe {page}: clean")), "{output}");
    }
    app.stop().await;
}
