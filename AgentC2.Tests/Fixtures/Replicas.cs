using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// The replicas of the application's services as the orchestrator runs them: their addresses, processes and ids, and the
/// commands that stop and start one of them.
/// </summary>
public sealed class Replicas(DistributedApplication app)
{
    private readonly DistributedApplication _app = app;

    /// <summary>How many replicas the application model gives <paramref name="service"/>.</summary>
    public int Count(string service) =>
        _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == service).GetReplicaCount();

    /// <summary>The base address of each running replica of a service (not the shared proxy); fails after a minute without all of them.</summary>
    public async Task<IReadOnlyList<Uri>> AddressesAsync(string service) =>
        [.. (await WatchAsync([service], TimeSpan.FromSeconds(60), $"not every replica of {service} runs", resourceEvent =>
            resourceEvent.Snapshot.State?.Text == KnownResourceStates.Running ? AddressOf(resourceEvent) : null)).Values];

    /// <summary>The first address a replica was told to listen on, if its snapshot has it yet.</summary>
    private static Uri? AddressOf(ResourceEvent resourceEvent) =>
        resourceEvent.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value is { } urls
            ? new Uri(urls.Split(';')[0])
            : null;

    /// <summary>
    /// Stops one replica and waits until its port is free: the orchestrator reports the replica stopped when its
    /// launcher exits, while the service may still be draining (5 s) on the port a restart binds again.
    /// </summary>
    public async Task StopAsync(string resourceId)
    {
        Uri? address = null;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await foreach (var resourceEvent in _app.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(timeout.Token))
            {
                if (resourceEvent.ResourceId == resourceId && AddressOf(resourceEvent) is { } listening)
                {
                    address = listening;
                    break;
                }
            }
        }

        await ExecuteAsync(resourceId, KnownResourceCommands.StopCommand);
        if (address is null)
        {
            return;
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                await probe.ConnectAsync(address.Host, address.Port).WaitAsync(TimeSpan.FromSeconds(1));
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or TimeoutException)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"replica {resourceId} still listens on {address} 30 s after it was stopped");
    }

    /// <summary>Waits until every replica of a service answers its readiness probe (or, with <paramref name="probe"/>, another health endpoint) with 200.</summary>
    public async Task WaitReadyAsync(string service, TimeSpan timeout, string probe = ServicePaths.Ready)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var replica in await AddressesAsync(service))
        {
            await Eventually.MatchAsync(async token => (await http.GetAsync(new Uri(replica, probe), token)).StatusCode,
                status => status == System.Net.HttpStatusCode.OK, timeout, $"{service} replica {replica} answering {probe}");
        }
    }

    /// <summary>Waits until every replica of every service answers its full health report (every dependency connected) with 200.</summary>
    public Task WaitEveryHealthyAsync(TimeSpan timeout) =>
        Task.WhenAll(AppHostFixture.ServiceNames.Select(service => WaitReadyAsync(service, timeout, ServicePaths.Health)));

    /// <summary>The orchestrator's ids of a service's replicas.</summary>
    public async Task<IReadOnlyList<string>> IdsAsync(string service) =>
        [.. (await WatchAsync([service], TimeSpan.FromSeconds(30), $"not every replica of {service} is known", resourceEvent => resourceEvent.ResourceId)).Keys];

    /// <summary>The process of every replica of every service, by the orchestrator's id: a replica restarted in between has another.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ProcessesAsync() =>
        await WatchAsync(AppHostFixture.ServiceNames, TimeSpan.FromSeconds(30), "not every service replica runs", resourceEvent =>
            resourceEvent.Snapshot.State?.Text == KnownResourceStates.Running
            && resourceEvent.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
                ? Convert.ToString(pid, System.Globalization.CultureInfo.InvariantCulture)
                : null);

    /// <summary>
    /// Watches the replicas of <paramref name="services"/> until <paramref name="select"/> has given each of them a value (its
    /// latest, by orchestrator id); after <paramref name="bound"/> fails with <paramref name="what"/> and every replica's state.
    /// </summary>
    private async Task<SortedDictionary<string, T>> WatchAsync<T>(IReadOnlyCollection<string> services, TimeSpan bound, string what, Func<ResourceEvent, T?> select)
        where T : class
    {
        var expected = services.Sum(Count);
        var found = new SortedDictionary<string, T>(StringComparer.Ordinal);
        var states = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await foreach (var resourceEvent in _app.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(timeout.Token))
            {
                if (!services.Contains(resourceEvent.Resource.Name))
                {
                    continue;
                }

                states[resourceEvent.ResourceId] = $"{resourceEvent.Snapshot.State?.Text} (health {resourceEvent.Snapshot.HealthStatus}, exit code {resourceEvent.Snapshot.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})";
                if (select(resourceEvent) is { } value)
                {
                    found[resourceEvent.ResourceId] = value;
                }

                if (found.Count == expected)
                {
                    return found;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // Reported below with what was seen.
        }

        throw new TimeoutException($"{what}; found {found.Count} of {expected}: {string.Join(", ", found.Values)}; "
            + string.Join("; ", states.Select(state => $"{state.Key} {state.Value}")));
    }

    /// <summary>
    /// The orchestrator's id of the replica of <paramref name="service"/> whose process is <paramref name="pid"/> (or launched it:
    /// the orchestrator knows the launcher's id, the service reports its own).
    /// </summary>
    public async Task<string> IdOfProcessAsync(string service, int pid)
    {
        var lineage = new List<string>();
        for (var current = pid; current > 1 && lineage.Count < 4; current = ParentOf(current))
        {
            lineage.Add(current.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var resourceEvent in _app.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(timeout.Token))
        {
            if (resourceEvent.Resource.Name == service
                && resourceEvent.Snapshot.Properties.Any(p => p.Name == "executable.pid" && lineage.Contains(Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty)))
            {
                return resourceEvent.ResourceId;
            }
        }

        throw new InvalidOperationException($"No replica of {service} runs as process {pid}.");
    }

    private static int ParentOf(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(line => line.StartsWith("PPid:", StringComparison.Ordinal))
            .Select(line => int.Parse(line["PPid:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();

    /// <summary>Starts a stopped (or killed) replica again and waits until its service is healthy.</summary>
    public async Task StartAsync(string resourceId, string service)
    {
        await ExecuteAsync(resourceId, KnownResourceCommands.StartCommand);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync(service).WaitAsync(AppHostFixture.StartTimeout);
    }

    /// <summary>Runs a command on one replica (by orchestrator id) and fails the test if it does not succeed.</summary>
    public async Task ExecuteAsync(string resourceId, string command)
    {
        var result = await _app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resourceId, command);
        Assert.True(result.Success, $"'{command}' on {resourceId} failed: {result.Message}");
    }

    /// <summary>Runs a resource command (<c>stop</c>, <c>start</c>) and fails the test if it does not succeed.</summary>
    public async Task ExecuteOnResourceAsync(string resourceName, string command)
    {
        var resource = _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        var result = await _app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, command);
        Assert.True(result.Success, $"'{command}' on {resourceName} failed: {result.Message}");
    }

    /// <summary>
    /// Starts a stopped resource (Redis, PostgreSQL) again and waits until it is healthy. A start can fail while the
    /// stopped process is still letting go of its port (Redis writes its append-only file on the way out): such a start
    /// is tried again, within <paramref name="timeout"/>.
    /// </summary>
    public async Task StartAgainAsync(string resourceName, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        await _app.ResourceNotifications.WaitForResourceAsync(resourceName, KnownResourceStates.TerminalStates).WaitAsync(timeout);
        while (true)
        {
            await ExecuteOnResourceAsync(resourceName, KnownResourceCommands.StartCommand);
            try
            {
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(resourceName).WaitAsync(deadline - DateTime.UtcNow);
                return;
            }
            catch (DistributedApplicationException) when (DateTime.UtcNow < deadline - TimeSpan.FromSeconds(2))
            {
                // It failed to start: give the previous process a moment to free the port, then start it again.
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }
}
