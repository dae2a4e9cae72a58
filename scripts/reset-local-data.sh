#!/usr/bin/env bash
# Deletes the local-mode PostgreSQL and Redis data of this checkout (run it with the AppHost stopped).
# The next `dotnet run --project AgentC2.AppHost` starts with an empty database and cache.
set -euo pipefail
state="${1:-$(cd "$(dirname "$0")/.." && pwd)/AgentC2.AppHost/.state}"
if pgrep -f "postgres -D $state" >/dev/null 2>&1; then
  echo "the AppHost still runs on $state: stop it first" >&2
  exit 1
fi
# When the postgres account cannot reach the checkout, its data folder lives under /var/tmp/agentc2.
if [ -f "$state/postgres.location" ]; then
  rm -rf "$(cat "$state/postgres.location")"
fi
rm -rf "$state"
echo "local data reset: $state"
