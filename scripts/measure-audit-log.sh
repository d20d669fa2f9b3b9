#!/usr/bin/env bash
# Measures whether the audit log's B-tree indexes are enough at production volume, so that
# README's "In production" section can say so with numbers rather than a guess (issue 11,
# section 4: partition by month, or show that an index is enough).
#
#   ./scripts/measure-audit-log.sh [ROWS]      # default 25000000: one month at 50,000
#                                              # requests x 500 sources
#
# Starts a throwaway PostgreSQL cluster (Debian's binaries, a temporary folder, loopback only),
# creates audit_events exactly as migrations 0001 and 0008 do, loads ROWS events shaped like
# privacyd's (about 500 events per request, a few registry events), then prints EXPLAIN
# ANALYZE of every query privacyd runs on the table, each through a prepared statement
# executed enough times for PostgreSQL to settle on its cached plan (as sqlx's are). The
# cluster is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${1:-25000000}
EVENTS_PER_REQUEST=500
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/privacyd-audit-measure.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    as_pg=(runuser -u postgres --)
fi
cleanup() {
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=256MB -c max_wal_size=4GB" \
    start >/dev/null
psql() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

# The table, its indexes and its append-only trigger, as the migrations create them.
psql <<'SQL'
CREATE TABLE audit_events (
    sequence    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
ALTER TABLE audit_events ADD COLUMN data_source TEXT;
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
SQL

echo "loading $ROWS events ($EVENTS_PER_REQUEST per request)..."
start=$(date +%s)
# Request ids are UUIDs in text form, as privacyd writes them; each request's events are
# spread over its lifetime, interleaved with other requests' (the sequence is global), and one
# event in 10,000 is a registry event (empty request_id, a data_source).
psql -v rows="$ROWS" -v per="$EVENTS_PER_REQUEST" <<'SQL'
INSERT INTO audit_events (request_id, time, actor_kind, actor_id, type, from_state, to_state, detail, email_kind, data_source)
SELECT CASE WHEN g % 10000 = 0 THEN '' ELSE md5(((g * 7919) % (:rows / :per))::text)::uuid::text END,
       1767225600000000 + g * 100000,
       'SYSTEM', 'executor',
       CASE WHEN g % 10000 = 0 THEN 'DATA_SOURCE_UPDATED' ELSE 'SOURCE_SUCCEEDED' END,
       NULL, NULL,
       'data source "source-' || (g % 500) || '" succeeded: 12 items, 3 files, 48213 bytes',
       NULL,
       CASE WHEN g % 10000 = 0 THEN 'source-' || (g % 500) END
FROM generate_series(1::bigint, :rows) AS g;
SQL
load=$(( $(date +%s) - start ))
start=$(date +%s)
psql <<'SQL'
CREATE INDEX audit_events_by_request ON audit_events (request_id, sequence);
CREATE INDEX audit_events_by_data_source ON audit_events (data_source, sequence);
VACUUM ANALYZE audit_events;
SQL
index=$(( $(date +%s) - start ))
echo "loaded in ${load}s, indexed and analysed in ${index}s"
psql -c "SELECT pg_size_pretty(pg_relation_size('audit_events')) AS table_size,
                pg_size_pretty(pg_relation_size('audit_events_by_request')) AS by_request_index,
                pg_size_pretty(pg_relation_size('audit_events_pkey')) AS pkey_index"
psql -c "CREATE EXTENSION IF NOT EXISTS pageinspect" >/dev/null 2>&1 &&
    psql -c "SELECT 'audit_events_by_request' AS index, level AS btree_levels_above_leaves FROM bt_metap('audit_events_by_request')"

# A request from the middle of the load, and where a listing resumes.
request=$(psql -At -c "SELECT request_id FROM audit_events WHERE sequence = $((ROWS / 2 + 1))")
# Every query privacyd runs on audit_events (src/store/audit.rs, src/store/watch.rs), with the
# parameters it binds; executed 6 times before EXPLAIN so that the plan shown is the one a
# long-lived prepared statement uses.
psql <<SQL
PREPARE by_request(text, bigint, bigint) AS
  SELECT sequence, request_id, time, actor_kind, actor_id, type, from_state, to_state, detail, email_kind
  FROM audit_events WHERE (\$1::text IS NULL OR request_id = \$1) AND data_source IS NULL AND sequence > \$2
  ORDER BY sequence LIMIT \$3;
PREPARE last_sequence(text) AS SELECT MAX(sequence) FROM audit_events WHERE request_id = \$1;
PREPARE registry(text, bigint, bigint) AS
  SELECT sequence, data_source, time, actor_kind, actor_id, type, detail FROM audit_events
  WHERE data_source IS NOT NULL AND (\$1::text IS NULL OR data_source = \$1) AND sequence > \$2
  ORDER BY sequence LIMIT \$3;
\o /dev/null
$(for _ in 1 2 3 4 5 6; do
    echo "EXECUTE by_request('$request', 0, 1000);"
    echo "EXECUTE by_request(NULL, $((ROWS / 2)), 100);"
    echo "EXECUTE last_sequence('$request');"
    echo "EXECUTE registry('source-7', 0, 100);"
    echo "EXECUTE registry(NULL, 0, 100);"
done)
\o
\echo '--- one request''s history (GetAuditEvents, receipts, watches)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_request('$request', 0, 1000);
\echo '--- the whole log, one page from the middle (ListAuditEvents without a request)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_request(NULL, $((ROWS / 2)), 100);
\echo '--- a request''s newest event (watch start)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE last_sequence('$request');
\echo '--- one data source''s registry history'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE registry('source-7', 0, 100);
\echo '--- the registry history'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE registry(NULL, 0, 100);
\echo '--- watches of 50 requests at once (src/store/watch.rs)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT sequence, request_id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY sequence) AS nth
  FROM audit_events WHERE $(psql -At -c "SELECT string_agg(format('(request_id = %L AND sequence > 0)', request_id), ' OR ')
      FROM (SELECT DISTINCT request_id FROM audit_events WHERE sequence BETWEEN $((ROWS / 3)) AND $((ROWS / 3 + 200)) AND request_id <> '' LIMIT 50) r")) AS pending
  WHERE nth <= 100 ORDER BY sequence;
SQL
