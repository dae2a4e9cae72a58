using System.Net;
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

        var succeeded = await client.InvokeSyncRunAsync("kept-briefly", "answer #steps=2");
        var cancelled = await client.InvokeAsyncRunAsync("kept-briefly", new { input = "cancel me", executionMode = "async" });
        using (var cancel = await client.PostAsync($"/api/runs/{cancelled}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        var queued = await client.InvokeAsyncRunAsync("kept-briefly", new { input = "wait", executionMode = "async" });
        var othersRun = await otherClient.InvokeSyncRunAsync("kept", "answer #steps=2");

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
}
