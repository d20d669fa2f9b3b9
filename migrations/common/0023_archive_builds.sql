-- Each build of an export archive is stored under a key of its own (src/objects.rs), and the
-- one recorded here is the one served. A replica whose assembly job lost its lease (paused
-- past it, then resumed) finishes its own build under its own key, is refused when it tries
-- to record it, and cannot replace the bytes another replica recorded. NULL: an archive
-- recorded before builds had keys of their own, stored under the request's archive name.
ALTER TABLE export_archives ADD COLUMN build_id TEXT;
