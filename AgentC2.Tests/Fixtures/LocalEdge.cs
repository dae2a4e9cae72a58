using System.Diagnostics;
using System.Net;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// The production edge on loopback: a real Caddy configured by the published Caddyfile, with plain HTTP on one port and
/// the running application's agent and console replicas as upstreams (what the service names resolve to in production).
/// </summary>
internal sealed class LocalEdge : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo _folder;
    private readonly Process _caddy;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _errors = new();

    private LocalEdge(DirectoryInfo folder, Process caddy, Uri address)
    {
        _folder = folder;
        _caddy = caddy;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>What Caddy logged with an error: requests it could not pass on and failed health checks, with why.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    /// <summary>The errors of requests (what a client saw), before the failed health checks (what the edge acted on).</summary>
    public string ErrorsByKind(int most) =>
        string.Join('\n', Errors.OrderBy(e => e.Contains("health_checker", StringComparison.Ordinal)).Take(most))
        + $"\n({Errors.Count(e => e.Contains("health_checker", StringComparison.Ordinal))} failed health checks in all)";

    /// <summary>Starts Caddy in front of every agent replica and the console, and waits until it answers.</summary>
    public static async Task<LocalEdge> StartAsync(AppHostFixture fixture)
    {
        var agents = await fixture.Replicas.AddressesAsync(ResourceNames.Agent).WaitAsync(Bound);
        Assert.Equal(2, agents.Count);
        var port = Loopback.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");

        var production = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "deploy/caddy/Caddyfile.production"));
        // Debug logging, so that the report can say why a request was not passed on (Caddy logs the errors it handles
        // itself only there).
        var local = "{\n\tadmin off\n\tauto_https off\n\tdebug\n}\n\n" + production
            .Replace("{$DOMAIN} {", $"http://127.0.0.1:{port} {{", StringComparison.Ordinal);
        // The replicas on loopback listen on ports of their own, which DNS A records cannot give: the names' dynamic
        // upstreams become the replicas' addresses; every other setting (balancing, retries, passive health) stays.
        local = Upstreams(local, ResourceNames.Agent, agents.Select(r => r.Authority.Replace("localhost", "127.0.0.1", StringComparison.Ordinal)));
        local = Upstreams(local, ResourceNames.Frontend, [fixture.CreateClient(ResourceNames.Frontend).BaseAddress!.Authority]);
        Assert.Contains("lb_try_duration", local, StringComparison.Ordinal);

        var folder = Directory.CreateTempSubdirectory("agentc2-edge-");
        var caddyfile = Path.Combine(folder.FullName, "Caddyfile");
        await File.WriteAllTextAsync(caddyfile, local);
        var caddy = Process.Start(new ProcessStartInfo("caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            Environment = { ["HOME"] = folder.FullName, ["XDG_DATA_HOME"] = folder.FullName, ["XDG_CONFIG_HOME"] = folder.FullName },
        })!;
        var edge = new LocalEdge(folder, caddy, address);
        caddy.ErrorDataReceived += (_, line) =>
        {
            // Errors a handle_errors route answered are logged by http.log.error, with the reason as the message.
            if (line.Data is { } data && (data.Contains("\"error\"", StringComparison.Ordinal) || data.Contains("\"logger\":\"http.log.error\"", StringComparison.Ordinal)))
            {
                edge._errors.Enqueue(data);
            }
        };
        caddy.BeginErrorReadLine();
        caddy.BeginOutputReadLine();

        try
        {
            using var http = new HttpClient();
            await Eventually.MatchAsync(async token =>
            {
                using var response = await http.GetAsync(new Uri(address, ServicePaths.Ready), token);
                return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(token));
            }, answer => answer.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the edge answering");
            return edge;
        }
        catch (TimeoutException timeout)
        {
            await edge.DisposeAsync();
            throw new TimeoutException(timeout.Message + "\n" + edge.ErrorsByKind(20), timeout);
        }
        catch
        {
            await edge.DisposeAsync();
            throw;
        }
    }

    private static string Upstreams(string caddyfile, string service, IEnumerable<string> addresses)
    {
        var dynamic = new System.Text.RegularExpressions.Regex($@"dynamic a \{{\n\t+name {service}\n[^}}]*\}}");
        Assert.Matches(dynamic, caddyfile);
        return dynamic.Replace(caddyfile, "to " + string.Join(' ', addresses));
    }

    /// <summary>A client of the API through the edge that presents <paramref name="apiKey"/>.</summary>
    public HttpClient CreateApiClient(string apiKey) =>
        AppHostFixture.WithApiKey(new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) }, apiKey);

    public async ValueTask DisposeAsync()
    {
        if (!_caddy.HasExited)
        {
            _caddy.Kill(entireProcessTree: true);
            await _caddy.WaitForExitAsync();
        }

        _caddy.Dispose();
        _folder.Delete(recursive: true);
    }
}
