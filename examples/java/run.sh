#!/usr/bin/env bash
# Runs the producer or the consumer: examples/java/run.sh producer|consumer
# Builds with Maven first (stubs generated from proto/ into target/; later runs
# are incremental and offline once ~/.m2 has the dependencies).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
main="${1:?usage: run.sh producer|consumer|build}"
# Maven only when a source, the pom or the proto changed since the last build.
if [[ ! -f "$here/target/classpath.txt" ]] || [[ -n "$(find "$here/src" "$here/pom.xml" "$here/../../proto" -newer "$here/target/classpath.txt" -type f | head -1)" ]]; then
  (cd "$here" && { mvn -q -B -Dstyle.color=never -o compile 2>/dev/null || mvn -q -B -Dstyle.color=never compile; }) >&2
  touch "$here/target/classpath.txt"
fi
[[ "$main" == build ]] && exit 0
exec java -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" "example.${main^}"
