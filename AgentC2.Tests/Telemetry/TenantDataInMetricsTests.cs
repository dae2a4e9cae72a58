using System.Net.Http.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Telemetry;

/// <summary>
/// Metrics carry no tenant data and their series do not grow with tenants: forty agents of a fresh organization, each
/// run once (sync and async), leave neither their slugs nor the organization in any replica's scrape, and add no
/// series per agent (docs/metrics.md, "Labels carry no tenant data").
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class TenantDataInMetricsTests(AppHostFixture fixture)
{
    private const int Agents = 40;

    [Fact]
    public async Task Forty_agents_leave_no_tenant_data_and_no_series_of_their_own_in_any_scrape()
    {
        var replicas = (await Task.WhenAll(AppHostFixture.ServiceNames.Select(name => fixture.Replicas.AddressesAsync(name))))
            .SelectMany(addresses => addresses).ToList();
        var before = await SeriesAsync(replicas);

        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        var marker = "tenant" + Guid.NewGuid().ToString("N")[..12];
        var runs = new List<Guid>();
        for (var i = 0; i < Agents; i++)
        {
            var slug = $"{marker}-{i}";
            await client.CreateAgentAsync(slug);
            using var sync = await client.PostAsJsonAsync($"/api/agents/{slug}/invoke", new { input = $"{marker} #steps=2" });
            sync.EnsureSuccessStatusCode();
            if (i % 4 == 0)
            {
                runs.Add(await client.InvokeAsyncRunAsync(slug, new { input = $"{marker} #steps=2", executionMode = "async" }));
            }
        }

        foreach (var run in runs)
        {
            await client.WaitForStatusAsync(run, "succeeded");
        }

        var scrapes = await Task.WhenAll(replicas.Select(Metrics.ScrapeAsync));
        foreach (var text in scrapes)
        {
            Assert.DoesNotContain(marker, text, StringComparison.Ordinal);
            Assert.DoesNotContain(organization.Id.ToString(), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(organization.Slug, text, StringComparison.Ordinal);
        }

        // With a label per agent, forty agents would add hundreds of series (a histogram is 17 series a label set).
        var after = await SeriesAsync(replicas);
        Assert.True(after - before <= 120, $"AgentC2's metrics went from {before} to {after} series across {replicas.Count} replicas for {Agents} agents");
    }

    /// <summary>The number of series of AgentC2's own metrics over all <paramref name="replicas"/>.</summary>
    private static async Task<int> SeriesAsync(IEnumerable<Uri> replicas) =>
        (await Task.WhenAll(replicas.Select(Metrics.ScrapeAsync)))
            .Sum(text => text.Split('\n').Count(line => line.StartsWith("agentc2_", StringComparison.Ordinal)));
}
