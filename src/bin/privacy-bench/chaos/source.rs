//! The chaos driver's fault-injecting data source: a shop that holds three records and one
//! file for every subject, answers the plugin protocol honestly, and can be told to hang
//! (every call waits until the window ends, so privacyd's call deadline cuts it) or to refuse
//! (every call fails with UNAVAILABLE) for a while. It counts what it applies: how many times
//! each erasure's effect was applied (the protocol makes Erase idempotent by
//! `privacy_request_id`, so a second effect for one id is a double erasure) and how many
//! Erase calls came for each id (replays beyond the first are allowed and reported).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::StreamExt;
use privacyd::proto::privacy::datasource::v1::{self as ds, data_source_service_server::DataSourceService};
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tonic::{Request, Response, Status};

/// The group every record of a fault source is in.
pub const GROUP: &str = "chaos-records";
/// Records per subject.
pub const RECORDS: usize = 3;

/// A fault in force until a moment.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Calls wait until the moment, then answer normally (if privacyd still waits).
    Hang(Instant),
    /// Calls fail with UNAVAILABLE until the moment.
    Refuse(Instant),
}

#[derive(Default)]
struct State {
    fault: Option<Fault>,
    /// Subject email -> the request whose erasure removed its data.
    erased: HashMap<String, String>,
    /// Request id -> times its erasure's effect was applied.
    applied: HashMap<String, u32>,
    /// Request id -> Erase calls received (after the fault window).
    erase_calls: HashMap<String, u32>,
}

/// One fault source; clones share their state.
#[derive(Clone)]
pub struct FaultSource {
    pub name: String,
    state: Arc<Mutex<State>>,
}

/// What a fault source counted, read after the run.
pub struct Counts {
    /// Request id -> effects applied.
    pub applied: HashMap<String, u32>,
    /// Request id -> Erase calls.
    pub erase_calls: HashMap<String, u32>,
}

impl FaultSource {
    pub fn new(name: String) -> Self {
        FaultSource { name, state: Arc::default() }
    }

    pub fn inject(&self, fault: Fault) {
        self.state.lock().unwrap().fault = Some(fault);
    }

    pub fn counts(&self) -> Counts {
        let state = self.state.lock().unwrap();
        Counts { applied: state.applied.clone(), erase_calls: state.erase_calls.clone() }
    }

    /// The file this source exports for `email`: its path (as sent) and bytes.
    pub fn file(&self, email: &str) -> (String, Vec<u8>) {
        let seed = Sha256::digest(format!("{}/{email}", self.name));
        // 20 KiB that differ per source and subject, so a file in the wrong archive shows.
        let bytes = seed.iter().cycle().take(20 * 1024).copied().collect();
        (format!("statements/{}.bin", hex::encode(&seed[..6])), bytes)
    }

    /// Waits out a hang, or refuses, per the fault in force.
    async fn obey(&self) -> Result<(), Status> {
        let fault = self.state.lock().unwrap().fault;
        match fault {
            Some(Fault::Hang(until)) if Instant::now() < until => {
                tokio::time::sleep_until(until).await;
                Ok(())
            }
            Some(Fault::Refuse(until)) if Instant::now() < until => {
                Err(Status::unavailable("chaos: this source refuses calls for a while"))
            }
            _ => Ok(()),
        }
    }
}

#[tonic::async_trait]
impl DataSourceService for FaultSource {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(ds::DescribeResponse {
            name: self.name.clone(),
            version: "chaos".into(),
            protocol_version: 1,
            capabilities: vec![ds::Capability::Export as i32, ds::Capability::Erase as i32],
            categories: vec![ds::DataCategory {
                group_id: GROUP.into(),
                label: "Records".into(),
                purposes: vec!["Testing privacyd under faults".into()],
                legal_basis: ds::LegalBasis::Contract as i32,
                ..Default::default()
            }],
        }))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        self.obey().await?;
        let email = request.into_inner().subject.unwrap_or_default().email;
        if self.state.lock().unwrap().erased.contains_key(&email) {
            return Ok(Response::new(futures::stream::empty().boxed()));
        }
        let mut messages: Vec<Result<ds::ExportResponse, Status>> = (0..RECORDS)
            .map(|i| {
                Ok(ds::ExportResponse {
                    payload: Some(ds::export_response::Payload::Item(ds::ExportItem {
                        group_id: GROUP.into(),
                        group_label: "Records".into(),
                        item_id: format!("record-{i}"),
                        data: vec![ds::ExportField {
                            name: "Record".into(),
                            value: format!("{} record {i}", self.name),
                        }],
                        ..Default::default()
                    })),
                })
            })
            .collect();
        let (path, bytes) = self.file(&email);
        // Two chunks, so offsets matter.
        let half = bytes.len() / 2;
        for (offset, part, eof) in [(0, &bytes[..half], false), (half, &bytes[half..], true)] {
            messages.push(Ok(ds::ExportResponse {
                payload: Some(ds::export_response::Payload::FileChunk(ds::FileChunk {
                    path: path.clone(),
                    content_type: "application/octet-stream".into(),
                    group_id: GROUP.into(),
                    data: part.to_vec(),
                    offset: offset as i64,
                    eof,
                    ..Default::default()
                })),
            }));
        }
        Ok(Response::new(futures::stream::iter(messages).boxed()))
    }

    async fn erase(&self, request: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        self.obey().await?;
        let request = request.into_inner();
        let email = request.subject.unwrap_or_default().email;
        let id = request.privacy_request_id;
        let mut state = self.state.lock().unwrap();
        *state.erase_calls.entry(id.clone()).or_default() += 1;
        // Idempotent by request id, as the protocol requires: a replay changes nothing and
        // answers as the first call did.
        if state.applied.contains_key(&id) {
            return Ok(Response::new(ds::EraseResponse { items_removed: RECORDS as i64 + 1, ..Default::default() }));
        }
        let removed = match state.erased.get(&email) {
            // Erased before under another request: nothing left to remove, but this request's
            // effect is recorded too, so the check sees a second erasure of one subject.
            Some(_) => 0,
            None => RECORDS as i64 + 1,
        };
        state.erased.entry(email).or_insert_with(|| id.clone());
        *state.applied.entry(id).or_default() += 1;
        Ok(Response::new(ds::EraseResponse { items_removed: removed, ..Default::default() }))
    }
}

/// How long privacyd may take over one call to a fault source before it gives up on it: short,
/// so a hang costs an attempt and a retry rather than the run's time.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(2);
