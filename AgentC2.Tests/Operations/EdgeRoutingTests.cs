using System.Net;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Operations;

/// <summary>The published Caddyfile, in a real Caddy in front of the running application: what it routes and what it refuses.</summary>
[Collection(AppHostCollection.Name)]
public sealed class EdgeRoutingTests(AppHostFixture fixture) : IAsyncLifetime
{
    private LocalEdge _edge = null!;

    public async Task InitializeAsync() => _edge = await LocalEdge.StartAsync(fixture, agents: 1);

    public async Task DisposeAsync() => await _edge.DisposeAsync();

    [Fact]
    public async Task Metrics_and_internal_endpoints_are_refused_at_the_edge_with_a_problem()
    {
        using var http = new HttpClient { BaseAddress = _edge.Address };

        foreach (var (method, path) in new[]
        {
            ("GET", "/api/metrics"), ("GET", "/api/metrics/anything"), ("GET", "/internal"),
            ("POST", "/internal/runs/01a2350e-1144-7853-960a-fca46e00ffe6/steps"),
        })
        {
            using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

            var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
            Assert.Equal("This path is not served here.", problem.GetProperty("detail").GetString());
            Assert.DoesNotContain("agentc2_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_api_and_the_console_are_routed()
    {
        using var http = new HttpClient { BaseAddress = _edge.Address };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ServicePaths.Health)).StatusCode);
        using var signIn = await http.GetAsync("/sign-in");
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("API key", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
