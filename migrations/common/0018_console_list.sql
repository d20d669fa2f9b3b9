-- The console's request list (issue 12) and ListPrivacyRequests' `order_by`/CountPrivacyRequests.

-- Pages sorted by deadline ("due_time", "due_time desc") walk this index in order and stop
-- after a page, as pages by creation time walk privacy_requests_by_time.
CREATE INDEX privacy_requests_by_due ON privacy_requests (due_time, id);

-- The tab counts (CountPrivacyRequests): every column a count filters on is in the index, so
-- counting is an index-only scan, grouped by its leading column, that never reads the rows
-- (which hold personal data and grow without end). Led by `action` rather than `state` so
-- that the metrics' (state, action, due_time) index stays the only one led by state.
CREATE INDEX privacy_requests_for_counts
    ON privacy_requests (action, state, create_time, due_time, subject_email_key);
