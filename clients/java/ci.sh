#!/usr/bin/env bash
# CI for the Java clients: the committed generated code matches proto/, everything builds and
# every test passes. Prints a test summary and the paths of the two runnable jars.
#
# Needs Java 17+, Maven 3.8+, curl and network access to Maven Central (downloads are cached
# in ~/.m2 and ${PRIVACYD_CACHE:-$HOME/.cache/privacyd}).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

"$here/generate.sh" --check

# From here, so that Maven reads .mvn/jvm.config. Old reports would be counted below.
cd "$here"
rm -rf ./*/target/surefire-reports
status=0
# Debian's Maven writes colour-reset codes even in batch mode; they are stripped so that logs
# stay readable.
mvn -B -q -ntp package 2>&1 | sed 's/\x1b\[[0-9;]*m//g' || status=$?

tests=0 failed=0 skipped=0
for report in ./*/target/surefire-reports/TEST-*.xml; do
  [[ -f $report ]] || continue
  suite=$(grep -m1 -o '<testsuite [^>]*>' "$report")
  count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$suite"; }
  tests=$((tests + $(count tests)))
  failed=$((failed + $(count failures) + $(count errors)))
  skipped=$((skipped + $(count skipped)))
done
echo "java: $((tests - failed - skipped)) passed, $failed failed, $skipped skipped"
if ((status != 0)); then
  exit "$status"
fi
if ((tests == 0)); then
  echo "ci.sh: no test ran" >&2
  exit 1
fi
if ((skipped > 0)); then
  echo "ci.sh: $skipped tests were skipped; every test must run" >&2
  exit 1
fi

echo "$here/reference-datasource/target/reference-datasource.jar"
echo "$here/examples/target/admin-export.jar"
