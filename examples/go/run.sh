#!/usr/bin/env bash
# Runs the producer or the consumer: examples/go/run.sh producer|consumer
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
main="${1:?usage: run.sh producer|consumer}"
"$here/generate.sh"
cd "$here" && go build -o "bin/$main" "./cmd/$main"
exec "$here/bin/$main"
