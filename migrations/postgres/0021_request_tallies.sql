-- CountPrivacyRequests with no filter but the action (the console's tab counts on its first
-- view, `privacyctl count`) read every request: at a million stored requests 312 / 537 ms
-- p50 / p99 on SQLite, 155 / 182 ms on PostgreSQL (issue 14, section 2). Such a count is now
-- the sum of a few rows of tallies, kept by the requests' own inserts, state changes and
-- deletes.
--
-- A tally is a signed number of requests of one action and state. Every change appends
-- rows (an insert +1, a state change -1 and +1, a delete -1) and never updates one: a
-- counter row updated in place would be a lock that every replica's creates and transitions
-- queue on until their transactions commit, and two transactions taking two such rows in
-- opposite orders would deadlock. The sweeper folds the rows into one per action and state
-- (Store::fold_request_tallies), so a count sums the rows appended since its last pass.
-- Triggers, not the store's code: every write to privacy_requests is tallied, whichever path
-- makes it (retention's deletes, the bench's loader, an operator's SQL).
--
-- The migration runs in one transaction. Replicas still on the previous version may be
-- writing: the lock (the one CREATE TRIGGER takes, taken first) holds their writes until the
-- commit, so the first tallies count exactly the rows the triggers start after.
LOCK TABLE privacy_requests IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE privacy_request_tallies (
    action TEXT NOT NULL,
    state  TEXT NOT NULL,
    n      BIGINT NOT NULL
);

-- Inserts and deletes once per statement, from its transition table: a statement that writes
-- many requests (retention's batch, the loader's million) appends one row per action and
-- state, not one per request.
CREATE FUNCTION privacy_requests_tally_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO privacy_request_tallies (action, state, n)
            SELECT action, state, COUNT(*) FROM tallied_rows GROUP BY action, state;
    ELSE
        INSERT INTO privacy_request_tallies (action, state, n)
            SELECT action, state, -COUNT(*) FROM tallied_rows GROUP BY action, state;
    END IF;
    RETURN NULL;
END $$;

-- State changes per row, and only when the state or action changed: an UPDATE trigger with
-- a transition table may not name its columns, and would run for every update of a request
-- (each source's progress, each touch of update_time).
CREATE FUNCTION privacy_requests_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO privacy_request_tallies (action, state, n)
        VALUES (OLD.action, OLD.state, -1), (NEW.action, NEW.state, 1);
    RETURN NULL;
END $$;

INSERT INTO privacy_request_tallies (action, state, n)
    SELECT action, state, COUNT(*) FROM privacy_requests GROUP BY action, state;

CREATE TRIGGER privacy_requests_tally_insert AFTER INSERT ON privacy_requests
    REFERENCING NEW TABLE AS tallied_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacy_requests_tally_statement();
CREATE TRIGGER privacy_requests_tally_delete AFTER DELETE ON privacy_requests
    REFERENCING OLD TABLE AS tallied_rows
    FOR EACH STATEMENT EXECUTE FUNCTION privacy_requests_tally_statement();
CREATE TRIGGER privacy_requests_tally_update AFTER UPDATE OF action, state ON privacy_requests
    FOR EACH ROW WHEN (OLD.action IS DISTINCT FROM NEW.action OR OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION privacy_requests_tally_change();
