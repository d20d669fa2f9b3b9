-- When a source's run last changed. A run's progress (started, an erasure's answer recorded,
-- counts while streaming) is written without updating, and so without locking, the request's
-- row, which a hundred sources would otherwise queue for; a request's update time as read is
-- the later of its row's and its runs'. NULL on runs written before this column existed.
ALTER TABLE source_runs ADD COLUMN update_time BIGINT;
