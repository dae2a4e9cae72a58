#!/usr/bin/env bash
# Where the time of a run goes, per path, under the load of the matching bench (Production, offline model):
#   invoke  sync 1-step invocations (hey, 16 concurrent) against the agent;
#   drain   1-step async runs drained by one worker through the agent's internal step endpoint.
# Two windows of the same load. The first, unsampled: per run, the CPU time of every process taking part (the services,
# PostgreSQL's backends, Redis, the load generator: the budget of the 2 cores), PostgreSQL statements and their
# execution time (pg_stat_statements), Redis commands. The second, sampled with perf: each service's top methods by
# CPU samples (the services run with DOTNET_PerfMapEnabled=1, so JIT-compiled methods have names).
# PROFILE_KEEP=dir keeps the perf data (perf report -i …).
# More PostgreSQL settings for the bench's server (auto_explain, for one) in BENCH_PG_OPTIONS, as for the other benches.
# Usage: bench/profile.sh invoke|drain [seconds] [top-methods]
set -euo pipefail
cd "$(dirname "$0")/.."
path="${1:?invoke or drain}"; seconds="${2:-15}"; top="${3:-25}"
source bench/lib/infra.sh

./scripts/setup.sh
bench_require hey hey
bench_require pgbench postgresql-contrib
bench_require perf linux-perf
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
dotnet build AgentC2.Worker -c Release -v quiet -nologo >/dev/null
BENCH_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all ${BENCH_PG_OPTIONS:-}" bench_infra_up
internal_key="internal-$(date +%s%N)"
bench_start_agent "AgentC2__Internal__ApiKey=$internal_key"
agent_pid="${BENCH_PIDS##* }"
psql -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
org="$(psql -qAtc "SELECT id FROM organizations WHERE slug = 'demo'")"
agent="$(psql -qAtc "SELECT id FROM agents WHERE organization_id = '$org' AND slug = 'assistant'")"

cpu_seconds() { # pid... -> user+system CPU seconds so far, summed
  local total=0 pid
  for pid in "$@"; do
    # A backend may end between listing and reading: it counts as nothing.
    total="$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); t += ($12 + $13) / hz } END { print t }' "/proc/$pid/stat" 2>/dev/null || echo "$total")"
  done
  echo "$total"
}
postgres_pids() { local main; main="$(head -n 1 "$BENCH_DIR/pg/data/postmaster.pid")"; echo "$main $(pgrep -P "$main" | tr '\n' ' ')"; }
reset_counters() { psql -qAtc "SELECT pg_stat_statements_reset()" >/dev/null; redis-cli -p "$BENCH_REDIS_PORT" CONFIG RESETSTAT >/dev/null; }
completed() { # runs finished so far
  psql -qAtc "SELECT count(*) FROM runs WHERE status = 'succeeded'"
}

services="agent:$agent_pid"
case "$path" in
  invoke)
    body='{"input":"hello"}'
    load() { hey -z "${seconds}s" -c 16 -m POST -T application/json -H "Authorization: Bearer $AGENT_KEY" -d "$body" "$AGENT_URL/api/agents/assistant/invoke" >/dev/null & load_pid=$!; }
    bench_hey_post 3 16 "$AGENT_URL/api/agents/assistant/invoke" "$body" "Authorization: Bearer $AGENT_KEY" >/dev/null
    ;;
  drain)
    worker_url="http://127.0.0.1:$(bench_free_port)"
    bench_start_service Worker "$worker_url" \
      "ConnectionStrings__agentc2=$BENCH_PG_CONNECTION" "ConnectionStrings__redis=$BENCH_REDIS" \
      "AgentC2__Internal__ApiKey=$internal_key" "services__agent__http__0=$AGENT_URL" Logging__LogLevel__Default=Warning
    services="$services worker:${BENCH_PIDS##* }"
    bench_wait_until 60 curl -sf "$worker_url/api/health/ready"
    fill() { psql -qc "INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, available_at, created_at, updated_at)
      SELECT gen_random_uuid(), '$org', '$agent', 'queued', 'async', 'job ' || i || ' #steps=1', 10, now(), clock_timestamp(), now()
      FROM generate_series(1, $1) AS i" -c "NOTIFY agentc2_runs" >/dev/null; }
    # The queue holds more than the worker drains in a window; the load is the worker itself.
    load() { sleep "$seconds" & load_pid=$!; }
    fill 2000
    queue_empty() { [ "$(psql -qAtc "SELECT count(*) FROM runs WHERE status = 'queued'")" -eq 0 ]; }
    bench_wait_until 60 queue_empty
    fill $(( seconds * 2 * 3000 ))
    ;;
  *) echo "usage: bench/profile.sh invoke|drain [seconds] [top-methods]" >&2; exit 2 ;;
esac

# Window 1, unsampled: the budget.
reset_counters
before="$(completed)"
declare -A cpu_before
for entry in $services; do cpu_before[$entry]="$(cpu_seconds "${entry#*:}")"; done
pg_before="$(cpu_seconds $(postgres_pids))"; redis_before="$(cpu_seconds "$(cat "$BENCH_DIR/redis.pid")")"
load
load_cpu_pid="$(pgrep -P "$load_pid" || echo "$load_pid")"
load_cpu=0
while kill -0 "$load_pid" 2>/dev/null; do load_cpu="$(cpu_seconds $load_pid $load_cpu_pid)"; sleep 0.5; done
wait "$load_pid" || true
runs=$(( $(completed) - before ))
per_run() { bench_calc "($1) * 1000000 / $runs"; }

echo "AgentC2 profile: $path, $seconds s, $runs runs ($(bench_calc "$runs / $seconds") runs/s), $(nproc) cores"
echo
echo "CPU per run (user + system), µs; the $(nproc) cores give $(( $(nproc) * 1000000 )) µs a second:"
total=0
for entry in $services; do
  used="$(per_run "$(cpu_seconds "${entry#*:}") - ${cpu_before[$entry]}")"; total="$(bench_calc "$total + $used")"
  printf '  %-28s %8.0f\n' "${entry%%:*}" "$used"
done
used="$(per_run "$(cpu_seconds $(postgres_pids)) - $pg_before")"; total="$(bench_calc "$total + $used")"
printf '  %-28s %8.0f\n' "postgresql (all backends)" "$used"
used="$(per_run "$(cpu_seconds "$(cat "$BENCH_DIR/redis.pid")") - $redis_before")"; total="$(bench_calc "$total + $used")"
printf '  %-28s %8.0f\n' "redis" "$used"
if [ "$path" = invoke ]; then used="$(per_run "$load_cpu")"; total="$(bench_calc "$total + $used")"; printf '  %-28s %8.0f\n' "load generator (hey)" "$used"; fi
printf '  %-28s %8.0f   (%s runs/s if the cores did nothing else)\n' "total" "$total" "$(bench_calc "$(nproc) * 1000000 / $total")"
echo
echo "PostgreSQL, per run (pg_stat_statements; the bench's own queries excluded):"
psql -qAt -F $'\t' -c "
  SELECT round(calls::numeric / $runs, 3), round(total_exec_time::numeric * 1000 / $runs, 1), rows / greatest(calls, 1),
         round(wal_records::numeric / $runs, 2), left(regexp_replace(query, '\s+', ' ', 'g'), 100)
  FROM pg_stat_statements
  WHERE query NOT ILIKE '%pg_stat_statements%' AND query NOT ILIKE 'SELECT count(*) FROM runs%'
    AND calls::numeric / $runs >= 0.001
  ORDER BY total_exec_time DESC LIMIT 15" |
  awk -F '\t' 'BEGIN { printf "  %8s %10s %6s %6s  %s\n", "calls", "exec µs", "rows", "WAL", "statement (calls, execution and WAL records per run; rows per call)" }
                 { printf "  %8s %10s %6s %6s  %s\n", $1, $2, $3, $4, $5 }'
psql -qAt -c "SELECT 'statements per run ' || round(sum(calls)::numeric / $runs, 2) || ', execution ' || round(sum(total_exec_time)::numeric * 1000 / $runs, 1) || ' µs per run'
              FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%' AND query NOT ILIKE 'SELECT count(*) FROM runs%'" | sed 's/^/  /'
echo
echo "Redis, per run:"
redis-cli -p "$BENCH_REDIS_PORT" INFO commandstats | tr -d '\r' |
  awk -F '[:=,]' -v runs="$runs" '/^cmdstat_/ { sub("cmdstat_", "", $1); if ($3 / runs >= 0.001) printf "  %-14s %8.3f calls %8.1f µs\n", $1, $3 / runs, $5 / runs }'
echo

# Window 2, sampled: where each service's CPU time goes (perf, with the runtime's map of JIT-compiled methods).
samplers=""
for entry in $services; do
  perf record -F 499 -g -p "${entry#*:}" -o "$BENCH_DIR/${entry%%:*}.perf" -- sleep "$seconds" >"$BENCH_DIR/perf-${entry%%:*}.log" 2>&1 &
  samplers="$samplers $!"
done
load
for sampler in $samplers; do wait "$sampler" || true; done
wait "$load_pid" || true
for entry in $services; do
  name="${entry%%:*}"
  [ -z "${PROFILE_KEEP:-}" ] || cp "$BENCH_DIR/$name.perf" "$PROFILE_KEEP/$path-$name.perf"
  echo "$name: top methods by CPU samples, exclusive (self) and inclusive (with callees, the product's and its libraries' frames)"
  perf report -i "$BENCH_DIR/$name.perf" --stdio --no-children --sort symbol --percent-limit 0.8 -g none 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -n "$top" | sed -E 's/\[[.k]\] //; s/^ +/  /' | cut -c1-150
  echo "  inclusive:"
  perf report -i "$BENCH_DIR/$name.perf" --stdio --children --sort symbol -g none 2>/dev/null |
    grep -E '^ +[0-9.]+%' | grep -E 'AgentC2|Npgsql|Dapper|StackExchange|Json|OpenTelemetry|Logging|AspNetCore|Extensions.AI|Kestrel|Http|gc_heap|GarbageCollect' |
    head -n "$top" | awk '{ $2 = ""; $3 = ""; print }' | sed -E 's/\[[.k]\] //; s/^/  /' | cut -c1-150
  echo
done
# The runtime's maps of JIT-compiled methods (perf reads them above) are not left behind in /tmp.
for entry in $services; do rm -f "/tmp/perf-${entry#*:}.map" "/tmp/perfinfo-${entry#*:}.map"; done
