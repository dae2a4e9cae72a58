namespace AgentC2.Agent.Mcp;

/// <summary>One pooled client: its session (starting or started), its leases and when it was last used. The pool's lock guards it.</summary>
internal sealed class McpPoolEntry(McpServerKey key, long created)
{
    public McpServerKey Key { get; } = key;

    public long Created { get; } = created;

    public Task<IMcpSession> Session { get; set; } = null!;

    public int Leases { get; set; } = 1;

    public long LastUsed { get; set; } = created;

    /// <summary>Past the pool's admission window: a main client (<see cref="McpPoolAdmission"/>).</summary>
    public bool Admitted { get; set; }

    /// <summary>In the main region only by waiting out its patience, and not used since: the first place a newcomer takes.</summary>
    public bool Provisional { get; set; }

    /// <summary>Out of the pool: disposed once its last lease is released.</summary>
    public bool Removed { get; set; }

    private int _disposeStarted;

    /// <summary>Completes once the session is disposed (or was never started): a client evicted to make room is gone before its replacement starts.</summary>
    public TaskCompletionSource Disposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsIdle => Leases == 0 && Session.IsCompleted;

    /// <summary>Disposes the session once (a session that never started has nothing to dispose), then completes <see cref="Disposed"/>.</summary>
    public async Task DisposeSessionAsync(Action<string> failed)
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) == 1)
        {
            return;
        }

        try
        {
            if (await Session.ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default))
            {
                await (await Session).DisposeAsync();
            }
        }
        catch (Exception exception)
        {
            failed(exception.Message);
        }
        finally
        {
            Disposed.TrySetResult();
        }
    }
}

/// <summary>A client on loan from the pool: use <see cref="Session"/>, then dispose the lease.</summary>
internal sealed class McpLease(McpClientPool pool, McpPoolEntry entry, IMcpSession session) : IDisposable
{
    private int _released;

    public IMcpSession Session { get; } = session;

    internal McpPoolEntry Entry { get; } = entry;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            pool.Release(Entry);
        }
    }
}

public sealed record McpClientState(Guid OrganizationId, string Server, int Leases, string State, double IdleSeconds, double AgeSeconds);

/// <summary>One instance's pool: its caps, its clients, those leased, and the callers waiting for room.</summary>
public sealed record McpPoolState(int MaxClients, int MaxClientsPerOrganization, int Clients, int InUse, int Waiting, IReadOnlyList<McpClientState> Entries)
{
    internal static McpPoolState Of(IEnumerable<McpPoolEntry> entries, int waiting, McpPoolOptions options, TimeProvider time)
    {
        var clients = entries
            .Select(e => new McpClientState(e.Key.OrganizationId, e.Key.Server, e.Leases, e.Session.IsCompletedSuccessfully ? "ready" : "starting",
                time.GetElapsedTime(e.LastUsed).TotalSeconds, time.GetElapsedTime(e.Created).TotalSeconds))
            .OrderBy(c => c.OrganizationId).ThenBy(c => c.Server).ToList();
        return new McpPoolState(options.MaxClientsPerInstance, options.MaxClientsPerOrganization, clients.Count, clients.Count(c => c.Leases > 0), waiting, clients);
    }
}
