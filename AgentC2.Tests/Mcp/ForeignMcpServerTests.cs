using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.Tests.Mcp;

/// <summary>
/// The agent with MCP servers nobody here wrote: the reference server <c>@modelcontextprotocol/server-everything</c> over
/// stdio (operator catalog) and Streamable HTTP (registered by URL), driven on both agent replicas.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ForeignMcpServerTests(AppHostFixture fixture)
{
    // The base, the scratch folder (PWD: the launcher shell's working directory, the same folder) and the entry's own variable.
    private static readonly string[] Allowed = ["PATH", "LANG", "LC_ALL", "TZ", "HOME", "TMPDIR", "PWD", ForeignMcpServers.TokenVariable];

    [Fact]
    public async Task A_catalog_server_sees_no_secret_of_the_agent_and_what_it_echoes_back_is_redacted_on_every_replica()
    {
        using var session = await ForeignMcpSession.StartAsync(fixture, "everything", new { name = "everything", catalog = ForeignMcpServers.Everything });
        var secrets = await AgentSecretsAsync();
        var before = await Metrics.SumAsync(session.Replicas, "agentc2_mcp_redactions_total");

        for (var replica = 0; replica < session.Replicas.Count; replica++)
        {
            var run = await session.InvokeAsync(replica, "get-env");
            var environment = JsonDocument.Parse(ForeignMcpSession.ToolResultText(run)).RootElement;
            var names = environment.EnumerateObject().Select(p => p.Name).ToList();
            Assert.All(names, name => Assert.Contains(name, Allowed));
            Assert.Contains("PATH", names);
            Assert.Contains("agentc2-mcp-", environment.GetProperty("HOME").GetString(), StringComparison.Ordinal);
            Assert.Equal(environment.GetProperty("HOME").GetString(), environment.GetProperty("TMPDIR").GetString());
            Assert.Equal(environment.GetProperty("HOME").GetString(), environment.GetProperty("PWD").GetString());
            // The server has the value its catalog entry gives it; the organization reads it back redacted.
            Assert.Equal("[redacted]", environment.GetProperty(ForeignMcpServers.TokenVariable).GetString());

            // Whatever a tool sends back, the agent's own secrets never reach the run (stored, returned, or read again). The
            // input (which the offline model's answer quotes) names them here, so only what came back is searched: tool results.
            var echoed = await session.InvokeAsync(replica, "echo", JsonSerializer.Serialize(new { message = $"key {fixture.DemoApiKey} and {secrets[^1]}" }));
            Assert.Equal("Echo: key [redacted] and [redacted]", ForeignMcpSession.ToolResultText(echoed));
            Assert.EndsWith("Last tool result: Echo: key [redacted] and [redacted]", echoed.GetProperty("output").GetString(), StringComparison.Ordinal);
            var stored = await session.Clients[replica].GetFromJsonAsync<JsonElement>($"/api/runs/{echoed.GetProperty("id").GetGuid()}");
            foreach (var text in new[] { run.GetRawText(), ReturnedText(echoed), ReturnedText(stored) })
            {
                Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
                Assert.DoesNotContain("ConnectionStrings", text, StringComparison.Ordinal);
            }
        }

        // One redaction of the catalog's token per get-env, two per echo, on each replica.
        Assert.True(await Metrics.SumAsync(session.Replicas, "agentc2_mcp_redactions_total") - before >= 3 * session.Replicas.Count);
    }

    [Fact]
    public async Task The_offline_model_calls_numeric_tools_from_their_schema_and_image_results_are_kept()
    {
        using var session = await ForeignMcpSession.StartAsync(fixture, "everything", new { name = "everything", catalog = ForeignMcpServers.Everything });

        for (var replica = 0; replica < session.Replicas.Count; replica++)
        {
            // get-sum takes two numbers; the schema says so, the model fills them (1 and 2 on the first call).
            var sum = await session.InvokeAsync(replica, "get-sum");
            var (call, result) = ForeignMcpSession.FirstToolCall(sum)!.Value;
            Assert.Equal(1, call.GetProperty("arguments").GetProperty("a").GetDouble());
            Assert.Equal(2, call.GetProperty("arguments").GetProperty("b").GetDouble());
            Assert.Contains("3", result.GetProperty("result").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("Error", result.GetProperty("result").GetString(), StringComparison.Ordinal);

            // #args gives them explicitly.
            var given = await session.InvokeAsync(replica, "get-sum", """{"a": 40, "b": 2}""");
            Assert.Contains("42", ForeignMcpSession.ToolResultText(given), StringComparison.Ordinal);

            // The image comes back as content: type, MIME type and data (a PNG), named in the text the model reads.
            var image = await session.InvokeAsync(replica, "get-tiny-image");
            var imageResult = ForeignMcpSession.FirstToolCall(image)!.Value.Result;
            var content = Assert.Single(imageResult.GetProperty("content").EnumerateArray(), c => c.GetProperty("type").GetString() == "image");
            Assert.Equal("image/png", content.GetProperty("mimeType").GetString());
            var png = Convert.FromBase64String(content.GetProperty("data").GetString()!);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.Equal(png.Length, content.GetProperty("size").GetInt64());
            Assert.Contains("[image image/png", imageResult.GetProperty("result").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_restarted_streamable_http_server_gets_new_sessions_and_a_server_that_is_gone_is_dropped_then_reconnected()
    {
        await using var server = await EverythingHttpServer.StartAsync();
        using var session = await ForeignMcpSession.StartAsync(fixture, "remote", new { name = "remote", url = server.Endpoint.ToString() });
        for (var replica = 0; replica < session.Replicas.Count; replica++)
        {
            Assert.Equal("Echo: before", ForeignMcpSession.ToolResultText(await session.InvokeAsync(replica, "echo", """{"message": "before"}""")));
        }

        var renewedBefore = await Metrics.SumAsync(session.Replicas, "agentc2_mcp_sessions_renewed_total");

        // Restarted mid-conversation: the server knows none of the sessions; each replica renews its own once and retries.
        await server.RestartAsync();
        for (var replica = 0; replica < session.Replicas.Count; replica++)
        {
            Assert.Equal("Echo: after", ForeignMcpSession.ToolResultText(await session.InvokeAsync(replica, "echo", """{"message": "after"}""")));
            Assert.Equal([("remote", "ready")], await session.PoolEntriesAsync(replica));
        }

        Assert.True(await Metrics.SumAsync(session.Replicas, "agentc2_mcp_sessions_renewed_total") - renewedBefore >= session.Replicas.Count);

        // Gone: the call answers a tool error, the client is dropped (dead), the agent keeps serving.
        await server.StopAsync();
        var failed = ForeignMcpSession.ToolResultText(await session.InvokeAsync(0, "echo", """{"message": "nobody"}"""));
        Assert.Contains("not reachable", failed, StringComparison.Ordinal);
        Assert.Empty(await session.PoolEntriesAsync(0));

        // Back: a later call reconnects, once the start back-off allows.
        await server.RestartAsync();
        await Eventually.MatchAsync(async _ => ForeignMcpSession.ToolResultText(await session.InvokeAsync(0, "echo", """{"message": "back"}""")),
            text => text == "Echo: back", TimeSpan.FromSeconds(30), "a call reaching the restarted server");
    }

    [Fact]
    public async Task After_a_delete_answers_no_replica_calls_the_server_and_a_new_registration_gets_a_new_client()
    {
        using var session = await ForeignMcpSession.StartAsync(fixture, "everything", new { name = "everything", catalog = ForeignMcpServers.Everything });
        for (var replica = 0; replica < session.Replicas.Count; replica++)
        {
            Assert.Equal("Echo: warm", ForeignMcpSession.ToolResultText(await session.InvokeAsync(replica, "echo", """{"message": "warm"}""")));
            Assert.Equal([("everything", "ready")], await session.PoolEntriesAsync(replica));
        }

        using var removed = await session.Clients[0].DeleteAsync("/api/mcp-servers/everything");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);

        // Before the answer every replica closed its client; a run right after it offers the server's tools nowhere.
        for (var replica = 0; replica < session.Replicas.Count; replica++)
        {
            Assert.Empty(await session.PoolEntriesAsync(replica));
            var run = await session.InvokeAsync(replica, "echo", """{"message": "after delete"}""");
            Assert.Null(ForeignMcpSession.FirstToolCall(run));
        }

        // Registered again under the same name: a new registration, a new client, on every replica.
        using var again = await session.Clients[1].PostAsJsonAsync("/api/mcp-servers", new { name = "everything", catalog = ForeignMcpServers.Everything });
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        for (var replica = 0; replica < session.Replicas.Count; replica++)
        {
            Assert.Equal("Echo: again", ForeignMcpSession.ToolResultText(await session.InvokeAsync(replica, "echo", """{"message": "again"}""")));
        }
    }

    /// <summary>What a run's tools brought back: every tool result, text and content.</summary>
    private static string ReturnedText(JsonElement run) => string.Join('\n',
        run.GetProperty("steps").EnumerateArray().SelectMany(step => step.GetProperty("messages").EnumerateArray())
            .Where(message => message.TryGetProperty("toolResults", out var results) && results.ValueKind == JsonValueKind.Array)
            .SelectMany(message => message.GetProperty("toolResults").EnumerateArray()).Select(result => result.GetRawText()));

    /// <summary>The secret values of the running agent: demo and operator keys, the internal credential, the database password, the catalog's token.</summary>
    private async Task<string[]> AgentSecretsAsync()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        var internalKey = await model.Resources.OfType<ParameterResource>().Single(p => p.Name == "internal-api-key").GetValueAsync(CancellationToken.None);
        var database = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = await fixture.App.GetConnectionStringAsync(AgentC2.ResourceNames.Database) };
        return [fixture.DemoApiKey, fixture.OperatorApiKey, internalKey!, (string)database["Password"], fixture.CatalogServerToken];
    }
}
