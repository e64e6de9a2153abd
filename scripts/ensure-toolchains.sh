#!/usr/bin/env bash
# Installs, idempotently, what the grpcurl check and the Python / Go / Java
# examples need, each from its own registry, pinned:
#   protoc                          Debian's protobuf-compiler
#   grpcurl, protoc-gen-go(-grpc)   built from the Go module proxy into $(go env GOPATH)/bin
#   Python venv with grpcio(-tools) examples/python/.venv (pip's cache makes a rerun fast)
#   Maven dependencies              ~/.m2 (examples/java: `mvn -q -o` works after this)
# Re-running skips what is already there at the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."

GRPCURL_VERSION=v1.9.4
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

have_go_tool() { # name module version
  local bin
  bin="$(go env GOPATH)/bin/$1"
  [[ -x "$bin" ]] && go version -m "$bin" 2>/dev/null | grep -q "	$2	$3"
}
go_tool() { # name package module version
  if have_go_tool "$1" "$3" "$4"; then echo "$1 $4 present"; return; fi
  echo "building $1 $4 from the Go module proxy"
  go install "$2@$4"
}

command -v go >/dev/null || { echo "go is required (Go 1.22+)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is required (3.9+)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "maven is required" >&2; exit 1; }

if ! command -v protoc >/dev/null; then
  echo "installing Debian's protobuf-compiler"
  apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null
fi
echo "protoc present: $(protoc --version)"

go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl github.com/fullstorydev/grpcurl "$GRPCURL_VERSION"
go_tool protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/protobuf "$PROTOC_GEN_GO_VERSION"
go_tool protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"

# Python: a venv of the example's own, installed from its requirements file.
venv=examples/python/.venv
if [[ -f examples/python/requirements.txt ]]; then
  if [[ ! -x "$venv/bin/python" ]] || ! cmp -s examples/python/requirements.txt "$venv/requirements.installed"; then
    echo "creating $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r examples/python/requirements.txt
    cp examples/python/requirements.txt "$venv/requirements.installed"
  else
    echo "$venv present"
  fi
fi

# Go: the example's modules into the module cache, its binary into the build cache.
if [[ -f examples/go/go.mod ]]; then
  (cd examples/go && go mod download)
  echo "Go example modules present"
fi

# Java: plugins and dependencies into ~/.m2, then one build, so the test builds
# offline. go-offline does not fetch the protoc and grpc-java plugin binaries
# (their classifier is detected at build time), so the build does; Maven
# Central here sometimes refuses a request it serves a minute later, hence the retries.
if [[ -f examples/java/pom.xml ]]; then
  for attempt in 1 2 3; do
    if (cd examples/java && mvn -q -B dependency:go-offline -DexcludeReactor=false >/dev/null) && bash examples/java/run.sh build; then
      echo "Java example built; its dependencies are in ~/.m2"
      break
    fi
    [[ $attempt == 3 ]] && { echo "maven could not fetch the Java example's dependencies (3 attempts)" >&2; exit 1; }
    echo "maven failed (attempt $attempt); retrying in 10 s" >&2
    sleep 10
  done
fi
