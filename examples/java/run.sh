#!/usr/bin/env bash
# Runs the producer or the consumer: examples/java/run.sh producer|consumer
# Builds with Maven first (stubs generated from proto/ into target/; later runs
# are incremental and offline once ~/.m2 has the dependencies).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
main="${1:?usage: run.sh producer|consumer}"
(cd "$here" && mvn -q -B -Dstyle.color=never -o compile 2>/dev/null || mvn -q -B -Dstyle.color=never compile) >&2
exec java -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" "example.${main^}"
