#!/usr/bin/env bash
# Runs the producer or the consumer: examples/python/run.sh producer|consumer
# Creates .venv (grpcio, grpcio-tools) on first use and generates the stubs
# from proto/ into build/gen (never committed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [[ ! -x "$venv/bin/python" ]] || ! cmp -s "$here/requirements.txt" "$venv/requirements.installed"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.installed"
fi
gen="$here/build/gen"
proto="$here/../../proto/LiiklusService.proto"
if [[ ! -f "$gen/LiiklusService_pb2_grpc.py" || "$proto" -nt "$gen/LiiklusService_pb2_grpc.py" ]]; then
  mkdir -p "$gen"
  "$venv/bin/python" -m grpc_tools.protoc -I "$here/../../proto" --python_out="$gen" --grpc_python_out="$gen" "$proto"
fi
[[ "$1" == build ]] && exit 0
exec env PYTHONPATH="$gen${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/python" -u "$here/${1:?usage: run.sh producer|consumer|build}.py"
