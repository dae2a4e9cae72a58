using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace AgentC2.Tests.Fixtures;

/// <summary>Invoking agents and following runs through the public API.</summary>
internal static class Runs
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Invokes asynchronously, asserts 202 with a Location, and returns the run's id.</summary>
    public static async Task<Guid> InvokeAsyncRunAsync(this HttpClient client, string agent, object body)
    {
        using var response = await client.PostAsJsonAsync($"/api/agents/{agent}/invoke", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {text}");
        var accepted = JsonDocument.Parse(text).RootElement;
        var id = accepted.GetProperty("runId").GetGuid();
        Assert.Equal("queued", accepted.GetProperty("status").GetString());
        Assert.Equal($"/api/runs/{id}", response.Headers.Location?.OriginalString);
        return id;
    }

    /// <summary>Invokes synchronously, asserts 200 and a succeeded run, and returns the run's id.</summary>
    public static async Task<Guid> InvokeSyncRunAsync(this HttpClient client, string agent, string input)
    {
        using var response = await client.PostAsJsonAsync($"/api/agents/{agent}/invoke", new { input, executionMode = "sync" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        var run = JsonDocument.Parse(text).RootElement;
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        return run.GetProperty("id").GetGuid();
    }

    public static Task<JsonElement> GetRunAsync(this HttpClient client, Guid id, CancellationToken cancellationToken = default) =>
        client.GetFromJsonAsync<JsonElement>($"/api/runs/{id}", cancellationToken);

    /// <summary>Polls the run until <paramref name="condition"/> holds.</summary>
    public static Task<JsonElement> WaitForRunAsync(this HttpClient client, Guid id, Func<JsonElement, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.MatchAsync(ct => client.GetRunAsync(id, ct), condition, timeout ?? RunTimeout, what);

    public static Task<JsonElement> WaitForStatusAsync(this HttpClient client, Guid id, string status, TimeSpan? timeout = null) =>
        client.WaitForRunAsync(id, run => run.GetProperty("status").GetString() == status, $"run {id} {status}", timeout);
}
