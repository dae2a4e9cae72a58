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

    /// <summary>A value the catalog gives the reference server: it may see it, no organization may read it back.</summary>
    public string CatalogServerToken { get; } = "catalog-token-" + Guid.NewGuid().ToString("N");

    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("agentc2-tests-");

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The services' replicas: addresses, processes, stop and start.</summary>
    public Replicas Replicas { get; private set; } = null!;

    /// <summary>A failed step with what the service logged.</summary>
    public ServiceErrors ServiceErrors { get; private set; } = null!;

    /// <summary>The key of the demo organization the AppHost seeds.</summary>
    public string DemoApiKey { get; } = "demo-" + Guid.NewGuid().ToString("N");

    public string OperatorApiKey { get; } = "operator-" + Guid.NewGuid().ToString("N");

    /// <summary>The OpenAI-compatible endpoint behind the <c>reasoning</c> tier.</summary>
    internal ChatCompletionsServer ChatCompletions { get; } = new();

    /// <summary>Where the services export their traces (and logs and metrics) over OTLP, as they would to a collector.</summary>
    internal OtlpReceiver Otlp { get; } = new();

    public async Task InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentC2_AppHost>(
            [
                "--AgentC2:Infrastructure=local", $"--AgentC2:StateDirectory={_state.FullName}", "--AgentC2:Replicas=2",
                $"--Parameters:demo-api-key={DemoApiKey}", $"--Parameters:operator-api-key={OperatorApiKey}",
            ]);

        ExportTo(builder, Otlp);
        TestSettings.Apply(builder, CatalogServerToken, ChatCompletions.Endpoint);

        App = await builder.BuildAsync().WaitAsync(StartTimeout);
        await App.StartAsync().WaitAsync(StartTimeout);
        Replicas = new Replicas(App);
        ServiceErrors = new ServiceErrors(App);
        await Task.WhenAll(ResourceNames.Select(name => App.ResourceNotifications.WaitForResourceHealthyAsync(name))).WaitAsync(StartTimeout);

        // A service with replicas reports healthy once one of them is ready: wait for every one to be fully healthy (Redis
        // connected too), so that no test starts on half an application.
        await Replicas.WaitEveryHealthyAsync(StartTimeout);
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

    /// <summary>Points the services' OTLP export at <paramref name="receiver"/>, spans exported every half second.</summary>
    private static void ExportTo(IDistributedApplicationTestingBuilder builder, OtlpReceiver receiver)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context =>
            {
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint;
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                context.EnvironmentVariables["OTEL_BSP_SCHEDULE_DELAY"] = "500";
                context.EnvironmentVariables["OTEL_METRIC_EXPORT_INTERVAL"] = "60000";
            });
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

    /// <summary>
    /// A client like <paramref name="client"/> (address, key) whose request opens a connection of its own: behind the shared
    /// proxy each new connection may land on either replica, so repeating it reaches both.
    /// </summary>
    public static HttpClient OnNewConnection(HttpClient client)
    {
        var fresh = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = client.BaseAddress };
        fresh.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        return fresh;
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        await ChatCompletions.DisposeAsync();
        await Otlp.DisposeAsync();

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
