using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.AsyncRuns;

/// <summary>
/// One organization's backlog does not make another wait behind it: the busy organization's cap is above every worker
/// slot of the test application, so only the claim order can serve the other one first.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class QueueFairnessTests(AppHostFixture fixture)
{
    /// <summary>An organization whose cap (1 000 running) is above the slots of every worker together.</summary>
    public const string BusyOrganization = "queue-busy";

    private const int Backlog = 300;

    [Fact]
    public async Task A_run_queued_behind_another_organizations_backlog_is_claimed_at_the_next_free_slot()
    {
        var busy = await fixture.EnsureOrganizationAsync(BusyOrganization);
        using var busyClient = fixture.CreateApiClient(busy.ApiKey);
        await busyClient.EnsureAgentAsync("backlog");
        var other = await fixture.CreateOrganizationAsync();
        using var otherClient = fixture.CreateApiClient(other.ApiKey);
        await otherClient.CreateAgentAsync("served");

        // The backlog in one statement, each run holding a worker slot for about 300 ms; then the other organization's run.
        await using var database = await fixture.OpenDatabaseAsync();
        var marker = Guid.NewGuid().ToString("N");
        await database.ExecuteAsync($"""
            INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, available_at, created_at, updated_at)
            SELECT gen_random_uuid(), '{busy.Id}', a.id, 'queued', 'async', '{marker} ' || i || ' #steps=1 #latency=300', 10, now(), clock_timestamp(), now()
            FROM generate_series(1, {Backlog}) AS i, agents a WHERE a.organization_id = '{busy.Id}' AND a.slug = 'backlog' AND a.deleted_at IS NULL;
            NOTIFY agentc2_runs;
            """);
        var served = await otherClient.InvokeAsyncRunAsync("served", new { input = "me too #steps=1", executionMode = "async" });
        await otherClient.WaitForStatusAsync(served, "succeeded");

        // The backlog runs claimed after the other organization's run: most of them (with claims in arrival order, none).
        var claimedAfter = await Eventually.MatchAsync(async _ => (await database.QueryAsync(
                """
                SELECT count(*) FILTER (WHERE b.started_at > s.started_at), count(*) FILTER (WHERE b.status = 'succeeded')
                FROM runs b, runs s WHERE s.id = $1 AND b.input LIKE $2
                """,
                r => (After: r.GetInt64(0), Done: r.GetInt64(1)), served, marker + " %")).Single(),
            counts => counts.Done == Backlog, TimeSpan.FromSeconds(60), "the backlog drained");

        Assert.True(claimedAfter.After >= Backlog / 3, $"only {claimedAfter.After} of {Backlog} backlog runs were claimed after the other organization's run");
    }
}
