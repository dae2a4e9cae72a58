using System.Globalization;
using System.Threading.RateLimiting;
using AgentC2.Agent.Tenancy;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;

namespace AgentC2.Agent.RateLimiting;

/// <summary>
/// One partition per (organization, API key): the organization's window and the key's window,
/// both counted in Redis (shared by every replica). Callers without a valid key are limited per
/// client address. Without Redis (Development only) the windows are counted in memory.
/// </summary>
internal sealed class TenantRateLimitPolicy(
    IServiceProvider services,
    IOptionsMonitor<RateLimitOptions> options,
    AgentMetrics metrics,
    ILoggerFactory loggerFactory) : IRateLimiterPolicy<string>
{
    private const string KeyPrefix = "agentc2:";

    private readonly IConnectionMultiplexer? _redis = services.GetService<IConnectionMultiplexer>();
    private readonly ILogger _logger = loggerFactory.CreateLogger<TenantRateLimitPolicy>();

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => null;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var settings = options.CurrentValue;
        if (httpContext.User.FindCaller() is not { } caller)
        {
            var address = httpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            return Partition($"anon:{address}", [("anonymous", $"anon:{address}", settings.Anonymous)]);
        }

        var organization = settings.ForOrganization(caller.OrganizationSlug);
        return Partition(
            $"{caller.OrganizationId:N}:{caller.ApiKeyId:N}:{organization}:{settings.ApiKey}",
            [
                ("organization", $"org:{caller.OrganizationId:N}", organization),
                ("api-key", $"key:{caller.ApiKeyId:N}", settings.ApiKey),
            ]);
    }

    private RateLimitPartition<string> Partition(string partitionKey, (string Scope, string Counter, WindowLimit Limit)[] windows) =>
        RateLimitPartition.Get(partitionKey, _ => new FailOpenRateLimiter(
            [.. windows.Select(w => (w.Scope, Create(w.Counter, w.Limit)))], metrics, _logger));

    private RateLimiter Create(string counter, WindowLimit limit)
    {
        // The window length is part of the Redis key, so a changed window starts a fresh count.
        var key = string.Create(CultureInfo.InvariantCulture, $"{KeyPrefix}{counter}:{(long)limit.Window.TotalSeconds}");
        return _redis is not null
            ? new RedisFixedWindowRateLimiter<string>(key, new RedisFixedWindowRateLimiterOptions
            {
                PermitLimit = limit.PermitLimit,
                Window = limit.Window,
                ConnectionMultiplexerFactory = () => _redis,
            })
            : new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit.PermitLimit,
                Window = limit.Window,
                QueueLimit = 0,
                AutoReplenishment = true,
            });
    }
}
