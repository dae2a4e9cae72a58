using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentC2.Agent.Tenancy;

/// <summary>
/// Who an API key belongs to, cached per instance for <see cref="TenancyOptions.ApiKeyCacheDuration"/> so that a request
/// does not pay a database round trip to authenticate. A revocation empties the cache at once on the revoking instance
/// and, through Redis pub/sub, on every other; if Redis is away, a revoked key stops working everywhere within the
/// cache duration. Unknown keys are not cached: they always reach the database.
/// </summary>
internal sealed partial class CallerCache : BackgroundService
{
    private static readonly RedisChannel RevocationsChannel = RedisChannel.Literal("agentc2:api-keys:revoked");

    private readonly OrganizationStore _organizations;
    private readonly IConnectionMultiplexer? _redis;
    private readonly TimeSpan _duration;
    private readonly TimeProvider _time;
    private readonly ILogger<CallerCache> _logger;
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public CallerCache(OrganizationStore organizations, IServiceProvider services, IOptions<TenancyOptions> options, TimeProvider time, ILogger<CallerCache> logger)
    {
        _organizations = organizations;
        _redis = services.GetService<IConnectionMultiplexer>();
        _duration = options.Value.ApiKeyCacheDuration;
        _time = time;
        _logger = logger;
    }

    public async Task<Caller?> FindCallerAsync(string apiKey, CancellationToken cancellationToken)
    {
        if (_duration <= TimeSpan.Zero)
        {
            return await _organizations.FindCallerAsync(apiKey, cancellationToken);
        }

        var hash = Convert.ToBase64String(ApiKeys.Hash(apiKey));
        if (_cache.TryGetValue(hash, out Caller? cached))
        {
            return cached;
        }

        var caller = await _organizations.FindCallerAsync(apiKey, cancellationToken);
        if (caller is not null)
        {
            _cache.Set(hash, caller, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _duration, Size = 1 });
        }

        return caller;
    }

    /// <summary>A key was revoked here: forget every cached key, here and on the other instances.</summary>
    public async Task RevokedAsync()
    {
        _cache.Clear();
        if (_redis is null)
        {
            return;
        }

        try
        {
            await _redis.GetSubscriber().PublishAsync(RevocationsChannel, "revoked");
        }
        catch (RedisException exception)
        {
            LogBroadcastFailed(_logger, exception.Message);
        }
    }

    // Listens for revocations on other instances; retried until Redis answers (subscriptions survive reconnects).
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (_redis is not null && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _redis.GetSubscriber().SubscribeAsync(RevocationsChannel, (_, _) => _cache.Clear());
                return;
            }
            catch (RedisException exception)
            {
                LogSubscribeFailed(_logger, exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    public override void Dispose()
    {
        _cache.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other instances of a revoked API key (they forget it within the cache duration): {Reason}")]
    private static partial void LogBroadcastFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not yet following API key revocations from other instances: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);
}
