//! `privacy.v1.DataSourceRegistryService`: parses messages into domain values, calls the
//! registry, converts back.

use std::time::Duration;

use tonic::{Request, Response, Status};

use super::{auth::admin, convert::timestamp};
use crate::{
    domain::{Error, MaxConcurrentCalls, PageSize, SourceEndpoint, SourceName, parse_call_timeout},
    proto::privacy::v1::{self as pb, data_source_registry_service_server::DataSourceRegistryService},
    registry::{Registration, RegistrationInput, Registry, SourceChanges, optional_text},
    source_client::{Health, description_message},
};

pub struct DataSourceRegistryApi {
    registry: Registry,
}

impl DataSourceRegistryApi {
    pub fn new(registry: Registry) -> Self {
        DataSourceRegistryApi { registry }
    }
}

fn name(raw: &str) -> Result<SourceName, Status> {
    Ok(SourceName::parse(raw)?)
}

/// A `google.protobuf.Duration` from a caller, as a `Duration`. Refused: a negative one, and
/// one the type's own definition rules out (`nanos` outside 0 to 999,999,999 for a positive
/// duration, duration.proto), which would otherwise be read as some other length: 1 s and
/// 1,500,000,000 ns as 2.5 s.
fn duration(field: &'static str, d: Option<prost_types::Duration>) -> Result<Option<Duration>, Error> {
    d.map(|d| {
        if d.seconds < 0 || d.nanos < 0 {
            return Err(Error::invalid(field, "must be positive"));
        }
        if d.nanos > 999_999_999 {
            return Err(Error::invalid(
                field,
                "is not a valid google.protobuf.Duration: nanos must be from 0 to 999,999,999 (the rest goes in seconds)",
            ));
        }
        Ok(Duration::new(d.seconds as u64, d.nanos as u32))
    })
    .transpose()
}

fn proto_duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration { seconds: d.as_secs() as i64, nanos: d.subsec_nanos() as i32 }
}

fn data_source(s: crate::domain::DataSource) -> pb::DataSource {
    pb::DataSource {
        name: s.name.to_string(),
        endpoint: s.endpoint.as_str().to_owned(),
        tls: s.tls,
        ca_cert_pem: s.ca_cert_pem.unwrap_or_default(),
        has_auth_token: s.auth_token.is_some(),
        call_timeout: Some(proto_duration(s.call_timeout)),
        connect_timeout: Some(proto_duration(s.timeouts.connect)),
        stream_idle_timeout: Some(proto_duration(s.timeouts.stream_idle)),
        stream_max_duration: Some(proto_duration(s.timeouts.stream_max)),
        max_concurrent_calls: s.max_concurrent_calls.get(),
        enabled: s.enabled,
        description: Some(description_message(&s.description)),
        create_time: Some(timestamp(s.create_time)),
        update_time: Some(timestamp(s.update_time)),
    }
}

#[tonic::async_trait]
impl DataSourceRegistryService for DataSourceRegistryApi {
    async fn register_data_source(
        &self,
        request: Request<pb::RegisterDataSourceRequest>,
    ) -> Result<Response<pb::RegisterDataSourceResponse>, Status> {
        let actor = admin(&request)?;
        let req = request.into_inner();
        let registration = Registration::parse(RegistrationInput {
            name: req.name,
            endpoint: req.endpoint,
            tls: req.tls,
            ca_cert_pem: req.ca_cert_pem,
            auth_token: req.auth_token,
            call_timeout: duration("call_timeout", req.call_timeout)?,
            connect_timeout: duration("connect_timeout", req.connect_timeout)?,
            stream_idle_timeout: duration("stream_idle_timeout", req.stream_idle_timeout)?,
            stream_max_duration: duration("stream_max_duration", req.stream_max_duration)?,
            max_concurrent_calls: req.max_concurrent_calls,
            enabled: req.enabled,
        })?;
        let source = self.registry.register(actor, registration).await?;
        Ok(Response::new(pb::RegisterDataSourceResponse { data_source: Some(data_source(source)) }))
    }

    async fn get_data_source(
        &self,
        request: Request<pb::GetDataSourceRequest>,
    ) -> Result<Response<pb::GetDataSourceResponse>, Status> {
        let source = self.registry.get(&name(&request.get_ref().name)?).await?;
        Ok(Response::new(pb::GetDataSourceResponse { data_source: Some(data_source(source)) }))
    }

    async fn list_data_sources(
        &self,
        request: Request<pb::ListDataSourcesRequest>,
    ) -> Result<Response<pb::ListDataSourcesResponse>, Status> {
        let req = request.into_inner();
        let (sources, next_page_token) =
            self.registry.list(PageSize::parse(req.page_size, 50)?, &req.page_token).await?;
        Ok(Response::new(pb::ListDataSourcesResponse {
            data_sources: sources.into_iter().map(data_source).collect(),
            next_page_token,
        }))
    }

    async fn update_data_source(
        &self,
        request: Request<pb::UpdateDataSourceRequest>,
    ) -> Result<Response<pb::UpdateDataSourceResponse>, Status> {
        let actor = admin(&request)?;
        let req = request.into_inner();
        let source_name = name(&req.name)?;
        let timeouts = [
            duration("connect_timeout", req.connect_timeout)?,
            duration("stream_idle_timeout", req.stream_idle_timeout)?,
            duration("stream_max_duration", req.stream_max_duration)?,
        ];
        let timeouts = if timeouts.iter().any(Option::is_some) {
            let [connect, idle, max] = timeouts;
            Some(self.registry.get(&source_name).await?.timeouts.changed(connect, idle, max)?)
        } else {
            None
        };
        let changes = SourceChanges {
            endpoint: req.endpoint.as_deref().map(SourceEndpoint::parse).transpose()?,
            auth_token: req.auth_token.map(optional_text),
            tls: req.tls,
            ca_cert_pem: req.ca_cert_pem.map(optional_text),
            call_timeout: duration("call_timeout", req.call_timeout)?
                .map(|d| parse_call_timeout(Some(d)))
                .transpose()?,
            enabled: req.enabled,
            timeouts,
            max_concurrent_calls: req.max_concurrent_calls.map(|n| MaxConcurrentCalls::parse(Some(n))).transpose()?,
        };
        let source = self.registry.update(actor, &source_name, changes).await?;
        Ok(Response::new(pb::UpdateDataSourceResponse { data_source: Some(data_source(source)) }))
    }

    async fn delete_data_source(
        &self,
        request: Request<pb::DeleteDataSourceRequest>,
    ) -> Result<Response<pb::DeleteDataSourceResponse>, Status> {
        let actor = admin(&request)?;
        self.registry.delete(actor, &name(&request.get_ref().name)?).await?;
        Ok(Response::new(pb::DeleteDataSourceResponse {}))
    }

    async fn check_data_source(
        &self,
        request: Request<pb::CheckDataSourceRequest>,
    ) -> Result<Response<pb::CheckDataSourceResponse>, Status> {
        let report = self.registry.check(&name(&request.get_ref().name)?).await?;
        Ok(Response::new(pb::CheckDataSourceResponse {
            health: match report.health {
                Health::Serving => pb::HealthStatus::Serving,
                Health::NotServing => pb::HealthStatus::NotServing,
                Health::Unreachable => pb::HealthStatus::Unreachable,
            } as i32,
            description: report.description.as_ref().map(description_message),
            error: report.error.unwrap_or_default(),
            latency: report.latency.map(proto_duration),
        }))
    }
}

/// Property tests of the API's durations (case counts: see `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::testing::proptest_cases::cases(256))]

        /// Any valid non-negative Duration reads as exactly its length and writes back as
        /// itself; anything else (negative, or nanos out of the type's range) is refused with
        /// the field named, never read as another length and never a panic.
        #[test]
        fn durations_are_read_exactly_or_refused(
            seconds in prop_oneof![0..100_000i64, any::<i64>()],
            nanos in prop_oneof![0..1_000_000_000i32, any::<i32>()],
        ) {
            let d = prost_types::Duration { seconds, nanos };
            match duration("call_timeout", Some(d)) {
                Ok(Some(read)) => {
                    prop_assert!(seconds >= 0 && (0..1_000_000_000).contains(&nanos));
                    prop_assert_eq!(read.as_nanos(), seconds as u128 * 1_000_000_000 + nanos as u128);
                    prop_assert_eq!(proto_duration(read), d);
                }
                Ok(None) => prop_assert!(false, "a given duration read as none"),
                Err(Error::InvalidField { field, .. }) => {
                    prop_assert_eq!(field, "call_timeout");
                    prop_assert!(seconds < 0 || !(0..1_000_000_000).contains(&nanos));
                }
                Err(other) => prop_assert!(false, "{:?}", other),
            }
        }
    }

    /// Found by `durations_are_read_exactly_or_refused`: 1 s and 1,500,000,000 ns read as 2.5 s.
    #[test]
    fn nanos_past_a_second_are_refused() {
        assert!(duration("call_timeout", Some(prost_types::Duration { seconds: 1, nanos: 1_500_000_000 })).is_err());
        assert!(duration("call_timeout", Some(prost_types::Duration { seconds: 0, nanos: 1_000_000_000 })).is_err());
        assert_eq!(
            duration("call_timeout", Some(prost_types::Duration { seconds: 1, nanos: 999_999_999 })).unwrap(),
            Some(Duration::new(1, 999_999_999))
        );
    }
}
