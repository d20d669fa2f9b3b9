-- The metrics scrape counts requests by state and action, and the open ones by deadline
-- (store/gauges.rs): with every column it reads in this index, the count is an index-only
-- scan that never touches the rows, which hold personal data and grow without end.
CREATE INDEX privacy_requests_by_state ON privacy_requests (state, action, due_time);
