-- Erasure results per source (JSON written by privacyd: counts, retentions, messages) and the
-- verification made afterwards.
ALTER TABLE source_runs ADD COLUMN erasure TEXT;
ALTER TABLE source_runs ADD COLUMN verification TEXT;

-- An erasure in its cooling-off period starts processing then.
ALTER TABLE privacy_requests ADD COLUMN scheduled_process_time BIGINT;

-- Receipts of completed erasures, for the compliance file. No foreign key: like audit events,
-- a receipt outlives its request (it holds no personal data beyond a salted hash).
CREATE TABLE erasure_receipts (
    request_id     TEXT PRIMARY KEY,
    create_time    BIGINT NOT NULL,
    -- The JSON document exactly as issued; its SHA-256 is what the compliance file records.
    document       TEXT NOT NULL,
    sha256         TEXT NOT NULL
);
