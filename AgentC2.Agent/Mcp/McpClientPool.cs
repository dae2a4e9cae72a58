using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// MCP clients keyed by (organization, server, registration), bounded per instance and per organization. Every use
/// holds a lease, so a client in use is never evicted or disposed under its caller. Concurrent first uses of a key
/// start one server (single flight). At capacity the least recently used idle client is evicted to make room; when
/// every client is leased, callers wait up to <see cref="McpPoolOptions.AcquireTimeout"/> and then fail (503
/// <c>mcp-pool-exhausted</c>). A session that ends (the server died) or that a caller found dead or expired is removed
/// and replaced on next use; a server that fails to start waits out a <see cref="StartBackoff"/>, without affecting
/// other keys. <see cref="SweepAsync"/> disposes clients idle longer than <see cref="McpPoolOptions.IdleTimeout"/>.
/// </summary>
internal sealed partial class McpClientPool : IAsyncDisposable
{
    private readonly IMcpConnector _connector;
    private readonly McpPoolOptions _options;
    private readonly McpPoolMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<McpClientPool> _logger;
    private readonly StartBackoff _backoff;
    private readonly Lock _gate = new();
    private readonly Dictionary<McpServerKey, McpPoolEntry> _entries = [];
    private TaskCompletionSource _released = NewSignal();
    private bool _disposed;

    public McpClientPool(IMcpConnector connector, IOptions<McpOptions> options, McpPoolMetrics metrics, TimeProvider time, ILogger<McpClientPool> logger)
    {
        _connector = connector;
        _options = options.Value.Pool;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _backoff = new StartBackoff(_options.StartFailureBackoff, time);
        _metrics.Observe(this);
    }

    /// <summary>Leases the client for <paramref name="key"/>, starting its server when needed. Dispose the lease when done.</summary>
    public async Task<McpLease> AcquireAsync(McpServerKey key, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            McpPoolEntry? entry;
            McpPoolEntry? victim = null;
            Task released;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                released = _released.Task;
                entry = Existing(key) ?? Start(key, out victim);
            }

            if (victim is not null)
            {
                _metrics.Evicted("lru");
                await DisposeWhenIdleAsync(victim);
            }

            if (entry is not null)
            {
                _metrics.AcquireWait(_time.GetElapsedTime(started));
                return await LeaseAsync(entry, cancellationToken);
            }

            // Every client that could make room is leased: wait for a release, within the acquire timeout.
            var remaining = _options.AcquireTimeout - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero || !await WaitAsync(released, remaining, cancellationToken))
            {
                _metrics.AcquireTimedOut();
                throw new McpPoolExhaustedException(
                    $"Every MCP client this instance may hold is in use (per instance {_options.MaxClientsPerInstance}, per organization {_options.MaxClientsPerOrganization}).",
                    _options.AcquireTimeout);
            }
        }
    }

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
        LogDiscarded(_logger, lease.Entry.Key.ToString(), reason);
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
            _backoff.ForgetWhere(key => match(key, null));
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

    /// <summary>What the pool holds now, for the operator endpoint, the gauges and the periodic log line.</summary>
    public McpPoolState State()
    {
        lock (_gate)
        {
            var clients = _entries.Values
                .Select(e => new McpClientState(e.Key.OrganizationId, e.Key.Server, e.Leases, e.Session.IsCompletedSuccessfully ? "ready" : "starting",
                    _time.GetElapsedTime(e.LastUsed).TotalSeconds, _time.GetElapsedTime(e.Created).TotalSeconds))
                .OrderBy(c => c.OrganizationId).ThenBy(c => c.Server).ToList();
            return new McpPoolState(_options.MaxClientsPerInstance, _options.MaxClientsPerOrganization, clients.Count, clients.Count(c => c.Leases > 0), clients);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<McpPoolEntry> all;
        lock (_gate)
        {
            _disposed = true;
            all = [.. _entries.Values];
            _entries.Clear();
            _released.TrySetResult();
        }

        await Task.WhenAll(all.Select(DisposeSessionAsync));
    }

    internal void Release(McpPoolEntry entry)
    {
        bool disposeNow;
        lock (_gate)
        {
            entry.Leases--;
            entry.LastUsed = _time.GetTimestamp();
            disposeNow = entry.Removed && entry.Leases == 0;
            Signal();
        }

        if (disposeNow)
        {
            _ = DisposeSessionAsync(entry);
        }
    }

    // Caller holds the gate. The key's client, leased to the caller, or null.
    private McpPoolEntry? Existing(McpServerKey key)
    {
        if (!_entries.TryGetValue(key, out var existing))
        {
            return null;
        }

        existing.Leases++;
        existing.LastUsed = _time.GetTimestamp();
        _metrics.Hit();
        return existing;
    }

    // Caller holds the gate. A new entry whose server is starting, leased to the caller; null when there is no room.
    private McpPoolEntry? Start(McpServerKey key, out McpPoolEntry? victim)
    {
        if (_backoff.IsWaiting(key, out var failures, out var remaining))
        {
            throw new McpServerUnavailableException($"The MCP server '{key.Server}' failed to start {failures} time(s); retrying after a back-off.", remaining);
        }

        if (!HasRoom(key, out victim))
        {
            return null;
        }

        var entry = new McpPoolEntry(key, _time.GetTimestamp());
        // With a victim, the new server starts once the evicted one's process has ended: never more processes than clients allowed.
        Task? victimGone = null;
        if (victim is not null)
        {
            Remove(victim);
            victimGone = victim.Disposed.Task;
        }

        entry.Session = Task.Run(async () =>
        {
            if (victimGone is not null)
            {
                await victimGone;
            }

            return await StartServerAsync(entry);
        });
        _entries[key] = entry;
        _metrics.Miss();
        return entry;
    }

    // Room for a new key: below both caps, or an idle client to evict (the organization's own when at its cap).
    private bool HasRoom(McpServerKey key, out McpPoolEntry? victim)
    {
        victim = null;
        var ofOrganization = _entries.Values.Where(e => e.Key.OrganizationId == key.OrganizationId).ToList();
        if (ofOrganization.Count >= _options.MaxClientsPerOrganization)
        {
            victim = LeastRecentlyUsedIdle(ofOrganization);
            return victim is not null;
        }

        if (_entries.Count >= _options.MaxClientsPerInstance)
        {
            victim = LeastRecentlyUsedIdle(_entries.Values);
            return victim is not null;
        }

        return true;
    }

    private static McpPoolEntry? LeastRecentlyUsedIdle(IEnumerable<McpPoolEntry> entries) =>
        entries.Where(e => e.IsIdle).OrderBy(e => e.LastUsed).FirstOrDefault();

    private async Task<McpLease> LeaseAsync(McpPoolEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            var session = await entry.Session.WaitAsync(cancellationToken);
            return new McpLease(this, entry, session);
        }
        catch
        {
            Release(entry);
            throw;
        }
    }

    // Starts the server (not tied to the first caller's cancellation: others may be waiting on it).
    private async Task<IMcpSession> StartServerAsync(McpPoolEntry entry)
    {
        var started = _time.GetTimestamp();
        try
        {
            using var timeout = new CancellationTokenSource(_options.StartTimeout, _time);
            var session = await _connector.ConnectAsync(entry.Key, timeout.Token);
            _metrics.ServerStarted(_time.GetElapsedTime(started));
            lock (_gate)
            {
                _backoff.Forget(entry.Key);
            }

            _ = session.Completion.ContinueWith(_ => SessionEnded(entry), TaskScheduler.Default);
            return session;
        }
        catch (Exception exception)
        {
            TimeSpan backoff;
            lock (_gate)
            {
                backoff = _backoff.Failed(entry.Key);
                Remove(entry);
            }

            LogStartFailed(_logger, entry.Key.ToString(), backoff.TotalSeconds, exception);
            var reason = exception is McpStartException ? exception.Message : exception.GetType().Name;
            throw new McpServerUnavailableException($"The MCP server '{entry.Key.Server}' could not be started: {reason}", backoff, exception);
        }
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
            LogSessionEnded(_logger, entry.Key.ToString());
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

        Signal();
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

    private async Task DisposeSessionAsync(McpPoolEntry entry)
    {
        if (Interlocked.Exchange(ref entry.DisposeStarted, 1) == 1)
        {
            return;
        }

        try
        {
            // A session that never started has nothing to dispose.
            if (await entry.Session.ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default))
            {
                await (await entry.Session).DisposeAsync();
            }
        }
        catch (Exception exception)
        {
            LogDisposeFailed(_logger, entry.Key.ToString(), exception.Message);
        }
        finally
        {
            entry.Disposed.TrySetResult();
        }
    }

    // Caller holds the gate: wakes every waiter (each re-checks for room).
    private void Signal()
    {
        _released.TrySetResult();
        _released = NewSignal();
    }

    private async Task<bool> WaitAsync(Task released, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await released.WaitAsync(timeout, _time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Key} failed to start; not retried for {BackoffSeconds} s")]
    private static partial void LogStartFailed(ILogger logger, string key, double backoffSeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Key} went away; it is started again on next use")]
    private static partial void LogSessionEnded(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP client for {Key} discarded ({Reason}); the next use starts a new session")]
    private static partial void LogDiscarded(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disposing the MCP client for {Key} failed: {Reason}")]
    private static partial void LogDisposeFailed(ILogger logger, string key, string reason);
}
