using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// MCP clients keyed by (organization, server), bounded per instance and per organization. Every use holds a lease, so
/// a client in use is never evicted or disposed under its caller. Concurrent first uses of a key start one server
/// (single flight). At capacity the least recently used idle client is evicted to make room; when every client is
/// leased, callers wait up to <see cref="McpPoolOptions.AcquireTimeout"/> and then fail (503 <c>mcp-pool-exhausted</c>).
/// A session that ends (the server died) is removed and replaced on next use; a server that fails to start is not tried
/// again for a doubling back-off, without affecting other keys. <see cref="Sweep"/> disposes clients idle longer than
/// <see cref="McpPoolOptions.IdleTimeout"/>. Time comes from <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class McpClientPool : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly IMcpConnector _connector;
    private readonly McpPoolOptions _options;
    private readonly McpPoolMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<McpClientPool> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<McpServerKey, Entry> _entries = [];
    private readonly Dictionary<McpServerKey, (int Failures, long RetryAt)> _failures = [];
    private TaskCompletionSource _released = NewSignal();
    private bool _disposed;

    public McpClientPool(IMcpConnector connector, IOptions<McpOptions> options, McpPoolMetrics metrics, TimeProvider time, ILogger<McpClientPool> logger)
    {
        _connector = connector;
        _options = options.Value.Pool;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _metrics.Observe(this);
    }

    /// <summary>Leases the client for <paramref name="key"/>, starting its server when needed. Dispose the lease when done.</summary>
    public async Task<McpLease> AcquireAsync(McpServerKey key, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            Entry? entry = null;
            Entry? victim = null;
            TaskCompletionSource? victimGone = null;
            Task released;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                released = _released.Task;
                if (_entries.TryGetValue(key, out var existing))
                {
                    existing.Leases++;
                    existing.LastUsed = _time.GetTimestamp();
                    entry = existing;
                    _metrics.Hit();
                }
                else
                {
                    if (_failures.TryGetValue(key, out var failure) && _time.GetTimestamp() < failure.RetryAt)
                    {
                        var wait = _time.GetElapsedTime(_time.GetTimestamp(), failure.RetryAt);
                        throw new McpServerUnavailableException($"The MCP server '{key.Server}' failed to start {failure.Failures} time(s); retrying after a back-off.", wait);
                    }

                    if (HasRoom(key, out victim))
                    {
                        entry = new Entry(key, _time.GetTimestamp());
                        if (victim is not null)
                        {
                            // The new server starts once the evicted one's process has ended: never more processes than clients allowed.
                            Remove(victim);
                            victimGone = NewSignal();
                            var gone = victimGone.Task;
                            var starting = entry;
                            entry.Session = Task.Run(async () =>
                            {
                                await gone;
                                return await StartAsync(starting);
                            });
                        }
                        else
                        {
                            var starting = entry;
                            entry.Session = Task.Run(() => StartAsync(starting));
                        }

                        _entries[key] = entry;
                        _metrics.Miss();
                    }
                }
            }

            if (victim is not null)
            {
                _metrics.Evicted("lru");
                try
                {
                    await DisposeWhenIdleAsync(victim);
                }
                finally
                {
                    victimGone!.TrySetResult();
                }
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

    /// <summary>Disposes clients idle longer than the idle timeout; returns how many.</summary>
    public async Task<int> Sweep()
    {
        List<Entry> idle;
        lock (_gate)
        {
            idle = [.. _entries.Values.Where(e => e.Leases == 0 && e.Session.IsCompletedSuccessfully && _time.GetElapsedTime(e.LastUsed) > _options.IdleTimeout)];
            idle.ForEach(Remove);
        }

        foreach (var entry in idle)
        {
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

    /// <summary>Forgets a server that was removed from its organization (its client goes once idle).</summary>
    public async Task ForgetAsync(McpServerKey key)
    {
        Entry? entry;
        lock (_gate)
        {
            _failures.Remove(key);
            if (_entries.TryGetValue(key, out entry))
            {
                Remove(entry);
            }
        }

        if (entry is not null)
        {
            _metrics.Evicted("removed");
            await DisposeWhenIdleAsync(entry);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Entry> all;
        lock (_gate)
        {
            _disposed = true;
            all = [.. _entries.Values];
            _entries.Clear();
            _released.TrySetResult();
        }

        await Task.WhenAll(all.Select(e => DisposeSessionAsync(e)));
    }

    internal void Release(Entry entry)
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

    // Room for a new key: below both caps, or an idle client to evict (the organization's own when at its cap).
    private bool HasRoom(McpServerKey key, out Entry? victim)
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

    private static Entry? LeastRecentlyUsedIdle(IEnumerable<Entry> entries) =>
        entries.Where(e => e.Leases == 0 && e.Session.IsCompleted).OrderBy(e => e.LastUsed).FirstOrDefault();

    private async Task<McpLease> LeaseAsync(Entry entry, CancellationToken cancellationToken)
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
    private async Task<IMcpSession> StartAsync(Entry entry)
    {
        var started = _time.GetTimestamp();
        try
        {
            using var timeout = new CancellationTokenSource(_options.StartTimeout, _time);
            var session = await _connector.ConnectAsync(entry.Key, timeout.Token);
            _metrics.ServerStarted(_time.GetElapsedTime(started));
            lock (_gate)
            {
                _failures.Remove(entry.Key);
            }

            _ = session.Completion.ContinueWith(_ => SessionEnded(entry), TaskScheduler.Default);
            return session;
        }
        catch (Exception exception)
        {
            TimeSpan backoff;
            lock (_gate)
            {
                var failures = _failures.TryGetValue(entry.Key, out var previous) ? previous.Failures + 1 : 1;
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, _options.StartFailureBackoff.Ticks * (1L << Math.Min(failures - 1, 20))));
                _failures[entry.Key] = (failures, _time.GetTimestamp() + (long)(backoff.TotalSeconds * _time.TimestampFrequency));
                Remove(entry);
            }

            LogStartFailed(_logger, entry.Key.ToString(), backoff.TotalSeconds, exception);
            throw new McpServerUnavailableException($"The MCP server '{entry.Key.Server}' could not be started ({exception.GetType().Name}).", backoff, exception);
        }
    }

    // The server went away (exited, transport closed): forget it; the next use starts a new one.
    private void SessionEnded(Entry entry)
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
    private void Remove(Entry entry)
    {
        entry.Removed = true;
        if (_entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
        {
            _entries.Remove(entry.Key);
        }

        Signal();
    }

    private Task DisposeWhenIdleAsync(Entry entry)
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

    private async Task DisposeSessionAsync(Entry entry)
    {
        if (Interlocked.Exchange(ref entry.DisposeStarted, 1) == 1)
        {
            return;
        }

        if (!entry.Session.IsCompletedSuccessfully && !await entry.Session.ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default))
        {
            return; // never started: nothing to dispose
        }

        try
        {
            await (await entry.Session).DisposeAsync();
        }
        catch (Exception exception)
        {
            LogDisposeFailed(_logger, entry.Key.ToString(), exception.Message);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disposing the MCP client for {Key} failed: {Reason}")]
    private static partial void LogDisposeFailed(ILogger logger, string key, string reason);

    internal sealed class Entry(McpServerKey key, long created)
    {
        public McpServerKey Key { get; } = key;

        public long Created { get; } = created;

        public Task<IMcpSession> Session { get; set; } = null!;

        public int Leases { get; set; } = 1;

        public long LastUsed { get; set; } = created;

        public bool Removed { get; set; }

        public int DisposeStarted;
    }
}

/// <summary>A client on loan from the pool: use <see cref="Session"/>, then dispose the lease.</summary>
internal sealed class McpLease(McpClientPool pool, McpClientPool.Entry entry, IMcpSession session) : IDisposable
{
    private int _released;

    public IMcpSession Session { get; } = session;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            pool.Release(entry);
        }
    }
}

public sealed record McpClientState(Guid OrganizationId, string Server, int Leases, string State, double IdleSeconds, double AgeSeconds);

public sealed record McpPoolState(int MaxClients, int MaxClientsPerOrganization, int Clients, int InUse, IReadOnlyList<McpClientState> Entries);
