#!/usr/bin/env bash
# Regenerates the Go, Python and Java clients in clients/ from proto/ (the one source of
# truth), each with its own pinned generator. With --check, changes nothing and fails, listing
# the files, when the committed code has drifted from the protos (the test command runs this
# through each client's ci.sh).
#
#   ./scripts/gen-clients.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
for lang in go python java; do
    printf '==> clients/%s\n' "$lang"
    "clients/$lang/generate.sh" "$@" || status=1
done
exit "$status"
