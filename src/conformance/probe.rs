//! Every call the kit makes to the source under test. Each carries the deadline as privacyd
//! sets it, is timed, and when it fails says precisely how: which RPC, the gRPC code, a
//! message over the size limit, one that does not decode, a stream that broke the rules, or
//! an answer that came too late. Each call is logged for the `deadlines` and `message-sizes`
//! checks.

use std::{
    collections::BTreeSet,
    fmt,
    time::{Duration, Instant},
};

use futures::StreamExt;
use tonic::{Code, Status};

use super::snapshot::{Snapshot, SnapshotBuilder};
use crate::{
    export::rules::Violation,
    proto::privacy::datasource::v1 as pb,
    source_client::{HEALTH_SERVICE, Health, SourceClient},
};

/// The protocol's message size limit, which [`SourceClient`] sets as its decoding limit.
pub const MAX_MESSAGE: &str = "4 MiB";

/// How long past the deadline the kit waits for a unary answer before giving up: the deadline
/// travels as `grpc-timeout`, so a late answer is the source's and a short grace lets the kit
/// say how late it was.
const GRACE: Duration = Duration::from_millis(500);

/// The calls of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rpc {
    Health,
    Describe,
    Export,
    Erase,
}

impl fmt::Display for Rpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rpc::Health => "grpc.health.v1 Check",
            Rpc::Describe => "Describe",
            Rpc::Export => "Export",
            Rpc::Erase => "Erase",
        })
    }
}

/// How a call failed.
#[derive(Debug, Clone)]
pub enum CallFailure {
    /// The source answered with an error status.
    Status { rpc: Rpc, code: Code, message: String },
    /// The health service answered, but not SERVING, or could not be asked.
    Health { message: String },
    /// A message was over the protocol's size limit.
    TooLarge { rpc: Rpc, detail: String },
    /// A message did not decode.
    Malformed { rpc: Rpc, detail: String },
    /// The stream broke the protocol's rules at its `at`th message.
    Protocol { rpc: Rpc, at: usize, violation: Violation },
    /// No answer (or no end of the stream) within the deadline.
    Late { rpc: Rpc, elapsed: Duration, deadline: Duration, answered: bool, received: Option<usize> },
}

impl CallFailure {
    pub fn is_late(&self) -> bool {
        matches!(self, CallFailure::Late { .. })
    }

    pub fn is_size_or_encoding(&self) -> bool {
        matches!(self, CallFailure::TooLarge { .. } | CallFailure::Malformed { .. })
    }
}

impl fmt::Display for CallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallFailure::Status { rpc, code, message } => {
                write!(f, "{rpc} failed with {}", crate::ctl::status::code_name(*code))?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            CallFailure::Health { message } => write!(f, "grpc.health.v1 Check for {HEALTH_SERVICE:?}: {message}"),
            CallFailure::TooLarge { rpc, detail } => {
                write!(f, "{rpc} sent a message over the protocol's {MAX_MESSAGE} limit ({detail})")
            }
            CallFailure::Malformed { rpc, detail } => write!(f, "{rpc} sent a message that does not decode ({detail})"),
            CallFailure::Protocol { rpc, at, violation } => {
                write!(f, "{rpc} broke the stream rules at message {at}: {violation}")
            }
            CallFailure::Late { rpc, elapsed, deadline, answered, received } => {
                let deadline = humantime::format_duration(*deadline);
                let elapsed = elapsed.as_secs_f64();
                match (answered, received) {
                    (true, _) => write!(f, "{rpc} answered after {elapsed:.2}s, over the {deadline} deadline"),
                    (false, None) => {
                        write!(f, "{rpc} did not answer within the {deadline} deadline (gave up after {elapsed:.2}s)")
                    }
                    (false, Some(n)) => write!(
                        f,
                        "{rpc} stream did not end within the {deadline} deadline ({n} messages received; gave up after {elapsed:.2}s)"
                    ),
                }
            }
        }
    }
}

/// One call, for the checks that look at all of them.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub rpc: Rpc,
    /// The check that made it.
    pub check: &'static str,
    pub elapsed: Duration,
    pub failure: Option<CallFailure>,
}

/// The source under test, and the log of every call made to it.
pub struct Probe {
    source: SourceClient,
    anonymous: Option<SourceClient>,
    deadline: Duration,
    check: &'static str,
    pub log: Vec<CallRecord>,
}

impl Probe {
    pub fn new(source: SourceClient, anonymous: Option<SourceClient>, deadline: Duration) -> Self {
        Probe { source, anonymous, deadline, check: "", log: Vec::new() }
    }

    /// Names the check that makes the next calls.
    pub fn begin(&mut self, check: &'static str) {
        self.check = check;
    }

    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    fn record<T>(&mut self, rpc: Rpc, elapsed: Duration, result: &Result<T, CallFailure>) {
        let failure = result.as_ref().err().cloned();
        self.log.push(CallRecord { rpc, check: self.check, elapsed, failure });
    }

    /// What a failed call means: an error the source sent, or one the client found in what it
    /// sent (tonic reports those as statuses too, with these messages).
    fn classify(&self, rpc: Rpc, status: &Status, elapsed: Duration) -> CallFailure {
        let message = status.message();
        if elapsed >= self.deadline {
            return CallFailure::Late { rpc, elapsed, deadline: self.deadline, answered: false, received: None };
        }
        match status.code() {
            Code::OutOfRange if message.starts_with("Error, decoded message length too large") => {
                let detail = message.split_once("found ").map_or(message, |(_, rest)| rest);
                CallFailure::TooLarge { rpc, detail: format!("found {detail}") }
            }
            Code::Internal if message.starts_with("failed to decode Protobuf message") => {
                CallFailure::Malformed { rpc, detail: message.to_owned() }
            }
            code => CallFailure::Status { rpc, code, message: message.to_owned() },
        }
    }

    async fn unary<T>(
        &mut self,
        rpc: Rpc,
        call: impl Future<Output = Result<tonic::Response<T>, Status>>,
    ) -> Result<T, CallFailure> {
        let started = Instant::now();
        let answer = tokio::time::timeout(self.deadline + GRACE, call).await;
        let elapsed = started.elapsed();
        let late = |answered| CallFailure::Late { rpc, elapsed, deadline: self.deadline, answered, received: None };
        let result = match answer {
            Ok(Ok(response)) if elapsed <= self.deadline => Ok(response.into_inner()),
            Ok(Ok(_)) => Err(late(true)),
            Ok(Err(status)) => Err(self.classify(rpc, &status, elapsed)),
            Err(_) => Err(late(false)),
        };
        self.record(rpc, elapsed, &result);
        result
    }

    /// grpc.health.v1 Check for the plugin service; Ok only for SERVING.
    pub async fn health(&mut self) -> Result<(), CallFailure> {
        let started = Instant::now();
        let (health, message) = self.source.health().await;
        let elapsed = started.elapsed();
        let result = match health {
            _ if elapsed > self.deadline => Err(CallFailure::Late {
                rpc: Rpc::Health,
                elapsed,
                deadline: self.deadline,
                answered: health != Health::Unreachable,
                received: None,
            }),
            Health::Serving => Ok(()),
            Health::NotServing => Err(CallFailure::Health { message: message.unwrap_or_default() }),
            Health::Unreachable => {
                Err(CallFailure::Health { message: format!("failed: {}", message.unwrap_or_default()) })
            }
        };
        self.record(Rpc::Health, elapsed, &result);
        result
    }

    pub async fn describe(&mut self) -> Result<pb::DescribeResponse, CallFailure> {
        let mut client = self.source.client();
        let call = client.describe(self.source.request(pb::DescribeRequest {}));
        self.unary(Rpc::Describe, call).await
    }

    /// Describe without the bearer token; None when the kit was given no token.
    pub async fn describe_anonymously(&mut self) -> Option<Result<pb::DescribeResponse, CallFailure>> {
        let anonymous = self.anonymous.clone()?;
        let mut client = anonymous.client();
        let call = client.describe(anonymous.request(pb::DescribeRequest {}));
        Some(self.unary(Rpc::Describe, call).await)
    }

    pub async fn erase(
        &mut self,
        privacy_request_id: &str,
        subject: &pb::Subject,
    ) -> Result<pb::EraseResponse, CallFailure> {
        let mut client = self.source.client();
        let message =
            pb::EraseRequest { privacy_request_id: privacy_request_id.to_owned(), subject: Some(subject.clone()) };
        let call = client.erase(self.source.request(message));
        self.unary(Rpc::Erase, call).await
    }

    /// Streams the subject's export to its end, checking every message against the stream
    /// rules and, when given, the groups Describe declared. The deadline covers the whole
    /// stream, as it does in privacyd.
    pub async fn export(
        &mut self,
        subject: &pb::Subject,
        declared: Option<&BTreeSet<String>>,
    ) -> Result<Snapshot, CallFailure> {
        enum Broken {
            Call(Status),
            Rules(Violation),
        }
        let message =
            pb::ExportRequest { privacy_request_id: uuid::Uuid::now_v7().to_string(), subject: Some(subject.clone()) };
        let mut builder = SnapshotBuilder::new(declared);
        let started = Instant::now();
        let streamed = tokio::time::timeout(self.deadline, async {
            let mut stream = self.source.export(message).await.map_err(Broken::Call)?;
            while let Some(next) = stream.next().await {
                builder.add(next.map_err(Broken::Call)?).map_err(Broken::Rules)?;
            }
            Ok(())
        })
        .await;
        let elapsed = started.elapsed();
        let received = builder.messages();
        let rpc = Rpc::Export;
        let result = match streamed {
            Ok(Ok(())) => builder.finish().map_err(|violation| CallFailure::Protocol { rpc, at: received, violation }),
            Ok(Err(Broken::Call(status))) => Err(self.classify(rpc, &status, elapsed)),
            Ok(Err(Broken::Rules(violation))) => Err(CallFailure::Protocol { rpc, at: received, violation }),
            Err(_) => Err(CallFailure::Late {
                rpc,
                elapsed,
                deadline: self.deadline,
                answered: false,
                received: Some(received),
            }),
        };
        self.record(rpc, elapsed, &result);
        result
    }
}
