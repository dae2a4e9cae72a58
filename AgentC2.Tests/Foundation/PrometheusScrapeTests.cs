using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AgentC2.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.Tests.Foundation;

/// <summary>
/// A real Prometheus (Debian's) scrapes every replica of every service of the running application with the alert
/// rules loaded, and its query API finds AgentC2's series, the health-check metric of every service and the rules.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class PrometheusScrapeTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("agentc2-prometheus-");
    private Process? _prometheus;
    private Uri _api = null!;

    public async Task InitializeAsync()
    {
        var jobs = new List<string>();
        foreach (var service in AppHostFixture.ServiceNames)
        {
            var targets = (await fixture.ReplicaAddressesAsync(service)).Select(address => $"'{address.Authority}'");
            jobs.Add($"""
                  - job_name: {service}
                    metrics_path: {ServicePaths.Metrics}
                    static_configs:
                      - targets: [{string.Join(", ", targets)}]
                """);
        }

        File.Copy(Path.Combine(Repository.Root, "deploy/prometheus/alerts.yml"), Path.Combine(_folder.FullName, "alerts.yml"));
        await File.WriteAllTextAsync(Path.Combine(_folder.FullName, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [alerts.yml]
            scrape_configs:
            {string.Join("\n", jobs)}
            """);

        var port = Loopback.FreePort();
        _api = new Uri($"http://127.0.0.1:{port}/api/v1/");
        _prometheus = Process.Start(new ProcessStartInfo("prometheus",
        [
            $"--config.file={Path.Combine(_folder.FullName, "prometheus.yml")}",
            $"--storage.tsdb.path={Path.Combine(_folder.FullName, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
        ])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        _prometheus.BeginErrorReadLine();
        _prometheus.BeginOutputReadLine();
    }

    [Fact]
    public async Task Prometheus_scrapes_every_replica_and_finds_agentc2_series_and_the_health_metric()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        // Every replica of every service is up as a target.
        var targets = await Eventually.MatchAsync(async token => string.Join("; ", (await QueryAsync(http, "up", token))
                .Select(r => $"{r.GetProperty("metric").GetProperty("job").GetString()} {r.GetProperty("metric").GetProperty("instance").GetString()} up={r.GetProperty("value")[1].GetString()}")),
            summary => summary.Split("up=1").Length - 1 == AppHostFixture.ServiceNames.Sum(Replicas), TimeSpan.FromSeconds(60), "every replica scraped");
        Assert.All(AppHostFixture.ServiceNames, job => Assert.Contains($"{job} ", targets, StringComparison.Ordinal));

        // The health-check metric of every service, with its checks, all healthy (checks run every 15 s: a console that
        // started before the agent reports the agent API degraded until its next round).
        var health = await Eventually.MatchAsync(async token => await QueryAsync(http, "agentc2_health_check_status", token),
            results => AppHostFixture.ServiceNames.All(job => results.Any(r => r.GetProperty("metric").GetProperty("job").GetString() == job))
                && results.All(r => r.GetProperty("value")[1].GetString() == "1"),
            TimeSpan.FromSeconds(60), "agentc2_health_check_status of every service, all 1");
        Assert.Contains(health, r => r.GetProperty("metric").GetProperty("check").GetString() == "database");

        // AgentC2's own series from each service.
        foreach (var (job, metric) in new[] { ("agent", "agentc2_mcp_pool_capacity"), ("worker", "agentc2_queue_depth"), ("frontend", "agentc2_process_memory_rss_bytes") })
        {
            Assert.NotEmpty(await QueryAsync(http, $"{metric}{{job=\"{job}\"}}", CancellationToken.None));
        }

        // The alert rules are loaded and evaluated; none fires on a healthy application.
        using var rules = JsonDocument.Parse(await http.GetStringAsync(new Uri(_api, "rules")));
        var loaded = rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
        Assert.Equal(7, loaded.Count);
        Assert.DoesNotContain(loaded, rule => rule.GetProperty("health").GetString() == "err");
        Assert.Empty(await QueryAsync(http, "ALERTS{alertstate=\"firing\"}", CancellationToken.None));
    }

    private int Replicas(string service) =>
        fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == service).GetReplicaCount();

    private async Task<List<JsonElement>> QueryAsync(HttpClient http, string query, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(_api, $"query?query={Uri.EscapeDataString(query)}"), cancellationToken));
        return [.. document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => r.Clone())];
    }


    public async Task DisposeAsync()
    {
        if (_prometheus is { HasExited: false })
        {
            _prometheus.Kill(entireProcessTree: true);
            await _prometheus.WaitForExitAsync();
        }

        _prometheus?.Dispose();
        _folder.Delete(recursive: true);
    }
}
