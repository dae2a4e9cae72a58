using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Webhooks;

[Collection(AppHostCollection.Name)]
public sealed class WebhookTests(AppHostFixture fixture)
{
    [Fact]
    public async Task The_result_is_delivered_signed_and_retried_after_receiver_errors()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("notifier");
        var secret = (await client.GetFromJsonAsync<JsonElement>("/api/webhooks/secret")).GetProperty("secret").GetString()!;
        await using var receiver = new WebhookReceiver(500, 503);

        var id = await client.InvokeAsyncRunAsync("notifier", new { input = "Tell me #steps=2", executionMode = "async", callbackUrl = receiver.Url, metadata = new { order = 7 } });
        await client.WaitForStatusAsync(id, "succeeded");
        var delivery = await Eventually.MatchAsync(
            ct => client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/webhook", ct),
            d => d.GetProperty("status").GetString() == "delivered", TimeSpan.FromSeconds(30), "the webhook delivered");

        // Three attempts, the same message each time, each signed with the organization's secret.
        var received = receiver.Received.ToList();
        Assert.Equal([500, 503, 204], received.Select(r => r.AnsweredWith));
        Assert.Single(received.Select(r => r.Id).Distinct());
        Assert.All(received, r => Assert.True(r.IsSignedWith(secret), $"bad signature {r.Signature}"));
        Assert.All(received, r => Assert.False(r.IsSignedWith("whsec_" + Convert.ToBase64String(new byte[32]))));
        var payload = JsonDocument.Parse(received[^1].Body).RootElement;
        Assert.Equal("run.succeeded", payload.GetProperty("type").GetString());
        Assert.Equal(id, payload.GetProperty("data").GetProperty("runId").GetGuid());
        Assert.Equal("succeeded", payload.GetProperty("data").GetProperty("status").GetString());
        Assert.Contains("Tell me", payload.GetProperty("data").GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Equal(7, payload.GetProperty("data").GetProperty("metadata").GetProperty("order").GetInt32());

        // Every attempt is visible through the API.
        Assert.Equal(3, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal([500, 503, 204], delivery.GetProperty("history").EnumerateArray().Select(a => a.GetProperty("statusCode").GetInt32()));
        Assert.Equal($"msg_{delivery.GetProperty("id").GetGuid():N}", received[0].Id);
    }

    [Fact]
    public async Task A_cancelled_run_is_reported_too_and_a_rotated_secret_signs_from_then_on()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("cancel-notifier", maxSteps: 400);
        using var rotate = await client.PostAsync("/api/webhooks/secret/rotate", null);
        var secret = (await rotate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        await using var receiver = new WebhookReceiver();

        var id = await client.InvokeAsyncRunAsync("cancel-notifier", new { input = "long #steps=400 #latency=50", maxSteps = 400, callbackUrl = receiver.Url });
        using var cancel = await client.PostAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);

        var received = await Eventually.MatchAsync(_ => Task.FromResult(receiver.Received.ToList()), r => r.Count == 1, TimeSpan.FromSeconds(30), "the cancellation webhook");
        Assert.True(received[0].IsSignedWith(secret));
        Assert.Equal("run.cancelled", JsonDocument.Parse(received[0].Body).RootElement.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://192.168.0.10:8080/hook")]
    [InlineData("http://172.16.5.5/hook")]
    [InlineData("http://[::1]:8080/hook")]
    [InlineData("http://[fd00:ec2::254]/latest")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://unresolvable.invalid/hook")]
    [InlineData("ftp://example.com/hook")]
    public async Task Internal_or_unusable_callback_urls_are_refused_when_the_run_is_accepted(string callbackUrl)
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("guarded");

        using var response = await client.PostAsJsonAsync("/api/agents/guarded/invoke", new { input = "x", executionMode = "async", callbackUrl });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("callbackUrl", out _));
        var runs = await client.GetFromJsonAsync<JsonElement>("/api/runs?agent=guarded");
        Assert.Equal(0, runs.GetProperty("items").GetArrayLength());
    }
}
