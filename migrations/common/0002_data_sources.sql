-- Registered data sources. Booleans are 0/1 integers, the same on both dialects.
CREATE TABLE data_sources (
    name             TEXT PRIMARY KEY,
    endpoint         TEXT NOT NULL,
    tls              INTEGER NOT NULL,
    ca_cert_pem      TEXT,
    -- Sent to the source; never returned by the API or logged.
    auth_token       TEXT,
    call_timeout_ms  BIGINT NOT NULL,
    enabled          INTEGER NOT NULL,
    -- The validated Describe answer, as JSON.
    description      TEXT NOT NULL,
    create_time      BIGINT NOT NULL,
    update_time      BIGINT NOT NULL
);
