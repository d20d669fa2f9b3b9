-- Per-source timeouts besides call_timeout (issue 9, items 15 and 18): connecting (until the
-- source's first bytes), an Export stream's longest silence, and its longest run. Sources
-- registered before had one deadline over the whole stream: their idle timeout starts as their
-- call_timeout, so none of them is cut off sooner than before.
ALTER TABLE data_sources ADD COLUMN connect_timeout_ms BIGINT NOT NULL DEFAULT 5000;
ALTER TABLE data_sources ADD COLUMN stream_idle_timeout_ms BIGINT NOT NULL DEFAULT 30000;
ALTER TABLE data_sources ADD COLUMN stream_max_duration_ms BIGINT NOT NULL DEFAULT 3600000;
UPDATE data_sources SET stream_idle_timeout_ms = call_timeout_ms;
