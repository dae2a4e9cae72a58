using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Mcp;

[Collection(AppHostCollection.Name)]
public sealed class McpServersApiTests(AppHostFixture fixture)
{
    [Fact]
    public async Task The_demo_sampler_agent_calls_a_sample_server_tool_end_to_end()
    {
        using var client = fixture.CreateApiClient(fixture.DemoApiKey);

        var tools = await client.GetFromJsonAsync<JsonElement>("/api/agents/sampler/tools");
        Assert.Equal(["add", "child", "crash", "echo", "pid", "slow"], tools.EnumerateArray().Select(t => t.GetProperty("name").GetString()).Order());
        Assert.All(tools.EnumerateArray(), t => Assert.Equal("samples", t.GetProperty("source").GetString()));

        using var response = await client.PostAsJsonAsync("/api/agents/sampler/invoke", new { input = "Say it back #steps=2 #tool=echo", executionMode = "sync" });
        var run = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var step = run.GetProperty("steps")[0];
        Assert.Equal("echo", step.GetProperty("messages")[0].GetProperty("toolCalls")[0].GetProperty("name").GetString());
        Assert.Equal("echo: step 1 of 2", step.GetProperty("messages")[1].GetProperty("toolResults")[0].GetProperty("result").GetString());
        Assert.Contains("echo: step 1 of 2", run.GetProperty("output").GetString(), StringComparison.Ordinal);

        // The pool that served it, as operators see it: each replica shows its own pool, so every replica is asked
        // directly (the shared proxy keeps a connection on one replica, which need not be the one that ran the agent).
        var replicas = await fixture.Replicas.AddressesAsync(AgentC2.ResourceNames.Agent);
        var pools = await Task.WhenAll(replicas.Select(async replica =>
        {
            using var operatorClient = AppHostFixture.WithApiKey(new HttpClient { BaseAddress = replica }, fixture.OperatorApiKey);
            return (await operatorClient.GetFromJsonAsync<JsonElement>("/api/operator/mcp-pool")).GetProperty("pool");
        }));
        Assert.All(pools, pool => Assert.Equal(20, pool.GetProperty("maxClients").GetInt32()));
        Assert.Contains(pools, pool => pool.GetProperty("clients").GetInt32() > 0
            && pool.GetProperty("entries").EnumerateArray().Any(e => e.GetProperty("server").GetString() == "samples" && e.GetProperty("state").GetString() == "ready"));

        var scrapes = await Task.WhenAll(replicas.Select(Metrics.ScrapeAsync));
        foreach (var name in new[] { "agentc2_active_mcp_clients", "agentc2_mcp_clients", "agentc2_mcp_pool_hits_total", "agentc2_mcp_pool_misses_total",
                     "agentc2_mcp_pool_evictions_total", "agentc2_mcp_pool_acquire_timeouts_total" })
        {
            Assert.All(scrapes, text => Assert.Contains($"\n{name}", "\n" + text, StringComparison.Ordinal));
        }

        Assert.Contains(scrapes, text => text.Contains("\nagentc2_mcp_server_start_seconds_bucket{", StringComparison.Ordinal));
        Assert.Contains(scrapes, text => text.Contains("\nagentc2_mcp_pool_acquire_wait_seconds_bucket{", StringComparison.Ordinal));
        Assert.True(scrapes.Sum(text => Metrics.Samples(text, "agentc2_active_mcp_clients").Sum()) >= 1);
    }

    [Fact]
    public async Task Servers_are_added_listed_and_removed_and_auth_headers_are_never_returned()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);

        // Loopback is allowed by the fixture's operator allow-list.
        using var http = await client.PostAsJsonAsync("/api/mcp-servers", new { name = "internal-tools", url = "http://127.0.0.1:9/mcp", authHeader = "Bearer s3cret" });
        Assert.Equal(HttpStatusCode.Created, http.StatusCode);
        using var catalog = await client.PostAsJsonAsync("/api/mcp-servers", new { name = "samples", catalog = "samples" });
        Assert.Equal(HttpStatusCode.Created, catalog.StatusCode);

        var listText = await client.GetStringAsync("/api/mcp-servers");
        Assert.DoesNotContain("s3cret", listText, StringComparison.Ordinal);
        var list = JsonDocument.Parse(listText).RootElement;
        Assert.Equal(["internal-tools", "samples"], list.EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.True(list[0].GetProperty("hasAuthHeader").GetBoolean());
        Assert.Equal("http", list[0].GetProperty("kind").GetString());
        Assert.Equal("catalog", list[1].GetProperty("kind").GetString());

        using var duplicate = await client.PostAsJsonAsync("/api/mcp-servers", new { name = "samples", catalog = "samples" });
        await duplicate.AssertProblemAsync(HttpStatusCode.Conflict, "conflict");

        // Another organization sees none of them and cannot remove them.
        var stranger = await fixture.CreateOrganizationAsync();
        using var strangerClient = fixture.CreateApiClient(stranger.ApiKey);
        Assert.Equal(0, (await strangerClient.GetFromJsonAsync<JsonElement>("/api/mcp-servers")).GetArrayLength());
        using var strangerDelete = await strangerClient.DeleteAsync("/api/mcp-servers/samples");
        await strangerDelete.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");

        // Agents may only use registered servers.
        using var unknownServer = await client.PostAsJsonAsync("/api/agents", new { slug = "tooling", name = "Tooling", mcpServers = new[] { "samples", "nope" } });
        var problem = await unknownServer.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("nope", problem.GetProperty("errors").GetProperty("mcpServers")[0].GetString(), StringComparison.Ordinal);
        using var knownServer = await client.PostAsJsonAsync("/api/agents", new { slug = "tooling", name = "Tooling", mcpServers = new[] { "samples" } });
        Assert.Equal(HttpStatusCode.Created, knownServer.StatusCode);

        using var removed = await client.DeleteAsync("/api/mcp-servers/samples");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        using var again = await client.DeleteAsync("/api/mcp-servers/samples");
        await again.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData("""{ "name": "meta", "url": "http://169.254.169.254/latest/meta-data/" }""", "url")]
    [InlineData("""{ "name": "private", "url": "http://10.0.0.7/mcp" }""", "url")]
    [InlineData("""{ "name": "v6", "url": "http://[::1]:8080/mcp" }""", "url")]
    [InlineData("""{ "name": "nowhere", "url": "http://unresolvable.invalid/mcp" }""", "url")]
    [InlineData("""{ "name": "both", "catalog": "samples", "url": "https://example.com/mcp" }""", "catalog")]
    [InlineData("""{ "name": "unknown", "catalog": "no-such-server" }""", "catalog")]
    [InlineData("""{ "name": "Not A Name", "catalog": "samples" }""", "name")]
    [InlineData("""{ "name": "header", "catalog": "samples", "authHeader": "Bearer x" }""", "authHeader")]
    public async Task Bad_registrations_are_refused(string body, string field)
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);

        using var response = await client.PostAsync("/api/mcp-servers", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>("/api/mcp-servers")).GetArrayLength());
    }
}
