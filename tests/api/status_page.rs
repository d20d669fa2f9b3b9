//! The subject's status page (issue 12): every email to the subject links to it; it says
//! where the request stands, its deadline, the download once ready, and for an erasure what
//! was done, and nothing the subject did not give (no address, no other ids, no internal
//! source names). A wrong or missing token, an unknown id and a deleted or purged request all
//! get the same not-found page.

use std::{net::SocketAddr, time::Duration};

use privacyd::proto::privacy::v1 as pb;

use crate::{
    erasing_source::{Behaviour, ErasingSource},
    helpers::{Backend, Email, SmtpSink, TestApp, http_get, state, unique_email},
    self_service::post_form_with,
};

/// The status link in an email.
fn status_link(mail: &Email) -> String {
    let word = mail
        .raw
        .split_whitespace()
        .find(|w| w.starts_with("http") && w.contains("/status?"))
        .unwrap_or_else(|| panic!("no status link in {}", mail.raw));
    word[word.find("/status?").unwrap()..].to_owned()
}

/// The newest email to `to` whose subject line contains `subject`, waiting for it.
async fn newest(to: &str, count: usize, subject: &str) -> Email {
    let mails = SmtpSink::global().wait_for(to, count).await;
    mails
        .into_iter()
        .rev()
        .find(|m| m.subject().to_lowercase().contains(subject))
        .unwrap_or_else(|| panic!("no email about {subject:?} to {to}"))
}

async fn open(addr: SocketAddr, path: &str) -> (u16, String) {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let (status, _, body) = http_get(addr, &path);
        (status, String::from_utf8(body).unwrap())
    })
    .await
    .unwrap()
}

fn outcome(page: &str) -> &str {
    let start = page.find("data-outcome=\"").expect("a data-outcome") + "data-outcome=\"".len();
    page[start..].split('"').next().unwrap()
}

/// What the page must never show.
fn shows_nothing_else(page: &str, email: &str, source: &str) {
    assert!(!page.to_lowercase().contains(&email.to_lowercase()), "the address is on the page: {page}");
    let local = email.split('@').next().unwrap();
    assert!(!page.contains(local), "part of the address is on the page: {page}");
    assert!(!page.contains(source), "an internal source name is on the page: {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_in_each_email_shows_where_the_request_stands() {
    crate::helpers::within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, |c| {
            c.auto_process = true;
            c.organization = "Acme GmbH".into();
        })
        .await;
        let source_name = "internal-crm-7";
        let source = ErasingSource::new(source_name, Behaviour { retain: vec!["orders"], ..Default::default() });
        app.registry
            .clone()
            .register_data_source(pb::RegisterDataSourceRequest {
                name: source_name.into(),
                endpoint: source.serve().await,
                ..Default::default()
            })
            .await
            .unwrap();
        let email = unique_email();
        source.hold(&email, "orders", 2).hold(&email, "profile", 3);

        // confirmation_request: waiting for the subject.
        let export = app.create(&email, pb::Action::Export, true).await;
        let confirmation = newest(&email, 1, "confirm").await;
        let first_link = status_link(&confirmation);
        let (status, page) = open(app.addr, &first_link).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(outcome(&page), "pending", "{page}");
        assert!(page.contains("Waiting for you to confirm") && page.contains("We will answer by"), "{page}");
        assert!(page.contains(&export.id) && page.contains("Acme GmbH"), "{page}");
        shows_nothing_else(&page, &email, source_name);
        // Reading changes nothing.
        assert_eq!(state(&app.get(&export.id).await), pb::State::Pending);

        // export_ready: the download.
        app.confirm_from_email(&email).await;
        let ready = newest(&email, 2, "ready").await;
        let ready_link = status_link(&ready);
        assert_ne!(ready_link, first_link, "each email has a link of its own");
        for link in [&first_link, &ready_link] {
            let (status, page) = open(app.addr, link).await;
            assert_eq!(status, 200, "{page}");
            assert_eq!(outcome(&page), "completed", "{page}");
            assert!(page.contains("Your data is ready") && page.contains(r#"id="download""#), "{page}");
            shows_nothing_else(&page, &email, source_name);
        }
        let emailed_download = {
            let w = ready.raw.split_whitespace().find(|w| w.starts_with("http") && w.contains("/download?")).unwrap();
            w[w.find("/download?").unwrap()..].to_owned()
        };
        // The button: a new download link, through a redirect.
        let (_, page) = open(app.addr, &ready_link).await;
        let fields: Vec<(String, String)> =
            ["id", "token"].iter().map(|f| (f.to_string(), crate::helpers::form_field(&page, f))).collect();
        let (addr, same_origin) = (app.addr, format!("http://{}", app.addr));
        let (status, head, _) = tokio::task::spawn_blocking(move || {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            post_form_with(addr, "/status/download", &fields, &[("Origin", &same_origin)])
        })
        .await
        .unwrap();
        assert_eq!(status, 303, "{head}");
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
            .expect("a Location")
            .to_owned();
        assert!(location.starts_with("../download?id="), "{location}");
        let (status, head, zip) = http_get(app.addr, &location[2..]);
        assert_eq!(status, 200, "{head}");
        assert_eq!(&zip[..2], b"PK", "a zip file");
        assert_eq!(http_get(app.addr, &emailed_download).0, 404, "the new link replaced the emailed one");

        // erasure_fulfilled: what was done, and what was kept, by label, without the source.
        let erase = app.create(&email, pb::Action::Erase, true).await;
        let mail = SmtpSink::global().wait_for(&email, 3).await.pop().unwrap();
        assert_eq!(mail.confirmation().0, erase.id);
        app.confirm_from_email(&email).await;
        let fulfilled = newest(&email, 4, "fulfilled").await;
        let (status, page) = open(app.addr, &status_link(&fulfilled)).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(outcome(&page), "completed", "{page}");
        assert!(page.contains("Records erased: 3. Records kept: 2."), "{page}");
        assert!(page.contains("<td>Orders</td><td>2</td>"), "{page}");
        assert!(page.contains("<td>Legal obligation (Art. 6(1)(c))</td>"), "{page}");
        shows_nothing_else(&page, &email, source_name);
        assert!(!page.contains(&export.id), "another request's id: {page}");

        // request_denied and deadline_extended.
        let other = unique_email();
        let denied = app.create(&other, pb::Action::Export, true).await;
        SmtpSink::global().wait_for(&other, 1).await;
        app.client
            .clone()
            .extend_deadline(pb::ExtendDeadlineRequest {
                id: denied.id.clone(),
                extension_days: 30,
                reason: "many systems to search".into(),
            })
            .await
            .unwrap();
        let extended = newest(&other, 2, "more time").await;
        let (_, page) = open(app.addr, &status_link(&extended)).await;
        assert!(page.contains("(extended: many systems to search)"), "{page}");
        app.client
            .clone()
            .deny_privacy_request(pb::DenyPrivacyRequestRequest {
                id: denied.id.clone(),
                reason: "we hold no account for this address".into(),
            })
            .await
            .unwrap();
        let denial = newest(&other, 3, "cannot fulfil").await;
        let denial_link = status_link(&denial);
        let (status, page) = open(app.addr, &denial_link).await;
        assert_eq!((status, outcome(&page)), (200, "denied"), "{page}");
        assert!(page.contains("Why: we hold no account for this address"), "{page}");

        // Wrong token, another request's token, unknown id, no token: one not-found page.
        let (_, invalid) = open(app.addr, &format!("/status?id={}&token=forged", denied.id)).await;
        assert_eq!(outcome(&invalid), "invalid", "{invalid}");
        let token = denial_link.split("token=").nth(1).unwrap();
        for path in [
            format!("/status?id={}&token={}", denied.id, &ready_link.split("token=").nth(1).unwrap()),
            format!("/status?id={}&token={token}", export.id),
            format!("/status?id={}&token={token}", uuid::Uuid::new_v4()),
            format!("/status?id={}", denied.id),
            "/status".to_owned(),
        ] {
            assert_eq!(open(app.addr, &path).await, (404, invalid.clone()), "{path}");
        }

        // Deleted: the links go with it.
        app.client
            .clone()
            .delete_privacy_request(pb::DeletePrivacyRequestRequest { id: denied.id.clone() })
            .await
            .unwrap();
        assert_eq!(open(app.addr, &denial_link).await, (404, invalid.clone()));
        app.stop().await;
    })
    .await
}

/// Purging the subject after `--request-retention` ends the links: the page is theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_stops_working_when_the_subject_is_purged() {
    crate::helpers::within_time_limit(async {
        let app = TestApp::spawn_with(Backend::Sqlite, |c| {
            c.request_retention = Duration::from_secs(1);
            c.sweep_interval = Duration::from_millis(200);
        })
        .await;
        let email = unique_email();
        let created = app.create(&email, pb::Action::Export, true).await;
        let link = status_link(&SmtpSink::global().wait_for(&email, 1).await.pop().unwrap());
        assert_eq!(open(app.addr, &link).await.0, 200);
        app.client
            .clone()
            .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: created.id.clone(), reason: String::new() })
            .await
            .unwrap();
        app.wait_for(&created.id, "the subject to be purged", |r| r.subject_purge_time.is_some()).await;
        let (status, page) = open(app.addr, &link).await;
        assert_eq!((status, outcome(&page)), (404, "invalid"), "{page}");
        app.stop().await;
    })
    .await
}
