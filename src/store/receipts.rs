//! Erasure receipts: written once, read for the compliance file, kept after the request.

use super::{Store, db_error, micros};
use crate::{
    domain::{AuditEvent, Error, RequestId, Timestamp},
    erasure::receipt::Receipt,
    keys::ReceiptSignature,
};

impl Store {
    pub async fn get_receipt(&self, id: RequestId) -> Result<Option<Receipt>, Error> {
        type Row = (String, String, Option<String>, Option<String>, Option<String>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT document, sha256, signature, signing_key_id, signing_public_key FROM erasure_receipts \
             WHERE request_id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(|(document, sha256, signature, key_id, public_key)| Receipt {
            document,
            sha256,
            signature: match (signature, key_id, public_key) {
                (Some(signature), Some(key_id), Some(public_key)) => {
                    Some(ReceiptSignature { key_id, signature, public_key })
                }
                _ => None,
            },
        }))
    }

    /// Stores a receipt unless one exists already: the first one written is the receipt.
    pub async fn insert_receipt(&self, id: RequestId, receipt: &Receipt, now: Timestamp) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO erasure_receipts \
             (request_id, create_time, document, sha256, signature, signing_key_id, signing_public_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(micros(now))
        .bind(receipt.document.clone())
        .bind(receipt.sha256.clone())
        .bind(receipt.signature.as_ref().map(|s| s.signature.clone()))
        .bind(receipt.signature.as_ref().map(|s| s.key_id.clone()))
        .bind(receipt.signature.as_ref().map(|s| s.public_key.clone()))
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
