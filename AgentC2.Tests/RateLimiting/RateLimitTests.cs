using System.Net;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.RateLimiting;

/// <summary>Rate limits are counted in Redis and shared by the agent's replicas; without Redis they fail open.</summary>
[Collection(AppHostCollection.Name)]
public sealed class RateLimitTests(AppHostFixture fixture)
{
    /// <summary>An organization whose rate limit the test settings lower.</summary>
    public const string Organization = "rate-limited";
    public const int Permits = 10;

    [Fact]
    public async Task The_limit_is_shared_across_replicas()
    {
        var organization = await fixture.CreateOrganizationAsync(Organization);
        var proxy = fixture.CreateClient(AgentC2.ResourceNames.Agent).BaseAddress!;
        var replicas = await fixture.Replicas.AddressesAsync(AgentC2.ResourceNames.Agent).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, replicas.Count);

        // 3N requests, each on a new connection, alternating between the two replicas.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3 * Permits; i++)
        {
            using var client = AppHostFixture.WithApiKey(
                new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = replicas[i % 2] }, organization.ApiKey);
            using var response = await client.GetAsync("/api/agents");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await response.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate-limited");
                Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
            }
        }

        Assert.True(statuses.All(s => s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests), string.Join(", ", statuses));
        Assert.Equal(Permits, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(2 * Permits, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.NotEqual(proxy, replicas[0]);

        // Probes are never limited.
        using var probe = new HttpClient { BaseAddress = replicas[0] };
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/api/health/live")).StatusCode);
    }

    [Fact]
    public async Task With_Redis_down_requests_are_served_and_counted_as_fail_open()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        var replicas = await fixture.Replicas.AddressesAsync(AgentC2.ResourceNames.Agent).WaitAsync(TimeSpan.FromSeconds(10));
        var before = await Metrics.SumAsync(replicas, "agentc2_rate_limit_fail_open_total");

        await fixture.Replicas.ExecuteOnResourceAsync(AgentC2.ResourceNames.Redis, KnownResourceCommands.StopCommand);
        try
        {
            await Eventually.MatchAsync(ct => ProbeResult.GetAsync(fixture.CreateClient(AgentC2.ResourceNames.Agent), "/api/health", ct),
                probe => probe.Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "agent health reporting Redis down");
            for (var i = 0; i < 5; i++)
            {
                using var response = await client.GetAsync("/api/agents");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            Assert.True(await Metrics.SumAsync(replicas, "agentc2_rate_limit_fail_open_total") >= before + 5);
        }
        finally
        {
            await fixture.Replicas.StartAgainAsync(AgentC2.ResourceNames.Redis, TimeSpan.FromSeconds(30));
        }

        // Every replica back on Redis (not just the one the shared address picks), so the next test starts from a healthy application.
        await fixture.Replicas.WaitReadyAsync(AgentC2.ResourceNames.Agent, TimeSpan.FromSeconds(30), ServicePaths.Health);
    }
}
