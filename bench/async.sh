#!/usr/bin/env bash
# Durable async runs, against baselines measured in the same run on the same PostgreSQL:
#   1. Async accept (202, the run committed to the queue) through the real agent service (Production, API-key auth,
#      Redis rate limiting on), vs pgbench committing the same row into the same runs table (with its triggers),
#      same concurrency.
#   2. Drain rate of 1-step runs by the real worker (1, then 2 worker processes, each step a call to the agent's
#      internal endpoint), vs a raw FOR UPDATE SKIP LOCKED claim + complete loop (pgbench) on the same table.
# Usage: bench/async.sh [seconds] [concurrency] [runs-to-drain]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"; concurrency="${2:-16}"; drain="${3:-2000}"
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
bench_hey_post 3 "$concurrency" "$AGENT_URL/api/agents/assistant/invoke" "$body" "$auth" >/dev/null
read -r accept_rps accept_p99 accept_codes < <(bench_hey_post "$seconds" "$concurrency" "$AGENT_URL/api/agents/assistant/invoke" "$body" "$auth")
case "$accept_codes" in *"[202]"*) ;; *) echo "the agent did not answer 202: $accept_codes" >&2; exit 1 ;; esac
case "$accept_codes" in *,*) echo "the agent answered more than 202s: $accept_codes" >&2; exit 1 ;; esac

cat >"$BENCH_DIR/accept.sql" <<'SQL'
INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, available_at, created_at, updated_at)
VALUES (gen_random_uuid(), :org, :agent, 'queued', 'async', 'hello #steps=1', 10, now(), now(), now());
SQL
(cd "$BENCH_DIR" && pgbench -n -M prepared -c "$concurrency" -j 2 -T "$seconds" -D "org=$org" -D "agent=$agent" -f accept.sql -l --log-prefix=acc >"$BENCH_DIR/pgbench-accept.out" 2>&1)
pg_accept_tps="$(awk '/^tps = / { print $3 }' "$BENCH_DIR/pgbench-accept.out")"
pg_accept_p99="$(cat "$BENCH_DIR"/acc.* | awk '{ print $3 / 1000 }' | sort -n | awk '{ v[NR] = $1 } END { print v[int(NR * 0.99)] }')"

# 2. Drain. Each round starts from an empty queue; the workers are up (and idle) before $drain fresh 1-step runs
# are queued in one statement, so the time measured is queueing to the last run succeeded.
empty_queue() { psql -qc "DELETE FROM runs" -c "VACUUM ANALYZE runs" >/dev/null; }
fill_queue() {
  psql -qc "INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, available_at, created_at, updated_at)
            SELECT gen_random_uuid(), '$org', '$agent', 'queued', 'async', 'job ' || i || ' #steps=1', 10, now(), clock_timestamp(), now()
            FROM generate_series(1, $drain) AS i" >/dev/null
}

drain_with_workers() { # workers -> runs/s
  local n="$1" pids="" start end url
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
  start="$(bench_now)"
  fill_queue
  until [ "$(psql -qAtc "SELECT count(*) FROM runs WHERE status = 'succeeded'")" -ge "$drain" ]; do
    sleep 0.05
    local bad; bad="$(psql -qAtc "SELECT count(*) FROM runs WHERE status = 'failed'")"
    [ "$bad" -eq 0 ] || { echo "$bad runs failed while draining" >&2; exit 1; }
  done
  end="$(bench_now)"
  for pid in $pids; do kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; done
  bench_calc "$drain / ($end - $start)"
}

cat >"$BENCH_DIR/drain.sql" <<'SQL'
WITH c AS (SELECT id FROM runs WHERE status = 'queued' AND available_at <= now() ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE runs SET status = 'running', lease_owner = 'bench', lease_expires_at = now() + interval '30 seconds', attempts = attempts + 1, started_at = now()
FROM c WHERE runs.id = c.id RETURNING runs.id AS run \gset
UPDATE runs SET status = 'succeeded', output = 'done', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL WHERE id = :run;
SQL
empty_queue
fill_queue
(cd "$BENCH_DIR" && pgbench -n -M prepared -c "$concurrency" -j 2 -t "$(( drain / concurrency ))" -f drain.sql >"$BENCH_DIR/pgbench-drain.out" 2>&1)
raw_drain="$(awk '/^tps = / { print $3 }' "$BENCH_DIR/pgbench-drain.out")"
one_worker="$(drain_with_workers 1)"
two_workers="$(drain_with_workers 2)"

echo "AgentC2 async benchmark ($seconds s, $concurrency concurrent, $drain runs drained, $(nproc) cores)"
printf '%-52s %10.0f req/s   p99 %7.1f ms\n' "async accept, 202 (agent, auth + rate limit)" "$accept_rps" "$accept_p99"
printf '%-52s %10.0f tx/s    p99 %7.1f ms\n' "  baseline: pgbench, same row into runs" "$pg_accept_tps" "$pg_accept_p99"
printf '%-52s %10.2f x (target >= 0.6)\n' "  ratio" "$(bench_calc "$accept_rps / $pg_accept_tps")"
printf '%-52s %10.0f runs/s\n' "drain, 1-step runs, 1 worker" "$one_worker"
printf '%-52s %10.0f runs/s\n' "drain, 1-step runs, 2 workers" "$two_workers"
printf '%-52s %10.0f runs/s\n' "  baseline: raw SKIP LOCKED claim + complete" "$raw_drain"
printf '%-52s %10.2f x / %.2f x (target >= 0.3)\n' "  ratios (1 worker / 2 workers)" "$(bench_calc "$one_worker / $raw_drain")" "$(bench_calc "$two_workers / $raw_drain")"
