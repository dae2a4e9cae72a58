using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.AsyncRuns;

[Collection(AppHostCollection.Name)]
public sealed class RunEventsTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_client_on_any_replica_sees_every_step_live_then_the_end()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("streamed");
        var replicas = await fixture.Replicas.AddressesAsync(AgentC2.ResourceNames.Agent);
        Assert.Equal(2, replicas.Count);

        // Steps are taken by whichever replica the worker reaches; each follower is bound to one replica.
        var id = await client.InvokeAsyncRunAsync("streamed", new { input = "Stream it #steps=8 #latency=400", executionMode = "async" });
        var clients = replicas.Select(replica => AppHostFixture.WithApiKey(new HttpClient { BaseAddress = replica, Timeout = Timeout.InfiniteTimeSpan }, organization.ApiKey)).ToList();
        var streams = await Task.WhenAll(clients.Select(replica => RunEvents.ReadAsync(replica, id))).WaitAsync(TimeSpan.FromSeconds(60));
        clients.ForEach(c => c.Dispose());

        foreach (var events in streams)
        {
            var steps = events.Where(e => e.EventType == "step").ToList();
            Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], steps.Select(e => int.Parse(e.EventId!, System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], steps.Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("number").GetInt32()));
            // Live, not found later by the stream's periodic database read (every 2 s, which would bring about one step
            // in four within 500 ms): most steps arrive at once, even with the whole application on 2 busy cores.
            var prompt = steps.Count(e => e.ReceivedAt - JsonDocument.Parse(e.Data).RootElement.GetProperty("createdAt").GetDateTime() < TimeSpan.FromMilliseconds(500));
            Assert.True(prompt >= 5, $"only {prompt} of 8 steps arrived within 500 ms of being checkpointed");
            var end = events[^1];
            Assert.Equal("status", end.EventType);
            Assert.Equal("succeeded", JsonDocument.Parse(end.Data).RootElement.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task A_finished_run_replays_its_steps_and_closes_and_a_client_can_resume()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("replayed");
        var id = await client.InvokeAsyncRunAsync("replayed", new { input = "Replay #steps=3", executionMode = "async" });
        await client.WaitForStatusAsync(id, "succeeded");
        var all = await RunEvents.ReadAsync(client, id).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(["step", "step", "step", "status"], all.Select(e => e.EventType));

        var resumed = await RunEvents.ReadAsync(client, id, lastEventId: "2").WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(["3", null], resumed.Select(e => e.EventId));
    }
}
