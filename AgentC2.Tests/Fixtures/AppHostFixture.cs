using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// The whole AgentC2 application (PostgreSQL and Redis as local processes, agent, worker, frontend)
/// started once for every integration test, with its state in a temporary folder.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Every resource of the model, in the order the AppHost declares them.</summary>
    public static readonly string[] ResourceNames =
    [
        AgentC2.ResourceNames.Postgres, AgentC2.ResourceNames.Database, AgentC2.ResourceNames.Redis,
        AgentC2.ResourceNames.Agent, AgentC2.ResourceNames.Worker, AgentC2.ResourceNames.Frontend,
    ];

    public static readonly string[] ServiceNames = [AgentC2.ResourceNames.Agent, AgentC2.ResourceNames.Worker, AgentC2.ResourceNames.Frontend];

    /// <summary>An organization whose rate limit the fixture lowers, for the rate-limit tests.</summary>
    public const string RateLimitedOrganization = "rate-limited";
    public const int RateLimitedPermits = 10;

    /// <summary>An organization the console tests run out of requests (its own window, so other tests are not affected).</summary>
    public const string ConsoleLimitedOrganization = "console-limited";

    /// <summary>The organization the operations drills load the application with: limits far above the drills' load.</summary>
    public const string DrillOrganization = "drill";

    /// <summary>An organization whose cap on running runs the fixture sets to 0: its async runs stay queued.</summary>
    public const string HeldOrganization = "queue-held";

    /// <summary>The lease the workers take on a run in tests, short so that takeovers happen within a test.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    /// <summary>A value the catalog gives the reference server: it may see it, no organization may read it back.</summary>
    public string CatalogServerToken { get; } = "catalog-token-" + Guid.NewGuid().ToString("N");

    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("agentc2-tests-");

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The key of the demo organization the AppHost seeds.</summary>
    public string DemoApiKey { get; } = "demo-" + Guid.NewGuid().ToString("N");

    public string OperatorApiKey { get; } = "operator-" + Guid.NewGuid().ToString("N");

    public async Task InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentC2_AppHost>(
            [
                "--AgentC2:Infrastructure=local", $"--AgentC2:StateDirectory={_state.FullName}",
                $"--Parameters:demo-api-key={DemoApiKey}", $"--Parameters:operator-api-key={OperatorApiKey}",
            ]);

        WithoutOtlpExporter(builder);

        // The worker writes JSON logs, and logs each request, so tests can check the format and trace ids.
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == AgentC2.ResourceNames.Worker))
            // Aspire asks run-mode services for the simple formatter under this exact key; override that key.
            .WithEnvironment("LOGGING__CONSOLE__FORMATTERNAME", "json")
            .WithEnvironment("Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", "Information");

        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == AgentC2.ResourceNames.Agent))
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{RateLimitedOrganization}__PermitLimit", RateLimitedPermits.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{RateLimitedOrganization}__Window", "00:05:00")
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{ConsoleLimitedOrganization}__PermitLimit", "3")
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{ConsoleLimitedOrganization}__Window", "00:05:00")
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{DrillOrganization}__PermitLimit", "1000000")
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{DrillOrganization}__Window", "00:01:00")
            .WithEnvironment("AgentC2__RateLimiting__ApiKey__PermitLimit", "100000")
            // As in production (and not zero as in Development): readiness answers 503 for 5 s before the agent stops
            // accepting connections, so the zero-downtime drill's edge moves traffic first.
            .WithEnvironment("AgentC2__Health__ShutdownDrainDelay", "00:00:05")
            // Webhook receivers and Streamable HTTP MCP servers in tests listen on loopback, which only an operator allow-list permits.
            .WithEnvironment("AgentC2__OutboundUrls__AllowedNetworks__0", "127.0.0.0/8")
            .WithForeignMcpServers(CatalogServerToken);

        // Short leases, retries and polls, so that takeovers, retries and webhook redeliveries happen within a test.
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == AgentC2.ResourceNames.Worker))
            .WithEnvironment("AgentC2__OutboundUrls__AllowedNetworks__0", "127.0.0.0/8")
            .WithEnvironment("AgentC2__Queue__LeaseDuration", LeaseDuration.ToString())
            .WithEnvironment("AgentC2__Queue__HeartbeatInterval", "00:00:01")
            .WithEnvironment("AgentC2__Queue__PollInterval", "00:00:00.500")
            .WithEnvironment("AgentC2__Queue__RetryBaseDelay", "00:00:00.200")
            .WithEnvironment("AgentC2__Queue__RetryMaxDelay", "00:00:01")
            .WithEnvironment($"AgentC2__Queue__Organizations__{HeldOrganization}__MaxRunning", "0")
            .WithEnvironment("AgentC2__Webhooks__RetryBaseDelay", "00:00:00.200")
            .WithEnvironment("AgentC2__Webhooks__RetryMaxDelay", "00:00:01")
            .WithEnvironment("AgentC2__Webhooks__PollInterval", "00:00:00.500")
            .WithEnvironment("AgentC2__Webhooks__Timeout", "00:00:05");

        App = await builder.BuildAsync().WaitAsync(StartTimeout);
        await App.StartAsync().WaitAsync(StartTimeout);
        await Task.WhenAll(ResourceNames.Select(name => App.ResourceNotifications.WaitForResourceHealthyAsync(name))).WaitAsync(StartTimeout);

        // A service with replicas reports healthy once one of them is ready: wait for every one to be fully healthy (Redis
        // connected too), so that no test starts on half an application.
        await WaitEveryReplicaHealthyAsync(StartTimeout);
    }

    /// <summary>
    /// Nothing listens for OTLP in tests; without an endpoint the services skip the exporter (and its 10 s flush at
    /// shutdown).
    /// </summary>
    public static void WithoutOtlpExporter(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }
    }

    public HttpClient CreateClient(string service) => App.CreateHttpClient(service, "http");

    /// <summary>A client of the agent API that presents <paramref name="apiKey"/>.</summary>
    public HttpClient CreateApiClient(string apiKey) => WithApiKey(CreateClient(AgentC2.ResourceNames.Agent), apiKey);

    /// <summary>Makes <paramref name="client"/> (of one replica, of the edge, or of the shared proxy) present <paramref name="apiKey"/>.</summary>
    public static HttpClient WithApiKey(HttpClient client, string apiKey)
    {
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>How many replicas the application model gives <paramref name="service"/>.</summary>
    public int ReplicaCount(string service) =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == service).GetReplicaCount();

    /// <summary>The base address of each running replica of a service (not the shared proxy); fails after a minute without all of them.</summary>
    public async Task<IReadOnlyList<Uri>> ReplicaAddressesAsync(string service) =>
        [.. (await WatchReplicasAsync([service], TimeSpan.FromSeconds(60), $"not every replica of {service} runs", resourceEvent =>
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
    public async Task StopReplicaAsync(string resourceId)
    {
        Uri? address = null;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await foreach (var resourceEvent in App.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(timeout.Token))
            {
                if (resourceEvent.ResourceId == resourceId && AddressOf(resourceEvent) is { } listening)
                {
                    address = listening;
                    break;
                }
            }
        }

        await ExecuteReplicaCommandAsync(resourceId, KnownResourceCommands.StopCommand);
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
    public async Task WaitReplicasReadyAsync(string service, TimeSpan timeout, string probe = ServicePaths.Ready)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var replica in await ReplicaAddressesAsync(service))
        {
            await Eventually.MatchAsync(async token => (await http.GetAsync(new Uri(replica, probe), token)).StatusCode,
                status => status == System.Net.HttpStatusCode.OK, timeout, $"{service} replica {replica} answering {probe}");
        }
    }

    /// <summary>Waits until every replica of every service answers its full health report (every dependency connected) with 200.</summary>
    public Task WaitEveryReplicaHealthyAsync(TimeSpan timeout) =>
        Task.WhenAll(ServiceNames.Select(service => WaitReplicasReadyAsync(service, timeout, ServicePaths.Health)));

    /// <summary>The orchestrator's ids of a service's replicas.</summary>
    public async Task<IReadOnlyList<string>> ReplicaIdsAsync(string service) =>
        [.. (await WatchReplicasAsync([service], TimeSpan.FromSeconds(30), $"not every replica of {service} is known", resourceEvent => resourceEvent.ResourceId)).Keys];

    /// <summary>The process of every replica of every service, by the orchestrator's id: a replica restarted in between has another.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ServiceProcessesAsync() =>
        await WatchReplicasAsync(ServiceNames, TimeSpan.FromSeconds(30), "not every service replica runs", resourceEvent =>
            resourceEvent.Snapshot.State?.Text == KnownResourceStates.Running
            && resourceEvent.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
                ? Convert.ToString(pid, System.Globalization.CultureInfo.InvariantCulture)
                : null);

    /// <summary>
    /// Watches the replicas of <paramref name="services"/> until <paramref name="select"/> has given each of them a value (its
    /// latest, by orchestrator id); after <paramref name="bound"/> fails with <paramref name="what"/> and every replica's state.
    /// </summary>
    private async Task<SortedDictionary<string, T>> WatchReplicasAsync<T>(IReadOnlyCollection<string> services, TimeSpan bound, string what, Func<ResourceEvent, T?> select)
        where T : class
    {
        var expected = services.Sum(ReplicaCount);
        var found = new SortedDictionary<string, T>(StringComparer.Ordinal);
        var states = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await foreach (var resourceEvent in App.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(timeout.Token))
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
    public async Task<string> ReplicaIdOfProcessAsync(string service, int pid)
    {
        var lineage = new List<string>();
        for (var current = pid; current > 1 && lineage.Count < 4; current = ParentOf(current))
        {
            lineage.Add(current.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var resourceEvent in App.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(timeout.Token))
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

    /// <summary>
    /// Runs <paramref name="action"/>; if it fails, the failure carries the service's last logged exceptions (what a 500's
    /// trace id points at), so a failure in CI explains itself.
    /// </summary>
    public async Task<T> WithServiceErrorsAsync<T>(string service, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var resource = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == service);
            var lines = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource).WithCancellation(timeout.Token))
                {
                    lines.AddRange(batch.Select(l => l.Content));
                }
            }
            catch (OperationCanceledException)
            {
                // The log so far is what there is.
            }

            // The last exception the service logged (not a frame of its stack), with its stack.
            var last = lines.FindLastIndex(l => l.Contains("Exception", StringComparison.Ordinal)
                && !System.Text.RegularExpressions.Regex.IsMatch(l, @"^\S*\s+at "));
            var excerpt = last < 0 ? ["(no exception)"] : lines.Skip(Math.Max(0, last - 2)).Take(16);
            throw new InvalidOperationException($"{exception.Message}\n{service} logged:\n{string.Join('\n', excerpt)}", exception);
        }
    }

    /// <summary>Starts a stopped (or killed) replica again and waits until its service is healthy.</summary>
    public async Task StartReplicaAsync(string resourceId, string service)
    {
        await ExecuteReplicaCommandAsync(resourceId, KnownResourceCommands.StartCommand);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(service).WaitAsync(StartTimeout);
    }

    /// <summary>Runs a command on one replica (by orchestrator id) and fails the test if it does not succeed.</summary>
    public async Task ExecuteReplicaCommandAsync(string resourceId, string command)
    {
        var result = await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resourceId, command);
        Assert.True(result.Success, $"'{command}' on {resourceId} failed: {result.Message}");
    }

    /// <summary>Runs a resource command (<c>stop</c>, <c>start</c>) and fails the test if it does not succeed.</summary>
    public async Task ExecuteCommandAsync(string resourceName, string command)
    {
        var resource = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        var result = await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, command);
        Assert.True(result.Success, $"'{command}' on {resourceName} failed: {result.Message}");
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        try
        {
            _state.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A server still shutting down may hold a file for a moment; the folder is temporary.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AgentC2 application";
}
