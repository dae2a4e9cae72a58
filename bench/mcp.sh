#!/usr/bin/env bash
# The MCP client pool on the sample stdio server (real processes, the product's pool and connector):
#   1. one tool call through the pool vs the same call on a plain, already-open client, vs a cold start
#      (spawn + initialize + list tools + call);
#   2. 200 organizations calling with Zipf-skewed popularity for [seconds], once under each admission policy (plain
#      LRU, then W-TinyLFU, the default): the hit rate once warm (next to what a perfect cache of 20 clients could reach
#      on that workload), the misses of the 20 busiest organizations, peak server processes, RSS over time.
#      The default exponent 3 gives the 20 busiest organizations 99.9 % of calls; at 2.5 they get 99.5 %, and no
#      policy holding 20 clients could reach a 99 % hit rate much below that.
# Usage: bench/mcp.sh [seconds] [zipf-exponent]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; exponent="${2:-3}"
dotnet build samples/AgentC2.McpSample -c Release -v quiet -nologo >/dev/null
dotnet build bench/AgentC2.Bench -c Release -v quiet -nologo >/dev/null
echo "AgentC2 MCP pool benchmark ($(nproc) cores)"
dotnet bench/AgentC2.Bench/bin/Release/net10.0/AgentC2.Bench.dll mcp \
  "$PWD/samples/AgentC2.McpSample/bin/Release/net10.0/AgentC2.McpSample.dll" "$seconds" "$exponent"
