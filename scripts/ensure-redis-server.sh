#!/usr/bin/env bash
# Makes sure `redis-server` is on PATH (tests and benchmarks start their own
# servers on free ports). Installs Debian/Ubuntu's package when it is missing,
# then stops and disables the service the package starts, so that tests own
# every server they talk to. Set REDIS_URL instead to use an existing server.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server present: $(redis-server --version)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing and apt-get is not available: install Redis (>= 6) by other means, or set REDIS_URL." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "redis-server is missing and installing it needs root (no sudo found)." >&2
    exit 1
  fi
fi

echo "installing redis-server with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server

# The package may start a system-wide server on 6379; tests do not use it.
if command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl stop redis-server >/dev/null 2>&1 || true
  $SUDO systemctl disable redis-server >/dev/null 2>&1 || true
fi
if command -v service >/dev/null 2>&1; then
  $SUDO service redis-server stop >/dev/null 2>&1 || true
fi

command -v redis-server >/dev/null 2>&1 || { echo "redis-server still not on PATH after install" >&2; exit 1; }
echo "redis-server installed: $(redis-server --version)"
