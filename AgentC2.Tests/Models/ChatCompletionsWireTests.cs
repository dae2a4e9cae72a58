using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Models;

/// <summary>
/// The OpenAI-compatible path at the wire: the agent's reasoning tier talks to <see cref="ChatCompletionsServer"/>, an
/// endpoint in the test process speaking Chat Completions. Text with usage, tool calls and their results, rate limits
/// and server errors retried within bounds, timeouts and replies that are not Chat Completions: every run answers 200
/// (sync) or ends (async), a failed one with a sentence that says what the endpoint did.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ChatCompletionsWireTests(AppHostFixture fixture)
{
    private const string Model = "The reasoning model (" + ChatCompletionsServer.Model + ")";

    [Fact]
    public async Task A_text_answer_comes_back_with_its_usage_from_one_request_that_carries_the_agents_instructions_and_key()
    {
        using var client = await ClientAsync(tools: []);
        var (run, input) = await InvokeSyncAsync(client, "text");

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal($"Wire answer to: {input}", run.GetProperty("output").GetString());
        Assert.Equal(11, run.GetProperty("usage").GetProperty("inputTokens").GetInt64());
        Assert.Equal(7, run.GetProperty("usage").GetProperty("outputTokens").GetInt64());

        var request = Assert.Single(fixture.ChatCompletions.RequestsOf(input));
        Assert.Equal(ChatCompletionsServer.Model, (string?)request.Body["model"]);
        Assert.Equal($"Bearer {ChatCompletionsServer.ApiKey}", request.Authorization);
        Assert.NotEqual(true, (bool?)request.Body["stream"]);
        var messages = request.Body["messages"]!.AsArray();
        Assert.Equal("system", (string?)messages[0]!["role"]);
        Assert.Contains("Be brief.", messages[0]!["content"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tool_call_is_executed_and_its_result_goes_back_under_the_same_call_id()
    {
        using var client = await ClientAsync(tools: ["think"]);
        var (run, input) = await InvokeSyncAsync(client, "tool");

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        // A function's result goes back as JSON: here a JSON string.
        Assert.Equal("The tool said: \"Noted: wire plan\"", run.GetProperty("output").GetString());
        Assert.Equal(22, run.GetProperty("usage").GetProperty("inputTokens").GetInt64());

        var requests = fixture.ChatCompletions.RequestsOf(input);
        Assert.Equal(2, requests.Count);
        var tool = Assert.Single(requests[0].Body["tools"]!.AsArray());
        Assert.Equal("think", (string?)tool!["function"]!["name"]);
        Assert.NotNull(tool["function"]!["parameters"]!["properties"]!["thought"]);

        var second = requests[1].Body["messages"]!.AsArray();
        var call = second.Single(m => m!["tool_calls"] is JsonArray)!["tool_calls"]!.AsArray().Single()!;
        Assert.Equal("call_wire_1", (string?)call["id"]);
        Assert.Equal("think", (string?)call["function"]!["name"]);
        var result = second.Single(m => (string?)m!["role"] == "tool")!;
        Assert.Equal("call_wire_1", (string?)result["tool_call_id"]);
        Assert.Contains("Noted: wire plan", result["content"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_is_retried_after_the_wait_it_asks_for_and_a_503_at_once()
    {
        using var client = await ClientAsync(tools: []);

        var (limited, limitedInput) = await InvokeSyncAsync(client, "429");
        Assert.Equal("succeeded", limited.GetProperty("status").GetString());
        var limitedRequests = fixture.ChatCompletions.RequestsOf(limitedInput);
        Assert.Equal(2, limitedRequests.Count);
        Assert.True(limitedRequests[1].ReceivedAt - limitedRequests[0].ReceivedAt >= TimeSpan.FromSeconds(0.9),
            $"retried after {(limitedRequests[1].ReceivedAt - limitedRequests[0].ReceivedAt).TotalSeconds:F2} s, not the 1 s Retry-After asked");

        var (overloaded, overloadedInput) = await InvokeSyncAsync(client, "503-once");
        Assert.Equal("succeeded", overloaded.GetProperty("status").GetString());
        Assert.Equal(2, fixture.ChatCompletions.RequestsOf(overloadedInput).Count);
    }

    public static TheoryData<string, string, int> Failures => new()
    {
        { "500", $"{Model} failed on the server (HTTP 500) on all 3 attempts.", 3 },
        { "429-long", $"{Model} is rate limited (HTTP 429) and asked to wait 3600 s, longer than the 5 s a step waits.", 1 },
        { "slow", $"{Model} did not answer within 2 s on any of 3 attempts.", 3 },
        { "malformed", $"{Model} sent a reply that is not a Chat Completions response", 1 },
        { "empty", Model, 1 },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task An_endpoint_that_fails_for_good_fails_the_sync_run_with_a_sentence_saying_what_it_did(string script, string error, int requests)
    {
        using var client = await ClientAsync(tools: []);
        var (run, input) = await InvokeSyncAsync(client, script);

        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.StartsWith(error, run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(requests, fixture.ChatCompletions.RequestsOf(input).Count);
    }

    [Fact]
    public async Task An_async_run_on_a_failing_endpoint_is_retried_by_the_queue_and_ends_failed_with_the_same_sentence()
    {
        using var client = await ClientAsync(tools: []);
        var input = $"{Guid.NewGuid():N} #wire=500";
        var id = await client.InvokeAsyncRunAsync("wired", new { input, executionMode = "async" });

        var run = await client.WaitForStatusAsync(id, "failed", TimeSpan.FromSeconds(120));
        Assert.Equal($"{Model} failed on the server (HTTP 500) on all 3 attempts.", run.GetProperty("error").GetString());
        var attempts = run.GetProperty("attempts").GetInt32();
        Assert.True(attempts > 1, $"{attempts} attempt(s): the queue should have retried");
        Assert.Equal(3 * attempts, fixture.ChatCompletions.RequestsOf(input).Count);
    }

    private async Task<HttpClient> ClientAsync(string[] tools)
    {
        var organization = await fixture.CreateOrganizationAsync();
        var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("wired", tools: tools, modelTier: "reasoning");
        return client;
    }

    private static async Task<(JsonElement Run, string Input)> InvokeSyncAsync(HttpClient client, string script)
    {
        var input = $"{Guid.NewGuid():N} #wire={script}";
        using var response = await client.PostAsJsonAsync("/api/agents/wired/invoke", new { input, executionMode = "sync" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        return (JsonDocument.Parse(text).RootElement.Clone(), input);
    }
}
