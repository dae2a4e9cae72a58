namespace AgentC2.Agent.Mcp;

/// <summary>
/// How clients leave the pool: discarded by a caller that found the session unusable, closed when their registration or
/// catalog entry changed, swept when idle, or gone when their server went away. A client in use leaves the pool at once
/// and is disposed when its last lease is released.
/// </summary>
internal sealed partial class McpClientPool
{
    /// <summary>The caller found the lease's session unusable (<c>dead</c>: server gone; <c>expired</c>: session unknown to the server): out of the pool, the next acquire starts a new one.</summary>
    public Task DiscardAsync(McpLease lease, string reason)
    {
        lock (_gate)
        {
            if (lease.Entry.Removed)
            {
                return Task.CompletedTask;
            }

            Remove(lease.Entry);
        }

        _metrics.Evicted(reason);
        McpPoolLog.Discarded(_logger, lease.Entry.Key.ToString(), reason);
        return DisposeWhenIdleAsync(lease.Entry);
    }

    /// <summary>
    /// Closes every client <paramref name="match"/> selects by key and catalog entry (a registration removed or replaced, a
    /// catalog entry changed): out of the pool before this returns, so no later acquire gets one of them; the returned task
    /// completes when their servers are disposed (a client in use goes when its current call ends).
    /// </summary>
    public Task CloseAsync(Func<McpServerKey, string?, bool> match, string reason)
    {
        List<McpPoolEntry> closing;
        lock (_gate)
        {
            closing = [.. _entries.Values.Where(e => match(e.Key, e.Session.IsCompletedSuccessfully ? e.Session.Result.Catalog : null))];
            closing.ForEach(Remove);
            _starter.ForgetWhere(key => match(key, null));
        }

        foreach (var entry in closing)
        {
            _metrics.Evicted(reason);
            _ = DisposeWhenIdleAsync(entry); // a leased one: its last release disposes it
        }

        return Task.WhenAll(closing.Select(entry => entry.Disposed.Task));
    }

    /// <summary>Disposes clients idle longer than the idle timeout; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        List<McpPoolEntry> idle;
        lock (_gate)
        {
            idle = [.. _entries.Values.Where(e => e.Leases == 0 && e.Session.IsCompletedSuccessfully && _time.GetElapsedTime(e.LastUsed) > _options.IdleTimeout)];
            idle.ForEach(Remove);
        }

        foreach (var entry in idle)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _metrics.Evicted("idle");
            await DisposeWhenIdleAsync(entry);
        }

        return idle.Count;
    }

    // The server went away (exited, transport closed, session expired): forget it; the next use starts a new one.
    private void SessionEnded(McpPoolEntry entry)
    {
        bool removed;
        lock (_gate)
        {
            removed = !entry.Removed && !_disposed;
            if (removed)
            {
                Remove(entry);
            }
        }

        if (removed)
        {
            _metrics.Evicted("dead");
            McpPoolLog.SessionEnded(_logger, entry.Key.ToString());
            _ = DisposeWhenIdleAsync(entry);
        }
    }

    // Caller holds the gate.
    private void Remove(McpPoolEntry entry)
    {
        entry.Removed = true;
        if (_entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
        {
            _entries.Remove(entry.Key);
        }

        _released.Pulse();
    }

    private Task DisposeWhenIdleAsync(McpPoolEntry entry)
    {
        lock (_gate)
        {
            if (entry.Leases > 0)
            {
                return Task.CompletedTask; // the last lease's release disposes it
            }
        }

        return DisposeSessionAsync(entry);
    }

    private Task DisposeSessionAsync(McpPoolEntry entry) =>
        entry.DisposeSessionAsync(reason => McpPoolLog.DisposeFailed(_logger, entry.Key.ToString(), reason));
}
