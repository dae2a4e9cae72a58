using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentC2.ServiceDefaults.Health;

/// <summary><c>PING</c> to the service's Redis, bounded by <see cref="HealthOptions.DependencyTimeout"/>; skipped when none is configured.</summary>
internal sealed class RedisHealthCheck(IServiceProvider services, IOptionsMonitor<HealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<IConnectionMultiplexer>() is not { } redis)
        {
            return SkippedCheck.Result("no Redis is configured for this service");
        }

        try
        {
            var latency = await redis.GetDatabase().PingAsync()
                .WaitAsync(options.CurrentValue.DependencyTimeout, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Redis answered PING in {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"Redis did not answer PING: {DependencyFailure.Reason(exception)}");
        }
    }
}
