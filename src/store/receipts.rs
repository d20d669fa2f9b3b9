//! Erasure receipts: written once, read for the compliance file, kept after the request.

use super::{Store, db_error, micros};
use crate::{
    domain::{AuditEvent, Error, RequestId, Timestamp},
    erasure::receipt::Receipt,
};

impl Store {
    pub async fn get_receipt(&self, id: RequestId) -> Result<Option<Receipt>, Error> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT document, sha256 FROM erasure_receipts WHERE request_id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(row.map(|(document, sha256)| Receipt { document, sha256 }))
    }

    /// Stores a receipt unless one exists already: the first one written is the receipt.
    pub async fn insert_receipt(&self, id: RequestId, receipt: &Receipt, now: Timestamp) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO erasure_receipts (request_id, create_time, document, sha256) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(micros(now))
        .bind(receipt.document.clone())
        .bind(receipt.sha256.clone())
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Every audit event of one request, oldest first.
    pub async fn all_audit_events(&self, id: RequestId) -> Result<Vec<AuditEvent>, Error> {
        const PAGE: u32 = 1000;
        let mut events = Vec::new();
        loop {
            let page = self.list_audit_events(Some(id), events.last().map(|e: &AuditEvent| e.sequence), PAGE).await?;
            let full = page.len() == PAGE as usize;
            events.extend(page);
            if !full {
                return Ok(events);
            }
        }
    }
}
