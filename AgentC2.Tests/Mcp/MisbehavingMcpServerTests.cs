using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Mcp;

/// <summary>
/// Catalog entries and servers that misbehave (tools/mcp-servers/misbehaving.mjs, on the official TypeScript SDK; catalog
/// entries asking for what they may not have): a clear tool error or 503 problem, the agent keeps serving, and no
/// client is left half-open in the pool.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class MisbehavingMcpServerTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_server_that_prints_garbage_first_still_serves()
    {
        using var session = await ForeignMcpSession.StartAsync(fixture, "noisy", new { name = "noisy", catalog = ForeignMcpServers.Garbage });

        Assert.Equal("pong from ping", ForeignMcpSession.ToolResultText(await session.InvokeAsync(0, "ping")));
        await AssertServingWithoutHalfOpenClientsAsync(session);
    }

    [Fact]
    public async Task An_over_large_result_is_cut_and_what_was_not_kept_is_named()
    {
        using var session = await ForeignMcpSession.StartAsync(fixture, "huge", new { name = "huge", catalog = ForeignMcpServers.Huge });

        var result = ForeignMcpSession.FirstToolCall(await session.InvokeAsync(0, "huge"))!.Value.Result;

        var text = result.GetProperty("result").GetString()!;
        Assert.True(text.Length < 70_000, $"{text.Length} characters kept");
        Assert.Contains("[cut: the result had", text, StringComparison.Ordinal);
        var content = result.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(21, content.Count);
        Assert.All(content.Where(c => c.GetProperty("type").GetString() == "image"), image =>
        {
            Assert.Equal("larger than 262144 bytes", image.GetProperty("omitted").GetString());
            Assert.Equal(300 * 1024, image.GetProperty("size").GetInt64());
            Assert.False(image.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String);
        });
        var link = Assert.Single(content, c => c.GetProperty("type").GetString() == "resource_link");
        Assert.Equal("file:///reports/huge.txt", link.GetProperty("uri").GetString());
        await AssertServingWithoutHalfOpenClientsAsync(session);
    }

    [Fact]
    public async Task A_tool_list_with_invalid_schemas_is_a_503_naming_it_and_runs_go_on_without_it()
    {
        using var session = await ForeignMcpSession.StartAsync(fixture, "odd", new { name = "odd", catalog = ForeignMcpServers.BadSchema });

        using var tools = await session.Clients[0].GetAsync($"/api/agents/{ForeignMcpSession.Agent}/tools");
        var problem = await tools.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "mcp-server-unavailable");
        Assert.Contains("its tool list was refused", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(ForeignMcpSession.FirstToolCall(await session.InvokeAsync(0, "broken")));
        await AssertServingWithoutHalfOpenClientsAsync(session);
    }

    [Theory]
    [InlineData(ForeignMcpServers.MissingVariable, "inherits the variable 'AGENTC2_NO_SUCH_VARIABLE', which the agent does not have")]
    [InlineData(ForeignMcpServers.InheritsSecret, "inherits the variable 'AgentC2__Tenancy__OperatorApiKey', which holds a secret of the agent")]
    public async Task A_catalog_entry_asking_for_a_variable_it_may_not_have_is_a_503_naming_it(string catalog, string reason)
    {
        using var session = await ForeignMcpSession.StartAsync(fixture, "asking", new { name = "asking", catalog });

        using var tools = await session.Clients[0].GetAsync($"/api/agents/{ForeignMcpSession.Agent}/tools");
        var problem = await tools.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "mcp-server-unavailable");
        Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(tools.Headers.RetryAfter is not null);
        Assert.DoesNotContain(fixture.OperatorApiKey, problem.GetRawText(), StringComparison.Ordinal);

        // A run does not fail for it: the step goes on without that server's tools.
        Assert.Null(ForeignMcpSession.FirstToolCall(await session.InvokeAsync(0, "echo")));
        await AssertServingWithoutHalfOpenClientsAsync(session);
    }

    [Fact]
    public async Task A_disabled_catalog_entry_cannot_be_registered()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);

        using var response = await client.PostAsJsonAsync("/api/mcp-servers", new { name = "off", catalog = ForeignMcpServers.Disabled });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.DoesNotContain(ForeignMcpServers.Disabled, problem.GetProperty("errors").GetProperty("catalog")[0].GetString()!.Split("Available:")[1], StringComparison.Ordinal);
    }

    private static async Task AssertServingWithoutHalfOpenClientsAsync(ForeignMcpSession session)
    {
        for (var replica = 0; replica < session.Replicas.Count; replica++)
        {
            using var health = await session.Clients[replica].GetAsync("/api/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.All(await session.PoolEntriesAsync(replica), entry => Assert.Equal("ready", entry.State));
        }
    }
}
