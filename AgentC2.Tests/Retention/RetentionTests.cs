using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Retention;

/// <summary>
/// Retention on the running application: an organization configured to keep finished runs 1 s loses them (and their
/// steps) at the workers' next pass, while its unfinished runs and every other organization's runs stay.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class RetentionTests(AppHostFixture fixture)
{
    /// <summary>Keeps finished runs 1 s; its async runs never start (cap 0), so one stays queued.</summary>
    public const string Organization = "retention-short";

    [Fact]
    public async Task Finished_runs_past_their_organizations_retention_are_deleted_with_their_steps_and_nothing_else()
    {
        var shortLived = await fixture.EnsureOrganizationAsync(Organization);
        using var client = fixture.CreateApiClient(shortLived.ApiKey);
        await client.EnsureAgentAsync("kept-briefly");
        var other = await fixture.CreateOrganizationAsync();
        using var otherClient = fixture.CreateApiClient(other.ApiKey);
        await otherClient.CreateAgentAsync("kept");

        var succeeded = await SyncRunAsync(client, "kept-briefly");
        var cancelled = await client.InvokeAsyncRunAsync("kept-briefly", new { input = "cancel me", executionMode = "async" });
        using (var cancel = await client.PostAsync($"/api/runs/{cancelled}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        var queued = await client.InvokeAsyncRunAsync("kept-briefly", new { input = "wait", executionMode = "async" });
        var othersRun = await SyncRunAsync(otherClient, "kept");

        await using var database = await fixture.OpenDatabaseAsync();
        var left = await Eventually.MatchAsync(async _ => await database.QueryAsync(
                "SELECT id FROM runs WHERE id = ANY($1) UNION ALL SELECT run_id FROM run_steps WHERE run_id = ANY($1)",
                r => r.GetGuid(0), (object)new[] { succeeded, cancelled, queued, othersRun }),
            rows => !rows.Contains(succeeded) && !rows.Contains(cancelled), TimeSpan.FromSeconds(30), "the finished runs deleted");

        Assert.Contains(queued, left);
        Assert.Contains(othersRun, left);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/runs/{succeeded}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await otherClient.GetAsync($"/api/runs/{othersRun}")).StatusCode);

        using var cleanup = await client.PostAsync($"/api/runs/{queued}/cancel", null);
    }

    private static async Task<Guid> SyncRunAsync(HttpClient client, string agent)
    {
        using var response = await client.PostAsJsonAsync($"/api/agents/{agent}/invoke", new { input = "answer #steps=2", executionMode = "sync" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var run = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        return run.GetProperty("id").GetGuid();
    }
}
