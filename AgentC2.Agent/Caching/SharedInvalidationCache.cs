using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace AgentC2.Agent.Caching;

/// <summary>
/// A per-instance cache whose entries expire after <c>duration</c> and which every instance empties when any one of
/// them announces a change over Redis pub/sub (<see cref="InvalidateAsync"/>). Without Redis, other instances catch up
/// when their entries expire. Misses (null) are not cached. A zero duration turns caching off.
/// </summary>
internal sealed partial class SharedInvalidationCache<TValue> : BackgroundService
    where TValue : class
{
    private readonly RedisChannel _channel;
    private readonly TimeSpan _duration;
    private readonly IConnectionMultiplexer? _redis;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public SharedInvalidationCache(string channel, TimeSpan duration, IServiceProvider services, TimeProvider time, ILogger logger)
    {
        _channel = RedisChannel.Literal(channel);
        _duration = duration;
        _redis = services.GetService<IConnectionMultiplexer>();
        _time = time;
        _logger = logger;
    }

    public async Task<TValue?> GetOrLoadAsync(string key, Func<CancellationToken, Task<TValue?>> load, CancellationToken cancellationToken)
    {
        if (_duration <= TimeSpan.Zero)
        {
            return await load(cancellationToken);
        }

        if (_cache.TryGetValue(key, out TValue? cached))
        {
            return cached;
        }

        var value = await load(cancellationToken);
        if (value is not null)
        {
            _cache.Set(key, value, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _duration, Size = 1 });
        }

        return value;
    }

    /// <summary>Something cached changed: forget everything here at once, and tell the other instances.</summary>
    public async Task InvalidateAsync()
    {
        _cache.Clear();
        if (_redis is null)
        {
            return;
        }

        try
        {
            await _redis.GetSubscriber().PublishAsync(_channel, "changed");
        }
        catch (Exception exception) when (RedisOutage.Is(exception))
        {
            LogBroadcastFailed(_logger, _channel.ToString(), exception.Message);
        }
    }

    // Follows the other instances' announcements; retried until Redis answers (the client keeps subscriptions across reconnects).
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (_redis is not null && _duration > TimeSpan.Zero && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _redis.GetSubscriber().SubscribeAsync(_channel, (_, _) => _cache.Clear());
                return;
            }
            catch (Exception exception) when (RedisOutage.Is(exception, stoppingToken))
            {
                LogSubscribeFailed(_logger, _channel.ToString(), exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    public override void Dispose()
    {
        _cache.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce a change on {Channel} (other instances catch up when their entries expire): {Reason}")]
    private static partial void LogBroadcastFailed(ILogger logger, string channel, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not yet following changes announced on {Channel}: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, string channel, string reason);
}
