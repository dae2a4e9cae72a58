#!/usr/bin/env bash
# Start-up and test-suite wall times, each as min/median/max over N runs (default 3), with a
# baseline measured in the same run so the ratios survive a noisy machine:
#   - app start: `dotnet run --no-build` of the AppHost until agent, worker and frontend all answer
#     /api/health with every check Healthy (which needs PostgreSQL, the database and Redis up);
#     baseline: one bare service (the worker, its database unreachable: it is live before it connects) under
#     `dotnet run` until /api/health/live.
#   - with --timeline, first one start of the AppHost sampled every 0.1 s: when the dashboard, PostgreSQL and Redis
#     answer, and for each service when its first process starts, listens, is live, and is Healthy (where the
#     start-up time goes).
#   - with --suite, also the test suite: `dotnet test` of the whole suite (about 25 minutes a run, the containers
#     tier included); baseline: the unit tests alone (no AppHost).
# Usage: bench/startup.sh [runs] [--timeline] [--suite]
# The AppHost starts run mode's one replica of each service; AgentC2__Replicas=2 bench/startup.sh measures two of each.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"; shift || true
timeline=""; suite=""
for option in "$@"; do case "$option" in --timeline) timeline=1 ;; --suite) suite=--suite ;; esac; done
state="$(mktemp -d)"
pid=""
# A failed wait stops what it started, and the logs go with the state folder.
trap '{ [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; } || true; rm -rf "$state" "$state.log" "$state.worker.log"' EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "min %.1f s  median %.1f s  max %.1f s", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

all_healthy() {
  for port in 5180 5280 5380; do
    body=$(curl -s -m 2 "http://localhost:$port/api/health") || return 1
    echo "$body" | grep -q '"status":"Healthy"' || return 1
    echo "$body" | grep -q '"Unhealthy"\|"Degraded"' && return 1
  done
  return 0
}

wait_until() { # timeout-seconds command...
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.1
  done
}

resources_gone() { ! pgrep -f "redis-server 127.0.0.1|bin/postgres -D $state|AgentC2\.(Agent|Worker|Frontend)\.(csproj|dll)|bin/Debug/net10.0/AgentC2\." >/dev/null; }

stop_tree() { # pid
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  # DCP tears the resources down for a few seconds after the AppHost exits.
  wait_until 60 resources_gone
}

for port in 5180 5280 5380 15080; do
  if curl -s -m 1 "http://localhost:$port" >/dev/null 2>&1; then echo "port $port is in use: stop the running AgentC2 first" >&2; exit 1; fi
done

./scripts/setup.sh
dotnet build AgentC2.sln -v quiet -nologo >/dev/null

if [ -n "$timeline" ]; then
  declare -A seen
  mark() { [ -n "${seen[$1]:-}" ] || { seen[$1]="$(calc "$(now) - $start")"; printf '  %6.1f s  %s\n' "${seen[$1]}" "$1"; }; }
  listening() { ss -ltnpH 2>/dev/null | grep -q "$1"; }
  echo "AgentC2 start-up timeline (dotnet run --no-build of the AppHost, a data folder initialised first)"
  AgentC2__Infrastructure=local AgentC2__StateDirectory="$state" dotnet run --project AgentC2.AppHost --no-build >"$state.log" 2>&1 &
  pid=$!
  wait_until 180 all_healthy
  stop_tree "$pid"
  start=$(now)
  AgentC2__Infrastructure=local AgentC2__StateDirectory="$state" dotnet run --project AgentC2.AppHost --no-build >"$state.log" 2>&1 &
  pid=$!
  until all_healthy; do
    processes="$(ps -eo args)"; sockets="$(ss -ltnpH 2>/dev/null)"
    grep -q "AgentC2.AppHost.dll\|bin/Debug/net10.0/AgentC2.AppHost" <<<"$processes" && mark "AppHost process (after dotnet run's project evaluation)"
    grep -q "dcp start-apiserver\|/dcp " <<<"$processes" && mark "DCP (orchestrator) process"
    grep -q "Aspire.Dashboard" <<<"$processes" && mark "dashboard process"
    grep -q "\"postgres\"" <<<"$sockets" && mark "PostgreSQL listens"
    grep -q "\"redis-server\"" <<<"$sockets" && mark "Redis listens"
    for service in Agent:5180 Worker:5280 Frontend:5380; do
      name="${service%%:*}" port="${service#*:}"
      grep -q "AgentC2\.$name\.dll\|AgentC2\.$name/bin\|net10.0/AgentC2\.$name" <<<"$processes" && mark "$name: first process"
      if [ -n "${seen["$name: first process"]:-}" ]; then
        curl -s -m 0.3 -o /dev/null "http://localhost:$port/api/health/live" && mark "$name: live (through the proxy)"
        curl -s -m 0.5 "http://localhost:$port/api/health" | grep -q '"status":"Healthy"' && mark "$name: Healthy"
      fi
    done
    sleep 0.05
  done
  mark "all three Healthy"
  stop_tree "$pid"
  echo
fi

app_times=(); base_times=()
first_start=""
for i in $(seq 0 "$runs"); do
  start=$(now)
  AgentC2__Infrastructure=local AgentC2__StateDirectory="$state" dotnet run --project AgentC2.AppHost --no-build >"$state.log" 2>&1 &
  pid=$!
  wait_until 180 all_healthy
  elapsed=$(calc "$(now) - $start")
  stop_tree "$pid"
  if [ "$i" -eq 0 ]; then first_start=$elapsed; continue; fi   # run 0 initialises the data folder
  app_times+=("$elapsed")

  start=$(now)
  # The worker refuses to start without its settings; nothing listens at these addresses, and it is live meanwhile.
  ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS=http://127.0.0.1:5280 \
    ConnectionStrings__agentc2="Host=127.0.0.1;Port=1;Username=bench;Password=bench;Database=agentc2" \
    AgentC2__Internal__ApiKey=bench-internal-key services__agent__http__0=http://127.0.0.1:1 \
    dotnet run --project AgentC2.Worker --no-build --no-launch-profile >"$state.worker.log" 2>&1 &
  pid=$!
  wait_until 60 curl -sf -m 1 http://127.0.0.1:5280/api/health/live -o /dev/null
  base_times+=("$(calc "$(now) - $start")")
  stop_tree "$pid"
done

app_median=$(printf '%s\n' "${app_times[@]}" | median); base_median=$(printf '%s\n' "${base_times[@]}" | median)
echo "AgentC2 start-up and test-suite benchmark ($runs runs, $(nproc) cores)"
printf 'first start (initdb)            %.1f s\n' "$first_start"
echo "app start to all healthy         $(printf '%s\n' "${app_times[@]}" | stats)"
echo "  baseline: one bare service     $(printf '%s\n' "${base_times[@]}" | stats)"
printf '  ratio (medians)                %.2f x\n' "$(calc "$app_median / $base_median")"
[ "$suite" = --suite ] || exit 0

suite_times=(); unit_times=()
for i in $(seq 1 "$runs"); do
  start=$(now); dotnet test AgentC2.sln --no-build >/dev/null 2>&1 || { echo "the test suite failed" >&2; exit 1; }
  suite_times+=("$(calc "$(now) - $start")")
  start=$(now); dotnet test AgentC2.sln --no-build --filter "FullyQualifiedName~QueueCursorsTests|FullyQualifiedName~BackoffTests|FullyQualifiedName~OfflineModelTests|FullyQualifiedName~ToolArgumentsTests|FullyQualifiedName~MigrationRuleTests|FullyQualifiedName~ConfigurationKeyTests" >/dev/null 2>&1
  unit_times+=("$(calc "$(now) - $start")")
done

suite_median=$(printf '%s\n' "${suite_times[@]}" | median); unit_median=$(printf '%s\n' "${unit_times[@]}" | median)
echo "test suite wall time             $(printf '%s\n' "${suite_times[@]}" | stats)"
echo "  baseline: unit tests only      $(printf '%s\n' "${unit_times[@]}" | stats)"
printf '  ratio (medians)                %.2f x\n' "$(calc "$suite_median / $unit_median")"
