#!/usr/bin/env bash
# The Go client's CI: generated code up to date with proto/, formatting, go.mod tidy, vet,
# tests, and the binaries built into an output folder.
#
#   clients/go/ci.sh [OUT_DIR]      (OUT_DIR defaults to clients/go/bin)
#
# Needs Go (go.mod's version or newer) and Python 3 with pip; everything else comes from the
# Go module proxy and PyPI (see generate.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/bin}
mkdir -p "$out"
out=$(cd "$out" && pwd) # absolute before we change folder
cd "$here"

# No cgo anywhere: the SQLite driver is pure Go, and this proves the binaries build and the
# tests pass on a machine without a C compiler.
export CGO_ENABLED=0
# The binaries need no version-control stamp, and stamping fails in some CI checkouts (git
# refusing a folder owned by another user, or no git at all).
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

# Each step prints how long the previous one took, so slow steps show in CI's log.
SECONDS=0
step() {
    [ -z "${current:-}" ] || printf '    (%s: %ss)\n' "$current" "$SECONDS"
    current=$*
    SECONDS=0
    printf '\n==> %s\n' "$*"
}

step "generated code matches proto/"
./generate.sh --check

step "gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
    echo "not gofmt-ed:" >&2
    echo "$unformatted" >&2
    exit 1
fi

step "go.mod and go.sum are tidy"
go mod tidy -diff

step "go vet"
go vet ./...

step "go test"
# -v, so that passes and skips can be counted (tests and subtests alike); nothing may skip.
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
go test -v ./... >"$report" 2>&1 || status=$?
count() { grep -cE -- "^ *--- $1:" "$report" || true; }
passed=$(count PASS) failed=$(count FAIL) skipped=$(count SKIP)
if ((status != 0 || skipped > 0)); then
    cat "$report"
fi
echo "go: $passed passed, $failed failed, $skipped skipped"
((status == 0)) || exit "$status"
if ((passed == 0 || skipped > 0)); then
    echo "ci.sh: every Go test must run, and none may skip" >&2
    exit 1
fi

step "build into $out"
go build -o "$out/" ./cmd/reference-datasource ./cmd/latency ./examples/admin-export
ls -l "$out/reference-datasource" "$out/latency" "$out/admin-export"
step "done"
