#!/usr/bin/env bash
# Sync invocation throughput of a 1-step agent on the offline model, through the real agent
# service (Production configuration, API-key auth, Redis rate limiting on with limits too high to
# bite), against two ceilings measured in the same run with the same concurrency:
#   - HTTP ceiling: a bare Kestrel endpoint reading the same JSON body (hey, the same load tool);
#   - storage ceiling: pgbench running the durable writes one sync run makes (insert the run,
#     checkpoint the step and its tokens in one transaction, finish the run) on the same PostgreSQL.
# The three alternate in rounds (the machine is shared: a noisy spell then hits one round of each, not one side), and
# the ratio is the median of the rounds' ratios. Then the cost of one rate-limit decision against one Redis EVAL round trip.
# With [agents] 2, two agent replicas share the database and Redis, each driven by half the clients (the rates add up).
# Usage: bench/invoke.sh [seconds-per-round] [concurrency] [rounds] [agents]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"; concurrency="${2:-16}"; rounds="${3:-3}"; agents="${4:-1}"
source bench/lib/infra.sh

./scripts/setup.sh
bench_require hey hey
bench_require pgbench postgresql-contrib
dotnet build bench/AgentC2.Bench -c Release -v quiet -nologo >/dev/null
bench_infra_up
bench_start_agent
key="$AGENT_KEY" agent_urls=("$AGENT_URL")
for _ in $(seq 2 "$agents"); do bench_start_agent; agent_urls+=("$AGENT_URL"); done

ceiling_url="http://127.0.0.1:$(bench_free_port)"
dotnet bench/AgentC2.Bench/bin/Release/net10.0/AgentC2.Bench.dll kestrel "$ceiling_url" >"$BENCH_DIR/kestrel.log" 2>&1 &
BENCH_PIDS="$BENCH_PIDS $!"
bench_wait_until 30 curl -sf -X POST -H 'content-type: application/json' -d '{"input":"hello"}' "$ceiling_url/invoke"

body='{"input":"hello"}'
auth="Authorization: Bearer $key"
# Warm both servers (JIT, connection pools), then measure.
for url in "${agent_urls[@]}"; do bench_hey_post 10 "$concurrency" "$url/api/agents/assistant/invoke" "$body" "$auth" >/dev/null; done
bench_hey_post 3 "$concurrency" "$ceiling_url/invoke" "$body" >/dev/null
org="$(psql -qAtc "SELECT id FROM organizations WHERE slug = 'demo'")"
agent="$(psql -qAtc "SELECT id FROM agents WHERE organization_id = '$org' AND slug = 'assistant'")"
cat >"$BENCH_DIR/run.sql" <<'SQL'
INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, available_at, created_at, started_at, updated_at)
VALUES (gen_random_uuid(), :org, :agent, 'running', 'sync', 'hello', 10, now(), now(), now(), now()) RETURNING id AS run \gset
BEGIN;
INSERT INTO run_steps (run_id, step_number, model_tier, messages, input_tokens, output_tokens, duration_ms, created_at)
VALUES (:run, 1, 'fast', '[{"role":"assistant","contents":[{"$type":"text","text":"Offline fast model: completed in 1 step(s)."}]}]', 24, 20, 0.5, now());
UPDATE runs SET steps_completed = 1, input_tokens = input_tokens + 24, output_tokens = output_tokens + 20, updated_at = now() WHERE id = :run;
COMMIT;
UPDATE runs SET status = 'succeeded', output = 'done', finished_at = now(), updated_at = now() WHERE id = :run AND status NOT IN ('succeeded', 'failed', 'cancelled');
SQL

: >"$BENCH_DIR/rounds"
for round in $(seq 1 "$rounds"); do
  # Every replica at once, each with its share of the clients: the rates add up, the p99 is the worst replica's.
  loads=()
  for i in "${!agent_urls[@]}"; do
    bench_hey_post "$seconds" "$(( concurrency / agents ))" "${agent_urls[$i]}/api/agents/assistant/invoke" "$body" "$auth" >"$BENCH_DIR/agent-$i.out" &
    loads+=("$!")
  done
  wait "${loads[@]}"
  for out in "$BENCH_DIR"/agent-*.out; do
    agent_codes="$(cut -d' ' -f3- "$out")"
    case "$agent_codes" in *"[200]"*) ;; *) echo "the agent did not answer 200: $agent_codes" >&2; exit 1 ;; esac
    case "$agent_codes" in *,*) echo "the agent answered more than 200s: $agent_codes" >&2; exit 1 ;; esac
  done
  read -r agent_rps agent_p99 < <(awk '{ rps += $1; if ($2 > p99) p99 = $2 } END { print rps, p99 }' "$BENCH_DIR"/agent-*.out)
  read -r kestrel_rps kestrel_p99 _ < <(bench_hey_post "$seconds" "$concurrency" "$ceiling_url/invoke" "$body")
  rm -f "$BENCH_DIR"/pgb.*
  (cd "$BENCH_DIR" && pgbench -n -M prepared -c "$concurrency" -j 2 -T "$seconds" -D "org=$org" -D "agent=$agent" -f run.sql -l --log-prefix=pgb >"$BENCH_DIR/pgbench.out" 2>&1)
  pg_tps="$(awk '/^tps = / { print $3 }' "$BENCH_DIR/pgbench.out")"
  pg_p99="$(bench_pgbench_p99 "$BENCH_DIR"/pgb.*)"
  lower="$(awk -v a="$kestrel_rps" -v b="$pg_tps" 'BEGIN { print (a < b) ? a : b }')"
  echo "$agent_rps $agent_p99 $kestrel_rps $kestrel_p99 $pg_tps $pg_p99 $(bench_calc "$agent_rps / $lower")" >>"$BENCH_DIR/rounds"
done
column_median() { awk -v c="$1" '{ print $c }' "$BENCH_DIR/rounds" | bench_median; }

echo "AgentC2 sync invoke benchmark ($rounds rounds of $seconds s each, $concurrency concurrent, $agents agent replica(s), $(nproc) cores; medians of the rounds)"
printf '%-48s %10.0f req/s   p99 %7.1f ms\n' "sync invoke, 1 step (agent, auth + rate limit)" "$(column_median 1)" "$(column_median 2)"
printf '%-48s %10.0f req/s   p99 %7.1f ms\n' "  ceiling: bare Kestrel JSON endpoint" "$(column_median 3)" "$(column_median 4)"
printf '%-48s %10.0f tx/s    p99 %7.1f ms\n' "  ceiling: pgbench, same durable writes" "$(column_median 5)" "$(column_median 6)"
printf '%-48s %10.2f x (target >= 0.8; rounds: %s)\n' "  ratio to the lower ceiling" "$(column_median 7)" "$(awk '{ printf "%s%.2f", sep, $7; sep = ", " }' "$BENCH_DIR/rounds")"
echo "  rounds (agent req/s, Kestrel req/s, pgbench tx/s): $(awk '{ printf "%s%.0f/%.0f/%.0f", sep, $1, $3, $5; sep = ", " }' "$BENCH_DIR/rounds")"
dotnet bench/AgentC2.Bench/bin/Release/net10.0/AgentC2.Bench.dll ratelimit "$BENCH_REDIS" 5000
