#!/usr/bin/env bash
# Fairness of the run queue between organizations, on the real agent and worker (Production, one worker):
#   1. Organization B alone sends one async run a second for N seconds: B's queue wait (claimed - queued) p50/p99.
#   2. Organization A alone: a backlog of M 1-step runs, queued at once, drained: runs/s.
#   3. Both: A's backlog of M queued at once while B sends one run a second for N seconds: B's wait p50/p99, and the
#      total drain rate (runs of both finished from A's first queued run to A's last finished, timed by PostgreSQL).
# Prints B's p99 wait above its empty-queue wait (target <= 2 s) and the total drain rate against A alone
# (target within 10 %). A's cap (50 running) is above the worker's 32 slots, so only the claim order keeps B served.
# Usage: bench/fairness.sh [backlog-runs] [seconds-of-B]
set -euo pipefail
cd "$(dirname "$0")/.."
backlog="${1:-10000}"; seconds="${2:-60}"
source bench/lib/infra.sh

./scripts/setup.sh
dotnet build AgentC2.Worker -c Release -v quiet -nologo >/dev/null
bench_infra_up
internal_key="internal-$(date +%s%N)"
operator_key="operator-$(date +%s%N)"
bench_start_agent "AgentC2__Internal__ApiKey=$internal_key" "AgentC2__Tenancy__OperatorApiKey=$operator_key"

json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
api() { # key method path [body]
  curl -sf -X "$2" -H "Authorization: Bearer $1" -H 'content-type: application/json' ${4:+-d "$4"} "$AGENT_URL$3"
}

org_a="$(psql -qAtc "SELECT id FROM organizations WHERE slug = 'demo'")"
agent_a="$(psql -qAtc "SELECT id FROM agents WHERE organization_id = '$org_a' AND slug = 'assistant'")"
org_b="$(api "$operator_key" POST /api/operator/organizations '{"slug":"tenant-b","name":"Tenant B"}' | json_field id)"
key_b="$(api "$operator_key" POST "/api/operator/organizations/$org_b/api-keys" '{"name":"bench"}' | json_field key)"
api "$key_b" POST /api/agents '{"slug":"assistant","name":"Assistant","instructions":"Be brief.","maxSteps":10,"tools":["think"]}' >/dev/null

worker_url="http://127.0.0.1:$(bench_free_port)"
bench_start_service Worker "$worker_url" \
  "ConnectionStrings__agentc2=$BENCH_PG_CONNECTION" "ConnectionStrings__redis=$BENCH_REDIS" \
  "AgentC2__Internal__ApiKey=$internal_key" "services__agent__http__0=$AGENT_URL" Logging__LogLevel__Default=Warning
bench_wait_until 60 curl -sf "$worker_url/api/health/ready"

queue_backlog() { # A's runs, queued in one statement, then the workers woken as an accept would
  psql -qc "INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, available_at, created_at, updated_at)
            SELECT gen_random_uuid(), '$org_a', '$agent_a', 'queued', 'async', 'backlog ' || i || ' #steps=1', 10, now(), clock_timestamp(), now()
            FROM generate_series(1, $backlog) AS i" -c "NOTIFY agentc2_runs" >/dev/null
}
send_b() { # one async run of B a second, through the API
  local start; start="$(bench_now)"
  for i in $(seq 1 "$seconds"); do
    api "$key_b" POST /api/agents/assistant/invoke "{\"input\":\"b $i #steps=1\",\"executionMode\":\"async\"}" >/dev/null
    sleep "$(bench_calc "$start + $i - $(bench_now)" | awk '{ print ($1 > 0) ? $1 : 0 }')"
  done
}
wait_done() { # until no run is queued or running; fails on a failed run
  until [ "$(psql -qAtc "SELECT count(*) FROM runs WHERE status IN ('queued', 'running')")" -eq 0 ]; do
    sleep 0.1
  done
  local bad; bad="$(psql -qAtc "SELECT count(*) FROM runs WHERE status = 'failed'")"
  [ "$bad" -eq 0 ] || { echo "$bad runs failed" >&2; exit 1; }
}
b_waits() { # "runs p50 p99" of B's queue wait in seconds, for B's runs queued while A still had runs waiting (all when A has none)
  psql -qAtF ' ' -c "SELECT count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY w)::numeric, 3), round(percentile_cont(0.99) WITHIN GROUP (ORDER BY w)::numeric, 3)
                     FROM (SELECT EXTRACT(EPOCH FROM started_at - created_at) AS w FROM runs
                           WHERE organization_id = '$org_b'
                             AND created_at <= COALESCE((SELECT max(started_at) FROM runs WHERE organization_id = '$org_a'), 'infinity')) AS waits"
}
drain_rate() { # runs/s from A's first queued run to A's last finished, counting every run finished by then
  psql -qAtc "WITH a AS (SELECT min(created_at) AS first, max(finished_at) AS last FROM runs WHERE organization_id = '$org_a')
              SELECT round(count(*) / EXTRACT(EPOCH FROM a.last - a.first), 1) FROM runs, a WHERE runs.finished_at <= a.last GROUP BY a.first, a.last"
}
clear_runs() { psql -qc "DELETE FROM runs" -c "VACUUM ANALYZE runs" >/dev/null; }

# Warm-up (JIT, caches, connection pools): a tenth of the backlog, drained.
clear_runs
backlog_full="$backlog"; backlog=$(( backlog / 10 )); queue_backlog; wait_done; backlog="$backlog_full"

# 1. B alone.
clear_runs
send_b
wait_done
read -r b_alone_n b_alone_p50 b_alone_p99 < <(b_waits)

# 2. A alone.
clear_runs
queue_backlog; wait_done
a_alone_rate="$(drain_rate)"

# 3. A's backlog and B together.
clear_runs
queue_backlog; send_b; wait_done
read -r b_shared_n b_shared_p50 b_shared_p99 < <(b_waits)
shared_rate="$(drain_rate)"

echo "AgentC2 queue fairness ($backlog-run backlog of A, B at 1 run/s for $seconds s, 1 worker, $(nproc) cores)"
printf '%-56s p50 %7.3f s   p99 %7.3f s   (%s runs)\n' "B's queue wait, empty queue" "$b_alone_p50" "$b_alone_p99" "$b_alone_n"
printf '%-56s p50 %7.3f s   p99 %7.3f s   (%s runs)\n' "B's queue wait, queued while A's backlog waited" "$b_shared_p50" "$b_shared_p99" "$b_shared_n"
printf '%-56s %+9.3f s (target <= 2)\n' "  p99 above the empty-queue wait" "$(bench_calc "$b_shared_p99 - $b_alone_p99")"
printf '%-56s %9.0f runs/s\n' "drain, A alone" "$a_alone_rate"
printf '%-56s %9.0f runs/s\n' "drain, A and B" "$shared_rate"
printf '%-56s %9.2f x (target >= 0.9)\n' "  ratio" "$(bench_calc "$shared_rate / $a_alone_rate")"
