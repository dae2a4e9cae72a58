using AgentC2.Agent.Mcp;
using AgentC2.ServiceDefaults.Fleet;

namespace AgentC2.Agent.Runs;

/// <summary>
/// The runs this instance is executing right now (sync runs, and steps of async runs a worker asked for), and its MCP
/// clients: what its heartbeat tells the fleet view.
/// </summary>
internal sealed class AgentLoad(McpClientPool pool) : IInstanceLoad
{
    private int _count;

    public int RunsInFlight => Volatile.Read(ref _count);

    public int McpClients => pool.State().Clients;

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
