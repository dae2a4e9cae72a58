extern alias AgentService;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using AgentService::AgentC2.Agent.Runs;
using AgentC2.Tests.Fixtures;
using Npgsql;
using Xunit.Abstractions;

namespace AgentC2.Tests.Operations;

/// <summary>
/// The outage drills: Redis, then PostgreSQL, stopped for 30 s under the zero-downtime drill's load through the production
/// edge, with a real Prometheus scraping every replica and evaluating the production alert rules. No request may fail
/// (a request that cannot be served is refused with 503, Retry-After and a problem), health and alerts must show the
/// outage, every accepted run must finish, and everything must recover without a restart.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class OutageDrillTests(AppHostFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    /// <summary>Every wait of a drill is bounded: a drill that does not recover fails, it does not hang.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>After the services report healthy, a margin before the load counts as recovered.</summary>
    private static readonly TimeSpan EdgeCatchUp = TimeSpan.FromSeconds(5);

    private LocalEdge _edge = null!;
    private LocalPrometheus _prometheus = null!;

    public async Task InitializeAsync()
    {
        _edge = await LocalEdge.StartAsync(fixture);
        _prometheus = await LocalPrometheus.StartAsync(fixture);
    }

    [Fact]
    public async Task Redis_down_for_30_s_under_load_serves_every_request_alerts_and_recovers_without_restarts()
    {
        var drill = await DrillAsync(ResourceNames.Redis, "redis", AppHostFixture.ServiceNames, async replica =>
        {
            // Redis is not needed to serve: the full health report says it is down, liveness and readiness do not.
            var health = await ProbeResult.GetAsync(replica, ServicePaths.Health);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
            Assert.Equal("Unhealthy", health.CheckStatus("redis"));
            Assert.Equal(HttpStatusCode.OK, (await ProbeResult.GetAsync(replica, ServicePaths.Live)).Status);
            Assert.Equal(HttpStatusCode.OK, (await ProbeResult.GetAsync(replica, ServicePaths.Ready)).Status);
        });

        // Rate limits fail open and caches fall back to the database: nothing is refused while Redis is down.
        Assert.All(drill.During, exchange => Assert.Equal(DrillLoad.Outcome.Served, exchange.Outcome));
    }

    [Fact]
    public async Task Postgres_down_for_30_s_under_load_refuses_with_503_alerts_and_recovers_keeping_every_accepted_run()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync(ResourceNames.Database);
        var marker = Guid.NewGuid().ToString("N");
        await ExecuteSqlAsync(connectionString!, "CREATE TABLE IF NOT EXISTS outage_marker (id text PRIMARY KEY)");
        await ExecuteSqlAsync(connectionString!, $"INSERT INTO outage_marker VALUES ('{marker}')");

        // Sync runs long enough that the outage catches them half-way: each one's answer must name its run.
        var caught = new List<Task<HttpResponseMessage>>();
        var drill = await DrillAsync(ResourceNames.Postgres, "database", [ResourceNames.Agent, ResourceNames.Worker], async replica =>
        {
            // Nothing can be served without the database: readiness takes every instance out of the edge's rotation.
            var ready = await ProbeResult.GetAsync(replica, ServicePaths.Ready);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
            Assert.Equal("Unhealthy", ready.CheckStatus("database"));
            Assert.Equal(HttpStatusCode.OK, (await ProbeResult.GetAsync(replica, ServicePaths.Live)).Status);
        }, beforeStop: async api =>
        {
            caught.AddRange(Enumerable.Range(0, 3).Select(i => api.PostAsJsonAsync("/api/agents/assistant/invoke",
                new { input = $"caught by the outage {i} #steps=30 #latency=300", executionMode = "sync", maxSteps = 40 })));
            await Task.Delay(TimeSpan.FromSeconds(2));
        });

        Assert.Contains(drill.During, exchange => exchange.Outcome == DrillLoad.Outcome.Refused);
        var interrupted = new List<Guid>();
        foreach (var answer in await Task.WhenAll(caught))
        {
            using var response = answer;
            var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {problem}");
            Assert.Equal("urn:agentc2:problem:dependency-unavailable", problem.GetProperty("type").GetString());
            Assert.NotNull(response.Headers.RetryAfter);
            var run = problem.GetProperty("runId").GetGuid();
            Assert.Equal($"/api/runs/{run}", response.Headers.Location?.OriginalString);
            interrupted.Add(run);
        }

        await using var database = await fixture.OpenDatabaseAsync();
        await AssertInterruptedRunsFailedAsync(database, interrupted);

        // The data folder outlives the server process.
        Assert.Equal(1L, await ExecuteSqlAsync(connectionString!, $"SELECT count(*) FROM outage_marker WHERE id = '{marker}'"));
    }

    private async Task<Drill> DrillAsync(string resource, string check, string[] reporting, Func<HttpClient, Task> whileDown, Func<HttpClient, Task>? beforeStop = null)
    {
        var organization = await fixture.EnsureOrganizationAsync(DrillLoad.Organization);
        using var api = _edge.CreateApiClient(organization.ApiKey);
        await api.EnsureAgentAsync("assistant");
        var processes = await fixture.Replicas.ProcessesAsync();
        var reporters = reporting.Sum(fixture.Replicas.Count);
        var selector = $"check=\"{check}\",job=~\"{string.Join('|', reporting)}\"";
        var unhealthy = $"agentc2_health_check_status{{{selector}}} == 0";
        var alert = $"ALERTS{{alertname=\"AgentC2HealthCheckUnhealthy\",{selector}}}";
        await Eventually.MatchAsync(async token => (await _prometheus.QueryAsync($"agentc2_health_check_status{{{selector}}} == 1", token)).Count,
            count => count == reporters, Bound, $"every replica reporting {check} healthy to Prometheus");

        await using var load = DrillLoad.Start(api, "assistant");
        await Task.Delay(TimeSpan.FromSeconds(3));
        if (beforeStop is not null)
        {
            await beforeStop(api);
        }

        var down = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        await fixture.Replicas.ExecuteOnResourceAsync(resource, KnownResourceCommands.StopCommand);
        TimeSpan outage, toMetric, toAlert;
        string alertState;
        try
        {
            foreach (var service in reporting)
            {
                foreach (var replica in await fixture.Replicas.AddressesAsync(service))
                {
                    using var client = new HttpClient { BaseAddress = replica, Timeout = TimeSpan.FromSeconds(10) };
                    await Eventually.MatchAsync(async _ =>
                    {
                        await whileDown(client);
                        return true;
                    }, _ => true, Bound, $"{service} {replica} reporting {check} down");
                }
            }

            // Every replica's health metric shows it (the checks run every 15 s) and the alert is pending: it fires after
            // 2 minutes, so a short outage pages nobody.
            await Eventually.MatchAsync(async token => (await _prometheus.QueryAsync(unhealthy, token)).Count, count => count == reporters, Bound, $"Prometheus seeing {check} down");
            toMetric = clock.Elapsed;
            var alerts = await Eventually.MatchAsync(token => _prometheus.QueryAsync(alert, token), results => results.Count == reporters, Bound, $"{alert} on every replica");
            toAlert = clock.Elapsed;
            alertState = string.Join(", ", alerts.Select(a => LocalPrometheus.Label(a, "alertstate")).Distinct());
            Assert.All(reporting, job => Assert.Contains(alerts, a => LocalPrometheus.Label(a, "job") == job));

            if (clock.Elapsed < Outage)
            {
                await Task.Delay(Outage - clock.Elapsed);
            }
        }
        finally
        {
            outage = clock.Elapsed;
            await fixture.Replicas.ExecuteOnResourceAsync(resource, KnownResourceCommands.StartCommand);
        }

        var up = DateTime.UtcNow;
        clock.Restart();
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(Bound);
        await fixture.Replicas.WaitEveryHealthyAsync(Bound);

        var healthy = DateTime.UtcNow;
        var toHealthy = clock.Elapsed;
        await Eventually.MatchAsync(async token => (await _prometheus.QueryAsync($"{unhealthy} or {alert}", token)).Count, count => count == 0, Bound, $"Prometheus seeing {check} back and the alert gone");
        var toCleared = clock.Elapsed;

        // Served again through the edge once it has seen the services ready: at least a few seconds of load after that.
        var enough = healthy + EdgeCatchUp + TimeSpan.FromSeconds(5) - DateTime.UtcNow;
        if (enough > TimeSpan.Zero)
        {
            await Task.Delay(enough);
        }
        await load.StopAsync();
        var end = DateTime.UtcNow;

        // No accepted run is lost: every run the load was given (sync answered, async accepted) succeeds.
        var accepted = load.AcceptedRuns;
        await using var database = await fixture.OpenDatabaseAsync();
        var ids = accepted.Keys.ToArray();
        var finished = await Eventually.MatchAsync(
            async _ => string.Join(", ", await database.QueryAsync("SELECT status, count(*) FROM runs WHERE id = ANY($1) GROUP BY status ORDER BY status", r => $"{r.GetString(0)}={r.GetInt64(1)}", ids)),
            statuses => !statuses.Contains("queued", StringComparison.Ordinal) && !statuses.Contains("running", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90), $"every accepted run ({ids.Length}) ending");
        var lost = ids.Except(await database.QueryAsync("SELECT id FROM runs WHERE id = ANY($1)", r => r.GetGuid(0), ids)).Select(id => accepted[id]).ToList();
        Assert.True(lost.Count == 0, "accepted and lost:\n" + string.Join('\n', lost));
        Assert.Equal($"succeeded={ids.Length}", finished);

        // A refused invocation changed nothing (no run exists for its input), unless its answer named the run the outage
        // interrupted: that one ended failed, saying why.
        var refused = load.All.Where(e => e.Outcome == DrillLoad.Outcome.Refused && e.Input is not null).ToList();
        var refusedInputs = refused.Select(e => e.Input!).ToArray();
        var named = refused.Where(e => e.NamedRun is not null).Select(e => e.NamedRun!.Value).ToArray();
        var leftBehind = await database.QueryAsync("SELECT input || ' ' || status FROM runs WHERE input = ANY($1) AND NOT id = ANY($2)",
            r => r.GetString(0), (object)refusedInputs, (object)named);
        await AssertInterruptedRunsFailedAsync(database, named);

        var processesAfter = await fixture.Replicas.ProcessesAsync();
        var drill = new Drill(load.Between(DateTime.MinValue, down), load.Between(down, up), load.Between(up, healthy.Add(EdgeCatchUp)), load.Between(healthy.Add(EdgeCatchUp), end));
        var report = $"""
            {resource} outage drill: {resource} stopped for {outage.TotalSeconds:F0} s under load through the edge
              before:     {DrillLoad.Summary(drill.Before)}
              during:     {DrillLoad.Summary(drill.During)}
              recovering: {DrillLoad.Summary(drill.Recovering)}
              after:      {DrillLoad.Summary(drill.After)}
              health and alerts: {check} at 0 on all {reporters} reporting replicas in Prometheus {toMetric.TotalSeconds:F0} s after the stop, AgentC2HealthCheckUnhealthy {alertState} at {toAlert.TotalSeconds:F0} s;
                every replica healthy {toHealthy.TotalSeconds:F0} s after the start, metric and alert cleared at {toCleared.TotalSeconds:F0} s
              accepted runs: {ids.Length}, {finished}; refused invocations: {refusedInputs.Length}, naming the run the outage interrupted: {named.Length}, other runs they left: {leftBehind.Count}
              restarts: {processes.Count(p => !processesAfter.TryGetValue(p.Key, out var pid) || pid != p.Value)} of {processes.Count} service replicas
            """;
        output.WriteLine(report);
        var notServed = drill.All.Where(e => e.Outcome != DrillLoad.Outcome.Served).ToList();
        if (notServed.Any(e => e.Outcome == DrillLoad.Outcome.Failed))
        {
            // A failed request's trace id points into the agent's log: keep its last exception beside the numbers.
            report += $"\n  the agent's last logged exception:\n{await fixture.ServiceErrors.LastExceptionAsync(ResourceNames.Agent)}";
        }

        await DrillReport.WriteAsync($"outage-drill-{resource}.txt", report, notServed);

        Assert.True(drill.During.Count > 0 && drill.After.Count > 0, report);
        var failed = notServed.Where(e => e.Outcome == DrillLoad.Outcome.Failed).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} failed:\n{string.Join('\n', failed)}\n{report}");
        Assert.All(drill.Before.Concat(drill.After), exchange => Assert.Equal(DrillLoad.Outcome.Served, exchange.Outcome));
        Assert.Equal(processes, processesAfter);
        Assert.True(leftBehind.Count == 0, "refused but written: " + string.Join(", ", leftBehind));
        return drill;
    }

    /// <summary>Runs the outage interrupted end failed, saying the database went away, soon after it is back.</summary>
    private static async Task AssertInterruptedRunsFailedAsync(NpgsqlConnection database, IReadOnlyCollection<Guid> runs)
    {
        if (runs.Count == 0)
        {
            return;
        }

        var ended = await Eventually.MatchAsync(
            _ => database.QueryAsync("SELECT status || ': ' || coalesce(last_error, '') FROM runs WHERE id = ANY($1)", r => r.GetString(0), (object)runs.ToArray()),
            rows => rows.Count == runs.Count && rows.All(row => !row.StartsWith("running", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), $"the {runs.Count} interrupted runs ending");
        Assert.All(ended, row => Assert.Equal($"failed: {InterruptedRuns.Error}", row));
    }

    private static async Task<object?> ExecuteSqlAsync(string connectionString, string sql)
    {
        // No pooling: a pooled connection would not survive the server's restart.
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        return await connection.ExecuteAsync(sql);
    }

    public async Task DisposeAsync()
    {
        await _prometheus.DisposeAsync();
        await _edge.DisposeAsync();
    }

    private sealed record Drill(
        IReadOnlyList<DrillLoad.Exchange> Before,
        IReadOnlyList<DrillLoad.Exchange> During,
        IReadOnlyList<DrillLoad.Exchange> Recovering,
        IReadOnlyList<DrillLoad.Exchange> After)
    {
        public IEnumerable<DrillLoad.Exchange> All => Before.Concat(During).Concat(Recovering).Concat(After);
    }
}
