-- A search in subject addresses (ListPrivacyRequests' and CountPrivacyRequests'
-- `subject_email_search`, the console's search box) that matches few of a million stored
-- requests (issue 14, section 2). `subject_email_key LIKE '%...%'` can use no B-tree index, so
-- SQLite found such requests by walking an index in the list's order and testing every row:
-- half a second at a million requests for a search that matches one. FTS5's trigram tokenizer
-- (SQLite 3.34+, in the bundled build) indexes every three-character sequence of each address,
-- and a GLOB of three characters or more is answered from it. PostgreSQL has the same from
-- pg_trgm (migration 0019). store/requests/listing.rs chooses per search: the trigram index
-- when it finds few requests, the walk in order when many match (a page is found early).
--
-- The index is kept on a table of its own, whose INTEGER PRIMARY KEY is the index's rowid: an
-- external-content FTS5 table must name rows by a stable integer, and privacy_requests'
-- implicit rowid is not stable (VACUUM may renumber a table without an INTEGER PRIMARY KEY).
CREATE TABLE privacy_request_email_keys (
    n                 INTEGER PRIMARY KEY,
    request_id        TEXT NOT NULL UNIQUE,
    subject_email_key TEXT NOT NULL
);

-- detail=column: no positions are kept (a GLOB's candidates are checked against the address
-- itself, so matches stay exact). Not detail=none, which would be as small with one column:
-- with it, SQLite 3.51's secure-delete (below) lost rows from the index after updates
-- (tests/api/stored_requests.rs found a third of the matches missing). case_sensitive 1: keys and searches are
-- both lower-cased already (domain::subject, domain::listing), and a case-sensitive index is
-- the one GLOB can use.
CREATE VIRTUAL TABLE privacy_requests_email_trigrams USING fts5(
    subject_email_key,
    content = 'privacy_request_email_keys',
    content_rowid = 'n',
    tokenize = 'trigram case_sensitive 1',
    detail = 'column'
);

-- secure-delete: a deleted address's trigrams leave the index at once rather than at the
-- index's next merge, as SQLite's secure_delete (store/mod.rs) does for the tables' rows: an
-- erased or retention-deleted request leaves no trace of its address.
INSERT INTO privacy_requests_email_trigrams (privacy_requests_email_trigrams, rank) VALUES ('secure-delete', 1);

INSERT INTO privacy_request_email_keys (request_id, subject_email_key)
    SELECT id, subject_email_key FROM privacy_requests;
INSERT INTO privacy_requests_email_trigrams (privacy_requests_email_trigrams) VALUES ('rebuild');

CREATE TRIGGER privacy_request_email_keys_on_insert AFTER INSERT ON privacy_requests BEGIN
    INSERT INTO privacy_request_email_keys (request_id, subject_email_key) VALUES (new.id, new.subject_email_key);
END;
CREATE TRIGGER privacy_request_email_keys_on_update AFTER UPDATE OF subject_email_key ON privacy_requests BEGIN
    UPDATE privacy_request_email_keys SET subject_email_key = new.subject_email_key WHERE request_id = old.id;
END;
CREATE TRIGGER privacy_request_email_keys_on_delete AFTER DELETE ON privacy_requests BEGIN
    DELETE FROM privacy_request_email_keys WHERE request_id = old.id;
END;

CREATE TRIGGER privacy_requests_email_trigrams_on_insert AFTER INSERT ON privacy_request_email_keys BEGIN
    INSERT INTO privacy_requests_email_trigrams (rowid, subject_email_key) VALUES (new.n, new.subject_email_key);
END;
CREATE TRIGGER privacy_requests_email_trigrams_on_update AFTER UPDATE ON privacy_request_email_keys BEGIN
    INSERT INTO privacy_requests_email_trigrams (privacy_requests_email_trigrams, rowid, subject_email_key)
        VALUES ('delete', old.n, old.subject_email_key);
    INSERT INTO privacy_requests_email_trigrams (rowid, subject_email_key) VALUES (new.n, new.subject_email_key);
END;
CREATE TRIGGER privacy_requests_email_trigrams_on_delete AFTER DELETE ON privacy_request_email_keys BEGIN
    INSERT INTO privacy_requests_email_trigrams (privacy_requests_email_trigrams, rowid, subject_email_key)
        VALUES ('delete', old.n, old.subject_email_key);
END;
