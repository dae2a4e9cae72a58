using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace AgentC2.Agent.RateLimiting;

/// <summary>
/// Acquires from each limiter in turn (organization, then key). When Redis does not answer the
/// request is let through, counted in <c>agentc2_rate_limit_fail_open_total</c>: an outage of the
/// limiter's store must not become an outage of the API.
/// </summary>
internal sealed partial class FailOpenRateLimiter(IReadOnlyList<(string Scope, RateLimiter Limiter)> limiters, AgentMetrics metrics, ILogger logger) : RateLimiter
{
    public override TimeSpan? IdleDuration => limiters.Select(l => l.Limiter.IdleDuration).Min();

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.Denied;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        foreach (var (scope, limiter) in limiters)
        {
            RateLimitLease lease;
            try
            {
                lease = await limiter.AcquireAsync(permitCount, cancellationToken);
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException or ObjectDisposedException)
            {
                metrics.RateLimitFailedOpen();
                LogFailedOpen(logger, scope, exception.GetType().Name);
                continue;
            }

            if (!lease.IsAcquired)
            {
                metrics.RateLimitRejected(scope);
                return lease;
            }

            lease.Dispose();
        }

        return Lease.Granted;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var (_, limiter) in limiters)
            {
                limiter.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limit ({Scope}) let a request through: Redis did not answer ({Reason})")]
    private static partial void LogFailedOpen(ILogger logger, string scope, string reason);

    /// <summary>A decision without metadata: granted after every window agreed, or denied (the synchronous attempt, always).</summary>
    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Granted = new(true);
        public static readonly Lease Denied = new(false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
