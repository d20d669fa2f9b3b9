-- CountPrivacyRequests with no filter but the action (the console's tab counts on its first
-- view, `privacyctl count`) read every request: at a million stored requests 312 / 537 ms
-- p50 / p99 on SQLite, 155 / 182 ms on PostgreSQL (issue 14, section 2). Such a count is now
-- the sum of a few rows of tallies, kept by the requests' own inserts, state changes and
-- deletes.
--
-- A tally is a signed number of requests of one action and state. Every change appends
-- rows (an insert +1, a state change -1 and +1, a delete -1) and never updates one: a
-- counter row updated in place would be a lock that every replica's creates and transitions
-- queue on until their transactions commit (and on PostgreSQL, two transactions taking two
-- such rows in opposite orders deadlock). The sweeper folds the rows into one per action and
-- state (Store::fold_request_tallies), so a count sums the rows appended since its last pass.
-- Triggers, not the store's code: every write to privacy_requests is tallied, whichever path
-- makes it (retention's deletes, the bench's loader, an operator's SQL).
CREATE TABLE privacy_request_tallies (
    action TEXT NOT NULL,
    state  TEXT NOT NULL,
    n      INTEGER NOT NULL
);

INSERT INTO privacy_request_tallies (action, state, n)
    SELECT action, state, COUNT(*) FROM privacy_requests GROUP BY action, state;

CREATE TRIGGER privacy_requests_tally_insert AFTER INSERT ON privacy_requests BEGIN
    INSERT INTO privacy_request_tallies (action, state, n) VALUES (new.action, new.state, 1);
END;
CREATE TRIGGER privacy_requests_tally_update AFTER UPDATE OF action, state ON privacy_requests
    WHEN old.action IS NOT new.action OR old.state IS NOT new.state BEGIN
    INSERT INTO privacy_request_tallies (action, state, n) VALUES (old.action, old.state, -1), (new.action, new.state, 1);
END;
CREATE TRIGGER privacy_requests_tally_delete AFTER DELETE ON privacy_requests BEGIN
    INSERT INTO privacy_request_tallies (action, state, n) VALUES (old.action, old.state, -1);
END;
