using System.Collections.Concurrent;
using System.Text.Json;
using AgentC2.Agent.Caching;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// Carries registry changes to every agent instance. <see cref="AnnounceRemovedAsync"/> closes this instance's clients of
/// the server, publishes the change over Redis, and returns once every instance that heard it has closed its clients too
/// (each confirms on a second channel), or after <see cref="ConfirmationBound"/>. Without Redis the other instances
/// still never use the removed registration: every step reads the organization's registrations, and closes clients of
/// registrations that are gone (see <see cref="McpTools"/>); only a step already calling the server when it was removed
/// may finish that call. A change of the operator's catalog (an entry disabled, removed or changed, where the
/// configuration reloads) closes this instance's clients started from that entry.
/// </summary>
internal sealed partial class McpRegistryChanges : BackgroundService
{
    public static readonly TimeSpan ConfirmationBound = TimeSpan.FromSeconds(2);

    private static readonly RedisChannel Changed = RedisChannel.Literal("agentc2:mcp-servers:changed");
    private static readonly RedisChannel Applied = RedisChannel.Literal("agentc2:mcp-servers:applied");

    private readonly McpClientPool _pool;
    private readonly TimeProvider _time;
    private readonly ILogger<McpRegistryChanges> _logger;
    private readonly IConnectionMultiplexer? _redis;
    private readonly ConcurrentDictionary<string, Confirmations> _pending = new(StringComparer.Ordinal);
    private readonly IDisposable? _catalogChanges;
    private Dictionary<string, string> _catalog;

    public McpRegistryChanges(McpClientPool pool, IOptionsMonitor<McpOptions> options, IServiceProvider services, TimeProvider time, ILogger<McpRegistryChanges> logger)
    {
        _pool = pool;
        _time = time;
        _logger = logger;
        _redis = services.GetService<IConnectionMultiplexer>();
        _catalog = Fingerprints(options.CurrentValue);
        _catalogChanges = options.OnChange(CatalogChanged);
    }

    /// <summary>The server <paramref name="server"/> of <paramref name="organizationId"/> was removed or replaced: close its clients everywhere.</summary>
    public async Task AnnounceRemovedAsync(Guid organizationId, string server, CancellationToken cancellationToken)
    {
        // Out of the pool at once; clients in use end with their current call, without holding up the answer.
        _ = Close(organizationId, server);
        if (_redis is not null)
        {
            var change = Guid.NewGuid().ToString("N");
            var confirmations = _pending[change] = new Confirmations();
            try
            {
                // Every agent instance is subscribed, this one too: wait for as many confirmations as there were listeners.
                var listeners = await _redis.GetSubscriber().PublishAsync(Changed, $"{change} {organizationId:N} {server}");
                if (!await confirmations.WaitAsync((int)listeners, ConfirmationBound, _time, cancellationToken))
                {
                    LogUnconfirmed(_logger, server, confirmations.Count, listeners);
                }
            }
            catch (Exception exception) when (RedisOutage.Is(exception, cancellationToken))
            {
                LogBroadcastFailed(_logger, server, exception.Message);
            }
            finally
            {
                _pending.TryRemove(change, out _);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (_redis is not null && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                var subscriber = _redis.GetSubscriber();
                await subscriber.SubscribeAsync(Applied, (_, message) => _pending.GetValueOrDefault(message.ToString())?.Confirm());
                await subscriber.SubscribeAsync(Changed, (channel, message) => _ = ApplyAsync(subscriber, message.ToString()));
                return;
            }
            catch (Exception exception) when (RedisOutage.Is(exception, stoppingToken))
            {
                LogSubscribeFailed(_logger, exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    // "<change> <organization> <server>": take the clients out of the pool here, then confirm (their processes end in the background).
    private async Task ApplyAsync(ISubscriber subscriber, string message)
    {
        var parts = message.Split(' ', 3);
        if (parts.Length != 3 || !Guid.TryParseExact(parts[1], "N", out var organizationId))
        {
            return;
        }

        _ = Close(organizationId, parts[2]);
        try
        {
            await subscriber.PublishAsync(Applied, parts[0]);
        }
        catch (Exception exception) when (RedisOutage.Is(exception))
        {
            LogBroadcastFailed(_logger, parts[2], exception.Message);
        }
    }

    private Task Close(Guid organizationId, string server) =>
        _pool.CloseAsync((key, _) => key.OrganizationId == organizationId && key.Server == server, "removed");

    private void CatalogChanged(McpOptions options, string? name)
    {
        var current = Fingerprints(options);
        var changed = _catalog.Where(entry => current.GetValueOrDefault(entry.Key) != entry.Value).Select(entry => entry.Key).ToHashSet(StringComparer.Ordinal);
        _catalog = current;
        if (changed.Count > 0)
        {
            var entries = string.Join(", ", changed.Order());
            LogCatalogChanged(_logger, entries);
            _ = _pool.CloseAsync((_, catalog) => catalog is not null && changed.Contains(catalog), "removed");
        }
    }

    // An enabled entry's whole definition; a disabled entry has none.
    private static Dictionary<string, string> Fingerprints(McpOptions options) =>
        options.Catalog.Where(entry => entry.Value.Enabled).ToDictionary(entry => entry.Key, entry => JsonSerializer.Serialize(entry.Value), StringComparer.Ordinal);

    public override void Dispose()
    {
        _catalogChanges?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Server} removed: {Confirmed} of {Listeners} agent instances confirmed within the bound (the others stop using it at their next step)")]
    private static partial void LogUnconfirmed(ILogger logger, string server, int confirmed, long listeners);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce the removal of MCP server {Server} (other instances stop using it at their next step): {Reason}")]
    private static partial void LogBroadcastFailed(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP catalog entries changed or disabled: {Entries}; their clients are closed")]
    private static partial void LogCatalogChanged(ILogger logger, string entries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not yet following MCP registry changes: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);

    /// <summary>Confirmations of one change, which may arrive before the number to wait for is known.</summary>
    private sealed class Confirmations
    {
        private readonly TaskCompletionSource _enough = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;
        private int _expected = int.MaxValue;

        public int Count => Volatile.Read(ref _count);

        public void Confirm()
        {
            if (Interlocked.Increment(ref _count) >= Volatile.Read(ref _expected))
            {
                _enough.TrySetResult();
            }
        }

        public async Task<bool> WaitAsync(int expected, TimeSpan bound, TimeProvider time, CancellationToken cancellationToken)
        {
            Volatile.Write(ref _expected, expected);
            if (Count >= expected)
            {
                return true;
            }

            try
            {
                await _enough.Task.WaitAsync(bound, time, cancellationToken);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }
}
