using System.Globalization;
using System.Threading.RateLimiting;
using AgentC2.Agent.Caching;
using StackExchange.Redis;

namespace AgentC2.Agent.RateLimiting;

/// <summary>One fixed window of a rate-limit decision: its counter in Redis and its limit.</summary>
internal sealed record RateWindow(string Scope, RedisKey Key, WindowLimit Limit);

/// <summary>
/// Every window of a request (organization, API key) decided by one Lua script in one round trip:
/// the request is counted only if all windows have room, so a rejection by one window does not use up
/// another. Windows start with their first request and expire after their length. When Redis does not
/// answer, the request is let through and counted in <c>agentc2_rate_limit_fail_open_total</c>: an outage
/// of the limiter's store must not become an outage of the API.
/// </summary>
internal sealed partial class RedisWindowsRateLimiter(IConnectionMultiplexer redis, IReadOnlyList<RateWindow> windows, AgentMetrics metrics, ILogger logger) : RateLimiter
{
    // KEYS: one counter per window. ARGV: per window, its limit then its length in milliseconds.
    // Returns {0, index of the full window, milliseconds until it resets} or {1}.
    private const string Script = """
        for i = 1, #KEYS do
          local count = tonumber(redis.call('GET', KEYS[i]) or '0')
          if count >= tonumber(ARGV[2 * i - 1]) then
            return {0, i, redis.call('PTTL', KEYS[i])}
          end
        end
        for i = 1, #KEYS do
          if redis.call('INCR', KEYS[i]) == 1 or redis.call('PTTL', KEYS[i]) < 0 then
            redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
          end
        end
        return {1}
        """;

    private readonly RedisKey[] _keys = [.. windows.Select(w => w.Key)];
    private readonly RedisValue[] _arguments = [.. windows.SelectMany(w => new RedisValue[] { w.Limit.PermitLimit, (long)w.Limit.Window.TotalMilliseconds })];
    private long _idleSince = Environment.TickCount64;

    public override TimeSpan? IdleDuration => TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _idleSince));

    public override RateLimiterStatistics? GetStatistics() => null;

    // The decision needs Redis: answer "not yet" so the middleware asks asynchronously.
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Decision.NotYet;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _idleSince, Environment.TickCount64);
        RedisResult[] result;
        try
        {
            result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, _keys, _arguments))!;
        }
        catch (Exception exception) when (RedisOutage.Is(exception, cancellationToken))
        {
            metrics.RateLimitFailedOpen();
            LogFailedOpen(logger, exception.GetType().Name);
            return Decision.Granted;
        }

        if ((int)result[0] == 1)
        {
            return Decision.Granted;
        }

        var window = windows[(int)result[1] - 1];
        metrics.RateLimitRejected(window.Scope);
        return new Decision(false, TimeSpan.FromMilliseconds(Math.Max(1_000, (long)result[2])));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limit let a request through: Redis did not answer ({Reason})")]
    private static partial void LogFailedOpen(ILogger logger, string reason);

    public static RedisKey CounterKey(string prefix, string counter, WindowLimit limit) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}{counter}:{(long)limit.Window.TotalSeconds}");
}

/// <summary>A rate-limit decision; a rejection carries when to retry.</summary>
internal sealed class Decision(bool acquired, TimeSpan? retryAfter = null) : RateLimitLease
{
    public static readonly Decision Granted = new(true);
    public static readonly Decision NotYet = new(false);

    public override bool IsAcquired => acquired;

    public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
        return metadata is not null;
    }
}
