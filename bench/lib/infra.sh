# Shared by the benchmarks: throw-away PostgreSQL and Redis servers on loopback, and helpers.
# Source it; call bench_infra_up, and bench_infra_down (or rely on the EXIT trap it installs).

BENCH_PIDS=""
bench_now() { date +%s.%N; }
bench_calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
bench_pgbench_p99() { cat "$@" | awk '{ print $3 / 1000 }' | sort -n | awk '{ v[NR] = $1 } END { print v[int(NR * 0.99)] }'; } # pgbench -l files -> ms
bench_median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; } # of the numbers on stdin

bench_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

bench_wait_until() { # timeout-seconds command...
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.2
  done
}

bench_require() { # command apt-package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; }
  command -v "$1" >/dev/null 2>&1 || { echo "$1 is required (apt-get install $2)" >&2; exit 1; }
}

# Starts PostgreSQL (default settings: fsync on, as in production; more -c options in BENCH_PG_OPTIONS) and Redis in $BENCH_DIR.
# Exports PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE, BENCH_PG_CONNECTION, BENCH_REDIS.
bench_infra_up() {
  BENCH_DIR="$(mktemp -d /tmp/agentc2-bench-XXXXXX)"
  chmod 755 "$BENCH_DIR"
  trap bench_infra_down EXIT
  local bin; bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  local run_as=()
  if [ "$(id -u)" -eq 0 ]; then run_as=(setpriv --reuid=postgres --regid=postgres --init-groups); fi
  mkdir -p "$BENCH_DIR/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$BENCH_DIR/pg"
  export PGHOST=127.0.0.1 PGUSER=postgres PGPASSWORD=bench PGDATABASE=agentc2
  PGPORT="$(bench_free_port)"; export PGPORT
  echo "bench" > "$BENCH_DIR/pg/.pw"
  "${run_as[@]}" "$bin/initdb" -D "$BENCH_DIR/pg/data" -U postgres --pwfile "$BENCH_DIR/pg/.pw" --auth scram-sha-256 --no-locale -E UTF8 >/dev/null
  "${run_as[@]}" "$bin/pg_ctl" -D "$BENCH_DIR/pg/data" -l "$BENCH_DIR/pg/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $BENCH_DIR/pg -c max_connections=200 ${BENCH_PG_OPTIONS:-}" start >/dev/null
  BENCH_PG_BIN="$bin"; BENCH_PG_RUN_AS=("${run_as[@]}")
  PGDATABASE=postgres psql -qAtc "CREATE DATABASE agentc2" >/dev/null
  export BENCH_PG_CONNECTION="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Password=bench;Database=agentc2;Maximum Pool Size=64"

  BENCH_REDIS_PORT="$(bench_free_port)"
  redis-server --bind 127.0.0.1 --port "$BENCH_REDIS_PORT" --save "" --appendonly no --daemonize yes \
    --pidfile "$BENCH_DIR/redis.pid" --logfile "$BENCH_DIR/redis.log" >/dev/null
  export BENCH_REDIS="127.0.0.1:$BENCH_REDIS_PORT"
  bench_wait_until 10 redis-cli -p "$BENCH_REDIS_PORT" ping
}

bench_infra_down() { # every step tolerates what is already gone (a bench stops its own processes too), under set -e
  local pid
  for pid in $BENCH_PIDS; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -f "$BENCH_DIR/redis.pid" ]; then kill "$(cat "$BENCH_DIR/redis.pid")" 2>/dev/null || true; fi
  if [ -n "${BENCH_PG_BIN:-}" ]; then "${BENCH_PG_RUN_AS[@]}" "$BENCH_PG_BIN/pg_ctl" -D "$BENCH_DIR/pg/data" -m fast stop >/dev/null 2>&1 || true; fi
  rm -rf "$BENCH_DIR"
}

# Starts a built service (Release) in the background, in Production, logging to $BENCH_DIR.
bench_start_service() { # project url [VAR=value ...]
  local project="$1" url="$2"; shift 2
  env ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$url" "$@" \
    dotnet "AgentC2.${project}/bin/Release/net10.0/AgentC2.${project}.dll" >"$BENCH_DIR/${project}.log" 2>&1 &
  BENCH_PIDS="$BENCH_PIDS $!"
}

# hey: "<requests/s> <p99 ms>" of a JSON POST.
bench_hey_post() { # seconds concurrency url body [header]
  local out
  out="$(hey -z "$1s" -c "$2" -m POST -T application/json ${5:+-H "$5"} -d "$4" "$3")"
  local rps p99 codes
  rps="$(echo "$out" | awk '/Requests\/sec/ { print $2 }')"
  p99="$(echo "$out" | awk '/99% in/ { print $3 * 1000 }')"
  codes="$(echo "$out" | awk '/Status code distribution/ { f = 1; next } f && /\[/ { printf "%s%s", sep, $0; sep = "," }' | tr -s ' ')"
  echo "$rps $p99 $codes"
}

# Builds the services (Release) and starts the agent in Production on a free port with API-key auth and Redis rate
# limiting (limits too high to bite); sets AGENT_URL and AGENT_KEY (a second call starts another replica with the same
# key). Extra VAR=value arguments go to the agent, and so do those in BENCH_AGENT_ENV (space-separated: runtime settings
# to compare, e.g. BENCH_AGENT_ENV=DOTNET_gcServer=0).
bench_start_agent() {
  dotnet build AgentC2.Agent -c Release -v quiet -nologo >/dev/null
  AGENT_KEY="${AGENT_KEY:-bench-$(date +%s%N)}"
  AGENT_URL="http://127.0.0.1:$(bench_free_port)"
  bench_start_service Agent "$AGENT_URL" \
    "ConnectionStrings__agentc2=$BENCH_PG_CONNECTION" "ConnectionStrings__redis=$BENCH_REDIS" \
    "AgentC2__Tenancy__DemoApiKey=$AGENT_KEY" AgentC2__Models__Provider=offline \
    AgentC2__RateLimiting__Organization__PermitLimit=10000000 AgentC2__RateLimiting__ApiKey__PermitLimit=10000000 \
    Logging__LogLevel__Default=Warning ${BENCH_AGENT_ENV:-} "$@"
  bench_wait_until 60 curl -sf "$AGENT_URL/api/health/ready"
}
