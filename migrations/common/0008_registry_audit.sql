-- Changes to the data source registry (registered, updated, enabled or disabled, deleted) are
-- audited in the same append-only log as requests, so one sequence orders both. A registry
-- event names its source here and has an empty request_id, which no request has: it is part of
-- no request's history, and so of no erasure receipt's hash chain. NULL on request events.
ALTER TABLE audit_events ADD COLUMN data_source TEXT;

CREATE INDEX audit_events_by_data_source ON audit_events (data_source, sequence);
