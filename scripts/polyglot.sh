#!/usr/bin/env bash
# The polyglot end-to-end test (issue #5): builds the Go, Python and Java clients with their own
# ci.sh (each runs its gen-check, linters and unit tests), then runs tests/polyglot.rs against
# what they built: the real privacyd and privacyctl with the three reference data sources and
# the three admin examples.
#
#   scripts/polyglot.sh
#
# Quiet on success: one line per step with its time. On a failure it prints that step's whole
# output and exits 1; every step's output stays in <target>/polyglot/*.log.
#
# Needs Rust, and what the clients' ci.sh need: Go (go.mod's version or newer), Python 3.11 with
# pip, Java 17+ with Maven 3.8+, curl, and network access on a first run (their tools and
# dependencies are cached in ${PRIVACYD_CACHE:-~/.cache/privacyd}, ~/.m2 and Go's module cache).
# Respects CARGO_TARGET_DIR; the Go binaries go to <target>/polyglot/go-bin.
set -euo pipefail

# Made absolute before changing folder, so that a relative one means what it meant to the caller.
if [[ -n ${CARGO_TARGET_DIR:-} ]]; then
    CARGO_TARGET_DIR=$(realpath -m -- "$CARGO_TARGET_DIR")
    export CARGO_TARGET_DIR
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
work=${CARGO_TARGET_DIR:-$root/target}/polyglot
mkdir -p "$work"

# Microseconds since the epoch (EPOCHREALTIME's separator follows the locale).
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
since() {
    local us=$(($(now_us) - $1))
    printf '%d.%ds' $((us / 1000000)) $((us % 1000000 / 100000))
}

# step NAME LOG COMMAND...: runs COMMAND with its output in LOG and prints NAME and its time;
# if it fails, prints LOG and stops.
step() {
    local name=$1 log=$2 started
    shift 2
    started=$(now_us)
    if ! "$@" >"$log" 2>&1; then
        printf 'polyglot: %s failed after %s: %s\n' "$name" "$(since "$started")" "$*" >&2
        cat "$log" >&2
        printf 'polyglot: %s failed; its output is above and in %s\n' "$name" "$log" >&2
        exit 1
    fi
    printf '%-8s %s\n' "$name" "$(since "$started")"
}

# counted LANG LOG: prints the count line ("LANG: N passed, ...") that LANG's ci.sh wrote in LOG,
# so that each language's count shows in the suite's output, not only in its log.
counted() {
    if ! grep -m1 "^$1: [0-9]* passed" "$2"; then
        printf 'polyglot: %s ci.sh printed no test count; see %s\n' "$1" "$2" >&2
        exit 1
    fi
}

# must_exist VAR: the artefact VAR names exists, or the client's ci.sh did not say what it built.
must_exist() {
    if [[ ! -f ${!1} ]]; then
        printf 'polyglot: %s=%q is not a file; see %s\n' "$1" "${!1}" "$work" >&2
        exit 1
    fi
}

step go "$work/go.log" clients/go/ci.sh "$work/go-bin"
counted go "$work/go.log"
export PRIVACYD_E2E_GO_BIN_DIR=$work/go-bin
go_source=$PRIVACYD_E2E_GO_BIN_DIR/reference-datasource
go_example=$PRIVACYD_E2E_GO_BIN_DIR/admin-export
must_exist go_source
must_exist go_example

# The Python admin example's tests run against the real privacyd (none may skip).
step privacyd "$work/privacyd.log" cargo build --bin privacyd
PRIVACYD_BIN=${CARGO_TARGET_DIR:-$root/target}/debug/privacyd
export PRIVACYD_BIN
must_exist PRIVACYD_BIN

# The last line ci.sh prints is the venv's python; the reference source's script is beside it.
step python "$work/python.log" clients/python/ci.sh
counted python "$work/python.log"
PRIVACYD_E2E_PYTHON=$(tail -n 1 "$work/python.log")
export PRIVACYD_E2E_PYTHON
python_source=$(dirname "$PRIVACYD_E2E_PYTHON")/reference-datasource
must_exist PRIVACYD_E2E_PYTHON
must_exist python_source

# The last two lines ci.sh prints are the reference source's jar and the admin example's.
step java "$work/java.log" clients/java/ci.sh
counted java "$work/java.log"
PRIVACYD_E2E_JAVA_SOURCE_JAR=$(tail -n 2 "$work/java.log" | head -n 1)
PRIVACYD_E2E_JAVA_EXAMPLE_JAR=$(tail -n 1 "$work/java.log")
export PRIVACYD_E2E_JAVA_SOURCE_JAR PRIVACYD_E2E_JAVA_EXAMPLE_JAR
must_exist PRIVACYD_E2E_JAVA_SOURCE_JAR
must_exist PRIVACYD_E2E_JAVA_EXAMPLE_JAR

# Built first on its own, so that the end-to-end time is the test's and not the compiler's.
step rust "$work/rust.log" cargo test --test polyglot --no-run
step e2e "$work/e2e.log" cargo test --test polyglot -- --include-ignored --nocapture
# A test that was renamed away or filtered out would pass having run nothing.
if ! grep -q '^test result: ok\. 1 passed' "$work/e2e.log"; then
    cat "$work/e2e.log" >&2
    echo "polyglot: the end-to-end test did not run (no '1 passed')" >&2
    exit 1
fi
echo "e2e: $(sed -n 's/^test result: ok\. \([0-9]* passed\); \([0-9]* failed\).*/\1, \2/p' "$work/e2e.log" | head -1)"
grep -o '^polyglot end to end: .*' "$work/e2e.log" || true
