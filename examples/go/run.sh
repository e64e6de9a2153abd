#!/usr/bin/env bash
# Runs the producer or the consumer: examples/go/run.sh producer|consumer
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
main="${1:?usage: run.sh producer|consumer|build}"
"$here/generate.sh"
cd "$here" && go build -o bin/ ./cmd/...
[[ "$main" == build ]] && exit 0
exec "$here/bin/$main"
