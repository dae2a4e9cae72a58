using System.Threading.RateLimiting;

namespace AgentC2.Agent.RateLimiting;

/// <summary>
/// Development without Redis: the same windows counted in this process (so replicas do not share
/// them), one in-memory fixed-window limiter per window, asked in turn.
/// </summary>
internal sealed class LocalWindowsRateLimiter(IReadOnlyList<(string Scope, RateLimiter Limiter)> limiters, AgentMetrics metrics) : RateLimiter
{
    public override TimeSpan? IdleDuration => limiters.Select(l => l.Limiter.IdleDuration).Min();

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Decision.NotYet;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        foreach (var (scope, limiter) in limiters)
        {
            var lease = await limiter.AcquireAsync(permitCount, cancellationToken);
            if (!lease.IsAcquired)
            {
                metrics.RateLimitRejected(scope);
                return lease;
            }

            lease.Dispose();
        }

        return Decision.Granted;
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
}
