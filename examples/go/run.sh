#!/usr/bin/env bash
# Runs the producer or the consumer: examples/go/run.sh producer|consumer
# (or publish-load, the benchmark's unary load; build: build only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
main="${1:?usage: run.sh producer|consumer|publish-load|build}"
# One build at a time (the test suite and the benchmark may build at once); the lock is not held while running.
(
  flock 9
  "$here/generate.sh"
  cd "$here" && go build -o bin/ ./cmd/...
) 9>"$here/.build.lock"
[[ "$main" == build ]] && exit 0
exec "$here/bin/$main"
