#!/usr/bin/env bash
# privacyd's whole test suite, from a fresh machine: installs what the tests need when it is
# missing, then runs every check. Nothing is skipped: a missing dependency that cannot be
# installed fails the run.
#
#   ./scripts/test.sh
#
# Needs: Rust, Python 3 with pip, Go, Java 17+ with Maven, and apt-get (as root, or with sudo)
# for PostgreSQL, Chromium and jq.
set -euo pipefail
cd "$(dirname "$0")/.."

GRPCURL_VERSION=v1.9.4
# 0.17 needs a newer rustc than privacyd's.
S3S_FS_VERSION=0.14.1
AXE_CORE_VERSION=4.14.1
export PATH="$PATH:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"

step() { printf '\n==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

step "System packages (PostgreSQL, MariaDB, WordPress and PHP, Chromium and its driver, jq, curl, unzip)"
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
command -v unzip >/dev/null || missing+=(unzip)
command -v openssl >/dev/null || missing+=(openssl)
# The SQL connector's tests start their own MariaDB (tests/support/mariadb.rs); no service is used.
{ [ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null; } || missing+=(mariadb-server mariadb-client)
# The WordPress comparison (tests/api/wordpress.rs) and `privacy-bench wordpress` run Debian's
# WordPress (a copy in a temporary folder) with PHP's CLI; no web server is used.
[ -f /usr/share/wordpress/wp-load.php ] || missing+=(wordpress)
command -v php >/dev/null || missing+=(php-cli)
php_modules=$(php -m 2>/dev/null || true)
for module in mysqli:php-mysql xml:php-xml mbstring:php-mbstring zip:php-zip; do
    grep -qix "${module%%:*}" <<<"$php_modules" || missing+=("${module#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "present"
fi

step "Python packages (aiosmtpd for the test SMTP server, buf for proto lint, selenium to press buttons, cryptography to verify receipts independently, jsonschema to check export.json against docs/export.schema.json independently, requests to open download links over TLS as an HTTP/1.1 client)"
if ! python3 -c 'import aiosmtpd, selenium, cryptography, jsonschema, requests' 2>/dev/null || ! command -v buf >/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check aiosmtpd buf-bin selenium==4.38.0 cryptography jsonschema requests
fi
# pip may put buf in a bin folder that is not on PATH yet.
export PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
command -v buf >/dev/null
python3 -c 'import aiosmtpd, selenium, jsonschema, requests'
echo "present"

step "grpcurl $GRPCURL_VERSION"
command -v grpcurl >/dev/null || go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
command -v grpcurl

step "s3s-fs $S3S_FS_VERSION (a real S3-compatible server, SigV4 checked, for the object-storage tests)"
# Built once and cached like the Rust build (about 11 minutes cold); the tests start their own
# on a free loopback port and find it through PRIVACYD_S3S_FS_BIN.
s3s_cache="${XDG_CACHE_HOME:-$HOME/.cache}/privacyd/s3s-fs"
if [ ! -x "$s3s_cache/bin/s3s-fs" ]; then
    cargo install --locked "s3s-fs@$S3S_FS_VERSION" --features binary --root "$s3s_cache"
fi
export PRIVACYD_S3S_FS_BIN="$s3s_cache/bin/s3s-fs"
echo "$PRIVACYD_S3S_FS_BIN"

step "axe-core $AXE_CORE_VERSION (the console's browser tests check every page against WCAG 2.1 A/AA with it)"
# Only the one file the tests inject into the page; npm (Debian's) only fetches it.
axe_cache="${XDG_CACHE_HOME:-$HOME/.cache}/privacyd/axe"
if [ ! -f "$axe_cache/node_modules/axe-core/axe.min.js" ] ||
    [ "$(jq -r .version "$axe_cache/node_modules/axe-core/package.json")" != "$AXE_CORE_VERSION" ]; then
    command -v npm >/dev/null || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; }
    npm install --silent --no-audit --no-fund --prefix "$axe_cache" "axe-core@$AXE_CORE_VERSION"
fi
export PRIVACYD_AXE_JS="$axe_cache/node_modules/axe-core/axe.min.js"
echo "$PRIVACYD_AXE_JS"

step "buf lint (STANDARD + COMMENTS)"
buf lint

step "cargo fmt --check"
cargo fmt --check

step "fuzz targets compile (cargo check; the fuzzing itself is scripts/fuzz.sh, run by hand: README, Property tests and fuzzing)"
# fuzz/ is a workspace of its own that the main build never compiles: without this its targets
# drift from the API they call unseen (they did once).
cargo check --quiet --manifest-path fuzz/Cargo.toml --bins

step "cargo test (SQLite and a throwaway PostgreSQL, a real SMTP server, Chromium, grpcurl)"
logs=${CARGO_TARGET_DIR:-target}/test-logs
mkdir -p "$logs"
cargo test --all-targets 2>&1 | tee "$logs/cargo-test.log"
# Only the polyglot end-to-end test is ignored here (it needs the clients built; polyglot.sh
# runs it next): any other ignored test fails the run.
if grep -E '^test .* \.\.\. ignored' "$logs/cargo-test.log" | grep -v 'scripts/polyglot.sh'; then
    echo "test.sh: the tests above are ignored; every test must run" >&2
    exit 1
fi
rust_counts=$(awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "rust: %d passed, %d failed, %d ignored (run by polyglot.sh)", p, f, i }' "$logs/cargo-test.log")

step "Go, Python and Java clients (gen-check, their tests) and privacyd end to end with their reference sources"
./scripts/polyglot.sh | tee "$logs/polyglot.log"

step "Chaos, short form: 10 cycles of faults (kill -9 a replica, restart PostgreSQL, stop SMTP, a source hangs or refuses) under exports and erasures, every request checked"
# Uses the reference sources polyglot.sh just built (found in <target>/polyglot). The long
# form is 50 cycles, run by hand: scripts/chaos.sh --cycles 50 --release
./scripts/chaos.sh --cycles 10 | tee "$logs/chaos.log"
grep -q '^chaos: 10 cycles, .* file store, .* lost 0, double erasures 0, ' "$logs/chaos.log"

step "Chaos, short form on S3: the same 10 cycles with the replicas sharing no disk, their spools and archives in one bucket of an s3s-fs"
./scripts/chaos.sh --cycles 10 --store s3 | tee "$logs/chaos-s3.log"
grep -q '^chaos: 10 cycles, .* S3 store, .* lost 0, double erasures 0, ' "$logs/chaos-s3.log"

step "privacy-bench smoke run (figures from a debug build mean nothing; this checks it runs)"
cargo run --quiet --bin privacy-bench -- create --seconds 1 --clients 4
cargo run --quiet --bin privacy-bench -- erase-fanout --sources 10 --latency 20ms --rounds 1
cargo run --quiet --bin privacy-bench -- wordpress --comments 1000
cargo run --quiet --bin privacy-bench -- stored-requests --requests 20000 --calls 5 --case-seconds 2 --create-seconds 1 --clients 2
# A Go client's unary call waits ~44 ms on a server socket without TCP_NODELAY (its delayed ACK
# against Nagle) and under a millisecond with it, debug build or not: so this one is a check.
cargo build --quiet --bins
cargo run --quiet --bin privacy-bench -- latency --calls 50 --max-p50-ms 20
# Whole requests against privacyd as a process of its own (built by the line above) for 30 s:
# fails on any error. 30 s is inside the soak's 1-minute warm-up, so the memory samples are
# printed but not checked here; the 10-minute release run checks them (README, Performance).
cargo run --quiet --bin privacy-bench -- soak --duration 30s
# An export through privacyd as a process of its own, on each store: it downloads the archive
# and checks it against the recorded SHA-256 (and, for items, that export.json holds each one).
cargo run --quiet --bin privacy-bench -- export --bytes 16MiB
cargo run --quiet --bin privacy-bench -- export --bytes 16MiB --store s3
cargo run --quiet --bin privacy-bench -- export --items-only --items 2000

step "Tests run, per language (none skipped)"
echo "$rust_counts"
grep -E '^(go|python|java|e2e): [0-9]+ passed' "$logs/polyglot.log"
