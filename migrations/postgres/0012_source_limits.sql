-- Per-source limits (issue 11, section 5): the most calls in flight to a source at once across
-- replicas, enforced when jobs are claimed. A job's source gets a column of its own (it was
-- only in the JSON payload) so that the claim can count a source's running jobs by index.
ALTER TABLE data_sources ADD COLUMN max_concurrent_calls BIGINT NOT NULL DEFAULT 16;
ALTER TABLE jobs ADD COLUMN source TEXT;
UPDATE jobs SET source = (payload::json ->> 'source') WHERE (payload::json ->> 'source') IS NOT NULL;
-- A source's running jobs: those with an unexpired lease (the claim's count).
CREATE INDEX jobs_leased_by_source ON jobs (source, lease_expire_time) WHERE lease_expire_time IS NOT NULL;
