using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// MCP clients keyed by (organization, server, registration), bounded per instance and per organization. Every use
/// holds a lease, so a client in use is never evicted or disposed under its caller. Concurrent first uses of a key
/// start one server (single flight). At capacity an idle client is evicted to make room, chosen by frequency and recency
/// (<see cref="McpPoolAdmission"/>: a one-off caller cannot push out a steady one); when
/// every client is leased, callers wait up to <see cref="McpPoolOptions.AcquireTimeout"/> and then fail (503
/// <c>mcp-pool-exhausted</c>). A session that ends (the server died) or that a caller found dead or expired is removed
/// and replaced on next use; a server that fails to start waits out a <see cref="StartBackoff"/>, without affecting
/// other keys. <see cref="SweepAsync"/> disposes clients idle longer than <see cref="McpPoolOptions.IdleTimeout"/>.
/// </summary>
internal sealed partial class McpClientPool : IAsyncDisposable
{
    private readonly McpPoolOptions _options;
    private readonly McpPoolMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<McpClientPool> _logger;
    private readonly McpServerStarter _starter;
    private readonly McpPoolAdmission _admission;
    private readonly Lock _gate = new();
    private readonly Dictionary<McpServerKey, McpPoolEntry> _entries = [];
    private readonly ReleaseSignal _released = new();
    private bool _disposed;
    private int _waiting;

    public McpClientPool(IMcpConnector connector, IOptions<McpOptions> options, McpPoolMetrics metrics, TimeProvider time, ILogger<McpClientPool> logger)
    {
        _options = options.Value.Pool;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _starter = new McpServerStarter(connector, _options, metrics, time, logger);
        _admission = new McpPoolAdmission(_options);
        _metrics.Observe(this);
    }

    /// <summary>Leases the client for <paramref name="key"/>, starting its server when needed. Dispose the lease when done.</summary>
    public async Task<McpLease> AcquireAsync(McpServerKey key, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var counted = false;
        while (true)
        {
            McpPoolEntry? entry;
            McpPoolEntry? victim = null;
            Task released;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (!counted)
                {
                    // Once per acquire (not per retry while waiting for room): the admission policy's use count.
                    _admission.Record(key);
                    counted = true;
                }

                released = _released.Next;
                entry = Existing(key) ?? Start(key, _time.GetElapsedTime(started), out victim);
            }

            if (victim is not null)
            {
                _metrics.Evicted(victim.Admitted ? "lru" : "window");
                await DisposeWhenIdleAsync(victim);
            }

            if (entry is not null)
            {
                _metrics.AcquireWait(_time.GetElapsedTime(started));
                return await LeaseAsync(entry, cancellationToken);
            }

            // Every client that could make room is leased (or only a main client could, and the key's patience for the
            // admission window is not yet out): wait for a release, or the key's next deadline, within the acquire timeout.
            var elapsed = _time.GetElapsedTime(started);
            var remaining = _options.AcquireTimeout - elapsed;
            if (_admission.NextDeadline(elapsed) is { } next)
            {
                remaining = TimeSpan.FromTicks(Math.Min(remaining.Ticks, (next - elapsed).Ticks));
            }

            if (remaining <= TimeSpan.Zero || (!await WaitForRoomAsync(released, remaining, cancellationToken) && _time.GetElapsedTime(started) >= _options.AcquireTimeout))
            {
                _metrics.AcquireTimedOut();
                throw new McpPoolExhaustedException(
                    $"Every MCP client this instance may hold is in use (per instance {_options.MaxClientsPerInstance}, per organization {_options.MaxClientsPerOrganization}).",
                    _options.AcquireTimeout);
            }
        }
    }

    /// <summary>What the pool holds now, for the operator endpoint, the gauges and the periodic log line.</summary>
    public McpPoolState State()
    {
        lock (_gate)
        {
            return McpPoolState.Of(_entries.Values, Volatile.Read(ref _waiting), _options, _time);
        }
    }

    /// <summary>Waits for a release within <paramref name="timeout"/>, counted in <see cref="McpPoolState.Waiting"/> once its timer runs.</summary>
    private async Task<bool> WaitForRoomAsync(Task released, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var wait = ReleaseSignal.WaitAsync(released, timeout, _time, cancellationToken);
        Interlocked.Increment(ref _waiting);
        try
        {
            return await wait;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
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
            _released.Pulse();
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
            _released.Pulse();
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
        existing.Provisional = false;
        _metrics.Hit();
        return existing;
    }

    // Caller holds the gate. A new entry whose server is starting, leased to the caller; null when there is no room.
    private McpPoolEntry? Start(McpServerKey key, TimeSpan waited, out McpPoolEntry? victim)
    {
        _starter.ThrowIfBackingOff(key);
        victim = null;
        if (_admission.Admit(_entries.Values, key, waited) is not { } admission)
        {
            return null;
        }

        victim = admission.Victim;
        var entry = new McpPoolEntry(key, _time.GetTimestamp()) { Admitted = admission.Admitted, Provisional = admission.Provisional };
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
        _admission.Added(_entries.Values, admission);
        _metrics.Miss();
        return entry;
    }

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

    // Starts the server (not tied to the first caller's cancellation: others may be waiting on it); a failed start leaves the pool.
    private async Task<IMcpSession> StartServerAsync(McpPoolEntry entry)
    {
        try
        {
            var session = await _starter.StartAsync(entry.Key);
            _ = session.Completion.ContinueWith(_ => SessionEnded(entry), TaskScheduler.Default);
            return session;
        }
        catch
        {
            lock (_gate)
            {
                Remove(entry);
            }

            throw;
        }
    }
}
