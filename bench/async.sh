#!/usr/bin/env bash
# Durable async runs, against baselines measured in the same run on the same PostgreSQL:
#   1. Async accept (202, the run committed to the queue) through the real agent service (Production, API-key auth,
#      Redis rate limiting on), vs pgbench committing the same row into the same runs table (with its triggers),
#      same concurrency.
#      The two alternate in rounds (the machine is shared: a noisy spell hits one round of each, not one side); the ratio is
#      the median of the rounds' ratios.
#   2. Drain rate of 1-step runs by the real worker (1, then 2 worker processes, each step a call to the agent's
#      internal endpoint), vs a raw FOR UPDATE SKIP LOCKED claim + complete loop (pgbench) on the same table. The
#      workers are warm (15 000 runs per worker drained untimed first, as a running fleet is): the rate is the steady state.
#      Both drain 2 000 queued runs, then [runs-to-drain]. Both are timed from a committed full queue: pgbench's rate
#      leaves out the fill and its connections; the workers' drain is timed inside PostgreSQL, from the commit of the
#      fill to the moment no run is queued or running (checked every 5 ms, each check in its own transaction).
# Usage: bench/async.sh [seconds-per-round] [concurrency] [runs-to-drain] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"; concurrency="${2:-16}"; drain="${3:-10000}"; rounds="${4:-3}"
source bench/lib/infra.sh

./scripts/setup.sh
bench_require hey hey
bench_require pgbench postgresql-contrib
dotnet build AgentC2.Worker -c Release -v quiet -nologo >/dev/null
bench_infra_up
internal_key="internal-$(date +%s%N)"
bench_start_agent "AgentC2__Internal__ApiKey=$internal_key"

org="$(psql -qAtc "SELECT id FROM organizations WHERE slug = 'demo'")"
agent="$(psql -qAtc "SELECT id FROM agents WHERE organization_id = '$org' AND slug = 'assistant'")"
psql -qc "ALTER TABLE runs SET (autovacuum_enabled = true)" >/dev/null

# 1. Accept.
body='{"input":"hello #steps=1","executionMode":"async"}'
auth="Authorization: Bearer $AGENT_KEY"
cat >"$BENCH_DIR/accept.sql" <<'SQL'
INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, available_at, created_at, updated_at)
VALUES (gen_random_uuid(), :org, :agent, 'queued', 'async', 'hello #steps=1', 10, now(), now(), now());
SQL
bench_hey_post 10 "$concurrency" "$AGENT_URL/api/agents/assistant/invoke" "$body" "$auth" >/dev/null
: >"$BENCH_DIR/accept-rounds"
for round in $(seq 1 "$rounds"); do
  read -r accept_rps accept_p99 accept_codes < <(bench_hey_post "$seconds" "$concurrency" "$AGENT_URL/api/agents/assistant/invoke" "$body" "$auth")
  case "$accept_codes" in *"[202]"*) ;; *) echo "the agent did not answer 202: $accept_codes" >&2; exit 1 ;; esac
  case "$accept_codes" in *,*) echo "the agent answered more than 202s: $accept_codes" >&2; exit 1 ;; esac
  rm -f "$BENCH_DIR"/acc.*
  (cd "$BENCH_DIR" && pgbench -n -M prepared -c "$concurrency" -j 2 -T "$seconds" -D "org=$org" -D "agent=$agent" -f accept.sql -l --log-prefix=acc >"$BENCH_DIR/pgbench-accept.out" 2>&1)
  pg_accept_tps="$(awk '/^tps = / { print $3 }' "$BENCH_DIR/pgbench-accept.out")"
  pg_accept_p99="$(bench_pgbench_p99 "$BENCH_DIR"/acc.*)"
  echo "$accept_rps $accept_p99 $pg_accept_tps $pg_accept_p99 $(bench_calc "$accept_rps / $pg_accept_tps")" >>"$BENCH_DIR/accept-rounds"
done
accept_median() { awk -v c="$1" '{ print $c }' "$BENCH_DIR/accept-rounds" | bench_median; }

# 2. Drain. Each measurement starts from an empty queue; the workers are up, warm (they drained a first batch) and idle
# before the fresh 1-step runs are queued in one statement; the time measured is from its commit to the last run done.
empty_queue() { psql -qc "DELETE FROM runs" -c "VACUUM ANALYZE runs" >/dev/null; }
fill_sql() { # runs
  echo "INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, available_at, created_at, updated_at)
        SELECT gen_random_uuid(), '$org', '$agent', 'queued', 'async', 'job ' || i || ' #steps=1', 10, now(), clock_timestamp(), now()
        FROM generate_series(1, $1) AS i"
}
fill_queue() { psql -qc "$(fill_sql "$1")" >/dev/null; } # runs
# Fills the queue and prints the seconds from the fill's commit until no run is queued or running.
timed_drain() { # runs
  psql -qAt -v ON_ERROR_STOP=1 <<SQL
$(fill_sql "$1");
SELECT extract(epoch FROM clock_timestamp()) AS filled \gset
DO \$\$ BEGIN
  WHILE EXISTS (SELECT 1 FROM runs WHERE status = 'queued') OR EXISTS (SELECT 1 FROM runs WHERE status = 'running') LOOP
    COMMIT; PERFORM pg_sleep(0.005);
  END LOOP;
END \$\$;
SELECT round((extract(epoch FROM clock_timestamp()) - :filled)::numeric, 4);
SQL
}
# timed_drain into $elapsed, and every run it queued succeeded (or the bench stops).
drain_all() { # runs
  elapsed="$(timed_drain "$1")"
  [ "$(psql -qAtc "SELECT count(*) FROM runs WHERE status = 'succeeded'")" -eq "$1" ] || { echo "not every run succeeded" >&2; exit 1; }
}
sizes="2000 $drain" # the queue the issue was measured with, and a deep one
declare -A rate

drain_with_workers() { # workers: sets rate[<workers>-<size>] for each size
  local n="$1" pids="" elapsed url size
  empty_queue
  for i in $(seq 1 "$n"); do
    url="http://127.0.0.1:$(bench_free_port)"
    env ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$url" \
      "ConnectionStrings__agentc2=$BENCH_PG_CONNECTION" "ConnectionStrings__redis=$BENCH_REDIS" \
      "AgentC2__Internal__ApiKey=$internal_key" "services__agent__http__0=$AGENT_URL" Logging__LogLevel__Default=Warning \
      dotnet AgentC2.Worker/bin/Release/net10.0/AgentC2.Worker.dll >"$BENCH_DIR/worker-$n-$i.log" 2>&1 &
    pids="$pids $!"
    bench_wait_until 60 curl -sf "$url/api/health/ready"
  done
  # Warm-up, untimed: the services' hot paths reach their optimized code only after some thousands of runs (a drain of
  # 2 000 after a warm-up of 3 000 ran at two thirds of its rate after one of 15 000).
  drain_all $(( 15000 * n ))
  for size in $sizes; do
    empty_queue
    drain_all "$size"
    rate[$n-$size]="$(bench_calc "$size / $elapsed")"
  done
  for pid in $pids; do kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; done
}

# The plain loop: each claim is one walk of the queued-runs index (runs_queued) in its own order. Each claimed run
# leaves a dead entry at the head of that index until vacuum, so the loop slows down as the queue it drains deepens.
cat >"$BENCH_DIR/drain.sql" <<'SQL'
WITH c AS (SELECT id FROM runs WHERE status = 'queued' AND available_at <= now() ORDER BY available_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE runs SET status = 'running', lease_owner = 'bench', lease_expires_at = now() + interval '30 seconds', attempts = attempts + 1, started_at = now()
FROM c WHERE runs.id = c.id RETURNING runs.id AS run \gset
UPDATE runs SET status = 'succeeded', output = 'done', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL WHERE id = :run;
SQL
for size in $sizes; do
  empty_queue
  fill_queue "$size"
  (cd "$BENCH_DIR" && pgbench -n -M prepared -c "$concurrency" -j 2 -t "$(( size / concurrency ))" -f drain.sql >"$BENCH_DIR/pgbench-drain.out" 2>&1)
  rate[raw-$size]="$(awk '/^tps = / { print $3 }' "$BENCH_DIR/pgbench-drain.out")"
done
drain_with_workers 1
drain_with_workers 2

echo "AgentC2 async benchmark ($rounds accept rounds of $seconds s, $concurrency concurrent, $(nproc) cores)"
printf '%-52s %10.0f req/s   p99 %7.1f ms\n' "async accept, 202 (agent, auth + rate limit)" "$(accept_median 1)" "$(accept_median 2)"
printf '%-52s %10.0f tx/s    p99 %7.1f ms\n' "  baseline: pgbench, same row into runs" "$(accept_median 3)" "$(accept_median 4)"
printf '%-52s %10.2f x (target >= 1.0; rounds: %s)\n' "  ratio (median of the rounds)" "$(accept_median 5)" "$(awk '{ printf "%s%.2f", sep, $5; sep = ", " }' "$BENCH_DIR/accept-rounds")"
for size in $sizes; do
  echo "drain of $size queued 1-step runs (workers warm)"
  printf '%-52s %10.0f runs/s\n' "  1 worker" "${rate[1-$size]}"
  printf '%-52s %10.0f runs/s\n' "  2 workers" "${rate[2-$size]}"
  printf '%-52s %10.0f runs/s\n' "  baseline: raw SKIP LOCKED claim + complete" "${rate[raw-$size]}"
  printf '%-52s %10.2f x / %.2f x (target >= 0.5; 2 workers above 1)\n' "  ratios (1 worker / 2 workers)" \
    "$(bench_calc "${rate[1-$size]} / ${rate[raw-$size]}")" "$(bench_calc "${rate[2-$size]} / ${rate[raw-$size]}")"
done
