//! A data source with erasure, whose behaviour a test controls. It holds items in memory per
//! subject, erases idempotently per request id (as the contract requires), keeps the groups it
//! is told to retain, and counts every effect it applies, so a test can prove that nothing was
//! applied twice. It can also lie (claim an erasure and keep the data), fail, or stall.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use privacyd::proto::privacy::datasource::v1::{
    self as ds,
    data_source_service_server::{DataSourceService, DataSourceServiceServer},
};
use tonic::{Code, Request, Response, Status};

/// What the source does with an `Erase` call.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// Groups kept for a legal reason.
    pub retain: Vec<&'static str>,
    /// Answer as if it erased, but keep everything (until `stop_lying`).
    pub lie: bool,
    /// Fail the first N calls with this code.
    pub fail_first: Option<(usize, Code)>,
    /// After applying an erasure, wait this long before answering (privacyd may be killed
    /// meanwhile, or give up).
    pub answer_after: Option<Duration>,
    /// Delay every export (a slow verification).
    pub export_delay: Option<Duration>,
    /// Quote the subject's address in its reasons and messages, as a careless source might.
    pub quote_subject: bool,
    /// Compare addresses case-sensitively, against the contract: hold and look up each
    /// address exactly as written.
    pub case_sensitive: bool,
    /// Report every retained group as holding 1 item, however many it keeps.
    pub under_report: bool,
}

/// (group, item id) of one item held about a subject.
type Item = (String, String);

/// Subject email -> the items held.
type Holdings = Arc<Mutex<HashMap<String, Vec<Item>>>>;

#[derive(Clone, Default)]
pub struct ErasingSource {
    pub name: String,
    behaviour: Behaviour,
    data: Holdings,
    /// Request id -> the answer given, for idempotency.
    answered: Arc<Mutex<HashMap<String, ds::EraseResponse>>>,
    /// Erasures applied (not replayed).
    pub effects: Arc<AtomicUsize>,
    /// Starts as `behaviour.lie`; cleared when the source is "fixed".
    lying: Arc<AtomicBool>,
    pub erase_calls: Arc<AtomicUsize>,
    pub export_calls: Arc<AtomicUsize>,
}

impl ErasingSource {
    pub fn new(name: &str, behaviour: Behaviour) -> Self {
        let lying = Arc::new(AtomicBool::new(behaviour.lie));
        ErasingSource { name: name.to_owned(), behaviour, lying, ..Default::default() }
    }

    /// The team fixes the source: from now on it erases what it says it erases.
    pub fn stop_lying(&self) {
        self.lying.store(false, Ordering::SeqCst);
    }

    /// Removes the subject's items outside the retained groups (unless lying), returning
    /// (removed, kept).
    fn remove(&self, email: &str) -> (Vec<Item>, Vec<Item>) {
        let mut data = self.data.lock().unwrap();
        let items = data.entry(email.to_owned()).or_default();
        let (kept, removed): (Vec<_>, Vec<_>) =
            items.drain(..).partition(|(group, _)| self.behaviour.retain.contains(&group.as_str()));
        *items = if self.lying.load(Ordering::SeqCst) {
            kept.iter().chain(&removed).cloned().collect()
        } else {
            kept.clone()
        };
        (removed, kept)
    }

    /// How the source keys a subject: lower-cased, unless it compares case-sensitively.
    fn key(&self, email: &str) -> String {
        if self.behaviour.case_sensitive { email.to_owned() } else { email.to_lowercase() }
    }

    /// Gives the subject `count` items in `group`.
    pub fn hold(&self, email: &str, group: &str, count: usize) -> &Self {
        let mut data = self.data.lock().unwrap();
        let items = data.entry(self.key(email)).or_default();
        for i in 0..count {
            items.push((group.to_owned(), format!("{group}-{i}")));
        }
        self
    }

    /// What the source still holds about a subject, per group.
    pub fn held(&self, email: &str) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (group, _) in self.data.lock().unwrap().get(&self.key(email)).into_iter().flatten() {
            *out.entry(group.clone()).or_default() += 1;
        }
        out
    }

    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(DataSourceServiceServer::new(self.clone()))
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))),
        );
        format!("http://{addr}")
    }
}

fn category(group: &str) -> ds::DataCategory {
    ds::DataCategory {
        group_id: group.into(),
        label: format!("{}{}", group[..1].to_uppercase(), &group[1..]),
        description: format!("The subject's {group}"),
        purposes: vec!["Testing".into()],
        legal_basis: ds::LegalBasis::Contract as i32,
        retention_period: "As long as the test runs".into(),
        ..Default::default()
    }
}

#[tonic::async_trait]
impl DataSourceService for ErasingSource {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(ds::DescribeResponse {
            name: self.name.clone(),
            version: "1".into(),
            protocol_version: 1,
            capabilities: vec![ds::Capability::Export as i32, ds::Capability::Erase as i32],
            categories: ["profile", "orders", "comments"].into_iter().map(category).collect(),
        }))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, request: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        self.export_calls.fetch_add(1, Ordering::SeqCst);
        if let Some(delay) = self.behaviour.export_delay {
            tokio::time::sleep(delay).await;
        }
        let email = self.key(&request.into_inner().subject.unwrap_or_default().email);
        let items: Vec<Result<ds::ExportResponse, Status>> = self
            .data
            .lock()
            .unwrap()
            .get(&email)
            .into_iter()
            .flatten()
            .map(|(group, id)| {
                Ok(ds::ExportResponse {
                    payload: Some(ds::export_response::Payload::Item(ds::ExportItem {
                        group_id: group.clone(),
                        group_label: group.clone(),
                        item_id: id.clone(),
                        data: vec![ds::ExportField { name: "Id".into(), value: id.clone() }],
                        ..Default::default()
                    })),
                })
            })
            .collect();
        Ok(Response::new(Box::pin(futures::stream::iter(items))))
    }

    async fn erase(&self, request: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        let call = self.erase_calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some((n, code)) = self.behaviour.fail_first
            && call <= n
        {
            return Err(Status::new(code, format!("failure {call} of {n}")));
        }
        let request = request.into_inner();
        let email = self.key(&request.subject.unwrap_or_default().email);
        let replay = self.answered.lock().unwrap().get(&request.privacy_request_id).cloned();
        if let Some(answer) = replay {
            // Idempotent, as the contract says: the first answer, no effect applied again,
            // and nothing left outside the retained groups (nothing to delete unless the
            // first call left something, as a lying source did).
            self.remove(&email);
            return Ok(Response::new(answer));
        }
        let answer = {
            let (removed, kept) = self.remove(&email);
            let mut retained: BTreeMap<String, i64> = BTreeMap::new();
            for (group, _) in &kept {
                let count = retained.entry(group.clone()).or_default();
                *count = if self.behaviour.under_report { 1 } else { *count + 1 };
            }
            self.effects.fetch_add(1, Ordering::SeqCst);
            ds::EraseResponse {
                items_removed: removed.len() as i64,
                items_retained: retained.values().sum(),
                retentions: retained
                    .into_iter()
                    .map(|(group, items)| ds::Retention {
                        group_id: group,
                        items,
                        reason: if self.behaviour.quote_subject {
                            format!("Invoices of {email} must be kept for 10 years (tax law)")
                        } else {
                            "Invoices must be kept for 10 years (tax law)".into()
                        },
                        legal_basis: ds::LegalBasis::LegalObligation as i32,
                        retention_period: "10 years".into(),
                    })
                    .collect(),
                messages: vec![if self.behaviour.quote_subject {
                    format!("{} erased {email}", self.name)
                } else {
                    format!("{} erased", self.name)
                }],
            }
        };
        self.answered.lock().unwrap().insert(request.privacy_request_id, answer.clone());
        if let Some(delay) = self.behaviour.answer_after {
            tokio::time::sleep(delay).await;
        }
        Ok(Response::new(answer))
    }
}
