//! An example data source: a small service that keeps users, their comments and the files
//! they uploaded in SQLite, and implements privacyd's plugin protocol
//! (`privacy.datasource.v1.DataSourceService`) for it. Copy it to start your own.
//!
//!   example-datasource --listen 127.0.0.1:7001 --database example.db --seed jane@example.com
//!
//! What the protocol asks of a source, and where this file does it:
//! - `Describe` tells the truth about each category of data (GDPR Art. 15(1)): `describe`.
//! - `Export` streams everything about the subject, items and files, then ends: `export`.
//! - `Erase` is idempotent per privacy request id: a second call reports the first call's
//!   counts and changes nothing (`erasures` table): `erase`.
//! - An unknown subject is not an error: nothing is exported, zero is erased.
//! - grpc.health.v1 is served; with `--token`, calls without `authorization: Bearer <token>`
//!   get UNAUTHENTICATED.

use std::{net::SocketAddr, pin::Pin, str::FromStr};

use clap::Parser;
use futures::Stream;
use privacyd::proto::privacy::datasource::v1::{
    self as pb,
    data_source_service_server::{DataSourceService, DataSourceServiceServer},
};
use sqlx::{
    Row,
    sqlite::{SqliteConnectOptions, SqlitePool},
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

#[derive(Parser)]
#[command(name = "example-datasource", about = "An example privacyd data source backed by SQLite")]
struct Args {
    /// Address to serve the plugin protocol on.
    #[arg(long, default_value = "127.0.0.1:7001")]
    listen: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, default_value = "example-datasource.db")]
    database: String,
    /// Require this bearer token on every call.
    #[arg(long, env = "EXAMPLE_DATASOURCE_TOKEN")]
    token: Option<String>,
    /// Add demo data (an account, comments, an uploaded file) for this email address.
    #[arg(long)]
    seed: Vec<String>,
}

const FILE_CHUNK: usize = 64 * 1024;

#[derive(Clone)]
struct ExampleSource {
    db: SqlitePool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", args.database))?.create_if_missing(true);
    let db = SqlitePool::connect_with(options).await?;
    migrate(&db).await?;
    for email in &args.seed {
        seed(&db, email).await?;
    }

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<DataSourceServiceServer<ExampleSource>>().await;
    let token = args.token.map(|t| format!("Bearer {t}"));
    let service =
        DataSourceServiceServer::with_interceptor(ExampleSource { db }, move |request: Request<()>| match &token {
            Some(expected) => {
                let presented = request.metadata().get("authorization").and_then(|v| v.to_str().ok());
                if presented == Some(expected.as_str()) {
                    Ok(request)
                } else {
                    Err(Status::unauthenticated("a valid bearer token is required"))
                }
            }
            None => Ok(request),
        });

    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("example-datasource listening on {}", listener.local_addr()?);
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(service)
        // TCP_NODELAY: privacyd's small calls must not wait on Nagle and delayed ACK (issue 10, item 18).
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

async fn migrate(db: &SqlitePool) -> anyhow::Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, \
             name TEXT NOT NULL, created TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS comments (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, body TEXT NOT NULL, \
             created TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS uploads (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, file_name TEXT NOT NULL, \
             content_type TEXT NOT NULL, content BLOB NOT NULL, created TEXT NOT NULL);
         -- One row per privacy request erased: what makes Erase idempotent.
         CREATE TABLE IF NOT EXISTS erasures (request_id TEXT PRIMARY KEY, items_removed INTEGER NOT NULL, \
             erased TEXT NOT NULL);",
    )
    .execute(db)
    .await?;
    Ok(())
}

async fn seed(db: &SqlitePool, email: &str) -> anyhow::Result<()> {
    let now = chrono::Utc::now().to_rfc3339();
    let name = email.split('@').next().unwrap_or(email);
    let user_id: i64 = sqlx::query_scalar("INSERT INTO users (email, name, created) VALUES (?, ?, ?) RETURNING id")
        .bind(email)
        .bind(name)
        .bind(&now)
        .fetch_one(db)
        .await?;
    for body in ["First!", "Thanks for the <b>great</b> article & the links."] {
        sqlx::query("INSERT INTO comments (user_id, body, created) VALUES (?, ?, ?)")
            .bind(user_id)
            .bind(body)
            .bind(&now)
            .execute(db)
            .await?;
    }
    let avatar: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    sqlx::query("INSERT INTO uploads (user_id, file_name, content_type, content, created) VALUES (?, ?, ?, ?, ?)")
        .bind(user_id)
        .bind("avatar.png")
        .bind("image/png")
        .bind(avatar)
        .bind(&now)
        .execute(db)
        .await?;
    Ok(())
}

impl ExampleSource {
    /// The subject's account id, looked up by user id when privacyd knows it, else by email.
    async fn find_user(&self, subject: Option<&pb::Subject>) -> Result<Option<i64>, Status> {
        let subject = subject.ok_or_else(|| Status::invalid_argument("subject is required"))?;
        let by_id = subject.user_id.parse::<i64>().ok();
        let row = sqlx::query("SELECT id FROM users WHERE id = ? OR email = ?")
            .bind(by_id)
            .bind(&subject.email)
            .fetch_optional(&self.db)
            .await
            .map_err(internal)?;
        Ok(row.map(|r| r.get::<i64, _>("id")))
    }
}

fn internal(err: sqlx::Error) -> Status {
    // UNAVAILABLE tells privacyd to retry; a locked or busy database usually clears.
    Status::unavailable(format!("database: {err}"))
}

fn category(
    group_id: &str,
    label: &str,
    description: &str,
    purpose: &str,
    basis: pb::LegalBasis,
    retention: &str,
    origin: &str,
) -> pb::DataCategory {
    pb::DataCategory {
        group_id: group_id.into(),
        label: label.into(),
        description: description.into(),
        purposes: vec![purpose.into()],
        legal_basis: basis as i32,
        recipients: vec!["Hosting provider (data processor, EU)".into()],
        retention_period: retention.into(),
        origin: origin.into(),
    }
}

fn item(group_id: &str, label: &str, item_id: String, data: &[(&str, String)]) -> pb::ExportResponse {
    pb::ExportResponse {
        payload: Some(pb::export_response::Payload::Item(pb::ExportItem {
            group_id: group_id.into(),
            group_label: label.into(),
            group_description: String::new(),
            item_id,
            data: data.iter().map(|(n, v)| pb::ExportField { name: (*n).into(), value: v.clone() }).collect(),
        })),
    }
}

type ExportStream = Pin<Box<dyn Stream<Item = Result<pb::ExportResponse, Status>> + Send>>;

#[tonic::async_trait]
impl DataSourceService for ExampleSource {
    async fn describe(&self, _: Request<pb::DescribeRequest>) -> Result<Response<pb::DescribeResponse>, Status> {
        Ok(Response::new(pb::DescribeResponse {
            name: "example".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            protocol_version: 1,
            capabilities: vec![pb::Capability::Export as i32, pb::Capability::Erase as i32],
            categories: vec![
                category(
                    "account",
                    "Account",
                    "The account: email address and display name.",
                    "Providing the service the subject signed up for",
                    pb::LegalBasis::Contract,
                    "Until the account is deleted",
                    "Provided by the subject at sign-up",
                ),
                category(
                    "comments",
                    "Comments",
                    "Comments the subject wrote.",
                    "Publishing the subject's comments",
                    pb::LegalBasis::Consent,
                    "Until the subject or the account is deleted",
                    "Written by the subject",
                ),
                category(
                    "uploads",
                    "Uploaded files",
                    "Files the subject uploaded.",
                    "Storing and showing files the subject uploaded",
                    pb::LegalBasis::Contract,
                    "Until the subject or the account is deleted",
                    "Uploaded by the subject",
                ),
            ],
        }))
    }

    type ExportStream = ExportStream;

    async fn export(&self, request: Request<pb::ExportRequest>) -> Result<Response<ExportStream>, Status> {
        let Some(user_id) = self.find_user(request.get_ref().subject.as_ref()).await? else {
            return Ok(Response::new(Box::pin(tokio_stream::empty())));
        };
        // A bounded channel: the reader waits whenever privacyd is slower, so memory stays
        // small whatever the amount of data.
        let (tx, rx) = mpsc::channel(8);
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(status) = stream_subject(&db, user_id, &tx).await {
                let _ = tx.send(Err(status)).await;
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn erase(&self, request: Request<pb::EraseRequest>) -> Result<Response<pb::EraseResponse>, Status> {
        let req = request.into_inner();
        if req.privacy_request_id.is_empty() {
            return Err(Status::invalid_argument("privacy_request_id is required"));
        }
        let mut tx = self.db.begin().await.map_err(internal)?;
        let done: Option<i64> = sqlx::query_scalar("SELECT items_removed FROM erasures WHERE request_id = ?")
            .bind(&req.privacy_request_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        let subject = req.subject.as_ref().ok_or_else(|| Status::invalid_argument("subject is required"))?;
        let user: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = ? OR email = ?")
            .bind(subject.user_id.parse::<i64>().ok())
            .bind(&subject.email)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        let mut removed = 0;
        if let Some(user_id) = user {
            for statement in [
                "DELETE FROM comments WHERE user_id = ?",
                "DELETE FROM uploads WHERE user_id = ?",
                "DELETE FROM users WHERE id = ?",
            ] {
                removed +=
                    sqlx::query(statement).bind(user_id).execute(&mut *tx).await.map_err(internal)?.rows_affected()
                        as i64;
            }
        }
        let items_removed = match done {
            // A repeated call (privacyd retrying after a timeout or a restart, or an operator
            // processing again after a failed verification): the first answer, as the
            // contract requires; the deletes above removed whatever was still there, which
            // after a correct first call is nothing.
            Some(first) => first,
            None => {
                sqlx::query("INSERT INTO erasures (request_id, items_removed, erased) VALUES (?, ?, ?)")
                    .bind(&req.privacy_request_id)
                    .bind(removed)
                    .bind(chrono::Utc::now().to_rfc3339())
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                removed
            }
        };
        tx.commit().await.map_err(internal)?;
        Ok(Response::new(pb::EraseResponse { items_removed, ..Default::default() }))
    }
}

/// Sends everything about one user: the account, each comment, each upload with its file.
async fn stream_subject(
    db: &SqlitePool,
    user_id: i64,
    tx: &mpsc::Sender<Result<pb::ExportResponse, Status>>,
) -> Result<(), Status> {
    let closed = || Status::cancelled("privacy");
    let user = sqlx::query("SELECT email, name, created FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_one(db)
        .await
        .map_err(internal)?;
    let account = item(
        "account",
        "Account",
        format!("user-{user_id}"),
        &[("Email", user.get("email")), ("Display name", user.get("name")), ("Signed up", user.get("created"))],
    );
    tx.send(Ok(account)).await.map_err(|_| closed())?;

    let comments = sqlx::query("SELECT id, body, created FROM comments WHERE user_id = ? ORDER BY id")
        .bind(user_id)
        .fetch_all(db)
        .await
        .map_err(internal)?;
    for c in comments {
        let id: i64 = c.get("id");
        let comment = item(
            "comments",
            "Comments",
            format!("comment-{id}"),
            &[("Comment", c.get("body")), ("Written", c.get("created"))],
        );
        tx.send(Ok(comment)).await.map_err(|_| closed())?;
    }

    let uploads = sqlx::query("SELECT id, file_name, content_type, created FROM uploads WHERE user_id = ? ORDER BY id")
        .bind(user_id)
        .fetch_all(db)
        .await
        .map_err(internal)?;
    for u in uploads {
        let id: i64 = u.get("id");
        let file_name: String = u.get("file_name");
        let path = format!("uploads/{id}-{file_name}");
        let upload = item(
            "uploads",
            "Uploaded files",
            format!("upload-{id}"),
            &[("File", path.clone()), ("Uploaded", u.get("created"))],
        );
        tx.send(Ok(upload)).await.map_err(|_| closed())?;
        let content: Vec<u8> = sqlx::query_scalar("SELECT content FROM uploads WHERE id = ?")
            .bind(id)
            .fetch_one(db)
            .await
            .map_err(internal)?;
        let chunks: Vec<&[u8]> = if content.is_empty() { vec![&[]] } else { content.chunks(FILE_CHUNK).collect() };
        let last = chunks.len() - 1;
        for (i, chunk) in chunks.into_iter().enumerate() {
            let first = i == 0;
            let piece = pb::FileChunk {
                path: path.clone(),
                data: chunk.to_vec(),
                offset: (i * FILE_CHUNK) as i64,
                eof: i == last,
                content_type: if first { u.get("content_type") } else { String::new() },
                group_id: if first { "uploads".into() } else { String::new() },
                item_id: if first { format!("upload-{id}") } else { String::new() },
            };
            tx.send(Ok(pb::ExportResponse { payload: Some(pb::export_response::Payload::FileChunk(piece)) }))
                .await
                .map_err(|_| closed())?;
        }
    }
    Ok(())
}
