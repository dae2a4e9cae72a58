using System.Net;
using System.Net.Http.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Telemetry;

[Collection(AppHostCollection.Name)]
public sealed class AgentMetricsTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Every_agent_metric_appears_after_a_run()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("measured");
        var replicas = await fixture.Replicas.AddressesAsync(AgentC2.ResourceNames.Agent).WaitAsync(TimeSpan.FromSeconds(10));

        // Runs on both replicas: each new connection may land on either, so run until both have executed one.
        var text = string.Empty;
        await Eventually.MatchAsync(async cancellationToken =>
        {
            using var fresh = AppHostFixture.OnNewConnection(client);
            using var response = await fresh.PostAsJsonAsync("/api/agents/measured/invoke", new { input = "measure me #steps=2" }, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var scrapes = await Task.WhenAll(replicas.Select(Metrics.ScrapeAsync));
            text = string.Join('\n', scrapes);
            return scrapes.All(s => s.Contains("agentc2_agent_execution_duration_seconds_count{", StringComparison.Ordinal));
        }, done => done, TimeSpan.FromSeconds(30), "both replicas executing a run");

        foreach (var metric in new[]
        {
            "agentc2_agent_execution_duration_seconds_bucket",
            "agentc2_tokens_total",
            "agentc2_step_tokens_bucket",
            "agentc2_model_routing_decisions_total",
            "agentc2_process_memory_rss_bytes",
        })
        {
            Assert.Contains(metric, text, StringComparison.Ordinal);
        }

        Assert.Contains("mode=\"sync\"", text, StringComparison.Ordinal);
        Assert.Contains("outcome=\"succeeded\"", text, StringComparison.Ordinal);
        Assert.Contains("direction=\"input\"", text, StringComparison.Ordinal);

        // Declared at start-up, so they are scraped (as zero) before their first event.
        foreach (var metric in new[] { "agentc2_compression_cache_hits_total", "agentc2_compression_cache_misses_total", "agentc2_rate_limit_rejections_total", "agentc2_rate_limit_fail_open_total", "agentc2_work_in_flight" })
        {
            Assert.Contains(metric, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Long_conversations_are_compacted_and_the_same_history_is_summarised_once_per_instance()
    {
        var organization = await fixture.CreateOrganizationAsync();
        var replica = (await fixture.Replicas.AddressesAsync(AgentC2.ResourceNames.Agent).WaitAsync(TimeSpan.FromSeconds(10)))[0];
        using var client = AppHostFixture.WithApiKey(new HttpClient { BaseAddress = replica }, organization.ApiKey);
        // Pinned to the standard tier: with auto, a context this long would go to the reasoning tier (a Chat Completions endpoint in tests).
        await client.CreateAgentAsync("long-context", modelTier: "standard");
        var misses = await Metrics.SumAsync([replica], "agentc2_compression_cache_misses_total");
        var hits = await Metrics.SumAsync([replica], "agentc2_compression_cache_hits_total");

        // An input above the 8 000-token budget: from the fifth step on, the middle of the conversation is summarised.
        var input = string.Join(". ", Enumerable.Range(0, 4_000).Select(i => $"Fact {i}")) + " #steps=8";
        var first = await (await client.PostAsJsonAsync("/api/agents/long-context/invoke", new { input })).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var missesAfterFirst = await Metrics.SumAsync([replica], "agentc2_compression_cache_misses_total");
        var second = await (await client.PostAsJsonAsync("/api/agents/long-context/invoke", new { input })).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();

        Assert.True("succeeded" == first.GetProperty("status").GetString(), first.GetProperty("error").ToString());
        Assert.Equal("succeeded", second.GetProperty("status").GetString());
        Assert.True(missesAfterFirst > misses, "the first run should have summarised");
        Assert.Equal(missesAfterFirst, await Metrics.SumAsync([replica], "agentc2_compression_cache_misses_total"));
        Assert.True(await Metrics.SumAsync([replica], "agentc2_compression_cache_hits_total") >= hits + (missesAfterFirst - misses));
    }
}
