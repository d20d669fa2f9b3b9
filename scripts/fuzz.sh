#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, through cargo-fuzz) of one target of fuzz/ for a time, or
# of every target in turn. Prints libFuzzer's count of runs, and exits 1 on a crash, whose
# input libFuzzer keeps in fuzz/artifacts/TARGET/ (replay it: scripts/fuzz.sh TARGET FILE).
#
#   ./scripts/fuzz.sh TARGET SECONDS
#   ./scripts/fuzz.sh all SECONDS            # each target for SECONDS
#   ./scripts/fuzz.sh TARGET CRASH-FILE      # replays one input
#
# On a stable toolchain: cargo-fuzz passes nightly's -Z flags, which RUSTC_BOOTSTRAP=1 lets a
# stable rustc take, and `--sanitizer none` leaves out AddressSanitizer (Rust's safe code
# needs none; libFuzzer's coverage instrumentation is what finds the inputs). The corpus grows
# in fuzz/corpus/TARGET/ (not committed). Needs `cargo install cargo-fuzz` and a C++ compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz.sh TARGET|all SECONDS|CRASH-FILE}
what=${2:?usage: fuzz.sh TARGET|all SECONDS|CRASH-FILE}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
fuzz=(cargo fuzz run --sanitizer none --target-dir "${CARGO_TARGET_DIR:-fuzz/target}")

if [ "$target" = all ]; then
    for t in $(cargo fuzz list); do "$0" "$t" "$what"; done
    exit 0
fi
if [ -f "$what" ]; then
    exec "${fuzz[@]}" "$target" "$what"
fi
mkdir -p "fuzz/corpus/$target"
log=$(mktemp)
status=0
"${fuzz[@]}" "$target" -- -max_total_time="$what" -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tee "$log" | grep -E '^(Done|==|SUMMARY|stat::number_of_executed_units|INFO: Running)' || status=$?
runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log")
crashes=$(ls "fuzz/artifacts/$target" 2>/dev/null | wc -l)
echo "fuzz.sh: $target: ${runs:-no summary (crashed?)}, corpus $(ls "fuzz/corpus/$target" | wc -l) inputs, $crashes crash file(s)"
grep -q '^Done' "$log" && [ "$crashes" = 0 ]
