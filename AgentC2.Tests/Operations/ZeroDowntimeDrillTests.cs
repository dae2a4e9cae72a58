using System.Diagnostics;
using AgentC2.Tests.Console;
using AgentC2.Tests.Fixtures;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AgentC2.Tests.Operations;

/// <summary>
/// The zero-downtime drill on loopback: two agent replicas behind a real Caddy running the published Caddyfile as it is
/// (its dynamic upstreams resolving the service name to the replicas), a bounded load of invocations and reads through it,
/// and a rolling replacement of both replicas the way the Swarm stack's start-first update does it: the new replica starts
/// and joins the name once ready, then the old one leaves the name and gets SIGTERM at once (it stays ready for the drain
/// delay, longer than the edge's one-second DNS refresh, then finishes what it holds). Every request must be served.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ZeroDowntimeDrillTests(AppHostFixture fixture, Browser browser, ITestOutputHelper output) : IClassFixture<Browser>, IAsyncLifetime
{
    /// <summary>Followed runs last 12 s, longer than a stopping replica's 5 s drain: the stop ends their streams early.</summary>
    private const int StreamedSteps = 12;

    private LocalEdge _edge = null!;

    public async Task InitializeAsync() => _edge = await LocalEdge.StartAsync(fixture);

    [Fact]
    public async Task Replacing_the_agent_replicas_one_at_a_time_behind_the_edge_serves_every_request()
    {
        var organization = await fixture.EnsureOrganizationAsync(DrillLoad.Organization);
        using var api = _edge.CreateApiClient(organization.ApiKey);
        await api.EnsureAgentAsync("assistant");
        var console = await browser.NewPageAsync(_edge.Address);
        await Browser.SignInAsync(console, fixture.OperatorApiKey);
        await using var load = DrillLoad.Start(api, "assistant");
        using var streaming = new CancellationTokenSource();
        // Enough followers that, balanced by least connections, every replica that stops holds some of their streams.
        var streams = Enumerable.Range(0, 6).Select(_ => FollowRunsAsync(api, streaming.Token)).ToList();

        var watch = Stopwatch.StartNew();
        var steps = new List<string>();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var old = _edge.Fleet.Of(ResourceNames.Agent);
        var exits = new List<int>();
        var pinned = new List<Task<FollowedRun>>();
        foreach (var replica in old)
        {
            Step($"starting a v2 replica beside {replica}");
            var next = await _edge.Fleet.StartAsync(ResourceNames.Agent, "v2");
            // A stream certainly on the replica about to stop (the edge's followers may all sit elsewhere): its first
            // connection goes to that replica, its resumptions through the edge.
            pinned.Add(await FollowOnAsync(api, replica, organization.ApiKey));
            Step($"{next} ready and resolved; stopping {replica}");
            var stopping = _edge.Fleet.StopAsync(replica);
            if (exits.Count == 0)
            {
                await FleetViewAsync(console, replica);
            }

            exits.Add(await stopping);
            Step($"{replica} exited with {exits[^1]}");
        }

        // A few seconds of load on the new replicas alone.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await load.StopAsync();
        await streaming.CancelAsync();
        var followed = (await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(60))).SelectMany(f => f).ToList();
        var cut = await Task.WhenAll(pinned).WaitAsync(TimeSpan.FromSeconds(60));
        followed.AddRange(cut);
        var exchanges = load.All;

        var failed = exchanges.Where(e => e.Outcome != DrillLoad.Outcome.Served).ToList();
        var report = $"zero-downtime drill: {DrillLoad.Summary(exchanges)} in {watch.Elapsed.TotalSeconds:F0} s "
            + $"while {old.Count} agent replicas were replaced one at a time (exit codes {string.Join(' ', exits)}); {failed.Count} not served"
            + $"; {followed.Count} runs followed live ({followed.Count(f => f.Ended && f.Steps.SequenceEqual(Enumerable.Range(1, StreamedSteps)))} with every step, "
            + $"{followed.Sum(f => f.Resumed)} streams ended by a stopping replica and resumed); "
            + "passed on to " + string.Join(", ", _edge.PassedOn.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
        output.WriteLine(report);
        await DrillReport.WriteAsync("zero-downtime-drill.txt", report + "\n" + string.Join('\n', steps) + "\n" + _edge.ErrorsByKind(int.MaxValue), failed);

        Assert.True(exchanges.Count(e => !e.Read) > 50, report);
        Assert.True(failed.Count == 0, report + "\n" + string.Join('\n', steps) + "\n" + string.Join('\n', failed.Take(20)) + "\n" + _edge.ErrorsByKind(30));
        Assert.All(exits, exit => Assert.Equal(0, exit));
        // Every stream a stopping replica ended resumed on another with Last-Event-ID, missing no step.
        Assert.All(followed, f => Assert.True(f.Ended && f.Steps.SequenceEqual(Enumerable.Range(1, StreamedSteps)), $"{f}\n{report}"));
        Assert.All(cut, f => Assert.True(f.Resumed > 0, $"a stream on a stopping replica was not ended and resumed: {f}\n{report}"));
        // The edge balanced over the replicas, old and new: each of the four answered a share of the load.
        var agents = old.Concat(_edge.Fleet.Of(ResourceNames.Agent)).Select(r => $"{r.Address}:{LoopbackFleet.Port}").ToList();
        Assert.True(agents.All(a => _edge.PassedOn.GetValueOrDefault(a) > 20), report);
        Assert.All(_edge.Fleet.Of(ResourceNames.Agent), replica => Assert.Equal("v2", replica.Version));

        void Step(string what)
        {
            steps.Add($"{DateTime.UtcNow:HH:mm:ss.fff} ({watch.Elapsed.TotalSeconds:F1} s) {what}");
            output.WriteLine(steps[^1]);
        }
    }

    /// <summary>Starts runs longer than the drain and follows each to its end through the edge, until <paramref name="stop"/>.</summary>
    private static async Task<List<FollowedRun>> FollowRunsAsync(HttpClient api, CancellationToken stop)
    {
        var followed = new List<FollowedRun>();
        while (!stop.IsCancellationRequested)
        {
            var run = await api.InvokeAsyncRunAsync("assistant", new { input = $"streamed #steps={StreamedSteps} #latency=1000", executionMode = "async", maxSteps = 20 });
            // A run started is followed to its end, the stop only ends the loop.
            followed.Add(await RunEvents.FollowToEndAsync(api, run, cancellationToken: CancellationToken.None));
        }

        return followed;
    }

    /// <summary>Starts a run longer than the drain and follows it from a stream opened on <paramref name="replica"/> itself.</summary>
    private static async Task<Task<FollowedRun>> FollowOnAsync(HttpClient api, LoopbackReplica replica, string apiKey)
    {
        var run = await api.InvokeAsyncRunAsync("assistant", new { input = $"pinned #steps={StreamedSteps} #latency=1000", executionMode = "async", maxSteps = 20 });
        var direct = AppHostFixture.WithApiKey(new HttpClient { BaseAddress = replica.Url, Timeout = TimeSpan.FromSeconds(90) }, apiKey);
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var following = FollowAsync();
        await opened.Task.WaitAsync(TimeSpan.FromSeconds(15));
        return following;

        async Task<FollowedRun> FollowAsync()
        {
            using (direct)
            {
                return await RunEvents.FollowToEndAsync(api, run, first: direct, opened: opened);
            }
        }
    }

    /// <summary>
    /// The operator's view of the rollout through the edge: the stopping replica draining beside the new one, both listed on
    /// the System page until the old one leaves (saved as the <c>system-instances-rollout</c> screenshots).
    /// </summary>
    private static async Task FleetViewAsync(IPage console, LoopbackReplica draining)
    {
        var row = console.Locator($"#instances-table tbody tr[data-service='agent'][data-state='draining']");
        await Eventually.MatchAsync(async _ =>
        {
            await console.GotoAsync("/system");
            return await row.CountAsync();
        }, count => count > 0, TimeSpan.FromSeconds(15), $"{draining} listed draining on the System page");
        await Assertions.Expect(console.Locator("#instances-table tbody tr[data-service='agent']", new() { HasText = "v2" })).Not.ToHaveCountAsync(0);
        await Browser.ScreenshotAsync(console, "system-instances-rollout");
    }

    public async Task DisposeAsync() => await _edge.DisposeAsync();
}
