using AgentC2.Agent.Mcp;
using AgentC2.ServiceDefaults.Fleet;

namespace AgentC2.Agent.Runs;

/// <summary>
/// The runs this instance is executing right now (sync runs, and steps of async runs a worker asked for), and its MCP
/// clients: what its heartbeat tells the fleet view, and <c>agentc2_work_in_flight</c> tells an autoscaler.
/// </summary>
internal sealed class AgentLoad : IInstanceLoad
{
    private readonly McpClientPool _pool;
    private int _count;

    public AgentLoad(McpClientPool pool, AgentMetrics metrics)
    {
        _pool = pool;
        metrics.ObserveWorkInFlight(() => RunsInFlight);
    }

    public int RunsInFlight => Volatile.Read(ref _count);

    public int McpClients => _pool.State().Clients;

    /// <summary>Counts a run until the returned scope is disposed.</summary>
    public Scope Enter()
    {
        Interlocked.Increment(ref _count);
        return new Scope(this);
    }

    public readonly struct Scope(AgentLoad owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner._count);
    }
}
