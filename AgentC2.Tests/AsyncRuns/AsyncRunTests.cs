using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.AsyncRuns;

[Collection(AppHostCollection.Name)]
public sealed class AsyncRunTests(AppHostFixture fixture)
{
    /// <summary>An organization whose cap on running runs the test settings set to 0: its async runs stay queued.</summary>
    public const string HeldOrganization = "queue-held";

    [Fact]
    public async Task An_async_run_is_driven_step_by_step_to_success_by_the_workers()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("worker-driven", maxSteps: 30);

        var id = await client.InvokeAsyncRunAsync("worker-driven", new { input = "Research #steps=5", executionMode = "async" });
        var run = await client.WaitForStatusAsync(id, "succeeded");

        Assert.Equal("async", run.GetProperty("executionMode").GetString());
        Assert.Equal(5, run.GetProperty("stepsCompleted").GetInt32());
        Assert.Equal([1, 2, 3, 4, 5], run.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("number").GetInt32()));
        Assert.Contains("Research", run.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, run.GetProperty("attempts").GetInt32());
        Assert.True(run.GetProperty("usage").GetProperty("totalTokens").GetInt64() > 0);
    }

    [Fact]
    public async Task A_run_whose_model_keeps_failing_fails_after_its_last_attempt_with_the_error_kept()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("flaky");

        var id = await client.InvokeAsyncRunAsync("flaky", new { input = "Break #steps=3 #fail=2", executionMode = "async" });
        var run = await client.WaitForStatusAsync(id, "failed");

        Assert.Equal(5, run.GetProperty("attempts").GetInt32());
        Assert.Contains("InvalidOperationException", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        // Step 1 was checkpointed once and never repeated by the retries, which resumed at step 2.
        Assert.Equal([1], run.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("number").GetInt32()));
    }

    [Fact]
    public async Task Cancelling_a_queued_run_means_it_never_starts()
    {
        var organization = await fixture.EnsureOrganizationAsync(HeldOrganization);
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.EnsureAgentAsync("held");

        var id = await client.InvokeAsyncRunAsync("held", new { input = "wait #steps=2", executionMode = "async" });
        using var cancel = await client.PostAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        // The workers claim after the cancel (another organization's run queued after it is served), and leave it untouched.
        var other = await fixture.CreateOrganizationAsync();
        using var otherClient = fixture.CreateApiClient(other.ApiKey);
        await otherClient.CreateAgentAsync("after-cancel");
        await otherClient.WaitForStatusAsync(await otherClient.InvokeAsyncRunAsync("after-cancel", new { input = "go", executionMode = "async" }), "succeeded");
        var run = await client.GetRunAsync(id);
        Assert.Equal("cancelled", run.GetProperty("status").GetString());
        Assert.Equal(0, run.GetProperty("stepsCompleted").GetInt32());
        Assert.Equal(0, run.GetProperty("attempts").GetInt32());

        using var again = await client.PostAsync($"/api/runs/{id}/cancel", null);
        await again.AssertProblemAsync(HttpStatusCode.Conflict, "run-ended");
    }

    [Fact]
    public async Task A_queued_run_of_a_capped_organization_waits_while_others_are_served()
    {
        var held = await fixture.EnsureOrganizationAsync(HeldOrganization);
        using var heldClient = fixture.CreateApiClient(held.ApiKey);
        await heldClient.EnsureAgentAsync("held");
        var other = await fixture.CreateOrganizationAsync();
        using var otherClient = fixture.CreateApiClient(other.ApiKey);
        await otherClient.CreateAgentAsync("served");

        var waiting = await heldClient.InvokeAsyncRunAsync("held", new { input = "wait", executionMode = "async" });
        var served = await otherClient.InvokeAsyncRunAsync("served", new { input = "go #steps=2", executionMode = "async" });

        await otherClient.WaitForStatusAsync(served, "succeeded");
        Assert.Equal("queued", (await heldClient.GetRunAsync(waiting)).GetProperty("status").GetString());
        using var cancel = await heldClient.PostAsync($"/api/runs/{waiting}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
    }

    [Fact]
    public async Task Cancelling_a_running_run_stops_it_at_the_next_step_boundary()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("long", maxSteps: 500);

        var id = await client.InvokeAsyncRunAsync("long", new { input = "Think long #steps=500 #latency=100", maxSteps = 500 });
        await client.WaitForRunAsync(id, r => r.GetProperty("stepsCompleted").GetInt32() >= 2, "two steps");

        using var cancel = await client.PostAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var atCancel = (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stepsCompleted").GetInt32();

        // At most the step in flight completes; then nothing more runs.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var run = await client.GetRunAsync(id);
        Assert.Equal("cancelled", run.GetProperty("status").GetString());
        var settled = run.GetProperty("stepsCompleted").GetInt32();
        Assert.InRange(settled, atCancel, atCancel + 1);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(settled, (await client.GetRunAsync(id)).GetProperty("stepsCompleted").GetInt32());

        using var again = await client.PostAsync($"/api/runs/{id}/cancel", null);
        await again.AssertProblemAsync(HttpStatusCode.Conflict, "run-ended");
    }

    [Fact]
    public async Task A_running_sync_run_can_be_cancelled_too()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("slow-sync", maxSteps: 40);

        var invoke = client.PostAsJsonAsync("/api/agents/slow-sync/invoke", new { input = "slow #steps=40 #latency=100", executionMode = "sync", maxSteps = 40 });
        var running = await Eventually.MatchAsync(
            ct => client.GetFromJsonAsync<JsonElement>("/api/runs?agent=slow-sync&status=running", ct),
            page => page.GetProperty("items").GetArrayLength() == 1, TimeSpan.FromSeconds(20), "the sync run running");
        var id = running.GetProperty("items")[0].GetProperty("id").GetGuid();

        using var cancel = await client.PostAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);

        using var response = await invoke;
        var run = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("cancelled", run.GetProperty("status").GetString());
        Assert.True(run.GetProperty("stepsCompleted").GetInt32() < 40);
    }

    [Fact]
    public async Task Idempotency_holds_for_async_invocations_and_across_modes()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("once");
        var key = Guid.NewGuid().ToString();

        async Task<HttpResponseMessage> SendAsync(object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/agents/once/invoke") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", key);
            return await client.SendAsync(request);
        }

        var body = new { input = "only once #steps=2", executionMode = "async" };
        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => SendAsync(body)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid()));
        Assert.Single(ids.Distinct());

        // Replayed after it finished: still the same run, still 202 (it was accepted asynchronously).
        await client.WaitForStatusAsync(ids[0], "succeeded");
        using var replay = await SendAsync(body);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(ids[0], (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid());

        // The same key for the same input in the other mode is a different request.
        using var sync = await SendAsync(new { input = "only once #steps=2", executionMode = "sync" });
        await sync.AssertProblemAsync(HttpStatusCode.Conflict, "idempotency-key-reused");
        var listed = await client.GetFromJsonAsync<JsonElement>("/api/runs?agent=once");
        Assert.Equal(1, listed.GetProperty("items").GetArrayLength());
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Async_invocation_errors_are_problems()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("strict");

        using var unknownAgent = await client.PostAsJsonAsync("/api/agents/nobody/invoke", new { input = "x", executionMode = "async" });
        await unknownAgent.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
        using var tooMany = await client.PostAsJsonAsync("/api/agents/strict/invoke", new { input = "x", maxSteps = 1_000_000 });
        await tooMany.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        using var unknownRun = await client.PostAsync($"/api/runs/{Guid.NewGuid()}/cancel", null);
        await unknownRun.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");

        // Another organization's run cannot be cancelled, followed or its webhook read: 404 as if it did not exist.
        var id = await client.InvokeAsyncRunAsync("strict", new { input = "mine", executionMode = "async" });
        var stranger = await fixture.CreateOrganizationAsync();
        using var strangerClient = fixture.CreateApiClient(stranger.ApiKey);
        foreach (var (method, path) in new[] { (HttpMethod.Post, $"/api/runs/{id}/cancel"), (HttpMethod.Get, $"/api/runs/{id}/events"), (HttpMethod.Get, $"/api/runs/{id}/webhook") })
        {
            using var response = await strangerClient.SendAsync(new HttpRequestMessage(method, path));
            await response.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
        }
    }
}
