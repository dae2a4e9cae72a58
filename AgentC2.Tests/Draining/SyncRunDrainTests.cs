using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Draining;

/// <summary>
/// A stopping agent replica loses no synchronous run: a run still executing at the drain bound goes to the queue (its
/// client gets 202 and the run's address, a worker finishes it from its last checkpoint, every step once), a sync
/// invocation arriving while it drains runs on a worker and is answered in full, and a live event stream ends cleanly
/// and resumes on the other replica with Last-Event-ID, missing no step.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SyncRunDrainTests(AppHostFixture fixture)
{
    private const int Steps = 12;

    [Fact]
    public async Task A_stopping_replica_hands_its_sync_runs_to_the_queue_and_ends_its_event_streams_cleanly()
    {
        var organization = await fixture.CreateOrganizationAsync();
        var ids = await fixture.Replicas.IdsAsync(ResourceNames.Agent);
        var addresses = await fixture.Replicas.AddressesAsync(ResourceNames.Agent);
        using var stopping = Client(addresses[0], organization.ApiKey);
        using var staying = Client(addresses[1], organization.ApiKey);
        await staying.CreateAgentAsync("drained", maxSteps: 40);

        // A sync run of 12 steps of 1 s on the replica that will stop, followed live there.
        var invocation = stopping.PostAsJsonAsync("/api/agents/drained/invoke",
            new { input = $"long #steps={Steps} #latency=1000", executionMode = "sync" });
        var run = await Eventually.MatchAsync(async token =>
        {
            using var page = await staying.GetAsync("/api/runs?agent=drained", token);
            var runs = (await page.Content.ReadFromJsonAsync<JsonElement>(token)).GetProperty("items");
            return runs.GetArrayLength() == 1 ? runs[0] : (JsonElement?)null;
        }, found => found is { } r && r.GetProperty("stepsCompleted").GetInt32() >= 1, TimeSpan.FromSeconds(30), "the sync run checkpointing its first step");
        var runId = run!.Value.GetProperty("id").GetGuid();
        var firstStream = RunEvents.ReadAsync(stopping, runId);

        var stop = fixture.Replicas.StopAsync(ids[0]);
        try
        {
            // Arriving while the replica drains (readiness already 503): queued, run by a worker, answered in full.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            using var late = await stopping.PostAsJsonAsync("/api/agents/drained/invoke", new { input = "late #steps=2 #latency=50", executionMode = "sync" });
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);
            var lateRun = await late.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("succeeded", lateRun.GetProperty("status").GetString());
            Assert.Equal(2, lateRun.GetProperty("steps").GetArrayLength());
            Assert.True(lateRun.GetProperty("attempts").GetInt32() >= 1, $"a worker ran the late invocation: {lateRun}");

            // The operator's fleet view shows the replica draining, with the run it still executes.
            using var operatorClient = AppHostFixture.WithApiKey(new HttpClient { BaseAddress = addresses[1] }, fixture.OperatorApiKey);
            await Eventually.MatchAsync(async token =>
                (await operatorClient.GetFromJsonAsync<JsonElement>("/api/operator/instances", token)).GetProperty("items").EnumerateArray()
                    .Count(i => i.GetProperty("service").GetString() == ResourceNames.Agent && i.GetProperty("state").GetString() == "draining"),
                draining => draining == 1, TimeSpan.FromSeconds(5), "the stopping replica listed as draining");

            // At the drain bound the long run goes to the queue: 202, its address, and a worker finishes it.
            using var answer = await invocation;
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
            Assert.Equal($"/api/runs/{runId}", answer.Headers.Location?.OriginalString);
            var accepted = await answer.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(runId, accepted.GetProperty("runId").GetGuid());

            // The stream on the stopping replica ended without the run's end; resumed on the other, it misses nothing.
            var first = await firstStream.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.DoesNotContain(first, e => e.EventType == "status");
            var resumed = await RunEvents.ReadAsync(staying, runId, first.LastOrDefault(e => e.EventType == "step")?.EventId).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("status", resumed[^1].EventType);
            var stepIds = first.Concat(resumed).Where(e => e.EventType == "step").Select(e => int.Parse(e.EventId!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(Enumerable.Range(1, Steps), stepIds);

            var finished = await staying.WaitForStatusAsync(runId, "succeeded");
            Assert.Equal(Enumerable.Range(1, Steps), finished.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("number").GetInt32()));
            Assert.Equal("sync", finished.GetProperty("executionMode").GetString());
        }
        finally
        {
            await stop;
            await fixture.Replicas.StartAsync(ids[0], ResourceNames.Agent);
            await fixture.Replicas.WaitReadyAsync(ResourceNames.Agent, AppHostFixture.StartTimeout, ServicePaths.Health);
        }
    }

    private static HttpClient Client(Uri address, string apiKey) =>
        AppHostFixture.WithApiKey(new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(90) }, apiKey);
}
