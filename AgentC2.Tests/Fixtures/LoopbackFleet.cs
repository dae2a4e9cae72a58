using System.Net;

namespace AgentC2.Tests.Fixtures;

/// <summary>One replica of a <see cref="LoopbackFleet"/>: its process, its address, the version it says it runs.</summary>
internal sealed record LoopbackReplica(string Service, IPAddress Address, string Version, ServiceProcess Process)
{
    public Uri Url => new($"http://{Address}:{LoopbackFleet.Port}");

    public override string ToString() => $"{Service} {Address} ({Version}, pid {Process.Id})";
}

/// <summary>
/// Replicas run the way an orchestrator runs them behind its DNS: each one a process of the built service on the port every
/// generated artifact gives the services (8080), on an address of its own in 127.77.0.0/16, with the environment the AppHost
/// gave that service's replicas (same database, Redis, credentials and settings). A replica is added to <see cref="ServiceDns"/>
/// once its readiness probe answers (as Swarm adds a healthy task) and taken out of it with the stop signal (as Swarm does
/// when it stops a task).
/// </summary>
internal sealed class LoopbackFleet(AppHostFixture fixture, ServiceDns dns) : IAsyncDisposable
{
    public const int Port = 8080;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static readonly Dictionary<string, (string Project, int Subnet)> Services = new(StringComparer.Ordinal)
    {
        [ResourceNames.Agent] = ("AgentC2.Agent", 1),
        [ResourceNames.Frontend] = ("AgentC2.Frontend", 2),
    };

    private readonly List<LoopbackReplica> _replicas = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, string?>> _environments = new(StringComparer.Ordinal);
    private int _next;

    public ServiceDns Dns => dns;

    /// <summary>The replicas of <paramref name="service"/> running now, oldest first.</summary>
    public IReadOnlyList<LoopbackReplica> Of(string service)
    {
        lock (_replicas)
        {
            return [.. _replicas.Where(r => r.Service == service && !r.Process.HasExited)];
        }
    }

    /// <summary>Starts a replica of <paramref name="service"/>, waits until it is ready and adds it to the service's name.</summary>
    public async Task<LoopbackReplica> StartAsync(string service, string version = "v1")
    {
        var (project, subnet) = Services[service];
        var address = IPAddress.Parse($"127.77.{subnet}.{Interlocked.Increment(ref _next)}");
        var environment = new Dictionary<string, string?>(await EnvironmentAsync(service), StringComparer.Ordinal)
        {
            ["AgentC2__Instance__Version"] = version,
        };
        var replica = new LoopbackReplica(service, address, version, ServiceProcess.Start(project, new Uri($"http://{address}:{Port}"), environment, inherit: false));
        lock (_replicas)
        {
            _replicas.Add(replica);
        }

        using var http = new HttpClient { BaseAddress = replica.Url, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.MatchAsync(async token =>
        {
            Assert.False(replica.Process.HasExited, $"{replica} exited at start:\n{replica.Process.Output}");
            return (await http.GetAsync(ServicePaths.Ready, token)).StatusCode;
        }, status => status == HttpStatusCode.OK, Bound, $"{replica} ready\n{replica.Process.Output}");
        dns.Register(service, address);
        return replica;
    }

    /// <summary>
    /// Stops a replica as an orchestrator does: out of the service's name and SIGTERM at once, then waits for its exit
    /// (within the generated grace period); its exit code.
    /// </summary>
    public async Task<int> StopAsync(LoopbackReplica replica)
    {
        dns.Deregister(replica.Service, replica.Address);
        return await replica.Process.TerminateAsync(ShutdownBounds.GracePeriod);
    }

    /// <summary>
    /// The environment the AppHost started <paramref name="service"/>'s replicas with, read from a running replica's process,
    /// without what is particular to that replica (its listening addresses, its telemetry endpoint).
    /// </summary>
    private async Task<IReadOnlyDictionary<string, string?>> EnvironmentAsync(string service)
    {
        if (_environments.TryGetValue(service, out var known))
        {
            return known;
        }

        var processes = await fixture.Replicas.ProcessesAsync();
        var ids = await fixture.Replicas.IdsAsync(service);
        var pid = processes[ids[0]];
        var environment = (await File.ReadAllTextAsync($"/proc/{pid}/environ"))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(pair => pair.Length == 2 && !ReplicaOwn(pair[0]))
            .GroupBy(pair => pair[0], StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => (string?)group.Last()[1], StringComparer.Ordinal);
        _environments[service] = environment;
        return environment;
    }

    private static bool ReplicaOwn(string variable) =>
        variable is "ASPNETCORE_URLS" or "ASPNETCORE_HTTP_PORTS" or "ASPNETCORE_HTTPS_PORTS" or "HTTP_PORTS" or "HTTPS_PORTS"
        || variable.StartsWith("Kestrel__Endpoints__", StringComparison.OrdinalIgnoreCase)
        || variable.StartsWith("OTEL_", StringComparison.Ordinal);

    /// <summary>Stops every replica still running with the stop signal (so each leaves the fleet registry), killing what does not exit.</summary>
    public async ValueTask DisposeAsync()
    {
        List<LoopbackReplica> replicas;
        lock (_replicas)
        {
            replicas = [.. _replicas];
        }

        await Task.WhenAll(replicas.Select(async replica =>
        {
            try
            {
                dns.Deregister(replica.Service, replica.Address);
                await replica.Process.TerminateAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                // Killed below.
            }
            finally
            {
                await replica.Process.DisposeAsync();
            }
        }));
    }
}
