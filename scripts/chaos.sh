#!/usr/bin/env bash
# Chaos cycles (issue 14, §1): two privacyd replicas on one PostgreSQL, the SMTP sink and 20
# data sources (Go, Python and Java reference sources and fault-injecting ones) under a steady
# mix of exports and erasures, while a fault is injected each cycle (kill -9 a replica,
# restart PostgreSQL, stop SMTP for a while, a source hangs or refuses for a while); then
# every request is checked and one summary line printed. Exits non-zero on any lost request,
# double erasure, broken archive, missing email or broken audit chain.
#
#   scripts/chaos.sh [--cycles N] [--release] [other privacy-bench chaos options]
#
# The test command (scripts/test.sh) runs 10 cycles on a debug build on each archive store
# (--store file, a folder both replicas use, and --store s3, a bucket of an s3s-fs it starts,
# which needs PRIVACYD_S3S_FS_BIN as the tests do); the long form is 50:
#   scripts/chaos.sh --cycles 50 --release [--store s3]
#
# Needs the reference sources that scripts/polyglot.sh builds (it finds them in
# <target>/polyglot; or set PRIVACYD_E2E_GO_BIN_DIR, PRIVACYD_E2E_PYTHON and
# PRIVACYD_E2E_JAVA_SOURCE_JAR as polyglot.sh does), PostgreSQL, python3 with aiosmtpd, unzip
# and Java. Respects CARGO_TARGET_DIR.
set -euo pipefail

if [[ -n ${CARGO_TARGET_DIR:-} ]]; then
    CARGO_TARGET_DIR=$(realpath -m -- "$CARGO_TARGET_DIR")
    export CARGO_TARGET_DIR
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
work=$target/polyglot

profile=debug
cargo_flags=()
args=()
for arg in "$@"; do
    if [[ $arg == --release ]]; then
        profile=release
        cargo_flags+=(--release)
    else
        args+=("$arg")
    fi
done

# What polyglot.sh built, unless given: the Go binaries' folder, the venv's python (the last
# line of its python step's log), the Java source's jar (the second-to-last of its java step's).
if [[ -z ${PRIVACYD_E2E_GO_BIN_DIR:-} ]]; then
    export PRIVACYD_E2E_GO_BIN_DIR=$work/go-bin
fi
if [[ -z ${PRIVACYD_E2E_PYTHON:-} && -f $work/python.log ]]; then
    PRIVACYD_E2E_PYTHON=$(tail -n 1 "$work/python.log")
    export PRIVACYD_E2E_PYTHON
fi
if [[ -z ${PRIVACYD_E2E_JAVA_SOURCE_JAR:-} && -f $work/java.log ]]; then
    PRIVACYD_E2E_JAVA_SOURCE_JAR=$(tail -n 2 "$work/java.log" | head -n 1)
    export PRIVACYD_E2E_JAVA_SOURCE_JAR
fi
for var in PRIVACYD_E2E_GO_BIN_DIR PRIVACYD_E2E_PYTHON PRIVACYD_E2E_JAVA_SOURCE_JAR; do
    if [[ -z ${!var:-} || ! -e ${!var} ]]; then
        echo "chaos: $var is not set or missing (${!var:-unset}); run scripts/polyglot.sh first, which builds the reference sources" >&2
        exit 1
    fi
done

cargo build --quiet "${cargo_flags[@]}" --bin privacyd --bin privacy-bench
exec "$target/$profile/privacy-bench" chaos "${args[@]}"
