#!/usr/bin/env bash
# Installs what AgentC2 needs on a Debian/Ubuntu machine without containers: the Redis and
# PostgreSQL servers that the AppHost runs as local processes. Safe to run again: it installs
# only what is missing and is silent when everything is there.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK is required (see global.json for the version band)." >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "setup: please install ${missing[*]} (apt-get install -y ${missing[*]}) as root." >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
# The packages try to start system services; AgentC2 runs its own instances, so that is not needed.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || true
command -v redis-server >/dev/null 2>&1 || { echo "setup: redis-server is still missing" >&2; exit 1; }
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || { echo "setup: PostgreSQL is still missing" >&2; exit 1; }
