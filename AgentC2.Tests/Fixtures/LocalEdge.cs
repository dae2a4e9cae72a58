using System.Diagnostics;
using System.Net;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// The production edge on loopback: a real Caddy running the published Caddyfile as it is, in front of a
/// <see cref="LoopbackFleet"/> of agent and console replicas. Caddy runs in a mount namespace of its own whose
/// <c>/etc/resolv.conf</c> names the fleet's <see cref="ServiceDns"/>, so the file's dynamic upstreams (<c>agent</c>,
/// <c>frontend</c>, port 8080) resolve to the replicas as an orchestrator's DNS resolves them. Only what a process gets
/// from its command line differs from production: the site address (<c>DOMAIN</c>, plain HTTP on a free port), no admin
/// endpoint and debug logging (so the report can say why a request was not passed on).
/// </summary>
internal sealed partial class LocalEdge : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo _folder;
    private readonly Process _caddy;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _errors = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _passedOn = new(StringComparer.Ordinal);

    private LocalEdge(DirectoryInfo folder, Process caddy, Uri address, LoopbackFleet fleet)
    {
        _folder = folder;
        _caddy = caddy;
        Address = address;
        Fleet = fleet;
    }

    public Uri Address { get; }

    /// <summary>The replicas behind the edge: the drills start, stop and replace them as an orchestrator would.</summary>
    public LoopbackFleet Fleet { get; }

    /// <summary>What Caddy logged with an error: requests it could not pass on, with why.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    /// <summary>How many requests the edge passed on to each upstream address and got an answer from.</summary>
    public IReadOnlyDictionary<string, int> PassedOn => _passedOn;

    public string ErrorsByKind(int most) => string.Join('\n', Errors.Take(most)) + $"\n({Errors.Count} errors logged by the edge in all)";

    /// <summary>Starts <paramref name="agents"/> agent replicas and one console replica, then Caddy in front of them, and waits until it answers.</summary>
    public static async Task<LocalEdge> StartAsync(AppHostFixture fixture, int agents = 2)
    {
        var dns = new ServiceDns();
        var fleet = new LoopbackFleet(fixture, dns);
        var folder = Directory.CreateTempSubdirectory("agentc2-edge-");
        try
        {
            await Task.WhenAll([fleet.StartAsync(ResourceNames.Frontend), .. Enumerable.Range(0, agents).Select(_ => fleet.StartAsync(ResourceNames.Agent))]);
            var address = new Uri($"http://127.0.0.1:{Loopback.FreePort()}");
            var caddy = await StartCaddyAsync(folder, address);
            var edge = new LocalEdge(folder, caddy, address, fleet);
            caddy.ErrorDataReceived += (_, line) =>
            {
                if (line.Data is { } roundtrip && roundtrip.Contains("\"msg\":\"upstream roundtrip\"", StringComparison.Ordinal) && !roundtrip.Contains("\"error\"", StringComparison.Ordinal)
                    && UpstreamField().Match(roundtrip) is { Success: true } upstream)
                {
                    edge._passedOn.AddOrUpdate(upstream.Groups[1].Value, 1, (_, count) => count + 1);
                }

                // Errors a handle_errors route answered are logged by http.log.error, with the reason as the message.
                if (line.Data is { } data && (data.Contains("\"error\"", StringComparison.Ordinal) || data.Contains("\"logger\":\"http.log.error\"", StringComparison.Ordinal)))
                {
                    edge._errors.Enqueue(data);
                }
            };
            caddy.BeginErrorReadLine();
            caddy.BeginOutputReadLine();
            await edge.WaitAnsweringAsync();
            return edge;
        }
        catch
        {
            await fleet.DisposeAsync();
            dns.Dispose();
            folder.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Adapts the published Caddyfile (with <c>DOMAIN</c> set) to Caddy's JSON, adds the process options, and runs it with
    /// this machine's <c>/etc/resolv.conf</c> and <c>/etc/hosts</c> replaced, for Caddy alone, by the fleet's DNS.
    /// </summary>
    private static async Task<Process> StartCaddyAsync(DirectoryInfo folder, Uri address)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DOMAIN"] = address.ToString().TrimEnd('/'),
            ["HOME"] = folder.FullName,
            ["XDG_DATA_HOME"] = folder.FullName,
            ["XDG_CONFIG_HOME"] = folder.FullName,
        };
        var adapted = await ToolProcess.RunAsync("caddy", ["adapt", "--config", Path.Combine(Repository.Root, "deploy/caddy/Caddyfile.production"), "--adapter", "caddyfile"],
            environment, Bound);
        Assert.True(adapted.ExitCode == 0, adapted.Output);
        var config = System.Text.Json.Nodes.JsonNode.Parse(adapted.StandardOutput)!.AsObject();
        Assert.Contains("\"dynamic_upstreams\"", adapted.StandardOutput, StringComparison.Ordinal);
        config["admin"] = new System.Text.Json.Nodes.JsonObject { ["disabled"] = true };
        config["logging"] = System.Text.Json.Nodes.JsonNode.Parse("""{"logs":{"default":{"level":"DEBUG"}}}""");

        var json = Path.Combine(folder.FullName, "caddy.json");
        var resolv = Path.Combine(folder.FullName, "resolv.conf");
        var hosts = Path.Combine(folder.FullName, "hosts");
        await File.WriteAllTextAsync(json, config.ToJsonString());
        await File.WriteAllTextAsync(resolv, $"nameserver {ServiceDns.Address}\noptions timeout:1 attempts:1\n");
        await File.WriteAllTextAsync(hosts, "127.0.0.1 localhost\n");

        // unshare and sh exec into Caddy: the process started is Caddy's, killed by its PID.
        var start = new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c",
            "mount --bind \"$1\" /etc/resolv.conf && mount --bind \"$2\" /etc/hosts && exec caddy run --config \"$3\"", "edge", resolv, hosts, json])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        return Process.Start(start)!;
    }

    private async Task WaitAnsweringAsync()
    {
        using var http = new HttpClient();
        try
        {
            await Eventually.MatchAsync(async token =>
            {
                Assert.False(_caddy.HasExited, "Caddy exited:\n" + ErrorsByKind(20));
                using var response = await http.GetAsync(new Uri(Address, ServicePaths.Ready), token);
                return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(token));
            }, answer => answer.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the edge answering");
        }
        catch (TimeoutException timeout)
        {
            await DisposeAsync();
            throw new TimeoutException(timeout.Message + "\n" + ErrorsByKind(20), timeout);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
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
        await Fleet.DisposeAsync();
        Fleet.Dns.Dispose();
        _folder.Delete(recursive: true);
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"upstream\":\"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex UpstreamField();
}
