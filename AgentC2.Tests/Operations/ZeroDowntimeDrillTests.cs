using System.Diagnostics;
using AgentC2.Tests.Fixtures;
using Xunit.Abstractions;

namespace AgentC2.Tests.Operations;

/// <summary>
/// The zero-downtime drill: the running application's two agent replicas behind a real Caddy configured by the
/// production Caddyfile (the published one, pointed at the replicas on loopback), a bounded load of invocations and
/// reads through it, and each replica restarted in turn (SIGTERM: readiness answers 503 first, in-flight requests
/// finish, Caddy's health checks and retries move the traffic). Every request must succeed.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ZeroDowntimeDrillTests(AppHostFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Every step of the drill is bounded: a replica that does not come back fails the drill, it does not hang it.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private LocalEdge _edge = null!;

    public async Task InitializeAsync() => _edge = await LocalEdge.StartAsync(fixture);

    [Fact]
    public async Task Restarting_the_agent_replicas_one_at_a_time_behind_the_edge_fails_no_request()
    {
        var organization = await fixture.EnsureOrganizationAsync(DrillLoad.Organization);
        using var api = _edge.CreateApiClient(organization.ApiKey);
        await api.EnsureAgentAsync("assistant");
        await using var load = DrillLoad.Start(api, "assistant");

        var watch = Stopwatch.StartNew();
        var steps = new List<string>();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var replicaIds = await fixture.Replicas.IdsAsync(ResourceNames.Agent);
        foreach (var replica in replicaIds)
        {
            Step($"stopping {replica}");
            await fixture.Replicas.StopAsync(replica).WaitAsync(Bound);
            Step($"{replica} stopped, starting it");
            await fixture.Replicas.ExecuteAsync(replica, KnownResourceCommands.StartCommand).WaitAsync(Bound);
            await fixture.Replicas.WaitReadyAsync(ResourceNames.Agent, AppHostFixture.StartTimeout);
            Step($"{replica} ready");
            // Let the edge's health check see the restarted replica before the next one goes.
            await Task.Delay(TimeSpan.FromSeconds(6));
        }

        await load.StopAsync();
        var exchanges = load.All;

        var failed = exchanges.Where(e => e.Outcome != DrillLoad.Outcome.Served).ToList();
        var report = $"zero-downtime drill: {DrillLoad.Summary(exchanges)} in {watch.Elapsed.TotalSeconds:F0} s "
            + $"while {replicaIds.Count} agent replicas restarted one at a time; {failed.Count} not served";
        output.WriteLine(report);
        await DrillReport.WriteAsync("zero-downtime-drill.txt", report + "\n" + string.Join('\n', steps) + "\n" + _edge.ErrorsByKind(int.MaxValue), failed);

        // The goal is none, and least-connections balancing met it in every run since (under CPU stress too). What could
        // still cost a request on this shared 2-core machine is the one serving replica missing Caddy's 3 s health
        // timeout while the other restarts; the Debian Caddy (2.6) then refuses a POST at once. More than one in a
        // thousand fails the drill; the report names each request not served and what Caddy logged about it.
        Assert.True(exchanges.Count(e => !e.Read) > 50, report);
        Assert.True(failed.Count * 1000 <= exchanges.Count, report + "\n" + string.Join('\n', steps) + "\n" + string.Join('\n', failed.Take(20)) + "\n" + _edge.ErrorsByKind(30));

        void Step(string what)
        {
            steps.Add($"{DateTime.UtcNow:HH:mm:ss.fff} ({watch.Elapsed.TotalSeconds:F1} s) {what}");
            output.WriteLine(steps[^1]);
        }
    }

    public async Task DisposeAsync() => await _edge.DisposeAsync();
}
