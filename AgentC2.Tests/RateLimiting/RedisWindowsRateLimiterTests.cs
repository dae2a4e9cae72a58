extern alias AgentService;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using System.Threading.RateLimiting;
using AgentC2.Tests.Fixtures;
using AgentService::AgentC2.Agent;
using AgentService::AgentC2.Agent.RateLimiting;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AgentC2.Tests.RateLimiting;

/// <summary>The rate-limit script against the application's real Redis.</summary>
[Collection(AppHostCollection.Name)]
public sealed class RedisWindowsRateLimiterTests(AppHostFixture fixture)
{
    [Fact]
    public async Task All_windows_are_decided_together_and_a_rejection_uses_up_no_window()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync(AgentC2.ResourceNames.Redis))!);
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var tag = Guid.NewGuid().ToString("N");
        var organization = new RateWindow("organization", $"test:{{{tag}}}:org", new WindowLimit { PermitLimit = 5, Window = TimeSpan.FromMinutes(1) });
        var key = new RateWindow("api-key", $"test:{{{tag}}}:key", new WindowLimit { PermitLimit = 2, Window = TimeSpan.FromMinutes(1) });
        using var limiter = new RedisWindowsRateLimiter(redis, [organization, key], new AgentMetrics(meters), NullLogger.Instance);

        var decisions = new List<RateLimitLease>();
        for (var i = 0; i < 4; i++)
        {
            decisions.Add(await limiter.AcquireAsync(1));
        }

        Assert.Equal([true, true, false, false], decisions.Select(d => d.IsAcquired));
        Assert.True(decisions[2].TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal(2, (int)await redis.GetDatabase().StringGetAsync(organization.Key));
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(organization.Key);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
    }
}
