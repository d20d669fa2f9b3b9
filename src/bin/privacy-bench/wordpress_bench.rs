//! `privacy-bench wordpress`: privacyd and sql-datasource against WordPress's own exporter and eraser.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context;
use futures::StreamExt;
use privacyd::{
    proto::privacy::v1::{
        self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient,
        privacy_request_service_client::PrivacyRequestServiceClient,
    },
    testing::{mariadb::ThrowawayMariaDb, peak_rss, wordpress::WordPressSite},
};
use tonic::{Request, transport::Channel};

use super::WordPressArgs;

/// A child process killed when the benchmark is done with it.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sibling(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let path = std::env::current_exe()?.with_file_name(name);
    anyhow::ensure!(path.exists(), "{} is missing: cargo build --release --bin {name} first", path.display());
    Ok(path)
}

async fn until_listening(port: u16, child: &mut Child, what: &str) -> anyhow::Result<Channel> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("{what} exited ({status}) before listening");
        }
        if let Ok(channel) = Channel::from_shared(format!("http://127.0.0.1:{port}"))?.connect().await {
            return Ok(channel);
        }
        anyhow::ensure!(Instant::now() < deadline, "{what} did not listen within 120 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs a request to its end through WatchPrivacyRequest; returns it and the seconds from
/// ProcessPrivacyRequest to the end.
async fn run_request<F: tonic::service::Interceptor>(
    client: &mut PrivacyRequestServiceClient<tonic::service::interceptor::InterceptedService<Channel, F>>,
    email: &str,
    action: pb::Action,
) -> anyhow::Result<(pb::PrivacyRequest, f64)> {
    let created = client
        .create_privacy_request(pb::CreatePrivacyRequestRequest {
            subject: Some(pb::Subject { email: email.into(), user_id: String::new() }),
            action: action as i32,
            send_confirmation: false,
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .privacy_request
        .context("no request")?;
    let started = Instant::now();
    client.process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() }).await?;
    let mut watch = client.watch_privacy_request(pb::WatchPrivacyRequestRequest { id: created.id }).await?.into_inner();
    let mut last = None;
    while let Some(message) = watch.next().await {
        last = message?.privacy_request.or(last);
    }
    let seconds = started.elapsed().as_secs_f64();
    let request = last.context("the watch sent nothing")?;
    anyhow::ensure!(
        request.state == pb::State::Completed as i32,
        "the {action:?} ended {:?}: {}",
        request.state,
        request.state_reason
    );
    Ok((request, seconds))
}

/// The subject's comments that still carry their address (not anonymised).
fn comments_left(db: &ThrowawayMariaDb, database: &str, email: &str) -> anyhow::Result<u64> {
    let out =
        db.sql(&format!("SELECT COUNT(*) FROM `{database}`.wp_comments WHERE comment_author_email = '{email}'"))?;
    Ok(out.trim().parse()?)
}

pub async fn run(args: WordPressArgs) -> anyhow::Result<()> {
    let privacyd = sibling("privacyd")?;
    let connector = sibling("sql-datasource")?;
    let checkout = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let db = ThrowawayMariaDb::start(true)?;
    for (round, &n) in args.comments.iter().enumerate() {
        let wp_db = format!("wordpress_{round}");
        let ours_db = format!("privacyd_{round}");
        let site = WordPressSite::install(&db, &wp_db, &checkout.join("tests/support/wordpress"))?;
        let fixture = site.fill(n)?;
        db.copy_database(&wp_db, &ours_db)?;
        let email = fixture.subject_email.clone();
        let before = comments_left(&db, &wp_db, &email)?;

        // WordPress's own, as Tools > Export / Erase Personal Data page them.
        let started = Instant::now();
        let (exported, php_export_peak) = site.php_measured("export.php", &[&email, "--summary"])?;
        let wp_export_seconds = started.elapsed().as_secs_f64();
        let exported: serde_json::Value = serde_json::from_str(&exported)?;
        let started = Instant::now();
        let (_, php_erase_peak) = site.php_measured("erase.php", &[&email])?;
        let wp_erase_seconds = started.elapsed().as_secs_f64();
        let wp_left = comments_left(&db, &wp_db, &email)?;

        // privacyd and sql-datasource, each its own process on the same machine.
        let dir = super::tempfile_dir()?;
        let connector_port = privacyd::testing::free_port()?;
        let mut source = Process(
            Command::new(&connector)
                .arg("--database-url")
                .arg(db.url(&ours_db))
                .arg("--dataset")
                .arg(checkout.join("datasets/wordpress.toml"))
                .arg("--files-root")
                .arg(site.uploads())
                .args(["--listen", &format!("127.0.0.1:{connector_port}")])
                .stdout(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", connector.display()))?,
        );
        until_listening(connector_port, &mut source.0, "sql-datasource").await?;
        let port = privacyd::testing::free_port()?;
        let token = privacyd::domain::SecretToken::generate().expose().to_owned();
        let mut server = Process(
            Command::new(&privacyd)
                .args(["--listen", &format!("127.0.0.1:{port}"), "--log", "warn", "--job-poll-interval", "50ms"])
                .env("PRIVACYD_ADMIN_TOKENS", &token)
                .arg("--data-dir")
                .arg(&dir)
                .stdout(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", privacyd.display()))?,
        );
        let channel = until_listening(port, &mut server.0, "privacyd").await?;
        let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
        let auth = move |mut r: Request<()>| {
            r.metadata_mut().insert("authorization", bearer.clone());
            Ok(r)
        };
        DataSourceRegistryServiceClient::with_interceptor(channel.clone(), auth.clone())
            .register_data_source(pb::RegisterDataSourceRequest {
                name: "wordpress".into(),
                endpoint: format!("http://127.0.0.1:{connector_port}"),
                call_timeout: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
                ..Default::default()
            })
            .await?;
        let mut client = PrivacyRequestServiceClient::with_interceptor(channel, auth);
        let (export, ours_export_seconds) = run_request(&mut client, &email, pb::Action::Export).await?;
        let (erasure, ours_erase_seconds) = run_request(&mut client, &email, pb::Action::Erase).await?;
        let ours_left = comments_left(&db, &ours_db, &email)?;
        let privacyd_peak = peak_rss(server.0.id())?;
        let connector_peak = peak_rss(source.0.id())?;
        drop(server);
        drop(source);
        let _ = std::fs::remove_dir_all(&dir);

        let wp_total = wp_export_seconds + wp_erase_seconds;
        let ours_total = ours_export_seconds + ours_erase_seconds;
        let line = serde_json::json!({
            "bench": "wordpress",
            "comments": n,
            "subject_comments": before,
            "wordpress_export_seconds": super::round(wp_export_seconds),
            "wordpress_export_items": exported["items"],
            "wordpress_export_pages": exported["pages"],
            "wordpress_export_file_items": exported["file_items"],
            "wordpress_export_seconds_in_php": exported["seconds"],
            "wordpress_erase_seconds": super::round(wp_erase_seconds),
            "wordpress_comments_left_after_erase": wp_left,
            "privacyd_export_seconds": super::round(ours_export_seconds),
            "privacyd_archive_bytes": export.archive.map(|a| a.size_bytes),
            "privacyd_erase_seconds": super::round(ours_erase_seconds),
            "privacyd_items_removed": erasure.erasure.as_ref().map(|e| e.items_removed),
            "privacyd_comments_left_after_erase": ours_left,
            "export_ratio": super::round(wp_export_seconds / ours_export_seconds),
            "erase_ratio": super::round(wp_erase_seconds / ours_erase_seconds),
            "ratio": super::round(wp_total / ours_total),
            "privacyd_peak_rss_bytes": privacyd_peak,
            "connector_peak_rss_bytes": connector_peak,
            "php_export_peak_rss_bytes": php_export_peak,
            "php_erase_peak_rss_bytes": php_erase_peak,
            "mariadb_durable": true,
        });
        println!("{line}");
        if args.min_ratio > 0.0 {
            anyhow::ensure!(
                wp_total / ours_total >= args.min_ratio,
                "privacyd was {:.1}x faster than WordPress at {n} comments, below --min-ratio {}",
                wp_total / ours_total,
                args.min_ratio
            );
        }
        anyhow::ensure!(ours_left == 0, "privacyd left {ours_left} of the subject's comments unanonymised");
    }
    Ok(())
}
