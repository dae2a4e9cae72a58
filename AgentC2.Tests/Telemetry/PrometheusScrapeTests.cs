using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Telemetry;

/// <summary>
/// A real Prometheus (Debian's) scrapes every replica of every service of the running application with the alert
/// rules loaded, and its query API finds AgentC2's series, the health-check metric of every service and the rules.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class PrometheusScrapeTests(AppHostFixture fixture) : IAsyncLifetime
{
    private LocalPrometheus _prometheus = null!;

    public async Task InitializeAsync() => _prometheus = await LocalPrometheus.StartAsync(fixture);

    [Fact]
    public async Task Prometheus_scrapes_every_replica_and_finds_agentc2_series_and_the_health_metric()
    {
        // Every replica of every service is up as a target.
        var targets = await Eventually.MatchAsync(async token => string.Join("; ", (await _prometheus.QueryAsync("up", token))
                .Select(r => $"{LocalPrometheus.Label(r, "job")} {LocalPrometheus.Label(r, "instance")} up={LocalPrometheus.Value(r)}")),
            summary => summary.Split("up=1").Length - 1 == AppHostFixture.ServiceNames.Sum(fixture.Replicas.Count), TimeSpan.FromSeconds(60), "every replica scraped");
        Assert.All(AppHostFixture.ServiceNames, job => Assert.Contains($"{job} ", targets, StringComparison.Ordinal));

        // The health-check metric of every service, with its checks, all healthy (checks run every 15 s: a console that
        // started before the agent reports the agent API degraded until its next round).
        var health = await Eventually.MatchAsync(async token => await _prometheus.QueryAsync("agentc2_health_check_status", token),
            results => AppHostFixture.ServiceNames.All(job => results.Any(r => LocalPrometheus.Label(r, "job") == job))
                && results.All(r => LocalPrometheus.Value(r) == "1"),
            TimeSpan.FromSeconds(60), "agentc2_health_check_status of every service, all 1");
        Assert.Contains(health, r => LocalPrometheus.Label(r, "check") == "database");

        // AgentC2's own series from each service.
        foreach (var (job, metric) in new[] { ("agent", "agentc2_mcp_pool_capacity"), ("worker", "agentc2_queue_depth"), ("frontend", "agentc2_process_memory_rss_bytes") })
        {
            Assert.NotEmpty(await _prometheus.QueryAsync($"{metric}{{job=\"{job}\"}}"));
        }

        // The alert rules are loaded and evaluated; none fires on a healthy application.
        var loaded = await _prometheus.RulesAsync();
        Assert.Equal(12, loaded.Count);
        Assert.DoesNotContain(loaded, rule => rule.GetProperty("health").GetString() == "err");
        Assert.Empty(await _prometheus.QueryAsync("ALERTS{alertstate=\"firing\"}"));
    }

    public async Task DisposeAsync() => await _prometheus.DisposeAsync();
}
