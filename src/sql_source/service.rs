//! The tonic `DataSourceService` over a checked dataset, and its start-up: connect, check the
//! dataset against the live schema, create the erasure log.

use std::{path::PathBuf, pin::Pin, sync::Arc};

use futures::Stream;
use sqlx::{AnyPool, any::AnyPoolOptions};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{
    dataset::{self, Dataset, Erase, LegalBasis},
    erase::Eraser,
    export::Exporter,
    idempotency,
    masks::HashKey,
    query::{Dialect, SubjectArgs},
    schema_check,
};
use crate::proto::privacy::datasource::v1::{self as pb, data_source_service_server::DataSourceService};

/// A running connector: the dataset, the pool, and what Export and Erase need.
#[derive(Clone)]
pub struct SqlSource {
    dataset: Arc<Dataset>,
    exporter: Exporter,
    eraser: Eraser,
}

/// How to start a connector (the binary's flags).
pub struct Settings {
    pub database_url: String,
    pub dataset: PathBuf,
    pub hash_key: Option<Vec<u8>>,
    pub files_root: Option<PathBuf>,
    pub max_connections: u32,
}

impl SqlSource {
    /// Loads the dataset, connects, checks the dataset against the schema and creates the
    /// erasure log. Every problem the dataset has is in the error, one per line.
    pub async fn start(settings: Settings) -> anyhow::Result<SqlSource> {
        let file = settings.dataset.display().to_string();
        let dataset = dataset::load(&settings.dataset)?;
        let dialect = Dialect::of_url(&settings.database_url).ok_or_else(|| {
            anyhow::anyhow!("--database-url must start with postgres://, mysql://, mariadb:// or sqlite:")
        })?;
        // sqlx knows MariaDB as mysql://.
        let url = match settings.database_url.strip_prefix("mariadb:") {
            Some(rest) => format!("mysql:{rest}"),
            None => settings.database_url.clone(),
        };
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .connect(&url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
        let mut problems = Vec::new();
        if schema_check::needs_hash_key(&dataset) && settings.hash_key.is_none() {
            problems.push(format!("{file}: the dataset has keyed_hash masks: give --hash-key-file"));
        }
        if schema_check::needs_files_root(&dataset) && settings.files_root.is_none() {
            problems.push(format!("{file}: the dataset has path files: give --files-root"));
        }
        let hash_key = match settings.hash_key.as_deref().map(HashKey::new) {
            Some(Err(e)) => {
                problems.push(e);
                None
            }
            Some(Ok(k)) => Some(k),
            None => None,
        };
        let checked = match schema_check::check(&pool, dialect, &file, &dataset).await {
            Ok(checked) => Some(checked),
            Err(found) => {
                problems.extend(found);
                None
            }
        };
        let Some(checked) = checked.filter(|_| problems.is_empty()) else {
            anyhow::bail!(
                "the dataset does not fit the database ({} problem(s)):\n{}",
                problems.len(),
                problems.join("\n")
            );
        };
        // Audited: the table name is an Ident (plain name, quoted).
        sqlx::query(sqlx::AssertSqlSafe(idempotency::create_sql(dialect, &dataset.erasure_log)))
            .execute(&pool)
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the erasure log table: {e}"))?;
        Ok(SqlSource::new(dataset, pool, dialect, checked, hash_key, settings.files_root))
    }

    fn new(
        dataset: Dataset,
        pool: AnyPool,
        dialect: Dialect,
        checked: schema_check::Checked,
        hash_key: Option<HashKey>,
        files_root: Option<PathBuf>,
    ) -> SqlSource {
        let categories: Arc<Vec<_>> =
            Arc::new(dataset.categories.iter().cloned().zip(checked.key_kinds.iter().copied()).collect());
        let exporter = Exporter { pool: pool.clone(), dialect, categories: categories.clone(), files_root };
        let eraser = Eraser { pool, dialect, categories, log: dataset.erasure_log.clone(), hash_key };
        SqlSource { dataset: Arc::new(dataset), exporter, eraser }
    }
}

pub fn legal_basis(basis: Option<LegalBasis>) -> pb::LegalBasis {
    match basis {
        None => pb::LegalBasis::Unspecified,
        Some(LegalBasis::Consent) => pb::LegalBasis::Consent,
        Some(LegalBasis::Contract) => pb::LegalBasis::Contract,
        Some(LegalBasis::LegalObligation) => pb::LegalBasis::LegalObligation,
        Some(LegalBasis::VitalInterests) => pb::LegalBasis::VitalInterests,
        Some(LegalBasis::PublicTask) => pb::LegalBasis::PublicTask,
        Some(LegalBasis::LegitimateInterests) => pb::LegalBasis::LegitimateInterests,
    }
}

fn subject_of(subject: Option<&pb::Subject>) -> Result<SubjectArgs, Status> {
    let subject = subject.ok_or_else(|| Status::invalid_argument("subject is required"))?;
    if subject.email.trim().is_empty() {
        return Err(Status::invalid_argument("subject.email is required"));
    }
    Ok(SubjectArgs { email: subject.email.clone(), user_id: Some(subject.user_id.clone()).filter(|id| !id.is_empty()) })
}

type ExportStream = Pin<Box<dyn Stream<Item = Result<pb::ExportResponse, Status>> + Send>>;

#[tonic::async_trait]
impl DataSourceService for SqlSource {
    async fn describe(&self, _: Request<pb::DescribeRequest>) -> Result<Response<pb::DescribeResponse>, Status> {
        let d = &self.dataset;
        let mut capabilities = vec![pb::Capability::Export as i32];
        if d.categories.iter().any(|c| !matches!(c.erase, Erase::None)) {
            capabilities.push(pb::Capability::Erase as i32);
        }
        Ok(Response::new(pb::DescribeResponse {
            name: d.name.clone(),
            version: d.version.clone().unwrap_or_else(|| format!("sql-datasource {}", env!("CARGO_PKG_VERSION"))),
            protocol_version: 1,
            capabilities,
            categories: d
                .categories
                .iter()
                .map(|c| pb::DataCategory {
                    group_id: c.group_id.clone(),
                    label: c.label.clone(),
                    description: c.description.clone(),
                    purposes: c.purposes.clone(),
                    legal_basis: legal_basis(c.legal_basis) as i32,
                    recipients: c.recipients.clone(),
                    retention_period: c.retention_period.clone(),
                    origin: c.origin.clone(),
                })
                .collect(),
        }))
    }

    type ExportStream = ExportStream;

    async fn export(&self, request: Request<pb::ExportRequest>) -> Result<Response<ExportStream>, Status> {
        let subject = subject_of(request.get_ref().subject.as_ref())?;
        // Bounded: the reader waits whenever privacyd is slower, so memory stays small
        // whatever the amount of data.
        let (tx, rx) = mpsc::channel(8);
        let exporter = self.exporter.clone();
        tokio::spawn(async move {
            if let Err(status) = exporter.run(subject, tx.clone()).await {
                let _ = tx.send(Err(status)).await;
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn erase(&self, request: Request<pb::EraseRequest>) -> Result<Response<pb::EraseResponse>, Status> {
        let deadline = request
            .metadata()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::grpc::call_deadline::parse_grpc_timeout);
        let req = request.into_inner();
        if req.privacy_request_id.is_empty() || req.privacy_request_id.len() > 255 {
            return Err(Status::invalid_argument("privacy_request_id is required (at most 255 bytes)"));
        }
        let subject = subject_of(req.subject.as_ref())?;
        let answer = self.eraser.erase(&req.privacy_request_id, &subject, deadline).await?;
        Ok(Response::new(answer))
    }
}
