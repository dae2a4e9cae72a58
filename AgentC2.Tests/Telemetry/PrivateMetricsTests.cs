using System.Net;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Telemetry;

/// <summary>
/// With <c>AgentC2:Metrics:Port</c> (set by every image), metrics are served on that port only: the service's own port,
/// the one every route and ingress leads to, answers 404 for them.
/// </summary>
public sealed class PrivateMetricsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("AgentC2.Agent")]
    [InlineData("AgentC2.Worker")]
    public async Task Metrics_answer_on_their_own_port_and_not_on_the_services_port(string project)
    {
        var metrics = new Uri($"http://127.0.0.1:{Loopback.FreePort()}");
        var service = new Uri($"http://127.0.0.1:{Loopback.FreePort()}");
        await using var process = ServiceProcess.Start(project, service, new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__agentc2"] = $"Host=127.0.0.1;Port={Loopback.FreePort()};Username=postgres;Password=x;Database=agentc2",
            ["ConnectionStrings__redis"] = null,
            ["AgentC2__Internal__ApiKey"] = "test-internal-" + Guid.NewGuid().ToString("N"),
            ["services__agent__http__0"] = $"http://127.0.0.1:{Loopback.FreePort()}",
            ["AgentC2__Metrics__Port"] = metrics.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, inherit: true, alsoListenOn: [metrics]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        await Eventually.MatchAsync(async token => (await http.GetAsync(new Uri(service, ServicePaths.Live), token)).StatusCode,
            status => status == HttpStatusCode.OK, Bound, $"{project} live\n{process.Output}");

        using var scraped = await http.GetAsync(new Uri(metrics, ServicePaths.Metrics));
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("# TYPE agentc2_process_memory_rss_bytes gauge", await scraped.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var routed = await http.GetAsync(new Uri(service, ServicePaths.Metrics));
        Assert.Equal(HttpStatusCode.NotFound, routed.StatusCode);
    }
}
