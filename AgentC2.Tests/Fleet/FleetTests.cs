using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Fleet;

/// <summary>Every instance's heartbeat in Redis, listed for the operator by <c>GET /api/operator/instances</c>.</summary>
[Collection(AppHostCollection.Name)]
public sealed class FleetTests(AppHostFixture fixture)
{
    [Fact]
    public async Task The_operator_lists_every_replica_of_every_service_as_ready_with_its_version()
    {
        using var operatorClient = fixture.CreateApiClient(fixture.OperatorApiKey);
        var expected = AppHostFixture.ServiceNames.Sum(fixture.Replicas.Count);

        var instances = await Eventually.MatchAsync(async token =>
            (await operatorClient.GetFromJsonAsync<JsonElement>("/api/operator/instances", token)).GetProperty("items").EnumerateArray().ToList(),
            items => items.Count(i => i.GetProperty("state").GetString() == "ready") == expected, TimeSpan.FromSeconds(30), "every replica's heartbeat");

        foreach (var service in AppHostFixture.ServiceNames)
        {
            Assert.Equal(fixture.Replicas.Count(service), instances.Count(i => i.GetProperty("service").GetString() == service));
        }

        Assert.Equal(expected, instances.Select(i => i.GetProperty("instanceId").GetString()).Distinct().Count());
        // Each replica says where it listens itself (not the AppHost's proxy): how an operator reaches one replica.
        var listed = instances.Select(i => i.GetProperty("address").GetString()).OfType<string>().Select(a => new Uri(a).Port).ToHashSet();
        Assert.All(await fixture.Replicas.AddressesAsync(ResourceNames.Agent), replica => Assert.Contains(replica.Port, listed));
        Assert.All(instances, i =>
        {
            Assert.False(string.IsNullOrEmpty(i.GetProperty("version").GetString()));
            Assert.True(i.GetProperty("runsInFlight").GetInt32() >= 0);
            Assert.True(DateTimeOffset.UtcNow - i.GetProperty("seenAt").GetDateTimeOffset() < TimeSpan.FromSeconds(15));
        });
    }

    [Fact]
    public async Task An_organization_key_cannot_list_the_fleet()
    {
        using var client = fixture.CreateApiClient(fixture.DemoApiKey);
        using var response = await client.GetAsync("/api/operator/instances");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
