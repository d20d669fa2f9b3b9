-- privacyd schema, PostgreSQL dialect. Times are UTC microseconds since the epoch.

CREATE TABLE privacy_requests (
    id                        TEXT PRIMARY KEY,
    action                    TEXT NOT NULL,
    subject_email             TEXT NOT NULL,
    -- Lower-cased email: what duplicates and filters match on.
    subject_email_key         TEXT NOT NULL,
    subject_user_id           TEXT,
    state                     TEXT NOT NULL,
    state_reason              TEXT,
    create_time               BIGINT NOT NULL,
    update_time               BIGINT NOT NULL,
    confirm_time              BIGINT,
    complete_time             BIGINT,
    due_time                  BIGINT NOT NULL,
    deadline_extension_days   INTEGER NOT NULL DEFAULT 0,
    deadline_extension_reason TEXT,
    -- SHA-256 (hex) of the confirmation token; the token itself is never stored.
    token_hash                TEXT,
    token_expire_time         BIGINT,
    token_used_time           BIGINT,
    -- AIP-155 request_id and a digest of the request it came with.
    idempotency_key           TEXT UNIQUE,
    idempotency_digest        TEXT
);

-- One unfinished request per subject and action, enforced by the database so that two
-- concurrent creates (on two replicas, even) cannot both succeed.
CREATE UNIQUE INDEX privacy_requests_one_open
    ON privacy_requests (subject_email_key, action)
    WHERE state IN ('PENDING', 'CONFIRMED', 'PROCESSING', 'FAILED');

-- Keyset pagination, newest first.
CREATE INDEX privacy_requests_by_time ON privacy_requests (create_time DESC, id DESC);

-- The expiry sweeper's scan.
CREATE INDEX privacy_requests_pending_expiry
    ON privacy_requests (token_expire_time) WHERE state = 'PENDING';

CREATE TABLE audit_events (
    sequence    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign key: events outlive the requests they describe.
    request_id  TEXT NOT NULL,
    time        BIGINT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT,
    detail      TEXT NOT NULL,
    email_kind  TEXT
);

CREATE INDEX audit_events_by_request ON audit_events (request_id, sequence);

-- The audit log is append-only, whoever connects to the database.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Durable background work, run by the executor. A job is claimable when it is queued, due,
-- and not leased (or its lease has lapsed because the replica holding it died).
CREATE TABLE jobs (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL,
    request_id         TEXT NOT NULL REFERENCES privacy_requests (id) ON DELETE CASCADE,
    -- JSON; never personal data or secrets.
    payload            TEXT NOT NULL,
    state              TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    max_attempts       INTEGER NOT NULL,
    run_at             BIGINT NOT NULL,
    lease_owner        TEXT,
    lease_expire_time  BIGINT,
    last_error         TEXT NOT NULL DEFAULT '',
    create_time        BIGINT NOT NULL,
    finish_time        BIGINT
);

CREATE INDEX jobs_runnable ON jobs (run_at) WHERE state = 'QUEUED';
CREATE INDEX jobs_by_request ON jobs (request_id, create_time);
