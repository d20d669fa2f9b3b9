//! The verification export: after a source says it erased a subject, privacyd asks it for
//! the subject's data again and counts what is left, per group. Nothing is kept but counts:
//! the data itself is dropped as it arrives.

use std::collections::{BTreeMap, HashSet};

use crate::{
    domain::{Found, PrivacyRequest},
    proto::privacy::datasource::v1::{self as pb, export_response::Payload},
    source_client::{CallError, SourceClient},
};

/// Distinct item ids remembered per group: enough to count any honest leftover exactly, and a
/// bound on memory when a source streams without end (the deadline ends it anyway).
const MAX_IDS_PER_GROUP: usize = 100_000;

/// Streams the subject's export and counts items and files per group. The error says whether
/// asking again may help.
pub async fn exported_groups(client: &SourceClient, request: &PrivacyRequest) -> Result<Found, CallError> {
    let message = pb::ExportRequest {
        privacy_request_id: request.id.to_string(),
        subject: Some(crate::source_client::subject_message(&request.subject)),
    };
    // Under the source's stream limits, as any export (see `ExportStream`).
    async {
        let mut stream = client.export_stream(message).await?;
        let mut ids: BTreeMap<String, HashSet<String>> = BTreeMap::new();
        let mut found = Found::new();
        while let Some(next) = stream.next().await {
            match next?.payload {
                Some(Payload::Item(item)) => {
                    let seen = ids.entry(item.group_id.clone()).or_default();
                    let new = seen.len() >= MAX_IDS_PER_GROUP || seen.insert(item.item_id);
                    if new {
                        found.entry(item.group_id).or_default().0 += 1;
                    }
                }
                // A file is counted at its first chunk, which carries its group.
                Some(Payload::FileChunk(chunk)) if chunk.offset == 0 => {
                    found.entry(chunk.group_id).or_default().1 += 1;
                }
                Some(Payload::FileChunk(_)) | None => {}
            }
        }
        Ok::<_, CallError>(found)
    }
    .await
}
