#!/bin/sh
# Runs the PostgreSQL server in the foreground for the AgentC2 AppHost (local infrastructure mode).
# The orchestrator stops processes with SIGTERM, which PostgreSQL treats as a "smart" shutdown that
# waits for every client to disconnect; pooled service connections would hold it up for minutes,
# so SIGTERM is forwarded as SIGINT (PostgreSQL's fast shutdown).
"$@" &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null' TERM INT
status=0
while kill -0 "$pid" 2>/dev/null; do
  wait "$pid"
  status=$?
done
exit "$status"
