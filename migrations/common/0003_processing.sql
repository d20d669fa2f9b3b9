-- Per data source progress of a request, and export archives.
CREATE TABLE source_runs (
    request_id   TEXT NOT NULL REFERENCES privacy_requests (id) ON DELETE CASCADE,
    source_name  TEXT NOT NULL,
    -- Order of the sources as processing started, so they list stably.
    position     INTEGER NOT NULL,
    state        TEXT NOT NULL,
    items        BIGINT NOT NULL,
    bytes        BIGINT NOT NULL,
    attempts     INTEGER NOT NULL,
    last_error   TEXT NOT NULL,
    start_time   BIGINT,
    finish_time  BIGINT,
    PRIMARY KEY (request_id, source_name)
);

CREATE TABLE export_archives (
    request_id           TEXT PRIMARY KEY REFERENCES privacy_requests (id) ON DELETE CASCADE,
    file_name            TEXT NOT NULL,
    size_bytes           BIGINT NOT NULL,
    sha256               TEXT NOT NULL,
    create_time          BIGINT NOT NULL,
    expire_time          BIGINT NOT NULL,
    delete_time          BIGINT,
    download_count       INTEGER NOT NULL,
    -- SHA-256 of the download token last emailed; the token itself is never stored.
    download_token_hash  TEXT
);

CREATE INDEX export_archives_expiry ON export_archives (expire_time) WHERE delete_time IS NULL;
