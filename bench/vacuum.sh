#!/usr/bin/env bash
# Queue health while vacuum is held back, on the real agent and worker (Production, one worker):
#   1. Baseline: for N seconds, batches of 1-step runs are queued (one statement each) and drained: runs/s.
#   2. The same while another session holds a transaction open (REPEATABLE READ, so its snapshot keeps every dead row
#      version of the runs table alive for the whole period): runs/s, and the dead tuples it left.
#   3. The same hold with retention deleting finished runs older than 5 s every second: runs/s.
# Prints each rate against the baseline measured in the same run (target: through the hold within 10 % of it).
# Usage: bench/vacuum.sh [seconds] [runs-per-batch]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; batch="${2:-2000}"
source bench/lib/infra.sh

./scripts/setup.sh
dotnet build AgentC2.Worker -c Release -v quiet -nologo >/dev/null
bench_infra_up
internal_key="internal-$(date +%s%N)"
bench_start_agent "AgentC2__Internal__ApiKey=$internal_key"
org="$(psql -qAtc "SELECT id FROM organizations WHERE slug = 'demo'")"
agent="$(psql -qAtc "SELECT id FROM agents WHERE organization_id = '$org' AND slug = 'assistant'")"

worker_pid=""
start_worker() { # [VAR=value ...]
  local url; url="http://127.0.0.1:$(bench_free_port)"
  env ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$url" \
    "ConnectionStrings__agentc2=$BENCH_PG_CONNECTION" "ConnectionStrings__redis=$BENCH_REDIS" \
    "AgentC2__Internal__ApiKey=$internal_key" "services__agent__http__0=$AGENT_URL" Logging__LogLevel__Default=Warning "$@" \
    dotnet AgentC2.Worker/bin/Release/net10.0/AgentC2.Worker.dll >>"$BENCH_DIR/worker.log" 2>&1 &
  worker_pid=$!
  BENCH_PIDS="$BENCH_PIDS $worker_pid" # stopped by the exit trap should the bench fail
  bench_wait_until 60 curl -sf "$url/api/health/ready"
}
stop_worker() { kill -TERM "$worker_pid"; wait "$worker_pid" 2>/dev/null || true; }

reset() { psql -qc "DELETE FROM runs" -c "VACUUM ANALYZE runs" >/dev/null; }
drain_for() { # seconds -> runs/s: queue a batch, wait until it is drained, again until the time is up
  local until_ts done=0 start end last
  start="$(bench_now)"; until_ts="$(bench_calc "$start + $1")"
  while awk "BEGIN { exit !($(bench_now) < $until_ts) }"; do
    last="$(python3 -c 'import uuid; print(uuid.uuid4())')"
    psql -qc "INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, available_at, created_at, updated_at)
              SELECT CASE WHEN i = $batch THEN '$last'::uuid ELSE gen_random_uuid() END, '$org', '$agent', 'queued', 'async',
                     'job ' || i || ' #steps=1', 10, now(), clock_timestamp(), now()
              FROM generate_series(1, $batch) AS i" -c "NOTIFY agentc2_runs" >/dev/null
    # The batch's last run (claimed last, FIFO) by its key, then the whole queue once: a count every few milliseconds
    # would walk the dead entries of the bench's own making and take the database's time from the queue it measures.
    until [ "$(psql -qAtc "SELECT status IN ('succeeded', 'failed') FROM runs WHERE id = '$last'")" = t ]; do sleep 0.02; done
    until [ "$(psql -qAtc "SELECT count(*) FROM runs WHERE status IN ('queued', 'running')")" -eq 0 ]; do sleep 0.05; done
    done=$(( done + batch ))
  done
  end="$(bench_now)"
  bench_calc "$done / ($end - $start)"
}
holder=""
hold() { # seconds: a REPEATABLE READ transaction with a snapshot, open for that long (its PID in $holder)
  psql -qc "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT count(*) FROM organizations" -c "SELECT pg_sleep($1)" -c "COMMIT" >/dev/null &
  holder=$!
}
dead_tuples() { psql -qAtc "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'runs'"; }

# Warm-up (JIT, caches, connection pools).
start_worker
reset; drain_for 5 >/dev/null

# 1. Baseline.
reset; baseline="$(drain_for "$seconds")"

# 2. Vacuum held back for the whole period.
reset; hold $(( seconds + 5 )); sleep 1
held="$(drain_for "$seconds")"; held_dead="$(dead_tuples)"
wait "$holder"
stop_worker

# 3. The same, with retention deleting finished runs older than 5 s every second.
start_worker AgentC2__Retention__Runs=00:00:05 AgentC2__Retention__Interval=00:00:01
reset; hold $(( seconds + 5 )); sleep 1
retained="$(drain_for "$seconds")"; retained_dead="$(dead_tuples)"
wait "$holder"
stop_worker

echo "AgentC2 queue under a held snapshot ($seconds s each, batches of $batch 1-step runs, 1 worker, $(nproc) cores)"
printf '%-60s %9.0f runs/s\n' "drain, vacuum free" "$baseline"
printf '%-60s %9.0f runs/s   (%s dead tuples at the end)\n' "drain, a transaction held open" "$held" "$held_dead"
printf '%-60s %9.0f runs/s   (%s dead tuples at the end)\n' "drain, held open, retention deleting every second" "$retained" "$retained_dead"
printf '%-60s %9.2f x / %.2f x (target >= 0.9)\n' "  ratios to vacuum free (held / held with retention)" "$(bench_calc "$held / $baseline")" "$(bench_calc "$retained / $baseline")"
