#!/usr/bin/env bash
# Builds Toxiproxy's server (a TCP fault proxy, driven over its HTTP API) from
# the Go module proxy into .cache/toxiproxy/<version>/, once. The fault suite
# (test/faults) puts it between a gateway and Kafka / Redis, and between a
# client and a gateway, to cut and restore connections for real.
# Prints the binary's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${TOXIPROXY_VERSION:-v2.5.0}"
DIR="$PWD/.cache/toxiproxy/$VERSION"
BIN="$DIR/toxiproxy-server"

if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null 2>&1 || [ ! -x /usr/local/go/bin/go ] || PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || { echo "Go (1.21+) is required to build Toxiproxy for the fault suite" >&2; exit 1; }

mkdir -p "$DIR"
echo "building toxiproxy $VERSION with go install" >&2
GOBIN="$DIR" go install "github.com/Shopify/toxiproxy/v2/cmd/server@$VERSION" >&2
mv "$DIR/server" "$BIN"
echo "$BIN"
