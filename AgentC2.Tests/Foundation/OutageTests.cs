using System.Net;
using System.Net.Http.Json;
using AgentC2.Tests.Fixtures;
using Npgsql;

namespace AgentC2.Tests.Foundation;

/// <summary>
/// Stops Redis and PostgreSQL under the running services. These tests share the application's
/// collection, so no other test runs meanwhile, and each restores what it stopped.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class OutageTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Redis_down_makes_health_503_but_not_live_or_ready_and_recovers_without_restarts()
    {
        using var agent = fixture.CreateClient(AgentC2.ResourceNames.Agent);
        await fixture.ExecuteCommandAsync(AgentC2.ResourceNames.Redis, KnownResourceCommands.StopCommand);
        try
        {
            var health = await Eventually.MatchAsync(ct => ProbeResult.GetAsync(agent, "/api/health", ct),
                probe => probe.Status == HttpStatusCode.ServiceUnavailable, Bound, "agent /api/health turning 503");
            Assert.Equal("Unhealthy", health.CheckStatus("redis"));
            Assert.Equal("Healthy", health.CheckStatus("database"));
            Assert.Equal(HttpStatusCode.OK, (await ProbeResult.GetAsync(agent, "/api/health/live")).Status);
            Assert.Equal(HttpStatusCode.OK, (await ProbeResult.GetAsync(agent, "/api/health/ready")).Status);
        }
        finally
        {
            await fixture.ExecuteCommandAsync(AgentC2.ResourceNames.Redis, KnownResourceCommands.StartCommand);
        }

        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(AgentC2.ResourceNames.Redis).WaitAsync(Bound);
        foreach (var service in AppHostFixture.ServiceNames)
        {
            using var client = fixture.CreateClient(service);
            var recovered = await Eventually.MatchAsync(ct => ProbeResult.GetAsync(client, "/api/health", ct),
                probe => probe.Status == HttpStatusCode.OK, Bound, $"{service} /api/health recovering");
            Assert.Equal("Healthy", recovered.CheckStatus("redis"));
        }
    }

    [Fact]
    public async Task Postgres_down_makes_ready_503_and_recovers_without_restarts_keeping_its_data()
    {
        using var agent = fixture.CreateClient(AgentC2.ResourceNames.Agent);
        using var worker = fixture.CreateClient(AgentC2.ResourceNames.Worker);
        var connectionString = await fixture.App.GetConnectionStringAsync(AgentC2.ResourceNames.Database);
        var marker = Guid.NewGuid().ToString("N");
        await ExecuteSqlAsync(connectionString!, "CREATE TABLE IF NOT EXISTS outage_marker (id text PRIMARY KEY)");
        await ExecuteSqlAsync(connectionString!, $"INSERT INTO outage_marker VALUES ('{marker}')");

        await fixture.ExecuteCommandAsync(AgentC2.ResourceNames.Postgres, KnownResourceCommands.StopCommand);
        try
        {
            foreach (var client in new[] { agent, worker })
            {
                var ready = await Eventually.MatchAsync(ct => ProbeResult.GetAsync(client, "/api/health/ready", ct),
                    probe => probe.Status == HttpStatusCode.ServiceUnavailable, Bound, "/api/health/ready turning 503");
                Assert.Equal("Unhealthy", ready.CheckStatus("database"));
                Assert.Equal(HttpStatusCode.OK, (await ProbeResult.GetAsync(client, "/api/health/live")).Status);
            }

            // An invocation cannot be accepted without its commit: 503 with Retry-After, and nothing half-written.
            using var api = fixture.CreateApiClient(fixture.DemoApiKey);
            using var refused = await api.PostAsJsonAsync("/api/agents/assistant/invoke", new { input = $"outage {marker}", executionMode = "async" });
            await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "dependency-unavailable");
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        finally
        {
            await fixture.ExecuteCommandAsync(AgentC2.ResourceNames.Postgres, KnownResourceCommands.StartCommand);
        }

        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(AgentC2.ResourceNames.Postgres).WaitAsync(Bound);
        foreach (var client in new[] { agent, worker })
        {
            var ready = await Eventually.MatchAsync(ct => ProbeResult.GetAsync(client, "/api/health/ready", ct),
                probe => probe.Status == HttpStatusCode.OK, Bound, "/api/health/ready recovering");
            Assert.Equal("Healthy", ready.CheckStatus("database"));
        }

        // The API itself recovers on every replica (a request on a connection that died with the server is a 503, never a 500).
        foreach (var replica in await fixture.ReplicaAddressesAsync(AgentC2.ResourceNames.Agent).WaitAsync(Bound))
        {
            using var api = new HttpClient { BaseAddress = replica };
            api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", fixture.DemoApiKey);
            var seen = new List<HttpStatusCode>();
            await Eventually.MatchAsync(async ct =>
            {
                using var response = await api.GetAsync("/api/agents", ct);
                seen.Add(response.StatusCode);
                return response.StatusCode;
            }, status => status == HttpStatusCode.OK, Bound, $"the agent API on {replica} recovering");
            Assert.All(seen, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"unexpected {(int)status}"));
        }

        Assert.Equal(0L, await ExecuteSqlAsync(connectionString!, $"SELECT count(*) FROM runs WHERE input = 'outage {marker}'"));

        // The data folder outlives the server process.
        Assert.Equal(1L, await ExecuteSqlAsync(connectionString!, $"SELECT count(*) FROM outage_marker WHERE id = '{marker}'"));
    }

    private static async Task<object?> ExecuteSqlAsync(string connectionString, string sql)
    {
        // No pooling: a pooled connection would not survive the server's restart.
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
