//! Parsing the list, count, batch and statistics messages into domain values, and the
//! results back: kept apart from the handlers so they stay one call each.

use std::collections::HashMap;

use prost_types::Timestamp as ProtoTimestamp;
use tonic_types::StatusExt;

use super::convert::{self, parse_action, parse_state};
use crate::{
    domain::{ActionStatistics, EmailSearch, Error, ListFilter, SubjectEmail, TimeRange, Timestamp},
    proto::privacy::v1 as pb,
    workflow::{BatchOperation, BatchOutcome},
};

/// An optional protobuf time as a domain time at microsecond precision (what is stored),
/// refusing times outside what a timestamp can hold.
pub fn parse_time(field: &'static str, t: Option<ProtoTimestamp>) -> Result<Option<Timestamp>, Error> {
    t.map(|t| {
        if !(0..1_000_000_000).contains(&t.nanos) {
            return Err(Error::invalid(field, "has nanos outside 0 to 999,999,999"));
        }
        chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32)
            .and_then(|t| chrono::DateTime::from_timestamp_micros(t.timestamp_micros()))
            .ok_or_else(|| Error::invalid(field, "is not a representable time"))
    })
    .transpose()
}

/// The exact-address filter: lower-cased as stored, or `None` when empty.
fn email_key(raw: &str) -> Result<Option<String>, Error> {
    match raw.trim() {
        "" => Ok(None),
        email => SubjectEmail::parse(email)
            .map(|e| Some(e.key()))
            .map_err(|_| Error::invalid("subject_email", "is not a valid email address")),
    }
}

/// The filters shared by ListPrivacyRequests and CountPrivacyRequests.
pub struct FilterFields<'a> {
    pub action: i32,
    pub state: i32,
    pub subject_email: &'a str,
    pub subject_email_search: &'a str,
    pub created_after: Option<ProtoTimestamp>,
    pub created_before: Option<ProtoTimestamp>,
    pub due_before: Option<ProtoTimestamp>,
}

pub fn parse_filter(f: FilterFields<'_>) -> Result<ListFilter, Error> {
    Ok(ListFilter {
        action: parse_action(f.action)?,
        state: parse_state(f.state)?,
        subject_email_key: email_key(f.subject_email)?,
        subject_email_search: EmailSearch::parse_optional("subject_email_search", f.subject_email_search)?,
        created: TimeRange::new(
            parse_time("created_after", f.created_after)?,
            parse_time("created_before", f.created_before)?,
            "created_before",
        )?,
        due_before: parse_time("due_before", f.due_before)?,
    })
}

pub fn parse_operation(raw: i32) -> Result<BatchOperation, Error> {
    match pb::BatchOperation::try_from(raw) {
        Ok(pb::BatchOperation::ResendConfirmation) => Ok(BatchOperation::ResendConfirmation),
        Ok(pb::BatchOperation::Process) => Ok(BatchOperation::Process),
        Ok(pb::BatchOperation::Complete) => Ok(BatchOperation::Complete),
        Ok(pb::BatchOperation::Cancel) => Ok(BatchOperation::Cancel),
        Ok(pb::BatchOperation::Delete) => Ok(BatchOperation::Delete),
        Ok(pb::BatchOperation::Deny) => Ok(BatchOperation::Deny),
        Ok(pb::BatchOperation::Unspecified) => Err(Error::invalid("operation", "is required")),
        Err(_) => Err(Error::invalid("operation", format!("{raw} is not a BatchOperation"))),
    }
}

/// One batch result, with the code, message, reason and metadata the single method's
/// `google.rpc.Status` would carry: made by the very same conversion.
pub fn batch_result(outcome: BatchOutcome) -> pb::BatchModifyResult {
    let (code, message, reason, metadata) = match outcome.result {
        Ok(()) => (0, String::new(), String::new(), HashMap::new()),
        Err(err) => {
            let status = tonic::Status::from(err);
            let info = status.get_details_error_info();
            let (reason, metadata) = info.map(|i| (i.reason, i.metadata)).unwrap_or_default();
            (status.code() as i32, status.message().to_owned(), reason, metadata)
        }
    };
    pb::BatchModifyResult {
        id: outcome.id,
        code,
        message,
        reason,
        metadata,
        privacy_request: outcome.request.map(convert::privacy_request),
    }
}

pub fn action_statistics(s: ActionStatistics) -> pb::ActionStatistics {
    pb::ActionStatistics {
        action: s.action.map(convert::action).unwrap_or(pb::Action::Unspecified) as i32,
        received_count: s.received,
        completed_count: s.completed,
        denied_count: s.denied,
        cancelled_count: s.cancelled,
        expired_count: s.expired,
        open_count: s.open,
        answered_count: s.answered,
        mean_days_to_answer: s.mean_days,
        median_days_to_answer: s.median_days,
    }
}

/// Property tests of the times list filters take (case counts: see
/// `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::testing::proptest_cases::cases(256))]

        /// Any seconds and nanos: refused with the field named, or read as the instant given,
        /// cut to the microsecond stored. Never a panic, never another time.
        #[test]
        fn times_are_read_to_the_microsecond_or_refused(
            seconds in prop_oneof![-1_000_000_000i64..5_000_000_000, any::<i64>()],
            nanos in prop_oneof![0..1_000_000_000i32, any::<i32>()],
        ) {
            match parse_time("created_after", Some(ProtoTimestamp { seconds, nanos })) {
                Ok(Some(t)) => {
                    prop_assert!((0..1_000_000_000).contains(&nanos));
                    prop_assert_eq!(t.timestamp(), seconds);
                    prop_assert_eq!(t.timestamp_subsec_nanos(), nanos as u32 / 1000 * 1000);
                }
                Ok(None) => prop_assert!(false, "a given time read as none"),
                Err(Error::InvalidField { field, .. }) => prop_assert_eq!(field, "created_after"),
                Err(other) => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
