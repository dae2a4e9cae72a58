using System.Diagnostics;
using System.Text.Json;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// A real Prometheus (Debian's) on loopback that scrapes every replica of every service of the running application every
/// second, with the production alert rules loaded and evaluated every second.
/// </summary>
internal sealed class LocalPrometheus : IAsyncDisposable
{
    private readonly DirectoryInfo _folder;
    private readonly Process _prometheus;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private LocalPrometheus(DirectoryInfo folder, Process prometheus, Uri api)
    {
        _folder = folder;
        _prometheus = prometheus;
        _http.BaseAddress = api;
    }

    public static async Task<LocalPrometheus> StartAsync(AppHostFixture fixture)
    {
        var jobs = new List<string>();
        foreach (var service in AppHostFixture.ServiceNames)
        {
            var targets = (await fixture.Replicas.AddressesAsync(service)).Select(address => $"'{address.Authority}'");
            jobs.Add($"""
                  - job_name: {service}
                    metrics_path: {ServicePaths.Metrics}
                    static_configs:
                      - targets: [{string.Join(", ", targets)}]
                """);
        }

        var folder = Directory.CreateTempSubdirectory("agentc2-prometheus-");
        File.Copy(Path.Combine(Repository.Root, "deploy/prometheus/alerts.yml"), Path.Combine(folder.FullName, "alerts.yml"));
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [alerts.yml]
            scrape_configs:
            {string.Join("\n", jobs)}
            """);

        var port = Loopback.FreePort();
        var prometheus = Process.Start(new ProcessStartInfo("prometheus",
        [
            $"--config.file={Path.Combine(folder.FullName, "prometheus.yml")}",
            $"--storage.tsdb.path={Path.Combine(folder.FullName, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
        ])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        return new LocalPrometheus(folder, prometheus, new Uri($"http://127.0.0.1:{port}/api/v1/"));
    }

    /// <summary>The result vector of an instant query.</summary>
    public async Task<List<JsonElement>> QueryAsync(string query, CancellationToken cancellationToken = default)
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync($"query?query={Uri.EscapeDataString(query)}", cancellationToken));
        return [.. document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => r.Clone())];
    }

    /// <summary>Every loaded alerting and recording rule, with its health and state.</summary>
    public async Task<List<JsonElement>> RulesAsync()
    {
        using var rules = JsonDocument.Parse(await _http.GetStringAsync("rules"));
        return [.. rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray()).Select(r => r.Clone())];
    }

    public static string Label(JsonElement sample, string name) => sample.GetProperty("metric").GetProperty(name).GetString()!;

    public static string Value(JsonElement sample) => sample.GetProperty("value")[1].GetString()!;

    public async ValueTask DisposeAsync()
    {
        if (!_prometheus.HasExited)
        {
            _prometheus.Kill(entireProcessTree: true);
            await _prometheus.WaitForExitAsync();
        }

        _prometheus.Dispose();
        _http.Dispose();
        _folder.Delete(recursive: true);
    }
}
