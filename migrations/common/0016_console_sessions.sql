-- Console sessions (issue 12): one row per signed-in browser, so every replica knows every
-- session. The cookie holds a random 256-bit id; only its SHA-256 is stored, so whoever reads
-- the database (a backup, a replica's disk) cannot take over a session.
CREATE TABLE console_sessions (
    -- SHA-256 of the cookie's value, hex.
    id_hash TEXT PRIMARY KEY,
    -- The admin token's fingerprint (Actor::Admin's id in the audit log). Each request checks
    -- that a token with this fingerprint is still in force, so removing the token from the
    -- tokens file (and reloading) ends its sessions.
    actor_id TEXT NOT NULL,
    -- The token's scopes at sign-in (`read,requests`); a request gets these and the token's
    -- current scopes, whichever is fewer.
    scopes TEXT NOT NULL,
    -- Random per session, put in every form (`_csrf`) and compared on every POST. Not a
    -- credential on its own: it proves a form came from a page of this session.
    csrf_token TEXT NOT NULL,
    -- Microseconds since the Unix epoch, as every time in privacyd's schema.
    create_time BIGINT NOT NULL,
    -- Last request, for the idle expiry (`--console-idle-timeout`); updated at most every
    -- few seconds, not on every request.
    last_seen_time BIGINT NOT NULL,
    -- create_time + `--console-session-lifetime`: the absolute expiry.
    expire_time BIGINT NOT NULL
);

-- The sweeper removes expired sessions by either expiry.
CREATE INDEX console_sessions_by_expiry ON console_sessions (expire_time);
CREATE INDEX console_sessions_by_last_seen ON console_sessions (last_seen_time);
