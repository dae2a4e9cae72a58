using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Mcp;

/// <summary>
/// One organization with one MCP server registered and one agent using it, reached on every agent replica directly (the
/// shared proxy keeps a connection on one replica), for the tests with servers nobody here wrote.
/// </summary>
internal sealed class ForeignMcpSession : IDisposable
{
    public const string Agent = "foreign";

    private ForeignMcpSession(AppHostFixture fixture, TestOrganization organization, IReadOnlyList<Uri> replicas)
    {
        Fixture = fixture;
        Organization = organization;
        Replicas = replicas;
        Clients = [.. replicas.Select(r => AppHostFixture.WithApiKey(new HttpClient { BaseAddress = r, Timeout = TimeSpan.FromSeconds(60) }, organization.ApiKey))];
    }

    public AppHostFixture Fixture { get; }

    public TestOrganization Organization { get; }

    public IReadOnlyList<Uri> Replicas { get; }

    /// <summary>One client per agent replica, each presenting the organization's key.</summary>
    public IReadOnlyList<HttpClient> Clients { get; }

    /// <summary>A new organization with <paramref name="registration"/> (e.g. <c>new { name, catalog }</c>) and an agent using the server <paramref name="server"/>.</summary>
    public static async Task<ForeignMcpSession> StartAsync(AppHostFixture fixture, string server, object registration)
    {
        var organization = await fixture.CreateOrganizationAsync();
        var session = new ForeignMcpSession(fixture, organization, await fixture.Replicas.AddressesAsync(AgentC2.ResourceNames.Agent));
        using var added = await session.Clients[0].PostAsJsonAsync("/api/mcp-servers", registration);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        using var agent = await session.Clients[0].PostAsJsonAsync("/api/agents", new { slug = Agent, name = "Foreign tools", tools = Array.Empty<string>(), mcpServers = new[] { server } });
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        return session;
    }

    /// <summary>A sync run on replica <paramref name="replica"/> whose first step calls <paramref name="tool"/> (with <c>#args</c> when given).</summary>
    public async Task<JsonElement> InvokeAsync(int replica, string tool, string? args = null)
    {
        var input = $"Use the tool #tool={tool} #steps=2" + (args is null ? string.Empty : $" #args={args}");
        using var response = await Clients[replica].PostAsJsonAsync($"/api/agents/{Agent}/invoke", new { input, executionMode = "sync" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"replica {Replicas[replica]}: {(int)response.StatusCode} {body}");
        var run = JsonDocument.Parse(body).RootElement;
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        return run;
    }

    /// <summary>The tool calls and results of a run's first step.</summary>
    public static (JsonElement Call, JsonElement Result)? FirstToolCall(JsonElement run)
    {
        var messages = run.GetProperty("steps")[0].GetProperty("messages");
        if (messages.GetArrayLength() < 2 || !messages[0].TryGetProperty("toolCalls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        return (calls[0], messages[1].GetProperty("toolResults")[0]);
    }

    /// <summary>The text result of the first step's tool call (fails when the step called no tool).</summary>
    public static string ToolResultText(JsonElement run) =>
        (FirstToolCall(run) ?? throw new Xunit.Sdk.XunitException($"the step called no tool: {run}")).Result.GetProperty("result").GetString()!;

    /// <summary>This organization's clients in one replica's pool, by server name and state.</summary>
    public async Task<IReadOnlyList<(string Server, string State)>> PoolEntriesAsync(int replica)
    {
        using var operatorClient = AppHostFixture.WithApiKey(new HttpClient { BaseAddress = Replicas[replica] }, Fixture.OperatorApiKey);
        var pool = (await operatorClient.GetFromJsonAsync<JsonElement>("/api/operator/mcp-pool")).GetProperty("pool");
        return [.. pool.GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("organizationId").GetGuid() == Organization.Id)
            .Select(e => (e.GetProperty("server").GetString()!, e.GetProperty("state").GetString()!))];
    }

    public void Dispose()
    {
        foreach (var client in Clients)
        {
            client.Dispose();
        }
    }
}
