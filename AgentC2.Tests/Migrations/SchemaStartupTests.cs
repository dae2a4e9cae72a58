using System.Net;
using AgentC2.Tests.Fixtures;
using Npgsql;

namespace AgentC2.Tests.Migrations;

/// <summary>
/// A service whose database is not there yet, or has no schema yet, is alive (its live probe answers) but not ready,
/// and waits: the agent's migrations run in the background, the worker waits for the tables they create.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SchemaStartupTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_agent_is_live_while_postgres_is_unreachable_not_ready_and_its_api_says_it_is_starting()
    {
        await using var agent = ServiceProcess.Start("AgentC2.Agent", Development($"Host=127.0.0.1;Port={Loopback.FreePort()};Username=postgres;Password=x;Database=agentc2"));
        using var http = new HttpClient { BaseAddress = agent.Address, Timeout = TimeSpan.FromSeconds(10) };

        await Eventually.MatchAsync(async token => (await http.GetAsync(ServicePaths.Live, token)).StatusCode, status => status == HttpStatusCode.OK, Bound, $"the agent live\n{agent.Output}");
        using var ready = await http.GetAsync(ServicePaths.Ready);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("schema", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var api = await http.GetAsync("/api/agents");
        var problem = await api.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "starting");
        Assert.Equal("2", api.Headers.RetryAfter?.ToString());
        Assert.Contains("schema is not ready", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(agent.HasExited, agent.Output);
    }

    [Fact]
    public async Task On_a_fresh_database_the_worker_waits_not_ready_until_the_agent_has_migrated_it()
    {
        var name = "fresh_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = await fixture.OpenDatabaseAsync())
        {
            await admin.ExecuteAsync($"CREATE DATABASE {name}");
        }

        var connectionString = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync(AgentC2.ResourceNames.Database)) { Database = name }.ConnectionString;
        try
        {
            await using var worker = ServiceProcess.Start("AgentC2.Worker", Development(connectionString));
            using var workerHttp = new HttpClient { BaseAddress = worker.Address, Timeout = TimeSpan.FromSeconds(10) };
            await Eventually.MatchAsync(async token => (await workerHttp.GetAsync(ServicePaths.Live, token)).StatusCode, status => status == HttpStatusCode.OK, Bound, $"the worker live\n{worker.Output}");
            await Eventually.MatchAsync(_ => Task.FromResult(worker.Output), output => output.Contains("Waiting for the agent's migrations", StringComparison.Ordinal), Bound, "the worker waiting for the schema");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await workerHttp.GetAsync(ServicePaths.Ready)).StatusCode);

            // The agent migrates the database; the worker then turns ready without having queried a missing table.
            await using var agent = ServiceProcess.Start("AgentC2.Agent", Development(connectionString));
            await Eventually.MatchAsync(async token => (await workerHttp.GetAsync(ServicePaths.Ready, token)).StatusCode, status => status == HttpStatusCode.OK, Bound,
                $"the worker ready after the agent's migrations\nworker:\n{worker.Output}\nagent:\n{agent.Output}");
            Assert.DoesNotContain("does not exist", worker.Output, StringComparison.Ordinal);
        }
        finally
        {
            await using var admin = await fixture.OpenDatabaseAsync();
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
    }

    // Development: no Redis needed (in-memory rate limits); the worker gets a credential and an agent address it never reaches.
    private static Dictionary<string, string?> Development(string database) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["ConnectionStrings__agentc2"] = database,
        ["ConnectionStrings__redis"] = null,
        [InternalApiCredential] = "test-internal-" + Guid.NewGuid().ToString("N"),
        ["services__agent__http__0"] = $"http://127.0.0.1:{Loopback.FreePort()}",
    };

    private const string InternalApiCredential = "AgentC2__Internal__ApiKey";
}
