using System.Threading.RateLimiting;
using AgentC2.Agent.Tenancy;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentC2.Agent.RateLimiting;

/// <summary>
/// One partition per (organization, API key): the organization's window and the key's window,
/// counted in Redis (shared by every replica) and decided together in one script; their keys share a
/// hash tag, so they sit in one Redis Cluster slot. Callers without a valid key are limited per client
/// address. Without Redis (Development only) the windows are counted in memory.
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
                ("organization", $"{{{caller.OrganizationId:N}}}:org", organization),
                ("api-key", $"{{{caller.OrganizationId:N}}}:key:{caller.ApiKeyId:N}", settings.ApiKey),
            ]);
    }

    private RateLimitPartition<string> Partition(string partitionKey, (string Scope, string Counter, WindowLimit Limit)[] windows) =>
        RateLimitPartition.Get<string>(partitionKey, _ => _redis is not null
            ? new RedisWindowsRateLimiter(_redis, [.. windows.Select(w => new RateWindow(w.Scope, RedisWindowsRateLimiter.CounterKey(KeyPrefix, w.Counter, w.Limit), w.Limit))], metrics, _logger)
            : new LocalWindowsRateLimiter([.. windows.Select(w => (w.Scope, (RateLimiter)new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
            {
                PermitLimit = w.Limit.PermitLimit,
                Window = w.Limit.Window,
                QueueLimit = 0,
                AutoReplenishment = true,
            })))], metrics));
}
