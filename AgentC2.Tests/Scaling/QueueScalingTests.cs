using System.Globalization;
using AgentC2.Tests.AsyncRuns;
using AgentC2.Tests.Deployment;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Scaling;

/// <summary>
/// The query KEDA scales the workers on, taken from the committed Kubernetes manifest and run against the migrated
/// database of the running application: it counts what the workers report as <c>agentc2_queue_depth</c>.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class QueueScalingTests(AppHostFixture fixture)
{
    [Fact]
    public async Task The_workers_scaling_query_counts_the_runs_agentc2_queue_depth_reports()
    {
        var scaledObject = YamlDocuments.Parse(File.ReadAllText(Path.Combine(Repository.Root, "deploy/kubernetes/worker.yaml")))
            .Single(o => o.Str("kind") == "ScaledObject");
        var query = scaledObject.Str("spec", "triggers", 0, "metadata", "query")!;

        // A backlog that stays: runs of an organization whose cap is 0 wait, due, until cancelled.
        var held = await fixture.EnsureOrganizationAsync(AsyncRunTests.HeldOrganization);
        using var client = fixture.CreateApiClient(held.ApiKey);
        await client.EnsureAgentAsync("held");
        var waiting = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            waiting.Add(await client.InvokeAsyncRunAsync("held", new { input = $"backlog {i}", executionMode = "async" }));
        }

        try
        {
            await using var database = await fixture.OpenDatabaseAsync();
            var workers = await fixture.Replicas.AddressesAsync(ResourceNames.Worker);
            // The gauge is sampled every 5 s: the two agree once a sample follows the last change.
            var (counted, reported) = await Eventually.MatchAsync(async _ =>
                {
                    var count = Convert.ToInt64(await database.ExecuteAsync(query), CultureInfo.InvariantCulture);
                    var depths = await Task.WhenAll(workers.Select(async worker => QueuedAndRunning(await Metrics.ScrapeAsync(worker))));
                    return (count, depths);
                },
                seen => seen.count >= waiting.Count && seen.depths.All(depth => depth == seen.count),
                TimeSpan.FromSeconds(30), "the scaling query and every worker's agentc2_queue_depth agreeing");

            Assert.True(counted >= waiting.Count);
            Assert.All(reported, depth => Assert.Equal(counted, depth));
        }
        finally
        {
            foreach (var run in waiting)
            {
                using var cancelled = await client.PostAsync($"/api/runs/{run}/cancel", null);
            }
        }
    }

    /// <summary>A worker's <c>agentc2_queue_depth</c> for the runs that need a worker slot: queued (due) and running.</summary>
    private static long QueuedAndRunning(string scrape) =>
        scrape.Split('\n')
            .Where(line => line.StartsWith("agentc2_queue_depth{", StringComparison.Ordinal)
                && (line.Contains("status=\"queued\"", StringComparison.Ordinal) || line.Contains("status=\"running\"", StringComparison.Ordinal)))
            .Sum(line => (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
