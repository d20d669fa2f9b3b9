-- The subject's own pages (issue 12): the per-address limit of the public /request form and
-- the status links in the subject's emails. Times are UTC microseconds since the epoch.

-- One row per request the /request form accepted: a keyed hash of the address (HMAC-SHA256
-- under a key derived from the secret key file, never the address itself) and when. Read to
-- enforce "at most N per address per 12 months" (GDPR Art. 12(5)) on every replica; rows
-- older than the window are swept.
CREATE TABLE self_service_submissions (
    address_hash TEXT NOT NULL,
    create_time  BIGINT NOT NULL
);
CREATE INDEX self_service_submissions_by_address ON self_service_submissions (address_hash, create_time);
CREATE INDEX self_service_submissions_by_time ON self_service_submissions (create_time);

-- The status links in the emails a subject gets: SHA-256 (hex) of each link's random token,
-- never the token. A link works until its request is deleted or its subject purged.
CREATE TABLE status_links (
    token_hash  TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES privacy_requests (id) ON DELETE CASCADE,
    create_time BIGINT NOT NULL
);
CREATE INDEX status_links_by_request ON status_links (request_id);
