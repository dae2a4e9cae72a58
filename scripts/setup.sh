#!/usr/bin/env bash
# Installs what AgentC2 needs on a Debian/Ubuntu machine without containers: the Redis and
# PostgreSQL servers that the AppHost runs as local processes. With --test-tools it also installs
# what the tests use: Chromium for the console's browser tests, Prometheus (which scrapes the running
# services in a test; promtool and amtool check the alerting), and the real tools that check the
# deployment artifacts (caddy, yamllint from apt; Compose v2 by scripts/compose-v2.sh; the Node.js validators in
# tools/validators from npm), and the reference MCP servers in tools/mcp-servers (npm). Safe to run again: it
# installs only what is missing and is silent when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

test_tools=false
for argument in "$@"; do
  case "$argument" in
    --test-tools) test_tools=true ;;
    *) echo "setup: unknown argument $argument (known: --test-tools)" >&2; exit 2 ;;
  esac
done

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
if $test_tools; then
  command -v caddy >/dev/null 2>&1 || missing+=(caddy)
  command -v yamllint >/dev/null 2>&1 || missing+=(yamllint)
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK is required (see global.json for the version band)." >&2
  exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
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
fi

command -v redis-server >/dev/null 2>&1 || { echo "setup: redis-server is still missing" >&2; exit 1; }
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || { echo "setup: PostgreSQL is still missing" >&2; exit 1; }

if $test_tools; then
  # Compose v2 (the production files use what v1 rejects): one package from Debian's trixie suite.
  ./scripts/compose-v2.sh
  for tool in caddy docker-compose yamllint npm chromium promtool amtool prometheus; do
    command -v "$tool" >/dev/null 2>&1 || { echo "setup: $tool is still missing" >&2; exit 1; }
  done
  # The artifact validators, and the MCP servers nobody here wrote that the tests drive (the reference servers), at the
  # versions pinned in their package-lock.json; again only when a lock changed.
  for folder in tools/validators tools/mcp-servers; do
    if ! cmp -s "$folder/package-lock.json" "$folder/node_modules/.installed-lock.json" 2>/dev/null; then
      echo "setup: installing $(basename "$folder") (npm ci in $folder)" >&2
      (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error >&2 && cp package-lock.json node_modules/.installed-lock.json)
    fi
  done
fi
