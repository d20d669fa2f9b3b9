//! Reading many requests at once: pages of a filtered, sorted list, the counts per state for
//! a console's tabs, and the period statistics.

use super::Workflow;
use crate::{
    domain::{
        ActionStatistics, Error, ListFilter, ListOrder, PageSize, PrivacyRequest, RequestId, State, StatisticsPeriod,
    },
    page_token,
    store::RequestCursor,
};

impl Workflow {
    /// A page of requests in `order`, and the token for the next page (empty at the end). The
    /// token holds the last request's sort key and id, and a digest of the filters and the
    /// order: a token used with others is refused (`InvalidPageToken`) rather than giving a
    /// silently wrong page.
    pub async fn list(
        &self,
        filter: ListFilter,
        order: ListOrder,
        page_size: PageSize,
        page_token: &str,
    ) -> Result<(Vec<PrivacyRequest>, String), Error> {
        let parts = filter.digest_parts(order);
        let digest = page_token::filter_digest(&parts.iter().map(String::as_str).collect::<Vec<_>>());
        let cursor = page_token::decode::<(i64, String)>(page_token, &digest)?
            .map(|(key, id)| {
                RequestId::parse("page_token", &id)
                    .map(|id| RequestCursor { key, id })
                    .map_err(|_| Error::InvalidPageToken("it is not a token this server issued"))
            })
            .transpose()?;
        // One extra row says whether there is a next page without a second query.
        let mut requests = self.store.list_requests(&filter, order, cursor, page_size.get() + 1).await?;
        let next = if requests.len() > page_size.get() as usize {
            requests.truncate(page_size.get() as usize);
            let last = requests.last().expect("page is not empty");
            let key = match order {
                ListOrder::CreateTimeDesc => last.create_time,
                ListOrder::DueTimeAsc | ListOrder::DueTimeDesc => last.due_time,
            };
            page_token::encode(&(key.timestamp_micros(), last.id.to_string()), &digest)
        } else {
            String::new()
        };
        Ok((requests, next))
    }

    /// How many requests match `filter` (its `state` ignored) in each state: every state, in
    /// [`State::ALL`] order, zeros included.
    pub async fn count(&self, filter: &ListFilter) -> Result<Vec<(State, i64)>, Error> {
        let counted = self.store.count_requests(filter).await?;
        Ok(State::ALL
            .iter()
            .map(|state| (*state, counted.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n)))
            .collect())
    }

    /// Folds the tallies that answer a count of every request (see
    /// [`crate::store::Store::fold_request_tallies`]); the sweeper's, on each pass.
    pub async fn fold_request_tallies(&self) -> Result<u64, Error> {
        self.store.fold_request_tallies().await
    }

    /// Per action (export, then erasure), what `GetRequestStatistics` answers for `period`.
    pub async fn statistics(&self, period: StatisticsPeriod) -> Result<Vec<ActionStatistics>, Error> {
        self.store.request_statistics(period).await
    }
}
