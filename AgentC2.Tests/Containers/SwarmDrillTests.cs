using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using AgentC2.Tests.Fixtures;
using Xunit.Abstractions;

namespace AgentC2.Tests.Containers;

/// <summary>
/// The zero-downtime drill on a real single-node Swarm: the generated stack deployed by <c>deploy/swarm/rollout.sh</c>
/// (as the deploy workflow runs it), then, under a load of multi-step sync runs (about 2 s each), async runs, reads and
/// live event streams through the edge: agent, worker and frontend rolled to a new image tag, agent scaled 2→3→2 and
/// worker 2→1, a new agent image that never turns healthy (rolled back), and last an agent task killed with SIGKILL.
/// Until the kill: no failed request, no failed or lost run, every step once, every cut stream resumed missing nothing.
/// </summary>
[Collection(ContainersCollection.Name)]
public sealed class SwarmDrillTests(ContainerEngine engine, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Stack = "agentc2";
    private const string NewTag = "v2";
    private const string BrokenTag = "broken";
    private static readonly string[] Services = [ResourceNames.Agent, ResourceNames.Worker, ResourceNames.Frontend];

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("agentc2-swarm-");
    private readonly Uri _edge = new($"http://127.0.0.1:{Loopback.FreePort()}");

    // The same on every rollout: a changed published port is a changed edge service, which Swarm restarts.
    private readonly int _httpsPort = Loopback.FreePort();
    private readonly List<string> _report = [];
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private bool _swarm;

    public async Task InitializeAsync()
    {
        await engine.ComposeDownAsync();
        var init = await engine.DockerAsync(["swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377",
            "--default-addr-pool", "10.213.64.0/18", "--default-addr-pool-mask-length", "24"]);
        Assert.True(init.ExitCode == 0, init.Output);
        _swarm = true;
        var node = (await engine.DockerAsync(["node", "ls", "-q"])).StandardOutput.Trim();
        Assert.Equal(0, (await engine.DockerAsync(["node", "update", "--label-add", "agentc2.data=true", node])).ExitCode);

        // A 2-core node: the stack's CPU reservations (2 cores for the services alone) leave no room for the extra task
        // of a start-first update. The site override lowers them, as an operator of a small node would.
        File.WriteAllText(Path.Combine(_folder.FullName, "small-node.yml"), "version: \"3.9\"\nservices:\n"
            + string.Concat(Services.Select(s => $"  {s}:\n    deploy:\n      resources:\n        reservations:\n          cpus: \"0.05\"\n          memory: 128M\n")));

        // The broken release: the agent image of this build whose process exits at once (it never turns healthy).
        File.WriteAllText(Path.Combine(_folder.FullName, "Dockerfile"), $"FROM {ContainerEngine.Registry}/agentc2-agent:{ContainerEngine.Tag}\nENTRYPOINT [\"/bin/false\"]\n");
        Assert.Equal(0, (await engine.DockerAsync(["build", "-q", "-t", $"{ContainerEngine.Registry}/agentc2-agent:{BrokenTag}", _folder.FullName])).ExitCode);
        foreach (var service in Services)
        {
            var image = $"{ContainerEngine.Registry}/agentc2-{service}";
            Assert.Equal(0, (await engine.DockerAsync(["tag", $"{image}:{ContainerEngine.Tag}", $"{image}:{NewTag}"])).ExitCode);
            if (service != ResourceNames.Agent)
            {
                Assert.Equal(0, (await engine.DockerAsync(["tag", $"{image}:{ContainerEngine.Tag}", $"{image}:{BrokenTag}"])).ExitCode);
            }
        }
    }

    [Fact]
    public async Task Rolling_every_service_and_scaling_in_on_a_real_swarm_fails_no_request_and_loses_no_run()
    {
        var first = await RolloutAsync(ContainerEngine.Tag);
        Assert.True(first.ExitCode == 0, first.Output);
        Step($"stack deployed ({ContainerEngine.Tag}) in {first.Seconds:F0} s");

        using var http = new HttpClient { BaseAddress = _edge, Timeout = TimeSpan.FromSeconds(90) };
        await Eventually.MatchAsync(async token => (await http.GetAsync(ServicePaths.Ready, token)).StatusCode,
            status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(120), "the edge answering");
        using var operatorClient = AppHostFixture.WithApiKey(new HttpClient { BaseAddress = _edge, Timeout = TimeSpan.FromSeconds(30) }, engine.Env["OPERATOR_API_KEY"]);
        var organization = await Tenants.CreateOrganizationAsync(operatorClient);
        using var api = AppHostFixture.WithApiKey(new HttpClient { BaseAddress = _edge, Timeout = TimeSpan.FromSeconds(90) }, organization.ApiKey);
        await api.CreateAgentAsync("drill", maxSteps: 20);

        using var load = new SwarmLoad(api);
        var fleet = new List<string>();
        using var watching = new CancellationTokenSource();
        var watcher = WatchFleetAsync(operatorClient, fleet, watching.Token);
        await Task.Delay(TimeSpan.FromSeconds(5));

        var rollout = await RolloutAsync(NewTag);
        Assert.True(rollout.ExitCode == 0, rollout.Output);
        Step($"rolled agent, worker and frontend to {NewTag} in {rollout.Seconds:F0} s");
        foreach (var service in Services)
        {
            var image = (await engine.DockerAsync(["service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", $"{Stack}_{service}"])).StandardOutput.Trim();
            Assert.EndsWith($":{NewTag}", image, StringComparison.Ordinal);
        }

        await ScaleAsync("agent=3");
        await ScaleAsync("agent=2", "worker=1");

        var broken = await RolloutAsync(BrokenTag);
        Step($"rollout of a never-healthy agent image: exit {broken.ExitCode} after {broken.Seconds:F0} s: {LastLine(broken.StandardError)}");
        Assert.NotEqual(0, broken.ExitCode);
        Assert.Contains("rolled back", broken.StandardError, StringComparison.Ordinal);
        var agentImage = (await engine.DockerAsync(["service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", $"{Stack}_agent"])).StandardOutput.Trim();
        Assert.EndsWith($":{NewTag}", agentImage, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(5));

        var beforeKill = load.Exchanges.Count;
        var failedBeforeKill = load.Failed.ToList();

        // The fault: one agent task killed (no drain). Its runs resume from their checkpoints; some sync clients get an error.
        var task = (await engine.DockerAsync(["ps", "-q", "--filter", $"label=com.docker.swarm.service.name={Stack}_agent"])).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];
        await engine.DockerAsync(["kill", "-s", "KILL", task]);
        Step($"SIGKILL to agent task {task}");
        await Task.Delay(TimeSpan.FromSeconds(20));

        await load.StopAsync();
        await watching.CancelAsync();
        await watcher;
        var killed = load.Exchanges.Skip(beforeKill).ToList();

        // Every accepted run ended succeeded with each of its steps exactly once; every followed stream saw every step.
        var runs = await load.VerifyRunsAsync(QueryAsync, organization.Id, TimeSpan.FromMinutes(3));
        var report = $"swarm drill: {load.Exchanges.Count} requests ({load.Summary}) in {_watch.Elapsed.TotalSeconds:F0} s; "
            + $"{failedBeforeKill.Count} failed during the rollouts and scale-in; runs: {runs}; "
            + $"after SIGKILL of an agent task: {killed.Count(e => !e.Ok)} of {killed.Count} requests failed ({killed.Count(e => !e.Ok && e.Kind == "sync")} sync clients)";
        Step(report);
        engine.Timings.Enqueue(report);
        foreach (var line in _report.Where(l => l.Contains(" in ", StringComparison.Ordinal) && l.Contains("rolled", StringComparison.Ordinal)))
        {
            engine.Timings.Enqueue("swarm drill: " + line);
        }

        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts")).FullName, "swarm-drill.txt"),
            string.Join('\n', _report) + "\n\nfleet during the drill:\n" + string.Join('\n', fleet) + "\n\nfailed:\n" + string.Join('\n', load.Failed));

        Assert.True(failedBeforeKill.Count == 0, report + "\n" + string.Join('\n', failedBeforeKill.Take(20)));
        Assert.True(load.Exchanges.Count(e => e.Kind == "sync" && e.Ok) > 50, report);
        Assert.True(load.StreamsResumed > 0, $"no stream was cut and resumed: {report}");
        Assert.Contains(fleet, line => line.Contains($"agent {NewTag} ready", StringComparison.Ordinal));
        Assert.Contains(fleet, line => line.Contains("draining", StringComparison.Ordinal));
    }

    /// <summary>Runs SQL with psql in the PostgreSQL task; rows as <c>a|b|c</c> lines.</summary>
    private async Task<string> QueryAsync(string sql)
    {
        var task = (await engine.DockerAsync(["ps", "-q", "--filter", $"label=com.docker.swarm.service.name={Stack}_postgres"])).StandardOutput.Trim();
        var result = await engine.DockerAsync(["exec", "-e", $"PGPASSWORD={engine.Env["POSTGRES_PASSWORD"]}", task,
            "psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "agentc2", "-AtF", "|", "-c", sql]);
        Assert.True(result.ExitCode == 0, result.Output);
        return result.StandardOutput;
    }

    private async Task ScaleAsync(params string[] scales)
    {
        var watch = Stopwatch.StartNew();
        var scaled = await engine.DockerAsync(["service", "scale", "--detach=false", .. scales.Select(s => $"{Stack}_{s}")], TimeSpan.FromMinutes(4));
        Assert.True(scaled.ExitCode == 0, scaled.Output);
        // Let the edge's DNS refresh and a drained task's exit pass before the next step.
        await Task.Delay(TimeSpan.FromSeconds(10));
        Step($"scaled {string.Join(", ", scales)} in {watch.Elapsed.TotalSeconds:F0} s");
    }

    private async Task<(int ExitCode, string Output, string StandardError, double Seconds)> RolloutAsync(string tag)
    {
        var watch = Stopwatch.StartNew();
        var environment = engine.Env.ToDictionary(v => v.Key, v => v.Value);
        environment["TAG"] = tag;
        environment["STACK"] = Stack;
        environment["RESOLVE_IMAGE"] = "never";
        environment["HTTP_PORT"] = _edge.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["HTTPS_PORT"] = _httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["SLACK_WEBHOOK_URL"] = "http://127.0.0.1:9/alerts";
        environment["STACK_OVERRIDES"] = Path.Combine(_folder.FullName, "small-node.yml");
        var outcome = await engine.RunAsync("bash", ["deploy/swarm/rollout.sh"], environment, TimeSpan.FromMinutes(8));
        return (outcome.ExitCode, outcome.Output, outcome.StandardError, watch.Elapsed.TotalSeconds);
    }

    /// <summary>The operator's fleet view every 2 s, one line per instance that changed: what an operator watches.</summary>
    private async Task WatchFleetAsync(HttpClient operatorClient, List<string> fleet, CancellationToken cancellationToken)
    {
        var last = string.Empty;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var items = (await operatorClient.GetFromJsonAsync<JsonElement>("/api/operator/instances", cancellationToken)).GetProperty("items").EnumerateArray()
                    .Select(i => $"{i.GetProperty("service").GetString()} {i.GetProperty("version").GetString()} {i.GetProperty("state").GetString()} runs={i.GetProperty("runsInFlight").GetInt32()}")
                    .Order(StringComparer.Ordinal);
                var line = string.Join("; ", items);
                if (line != last)
                {
                    fleet.Add($"{_watch.Elapsed.TotalSeconds,6:F1} s  {line}");
                    last = line;
                }

                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HttpRequestException)
            {
                // Recorded by the load, which counts every request; the watcher only reads.
            }
        }
    }

    private void Step(string what)
    {
        _report.Add($"{DateTime.UtcNow:HH:mm:ss} ({_watch.Elapsed.TotalSeconds:F0} s) {what}");
        output.WriteLine(_report[^1]);
    }

    private static string LastLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? string.Empty;

    public async Task DisposeAsync()
    {
        if (_swarm)
        {
            await engine.DockerAsync(["stack", "rm", Stack]);
            await Eventually.MatchAsync(async _ => (await engine.DockerAsync(["ps", "-aq", "--filter", $"label=com.docker.stack.namespace={Stack}"])).StandardOutput.Trim(),
                left => left.Length == 0, TimeSpan.FromSeconds(90), "the stack's containers gone");
            await engine.DockerAsync(["swarm", "leave", "--force"]);
            // stack rm keeps volumes: the drill's data goes too (a later deploy would meet old passwords).
            var volumes = (await engine.DockerAsync(["volume", "ls", "-q", "--filter", $"label=com.docker.stack.namespace={Stack}"])).StandardOutput
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (volumes.Length > 0)
            {
                await engine.DockerAsync(["volume", "rm", .. volumes]);
            }
        }

        _folder.Delete(recursive: true);
    }

    /// <summary>
    /// The drill's load through the edge: three clients of sync runs (4 steps of 500 ms), one of async runs (3 steps),
    /// one of reads, one following async runs' events (reconnecting with Last-Event-ID whenever a stream ends early).
    /// </summary>
    private sealed class SwarmLoad : IDisposable
    {
        private readonly HttpClient _api;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _clients;
        private const int StreamClients = 3;
        private const int StreamedSteps = 15;
        private readonly ConcurrentDictionary<Guid, int> _expectedSteps = new();
        private int _streamsResumed;
        private int _handedOff;

        public SwarmLoad(HttpClient api)
        {
            _api = api;
            _clients =
            [
                .. Enumerable.Range(0, 3).Select(_ => Task.Run(() => LoopAsync("sync", SyncAsync))),
                Task.Run(() => LoopAsync("async", AsyncAsync)),
                Task.Run(() => LoopAsync("read", ReadAsync)),
                // Streams of runs (15 steps of 1 s) longer than a stopping agent's 5 s drain: each stop ends the ones it serves.
                .. Enumerable.Range(0, StreamClients).Select(_ => Task.Run(() => LoopAsync("stream", StreamAsync))),
            ];
        }

        public ConcurrentQueue<Exchange> Exchanges { get; } = new();

        public IEnumerable<Exchange> Failed => Exchanges.Where(e => !e.Ok);

        public int StreamsResumed => _streamsResumed;

        public string Summary =>
            string.Join(", ", Exchanges.GroupBy(e => e.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"))
            + $", {_handedOff} sync runs handed to the queue, {_streamsResumed} streams resumed";

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_clients).WaitAsync(TimeSpan.FromMinutes(2));
        }

        public void Dispose() => _stop.Dispose();

        /// <summary>
        /// Waits until no accepted run is queued or running, then checks every one in the database: succeeded, its steps
        /// numbered 1..n once each (<paramref name="query"/> runs SQL in the PostgreSQL task and returns its rows).
        /// </summary>
        public async Task<string> VerifyRunsAsync(Func<string, Task<string>> query, Guid organizationId, TimeSpan bound)
        {
            var sql = "SELECT r.id, r.status, count(s.run_id), count(DISTINCT s.step_number), COALESCE(max(s.step_number), 0), COALESCE(r.last_error, '') "
                + $"FROM runs r LEFT JOIN run_steps s ON s.run_id = r.id WHERE r.organization_id = '{organizationId}' GROUP BY r.id, r.status, r.last_error";
            var deadline = DateTime.UtcNow + bound;
            Dictionary<Guid, string[]> rows;
            while (true)
            {
                rows = (await query(sql)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('|'))
                    .Where(cells => cells.Length == 6).ToDictionary(cells => Guid.Parse(cells[0]));
                if (!rows.Values.Any(cells => cells[1] is "queued" or "running") || DateTime.UtcNow > deadline)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromSeconds(2));
            }

            var wrong = new List<string>();
            foreach (var (id, steps) in _expectedSteps)
            {
                var expected = steps.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!rows.TryGetValue(id, out var cells))
                {
                    wrong.Add($"{id}: accepted, not in the database");
                }
                else if (cells[1] != "succeeded" || cells[2] != expected || cells[3] != expected || cells[4] != expected)
                {
                    wrong.Add($"{id}: {cells[1]}, {cells[2]} steps ({cells[3]} distinct, last {cells[4]}), expected {expected}: {cells[5]}");
                }
            }

            Assert.True(wrong.Count == 0, $"{wrong.Count} of {_expectedSteps.Count} accepted runs wrong or lost:\n{string.Join('\n', wrong.Take(20))}");
            return $"{_expectedSteps.Count} accepted, all succeeded with every step once ({rows.Count} in the database)";
        }

        private async Task LoopAsync(string kind, Func<CancellationToken, Task<string?>> exchange)
        {
            while (!_stop.IsCancellationRequested)
            {
                var at = DateTime.UtcNow;
                string? failure;
                try
                {
                    failure = await exchange(_stop.Token);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or JsonException)
                {
                    failure = $"{e.GetType().Name}: {e.Message}";
                }

                Exchanges.Enqueue(new Exchange(kind, at, failure is null, failure));
                // Well under the API key's default limit (600 a minute) all together.
                await Task.Delay(TimeSpan.FromMilliseconds(kind == "read" ? 500 : 100));
            }
        }

        private async Task<string?> SyncAsync(CancellationToken cancellationToken)
        {
            using var response = await _api.PostAsJsonAsync("/api/agents/drill/invoke", new { input = "sync #steps=4 #latency=500", executionMode = "sync" }, CancellationToken.None);
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var run = JsonDocument.Parse(body).RootElement;
                _expectedSteps[run.GetProperty("id").GetGuid()] = 4;
                return run.GetProperty("status").GetString() == "succeeded" ? null : $"sync run {run.GetProperty("status")}: {body}";
            }

            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                // The instance stopped before the run ended: a worker finishes it (checked at the end).
                Interlocked.Increment(ref _handedOff);
                _expectedSteps[JsonDocument.Parse(body).RootElement.GetProperty("runId").GetGuid()] = 4;
                return null;
            }

            return $"sync {(int)response.StatusCode}: {body}";
        }

        private async Task<string?> AsyncAsync(CancellationToken cancellationToken)
        {
            using var response = await _api.PostAsJsonAsync("/api/agents/drill/invoke", new { input = "async #steps=3 #latency=300", executionMode = "async" }, CancellationToken.None);
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return $"async {(int)response.StatusCode}: {body}";
            }

            _expectedSteps[JsonDocument.Parse(body).RootElement.GetProperty("runId").GetGuid()] = 3;
            await Task.Delay(TimeSpan.FromMilliseconds(400), cancellationToken);
            return null;
        }

        private async Task<string?> ReadAsync(CancellationToken cancellationToken)
        {
            using var response = await _api.GetAsync("/api/runs?limit=5", CancellationToken.None);
            return response.StatusCode == HttpStatusCode.OK ? null : $"read {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(CancellationToken.None)}";
        }

        /// <summary>Starts a long async run and follows it to its end, resuming after the last step whenever its stream ends early.</summary>
        private async Task<string?> StreamAsync(CancellationToken cancellationToken)
        {
            using var invoke = await _api.PostAsJsonAsync("/api/agents/drill/invoke",
                new { input = $"streamed #steps={StreamedSteps} #latency=1000", executionMode = "async" }, CancellationToken.None);
            var body = await invoke.Content.ReadAsStringAsync(CancellationToken.None);
            if (invoke.StatusCode != HttpStatusCode.Accepted)
            {
                return $"stream's async {(int)invoke.StatusCode}: {body}";
            }

            var id = JsonDocument.Parse(body).RootElement.GetProperty("runId").GetGuid();
            _expectedSteps[id] = StreamedSteps;
            var followed = await RunEvents.FollowToEndAsync(_api, id, cancellationToken: CancellationToken.None);
            Interlocked.Add(ref _streamsResumed, followed.Resumed);
            return !followed.Ended ? $"stream of {id} never saw the run end (steps [{string.Join(',', followed.Steps)}])"
                : followed.Steps.SequenceEqual(Enumerable.Range(1, StreamedSteps)) ? null
                : $"stream of {id} saw steps [{string.Join(',', followed.Steps)}]";
        }
    }

    private sealed record Exchange(string Kind, DateTime At, bool Ok, string? Failure)
    {
        public override string ToString() => $"{At:HH:mm:ss.fff} {Kind}: {(Ok ? "ok" : Failure)}";
    }
}
