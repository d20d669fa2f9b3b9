#!/usr/bin/env bash
# Every property test of the crate (the `props` modules: parsers and validators a stranger can
# reach), each with a large case count, in a release build: the long form of what `cargo test`
# runs with a few hundred cases each. Prints one line per property: cases, seconds, result.
#
#   ./scripts/props.sh [CASES] [FILTER]      # defaults: 1000000, every `props::` test
#
# PROPTEST_CASES sets every block's count (src/testing/proptest_cases.rs). A failure prints
# proptest's minimal failing input; the run goes on with the next property and exits 1 at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-1000000}
filter=${2:-props::}

binary=$(cargo test --release --lib --no-run --message-format=json 2>/dev/null |
    jq -r 'select(.reason == "compiler-artifact" and .profile.test == true and .target.kind == ["lib"]) | .executable')
[ -x "$binary" ] || { echo "props.sh: no test binary built" >&2; exit 1; }

mapfile -t tests < <("$binary" --list "$filter" 2>/dev/null | sed -n 's/: test$//p')
[ ${#tests[@]} -gt 0 ] || { echo "props.sh: no test matches $filter" >&2; exit 1; }
echo "props.sh: ${#tests[@]} properties, $cases cases each, $(nproc) cores, $(date -u +%FT%TZ)"

failed=0
total_start=$(date +%s.%N)
for test in "${tests[@]}"; do
    start=$(date +%s.%N)
    if PROPTEST_CASES=$cases "$binary" --exact "$test" --test-threads 1 >/tmp/props-$$.log 2>&1; then
        result=ok
    else
        result=FAILED
        failed=$((failed + 1))
        sed -n '/panicked\|minimal failing input\|Test failed/p' /tmp/props-$$.log | head -5
    fi
    printf '%-80s %9d cases %8.1f s  %s\n' "$test" "$cases" "$(echo "$(date +%s.%N) - $start" | bc)" "$result"
done
rm -f /tmp/props-$$.log
printf 'props.sh: %d properties, %d failed, %.0f s in all\n' "${#tests[@]}" "$failed" "$(echo "$(date +%s.%N) - $total_start" | bc)"
[ "$failed" = 0 ]
