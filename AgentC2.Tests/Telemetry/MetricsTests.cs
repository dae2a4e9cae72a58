using System.Net;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Telemetry;

[Collection(AppHostCollection.Name)]
public sealed class MetricsTests(AppHostFixture fixture)
{
    public static TheoryData<string> Services => [.. AppHostFixture.ServiceNames];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Metrics_are_served_in_prometheus_text_with_process_memory(string service)
    {
        using var client = fixture.CreateClient(service);

        using var response = await client.GetAsync("/api/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE agentc2_process_memory_rss_bytes gauge", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE agentc2_process_memory_limit_bytes gauge", text, StringComparison.Ordinal);
        var rss = text.Split('\n').Single(line => line.StartsWith("agentc2_process_memory_rss_bytes{", StringComparison.Ordinal));
        Assert.True(double.Parse(rss[(rss.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) > 1_000_000);
    }
}
