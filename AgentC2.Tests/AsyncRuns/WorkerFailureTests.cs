using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.Tests.AsyncRuns;

/// <summary>Workers dying or stopping mid-drain: nothing accepted is lost, and nothing is done twice.</summary>
[Collection(AppHostCollection.Name)]
public sealed class WorkerFailureTests(AppHostFixture fixture)
{
    private const int Steps = 3;

    [Fact]
    public async Task Runs_of_a_killed_worker_are_taken_over_after_lease_expiry_and_all_succeed_without_duplicate_steps()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("bulk");
        await using var database = await fixture.OpenDatabaseAsync();

        var ids = new List<Guid>();
        foreach (var batch in Enumerable.Range(0, 200).Chunk(20))
        {
            // The first ten are slow (1.5 s a step), so that some run is always mid-way when the worker is killed.
            ids.AddRange(await Task.WhenAll(batch.Select(i => client.InvokeAsyncRunAsync("bulk", new { input = $"job {i} #steps={Steps} #latency={(i < 10 ? 1500 : 40)}", executionMode = "async" }))));
        }

        // Mid-drain: once some runs are done, kill (SIGKILL) the worker process holding leases, among them a run with at
        // least two steps to go (the step in flight cannot finish it, so another worker must take it over).
        var leased = await Eventually.MatchAsync(
            _ => database.QueryAsync(
                $"""
                SELECT lease_owner, count(*) FILTER (WHERE status = 'running' AND steps_completed <= {Steps - 2}), count(*) FILTER (WHERE status = 'succeeded')
                FROM runs WHERE organization_id = $1 GROUP BY lease_owner
                """,
                r => (Owner: r.IsDBNull(0) ? null : r.GetString(0), MidWay: r.GetInt64(1), Succeeded: r.GetInt64(2)), organization.Id),
            rows => rows.Sum(r => r.Succeeded) >= 10 && rows.Any(r => r.Owner is not null && r.MidWay > 0),
            TimeSpan.FromSeconds(60), "runs leased while others are done");
        var victim = leased.First(r => r.Owner is not null && r.MidWay > 0).Owner!;
        var pid = int.Parse(victim.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);
        var replicaId = await fixture.Replicas.IdOfProcessAsync(AgentC2.ResourceNames.Worker, pid);
        var killedAt = (await database.QueryAsync("SELECT now()", r => r.GetDateTime(0)))[0];
        Process.GetProcessById(pid).Kill();
        var orphans = await database.QueryAsync(
            "SELECT id FROM runs WHERE lease_owner = $1 AND status = 'running'", r => r.GetGuid(0), victim);
        Assert.NotEmpty(orphans);

        try
        {
            var done = await Eventually.MatchAsync(
                _ => database.QueryAsync("SELECT status, count(*) FROM runs WHERE organization_id = $1 GROUP BY status", r => (r.GetString(0), r.GetInt64(1)), organization.Id),
                rows => rows.Count == 1 && rows[0] == ("succeeded", 200L), TimeSpan.FromSeconds(120), "all 200 runs succeeded");

            // Every run has exactly its steps, numbered 1..3, once each; the orphans were resumed by another attempt.
            var steps = await database.QueryAsync(
                """
                SELECT r.id, r.steps_completed, r.attempts, count(s.*), min(s.step_number), max(s.step_number), r.finished_at
                FROM runs r LEFT JOIN run_steps s ON s.run_id = r.id
                WHERE r.organization_id = $1 GROUP BY r.id
                """,
                r => (Id: r.GetGuid(0), Completed: r.GetInt32(1), Attempts: r.GetInt32(2), Rows: r.GetInt64(3), First: r.GetInt32(4), Last: r.GetInt32(5), Finished: r.GetDateTime(6)),
                organization.Id);
            Assert.Equal(200, steps.Count);
            Assert.All(steps, s => Assert.Equal((Steps, (long)Steps, 1, Steps), (s.Completed, s.Rows, s.First, s.Last)));
            Assert.Equal(ids.Order(), steps.Select(s => s.Id).Order());
            // An orphan was taken over by a second attempt, unless the step in flight when the worker died (at most 1.5 s) finished it.
            Assert.All(steps.Where(s => orphans.Contains(s.Id)), s => Assert.True(
                s.Attempts >= 2 || s.Finished < killedAt.AddSeconds(3), $"orphan {s.Id}: attempts {s.Attempts}, finished {s.Finished:O}, kill {killedAt:O}"));
            Assert.Contains(steps, s => orphans.Contains(s.Id) && s.Attempts >= 2);
        }
        finally
        {
            await fixture.Replicas.StartAsync(replicaId, AgentC2.ResourceNames.Worker);
        }
    }

    [Fact]
    public async Task A_stopping_worker_gives_its_runs_back_and_exits_in_time()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("handover", maxSteps: 40);
        await using var database = await fixture.OpenDatabaseAsync();

        var ids = await fixture.ServiceErrors.AttachedToAsync(AgentC2.ResourceNames.Agent, () => Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            client.InvokeAsyncRunAsync("handover", new { input = $"long {i} #steps=25 #latency=100", maxSteps = 40 }))));
        var leased = await Eventually.MatchAsync(
            _ => database.QueryAsync("SELECT DISTINCT lease_owner FROM runs WHERE organization_id = $1 AND status = 'running'", r => r.GetString(0), organization.Id),
            owners => owners.Count > 0, TimeSpan.FromSeconds(30), "a worker holding runs");
        var stopping = leased[0];
        var replicaId = await fixture.Replicas.IdOfProcessAsync(AgentC2.ResourceNames.Worker, int.Parse(stopping.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture));
        var held = await database.QueryAsync("SELECT id FROM runs WHERE lease_owner = $1 AND status = 'running'", r => r.GetGuid(0), stopping);

        var clock = Stopwatch.StartNew();
        await fixture.Replicas.ExecuteAsync(replicaId, KnownResourceCommands.StopCommand);
        try
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the worker took {clock.Elapsed} to stop");
            Assert.Contains(await ReplicaLogAsync(replicaId), line => line.Contains("its runs are back in the queue", StringComparison.Ordinal));

            // Given back, not expired: the other worker finishes them and the stop cost no attempt.
            foreach (var id in ids)
            {
                await client.WaitForStatusAsync(id, "succeeded", TimeSpan.FromSeconds(90));
            }

            var attempts = await database.QueryAsync("SELECT attempts FROM runs WHERE id = ANY($1)", r => r.GetInt32(0), held.ToArray());
            Assert.All(attempts, a => Assert.Equal(1, a));
        }
        finally
        {
            await fixture.Replicas.StartAsync(replicaId, AgentC2.ResourceNames.Worker);
        }
    }

    [Fact]
    public async Task A_sync_run_orphaned_by_a_dead_agent_instance_is_failed_by_the_workers()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        var agent = await client.CreateAgentAsync("orphaning");
        await using var database = await fixture.OpenDatabaseAsync();

        // What an agent instance that died mid-run leaves behind: a sync run still running, long after it started.
        var id = Guid.CreateVersion7();
        await database.QueryAsync(
            """
            INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, created_at, started_at, updated_at)
            VALUES ($1, $2, $3, 'running', 'sync', 'orphan', 10, now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour')
            RETURNING id
            """,
            r => r.GetGuid(0), id, organization.Id, agent.GetProperty("id").GetGuid());

        var run = await client.WaitForStatusAsync(id, "failed", TimeSpan.FromSeconds(30));
        Assert.Contains("stopped before it finished", run.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_publishes_queue_metrics()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("measured");
        var id = await client.InvokeAsyncRunAsync("measured", new { input = "count me #steps=2", executionMode = "async" });
        await client.WaitForStatusAsync(id, "succeeded");

        var addresses = await fixture.Replicas.AddressesAsync(AgentC2.ResourceNames.Worker);
        var scrapes = await Task.WhenAll(addresses.Select(Metrics.ScrapeAsync));
        // Counters and the gauge exist on every worker from the start; the wait histogram once a worker has claimed a run.
        foreach (var name in new[]
                 {
                     "agentc2_queue_depth", "agentc2_queue_oldest_due_seconds", "agentc2_run_outcomes_total", "agentc2_steps_total",
                     "agentc2_lease_expiries_total", "agentc2_runs_released_total", "agentc2_webhook_deliveries_total",
                 })
        {
            Assert.All(scrapes, text => Assert.Contains($"\n{name}{{", "\n" + text, StringComparison.Ordinal));
        }

        Assert.Contains(scrapes, text => text.Contains("\nagentc2_queue_wait_seconds_bucket{", StringComparison.Ordinal));

        // The worker counts a step when the agent's answer reaches it, which may be just after the run's status is
        // visible through the API: read the counters until they have caught up. What is seen meanwhile (every worker's
        // step counters, and the run's attempts and last error) is in the failure message.
        await using var database = await fixture.OpenDatabaseAsync();
        await Eventually.MatchAsync(async _ =>
            {
                var counters = (await Task.WhenAll(addresses.Select(Metrics.ScrapeAsync)))
                    .SelectMany(text => text.Split('\n').Where(line => line.StartsWith("agentc2_steps_total{", StringComparison.Ordinal)))
                    .ToList();
                var run = await database.QueryAsync("SELECT attempts, steps_completed, coalesce(last_error, '') FROM runs WHERE id = $1",
                    r => $"attempts {r.GetInt32(0)}, steps {r.GetInt32(1)}, last error '{r.GetString(2)}'", id);
                return new CountedSteps(
                    Metrics.Samples(string.Join('\n', counters.Where(line => line.Contains("result=\"ok\"", StringComparison.Ordinal))), "agentc2_steps_total").Sum(),
                    string.Join(" | ", counters), run.Single());
            },
            counted => counted.Ok >= 2, TimeSpan.FromSeconds(10), "two ok steps counted by the workers");
        Assert.Contains(scrapes, text => text.Contains("agentc2_queue_depth{", StringComparison.Ordinal) && text.Contains("status=\"queued\"", StringComparison.Ordinal));
    }

    private sealed record CountedSteps(double Ok, string Counters, string Run);

    private async Task<List<string>> ReplicaLogAsync(string resourceId)
    {
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var batch in fixture.App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resourceId).WithCancellation(timeout.Token))
        {
            lines.AddRange(batch.Select(line => line.Content));
        }

        return lines;
    }
}
