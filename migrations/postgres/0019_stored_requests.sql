-- Lists over a million stored requests (issue 14, section 2). Each list statement holds only
-- the conditions of the filters a call sets (store/requests/listing.rs), so these can serve
-- them; tests/api/stored_requests.rs EXPLAINs every hot statement on a loaded table.

-- A state's requests in either order (the console's tabs, ListPrivacyRequests' `state`): the
-- page is read from the state's range of the index in order and stops after a page. Without
-- them a page of a rare state (FAILED, PROCESSING: a few hundred of a million) walked the
-- whole table in creation or due order to find its rows. Descending pages scan backwards.
CREATE INDEX privacy_requests_state_by_time ON privacy_requests (state, create_time, id);
CREATE INDEX privacy_requests_state_by_due ON privacy_requests (state, due_time, id);

-- One subject's requests (`subject_email`, exact; CountPrivacyRequests on a subject): a few
-- rows, where the only other index on the key holds the open requests alone.
CREATE INDEX privacy_requests_by_subject ON privacy_requests (subject_email_key, create_time);

-- `subject_email_search` (a substring, `LIKE '%...%'`): no B-tree serves it, so a search for
-- an address few requests have read every row. A trigram index finds the rows holding the
-- substring's trigrams (pg_trgm, shipped with PostgreSQL and trusted: the database's owner
-- may create it). SQLite has none; there a search walks an index in the list's order.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX privacy_requests_subject_trigrams ON privacy_requests USING gin (subject_email_key gin_trgm_ops);
