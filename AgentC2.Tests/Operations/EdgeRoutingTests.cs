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
    public async Task What_the_web_server_refuses_with_an_empty_answer_the_edge_refuses_as_a_problem()
    {
        using var edge = new HttpClient { BaseAddress = _edge.Address };
        using var direct = fixture.CreateClient(ResourceNames.Agent);
        var longTarget = "/api/runs?agent=" + new string('a', 9_000);

        foreach (var path in new[] { "/api/runs/a%00b", "/api/agents/%00", "/sign-in%00" })
        {
            // Kestrel refuses a NUL in the path before any application code runs: an empty 400.
            using var bare = await direct.GetAsync(path);
            Assert.Equal(HttpStatusCode.BadRequest, bare.StatusCode);
            Assert.Empty(await bare.Content.ReadAsStringAsync());

            using var response = await edge.GetAsync(path);
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "bad-request");
            Assert.Contains("NUL", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using var bareTooLong = await direct.GetAsync(longTarget);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, bareTooLong.StatusCode);
        using var tooLong = await edge.GetAsync(longTarget);
        await tooLong.AssertProblemAsync(HttpStatusCode.RequestUriTooLong, "uri-too-long");

        // What the API reads itself (encoded UTF-8, invalid UTF-8, control characters) and a target under the limit reach
        // it, and it asks for a key.
        foreach (var path in new[] { "/api/agents/caf%C3%A9", "/api/agents/%F0%28%8C%BC", "/api/agents/a%0Ab", "/api/runs?agent=" + new string('a', 7_000) })
        {
            using var response = await edge.GetAsync(path);
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
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
