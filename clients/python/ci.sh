#!/usr/bin/env bash
# CI for clients/python: installs privacyd-client and the reference data source into a venv
# (non-editable, as users install them), checks that the generated code matches proto/, lints,
# type-checks and runs the tests. Needs only Python 3.11 and access to PyPI.
#
# The venv is ${PRIVACYD_CACHE:-$HOME/.cache/privacyd}/venv-clients, created on first use and
# rebuilt whenever the pinned versions change. The last line printed is that venv's python, so
# other scripts can run the reference source or the examples with it:
#
#   py=$(clients/python/ci.sh | tail -1)
#   "$py" -m reference_datasource --seed jane@example.com
#
# PRIVACYD_BIN must name a privacyd binary: the admin example's tests run against the real
# server, and a skipped test fails the run (scripts/polyglot.sh builds one and sets it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${PRIVACYD_CACHE:-$HOME/.cache/privacyd}
venv=$cache/venv-clients
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
pip_version=26.3 # --build-constraint needs pip 25.3 or later

step() { echo "--- clients/python: $*" >&2; }

# Keep the tools' caches and bytecode out of the work tree.
export PYTHONDONTWRITEBYTECODE=1
export MYPY_CACHE_DIR=$cache/clients-python/mypy
export RUFF_CACHE_DIR=$cache/clients-python/ruff

step "venv $venv"
mkdir -p "$cache"
exec 9>"$cache/venv-clients.lock"
flock 9 # one run at a time may change the venv
stamp=$(cat "$here/constraints.txt" "$here/build-constraints.txt" <(echo "pip $pip_version") \
  <("$python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$venv/.pins-sha256" 2>/dev/null || true)" != "$stamp" ]]; then
  # Rebuilt rather than upgraded in place, so no package from an older pin lingers.
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pip==$pip_version"
  echo "$stamp" >"$venv/.pins-sha256"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

step "pip install (non-editable) privacyd-client and the reference source, pinned"
# pip rebuilds and reinstalls local folders on every run, so the venv always holds the
# current tree. Versions come from constraints.txt; the wheel build's from
# build-constraints.txt.
"${pip[@]}" install --quiet \
  --constraint "$here/constraints.txt" --build-constraint "$here/build-constraints.txt" \
  "$here[examples]" "$here/examples/reference_datasource[test]" \
  mypy grpc-stubs types-protobuf ruff
"${pip[@]}" check >&2

step "generate.sh --check"
"$here/generate.sh" --check >&2

cd "$here"
step "ruff"
"$venv/bin/ruff" check --quiet . >&2
"$venv/bin/ruff" format --check --quiet . >&2
step "mypy"
"$venv/bin/python" -m mypy >&2
step "pytest"
# Counted from a JUnit report; nothing may skip (the tests against the real server need
# PRIVACYD_BIN, which scripts/polyglot.sh sets).
report=$cache/clients-python/pytest.xml
mkdir -p "$(dirname "$report")"
status=0
"$venv/bin/python" -m pytest -p no:cacheprovider -rs --junitxml="$report" >&2 || status=$?
read -r passed failed skipped < <("$venv/bin/python" - "$report" <<'PY'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
count = lambda key: sum(int(s.get(key, 0)) for s in suites)
tests, failed, skipped = count("tests"), count("failures") + count("errors"), count("skipped")
print(tests - failed - skipped, failed, skipped)
PY
)
echo "python: $passed passed, $failed failed, $skipped skipped" >&2
((status == 0)) || exit "$status"
if ((passed == 0 || skipped > 0)); then
  echo "ci.sh: every Python test must run, and none may skip (set PRIVACYD_BIN to a privacyd binary)" >&2
  exit 1
fi

echo "$venv/bin/python"
