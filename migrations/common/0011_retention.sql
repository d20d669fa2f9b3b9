-- Retention (issue 11, section 4; GDPR Art. 5(1)(e), storage limitation): what a finished
-- request keeps, and for how long. A request is finished in COMPLETED, DENIED, CANCELLED and
-- EXPIRED (the list below must match State::is_final); its retention periods count from its
-- update_time, which is when it finished or later.

-- When its per-source details were removed (`--job-retention`): its source runs and its
-- finished jobs but its emails. NULL until then. What GetPrivacyRequest showed of an
-- erasure's outcome is kept beside, as JSON (outcome, items_removed, items_retained,
-- verified, sources_skipped), since it was computed from the runs; NULL for other requests.
ALTER TABLE privacy_requests ADD COLUMN sources_remove_time BIGINT;
ALTER TABLE privacy_requests ADD COLUMN erasure_summary TEXT;

-- When the subject's personal data was purged (`--request-retention`): subject_email and
-- subject_email_key are then '' (the columns are NOT NULL, and SQLite cannot drop that without
-- rebuilding the table), subject_user_id, idempotency_key and idempotency_digest (a hash of the
-- address) NULL, and the errors of its email deliveries, which may quote the address, ''.
ALTER TABLE privacy_requests ADD COLUMN subject_purge_time BIGINT;

-- The sweeper's two scans, oldest first. Partial: a request leaves each index once it has
-- been dealt with, so each stays the size of the work still to do, not of the history.
CREATE INDEX privacy_requests_sources_to_remove ON privacy_requests (update_time, id)
    WHERE sources_remove_time IS NULL AND state IN ('COMPLETED', 'DENIED', 'CANCELLED', 'EXPIRED');
CREATE INDEX privacy_requests_subject_to_purge ON privacy_requests (update_time, id)
    WHERE subject_purge_time IS NULL AND state IN ('COMPLETED', 'DENIED', 'CANCELLED', 'EXPIRED');
