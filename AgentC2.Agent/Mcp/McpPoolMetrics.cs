using System.Diagnostics.Metrics;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// The MCP pool's instruments (Prometheus names in docs/metrics.md): <c>agentc2_active_mcp_clients</c>,
/// <c>agentc2_mcp_clients</c> (in use / idle), <c>agentc2_mcp_pool_hits_total</c>, <c>agentc2_mcp_pool_misses_total</c>,
/// <c>agentc2_mcp_pool_evictions_total</c>, <c>agentc2_mcp_pool_acquire_timeouts_total</c>,
/// <c>agentc2_mcp_pool_acquire_wait_seconds</c>, <c>agentc2_mcp_server_start_seconds</c>, <c>agentc2_mcp_sessions_renewed_total</c>,
/// <c>agentc2_mcp_redactions_total</c>.
/// </summary>
internal sealed class McpPoolMetrics
{
    public static readonly string[] EvictionReasons = ["lru", "window", "idle", "dead", "expired", "removed"];

    private readonly Meter _meter;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _evictions;
    private readonly Counter<long> _timeouts;
    private readonly Counter<long> _renewals;
    private readonly Counter<long> _redactions;
    private readonly Histogram<double> _acquireWait;
    private readonly Histogram<double> _serverStart;

    public McpPoolMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(AgentMetrics.MeterName);
        _hits = _meter.CreateCounter<long>("agentc2.mcp.pool.hits", description: "Acquires served by a client the pool already held.");
        _misses = _meter.CreateCounter<long>("agentc2.mcp.pool.misses", description: "Acquires that had to start a server.");
        _evictions = _meter.CreateCounter<long>("agentc2.mcp.pool.evictions", description: "Clients disposed by reason: lru (room for another), idle (sweep), dead (server gone), expired (session unknown to the server), removed (registration removed or changed).");
        _renewals = _meter.CreateCounter<long>("agentc2.mcp.sessions.renewed", description: "Tool calls retried on a new session because the server no longer knew the old one.");
        _redactions = _meter.CreateCounter<long>("agentc2.mcp.redactions", description: "Secrets of the service replaced in tool results and tool errors before they were stored, logged or returned.");
        _timeouts = _meter.CreateCounter<long>("agentc2.mcp.pool.acquire_timeouts", description: "Acquires that gave up because every client was in use.");
        _acquireWait = _meter.CreateHistogram<double>("agentc2.mcp.pool.acquire_wait", unit: "s", description: "Time to obtain a lease (excluding the server's start).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.000_01, 0.000_1, 0.001, 0.01, 0.1, 0.5, 1, 5, 10] });
        _serverStart = _meter.CreateHistogram<double>("agentc2.mcp.server.start", unit: "s", description: "Time to start a server: spawn or connect, initialize, list tools.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

        _hits.Add(0);
        _misses.Add(0);
        _timeouts.Add(0);
        _renewals.Add(0);
        _redactions.Add(0);
        foreach (var reason in EvictionReasons)
        {
            _evictions.Add(0, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>Registers the gauges that read the pool's state at scrape time.</summary>
    public void Observe(McpClientPool pool)
    {
        _meter.CreateObservableGauge("agentc2.active_mcp_clients", () => pool.State().Clients, unit: "{client}",
            description: "MCP clients (server sessions) this instance holds.");
        _meter.CreateObservableGauge("agentc2.mcp.clients", () =>
        {
            var state = pool.State();
            return new[]
            {
                new Measurement<int>(state.InUse, new KeyValuePair<string, object?>("state", "in_use")),
                new Measurement<int>(state.Clients - state.InUse, new KeyValuePair<string, object?>("state", "idle")),
            };
        }, unit: "{client}", description: "MCP clients in use (leased) and idle.");
        _meter.CreateObservableGauge("agentc2.mcp.pool.capacity", () => pool.State().MaxClients, unit: "{client}",
            description: "The most MCP clients this instance may hold (alerts compare the clients in use with it).");
    }

    public void Hit() => _hits.Add(1);

    public void Miss() => _misses.Add(1);

    public void Evicted(string reason) => _evictions.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void AcquireTimedOut() => _timeouts.Add(1);

    public void SessionRenewed() => _renewals.Add(1);

    public void Redacted(int count)
    {
        if (count > 0)
        {
            _redactions.Add(count);
        }
    }

    public void AcquireWait(TimeSpan wait) => _acquireWait.Record(wait.TotalSeconds);

    public void ServerStarted(TimeSpan duration) => _serverStart.Record(duration.TotalSeconds);
}
