using Microsoft.Extensions.DependencyInjection;
using System.Net;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Health;

[Collection(AppHostCollection.Name)]
public sealed class HealthEndpointTests(AppHostFixture fixture)
{
    public static TheoryData<string> Services => [.. AppHostFixture.ServiceNames];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Health_reports_database_redis_and_memory(string service)
    {
        using var client = fixture.CreateClient(service);

        var health = await ProbeResult.GetAsync(client, "/api/health");

        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal("Healthy", health.OverallStatus);
        Assert.Equal(service == AgentC2.ResourceNames.Frontend ? "Skipped" : "Healthy", health.CheckStatus("database"));
        Assert.Equal("Healthy", health.CheckStatus("redis"));
        Assert.Equal("Healthy", health.CheckStatus("memory"));
        foreach (var check in health.Body.GetProperty("checks").EnumerateObject())
        {
            Assert.True(check.Value.GetProperty("durationMs").GetDouble() >= 0);
            Assert.False(string.IsNullOrWhiteSpace(check.Value.GetProperty("description").GetString()));
        }

        var memory = health.Body.GetProperty("checks").GetProperty("memory").GetProperty("data");
        Assert.True(memory.GetProperty("residentBytes").GetInt64() > 0);
        Assert.True(memory.GetProperty("limitBytes").GetInt64() >= memory.GetProperty("residentBytes").GetInt64());
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Live_asks_no_dependency(string service)
    {
        using var client = fixture.CreateClient(service);

        var live = await ProbeResult.GetAsync(client, "/api/health/live");

        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.Empty(live.CheckNames);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Ready_checks_the_database_the_schema_and_shutdown_only(string service)
    {
        using var client = fixture.CreateClient(service);

        var ready = await ProbeResult.GetAsync(client, "/api/health/ready");

        Assert.Equal(HttpStatusCode.OK, ready.Status);
        // The agent and the worker also wait for the database schema (the agent's migrations); the console has none.
        Assert.Equal(service == AgentC2.ResourceNames.Frontend ? ["database", "shutdown"] : ["database", "schema", "shutdown"], ready.CheckNames.Order());
    }

    [Fact]
    public async Task Health_never_leaks_connection_details()
    {
        using var client = fixture.CreateClient(AgentC2.ResourceNames.Agent);
        var password = await File.ReadAllTextAsync(Path.Combine(StateDirectoryOf(fixture), "postgres.password"));

        var body = (await ProbeResult.GetAsync(client, "/api/health")).Body.GetRawText();

        Assert.DoesNotContain(password.Trim(), body, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Host=", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Frontend_reaches_the_agent_api_through_service_discovery()
    {
        using var client = fixture.CreateClient(AgentC2.ResourceNames.Frontend);

        var health = await ProbeResult.GetAsync(client, "/api/health");

        Assert.Equal("Healthy", health.CheckStatus("agent-api"));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task The_container_health_probe_passes_against_the_running_service_and_fails_otherwise(string service)
    {
        using var client = fixture.CreateClient(service);
        var assembly = Repository.ServiceAssembly($"AgentC2.{char.ToUpperInvariant(service[0])}{service[1..]}");
        var port = new Dictionary<string, string?> { ["HTTP_PORTS"] = client.BaseAddress!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        var live = await DotnetProcess.RunAsync(assembly, ["--health-probe"], port, TimeSpan.FromSeconds(30));
        var missing = await DotnetProcess.RunAsync(assembly, ["--health-probe", "/api/no-such-probe"], port, TimeSpan.FromSeconds(30));
        var nobody = await DotnetProcess.RunAsync(assembly, ["--health-probe"], new Dictionary<string, string?> { ["HTTP_PORTS"] = "1" }, TimeSpan.FromSeconds(30));

        Assert.True(live.ExitCode == 0, live.StandardError);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("answered 404", missing.StandardError, StringComparison.Ordinal);
        Assert.Equal(1, nobody.ExitCode);
        Assert.Contains("did not answer", nobody.StandardError, StringComparison.Ordinal);
    }

    private static string StateDirectoryOf(AppHostFixture fixture) =>
        fixture.App.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["AgentC2:StateDirectory"]!;
}
