#!/usr/bin/env bash
# Generates the Go stubs from proto/ into gen/liiklus (never committed), with
# Debian's protoc and protoc-gen-go / protoc-gen-go-grpc from the Go module
# proxy (scripts/ensure-toolchains.sh installs all three).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto_dir="$here/../../proto"
out="$here/gen/liiklus"
export PATH="$(go env GOPATH)/bin:$PATH"
if [[ -f "$out/LiiklusService_grpc.pb.go" && ! "$proto_dir/LiiklusService.proto" -nt "$out/LiiklusService_grpc.pb.go" ]]; then exit 0; fi
mkdir -p "$out"
# The proto has no go_package: M maps it to this module's package.
pkg=sluice.example/go/gen/liiklus
protoc -I "$proto_dir" \
  --go_out="$out" --go_opt=paths=source_relative --go_opt=MLiiklusService.proto=$pkg \
  --go-grpc_out="$out" --go-grpc_opt=paths=source_relative --go-grpc_opt=MLiiklusService.proto=$pkg \
  "$proto_dir/LiiklusService.proto"
