-- The console's request list (issue 12) and ListPrivacyRequests' `order_by`/CountPrivacyRequests.

-- Pages sorted by deadline ("due_time", "due_time desc") walk this index in order and stop
-- after a page, as pages by creation time walk privacy_requests_by_time.
CREATE INDEX privacy_requests_by_due ON privacy_requests (due_time, id);

-- The tab counts (CountPrivacyRequests): every column a count filters on is in the index, so
-- counting is an index-only scan that never reads the rows (which hold personal data and grow
-- without end). Partial on a condition that holds for every row (the two actions there are)
-- and that only the count statement states: a query must imply it to use the index, so the
-- metrics' scan (store/gauges.rs, no WHERE) keeps its own (state, action, due_time) index
-- instead of being drawn to this wider one, as PostgreSQL's planner otherwise is. (Not
-- `subject_email_key IS NOT NULL`: SQLite drops that term from a query on a NOT NULL column,
-- and then no longer sees that the query implies the index's condition.) A new action must be
-- added here and in store/requests/listing.rs.
CREATE INDEX privacy_requests_for_counts
    ON privacy_requests (action, state, create_time, due_time, subject_email_key)
    WHERE action IN ('EXPORT', 'ERASE');
