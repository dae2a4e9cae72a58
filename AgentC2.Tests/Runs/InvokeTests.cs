using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Runs;

[Collection(AppHostCollection.Name)]
public sealed class InvokeTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Sync_invoke_returns_the_finished_run_with_steps_and_usage()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("stepper");

        using var response = await client.PostAsJsonAsync("/api/agents/stepper/invoke", new { input = "Plan a trip #steps=3", metadata = new { ticket = 42 } });
        var run = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal("sync", run.GetProperty("executionMode").GetString());
        Assert.Contains("Plan a trip", run.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, run.GetProperty("stepsCompleted").GetInt32());
        var steps = run.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], steps.Select(s => s.GetProperty("number").GetInt32()));
        Assert.Equal("think", steps[0].GetProperty("messages")[0].GetProperty("toolCalls")[0].GetProperty("name").GetString());
        Assert.Equal("tool", steps[0].GetProperty("messages")[1].GetProperty("role").GetString());
        var usage = run.GetProperty("usage");
        Assert.True(usage.GetProperty("inputTokens").GetInt64() > 0);
        Assert.Equal(usage.GetProperty("inputTokens").GetInt64() + usage.GetProperty("outputTokens").GetInt64(), usage.GetProperty("totalTokens").GetInt64());
        Assert.Equal(steps.Sum(s => s.GetProperty("usage").GetProperty("inputTokens").GetInt64()), usage.GetProperty("inputTokens").GetInt64());
        Assert.Equal(42, run.GetProperty("metadata").GetProperty("ticket").GetInt32());

        var stored = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{run.GetProperty("id").GetGuid()}");
        Assert.Equal(run.GetProperty("output").GetString(), stored.GetProperty("output").GetString());
        var listed = await client.GetFromJsonAsync<JsonElement>("/api/runs?agent=stepper&status=succeeded");
        Assert.Equal(run.GetProperty("id").GetGuid(), listed.GetProperty("items")[0].GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task A_run_that_needs_more_steps_than_allowed_fails_with_a_reason()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("short", maxSteps: 2);

        var run = await (await client.PostAsJsonAsync("/api/agents/short/invoke", new { input = "long task #steps=5" })).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("maxSteps (2)", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, run.GetProperty("steps").GetArrayLength());
    }

    [Theory]
    [InlineData(20, HttpStatusCode.OK, "sync")]
    [InlineData(21, HttpStatusCode.Accepted, "async")]
    public async Task Without_an_execution_mode_more_than_20_steps_is_async(int maxSteps, HttpStatusCode expected, string mode)
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("threshold", maxSteps: 5);

        using var response = await client.PostAsJsonAsync("/api/agents/threshold/invoke", new { input = "hi", maxSteps });

        Assert.Equal(expected, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var runId = body.GetProperty(expected == HttpStatusCode.OK ? "id" : "runId").GetGuid();
        var run = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}");
        Assert.Equal(mode, run.GetProperty("executionMode").GetString());
        if (expected == HttpStatusCode.Accepted)
        {
            Assert.Equal("queued", body.GetProperty("status").GetString());
            Assert.Equal($"/api/runs/{runId}", response.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task Ten_concurrent_identical_requests_make_one_run_and_a_changed_body_is_409()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("idempotent");
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/agents/idempotent/invoke") { Content = JsonContent.Create(new { input = "once #steps=2" }) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }));

        Assert.Single(responses.Select(r => r.GetProperty("id").GetGuid()).Distinct());
        Assert.All(responses, r => Assert.Equal("succeeded", r.GetProperty("status").GetString()));
        var runs = await client.GetFromJsonAsync<JsonElement>("/api/runs?agent=idempotent");
        Assert.Equal(1, runs.GetProperty("items").GetArrayLength());

        using var changed = new HttpRequestMessage(HttpMethod.Post, "/api/agents/idempotent/invoke") { Content = JsonContent.Create(new { input = "something else" }) };
        changed.Headers.Add("Idempotency-Key", key);
        await (await client.SendAsync(changed)).AssertProblemAsync(HttpStatusCode.Conflict, "idempotency-key-reused");
    }

    [Fact]
    public async Task Runs_list_pages_with_a_cursor()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("pager");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/agents/pager/invoke", new { input = $"run {i}" })).StatusCode);
        }

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/runs?limit=2{(cursor is null ? string.Empty : $"&cursor={cursor}")}");
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(5, seen.Count);
        Assert.Equal(5, seen.Distinct().Count());
    }

    public static TheoryData<string, string, string, HttpStatusCode, string> BadRequests => new()
    {
        { "malformed JSON", "application/json", "{\"input\": ", HttpStatusCode.BadRequest, "bad-request" },
        { "wrong type", "application/json", "{\"input\": \"x\", \"maxSteps\": \"ten\"}", HttpStatusCode.BadRequest, "bad-request" },
        { "unknown field", "application/json", "{\"input\": \"x\", \"temperature\": 2}", HttpStatusCode.BadRequest, "bad-request" },
        { "missing input", "application/json", "{}", HttpStatusCode.BadRequest, "validation" },
        { "maxSteps out of range", "application/json", "{\"input\": \"x\", \"maxSteps\": 0}", HttpStatusCode.BadRequest, "validation" },
        { "long sync run", "application/json", "{\"input\": \"x\", \"maxSteps\": 500, \"executionMode\": \"sync\"}", HttpStatusCode.BadRequest, "validation" },
        { "bad mode", "application/json", "{\"input\": \"x\", \"executionMode\": \"later\"}", HttpStatusCode.BadRequest, "validation" },
        { "bad callback", "application/json", "{\"input\": \"x\", \"callbackUrl\": \"ftp://example.com\"}", HttpStatusCode.BadRequest, "validation" },
        { "metadata not an object", "application/json", "{\"input\": \"x\", \"metadata\": [1]}", HttpStatusCode.BadRequest, "validation" },
        { "not JSON", "text/plain", "input=x", HttpStatusCode.UnsupportedMediaType, "unsupported-media-type" },
        { "oversized", "application/json", "{\"input\": \"" + new string('x', 2 * 1024 * 1024) + "\"}", HttpStatusCode.RequestEntityTooLarge, "payload-too-large" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_invocations_are_problem_json_never_500(string what, string contentType, string body, HttpStatusCode status, string type)
    {
        using var client = fixture.CreateApiClient(fixture.DemoApiKey);

        // Expect: 100-continue lets the server refuse an oversized body before the client sends it (else the refusal races the upload).
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/agents/assistant/invoke") { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);

        var problem = await response.AssertProblemAsync(status, type);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), what);
    }

    [Fact]
    public async Task Bad_agent_bodies_and_queries_are_problem_json()
    {
        using var client = fixture.CreateApiClient(fixture.DemoApiKey);

        var invalid = await (await client.PostAsJsonAsync("/api/agents", new { slug = "Not A Slug", name = "", modelTier = "huge", maxSteps = -1, tools = new[] { "rm" } }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Equal(["maxSteps", "modelTier", "name", "slug", "tools"], invalid.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());

        await (await client.GetAsync("/api/runs?status=done")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await client.GetAsync("/api/runs?cursor=garbage!")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await client.GetAsync("/api/runs?limit=1000")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await client.GetAsync("/api/runs?limit=many")).AssertProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync($"/api/runs/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await client.GetAsync("/api/runs/not-a-guid")).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync("/api/nothing-here")).AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
