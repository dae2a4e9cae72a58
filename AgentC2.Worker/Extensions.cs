using System.Net.Http.Headers;
using AgentC2.Security;
using AgentC2.ServiceDefaults.Health;
using AgentC2.Worker.Queue;
using AgentC2.Worker.Retention;
using AgentC2.Worker.Telemetry;
using AgentC2.Worker.Webhooks;

namespace AgentC2.Worker;

internal static class Extensions
{
    /// <summary>The run queue's drivers and the webhook dispatcher, over the worker's own PostgreSQL connections.</summary>
    public static void AddWorkerServices(this IHostApplicationBuilder builder)
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        builder.AddAgentC2Database(required: true);
        builder.AddAgentC2Redis();
        builder.AddOutboundUrlGuard();

        builder.Services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        builder.AddSchemaGate();
        builder.Services.AddHostedService<SchemaWatcher>();
        builder.Services.AddSingleton<WorkerMetrics>();
        builder.Services.AddSingleton<WorkerIdentity>();
        builder.Services.AddSingleton<RunQueue>();
        builder.Services.AddSingleton<WebhookOutbox>();
        builder.Services.AddSingleton<QueueNotifications>();
        builder.Services.AddHostedService(services => services.GetRequiredService<QueueNotifications>());
        builder.Services.AddSingleton<RunDriver>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RunDriver>());
        builder.Services.AddSingleton<AgentC2.ServiceDefaults.Fleet.IInstanceLoad>(services => services.GetRequiredService<RunDriver>());
        builder.Services.AddHostedService<WebhookDispatcher>();
        builder.Services.AddHostedService<QueueDepthSampler>();
        builder.Services.AddHostedService<RunRetention>();

        var credential = builder.Configuration[InternalApi.CredentialKey];
        if (string.IsNullOrEmpty(credential))
        {
            throw new InvalidOperationException(
                $"The worker cannot start without the internal service credential: set {InternalApi.CredentialEnvironmentVariable} (the AppHost passes its internal-api-key parameter).");
        }

        // Steps have their own timeout and the queue its own retries: no generic resilience handler on either client.
        builder.Services.AddHttpClient<AgentStepClient>(AgentStepClient.HttpClientName, (services, http) =>
            {
                http.BaseAddress = new Uri($"https+http://{ResourceNames.Agent}");
                http.Timeout = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<QueueOptions>>().Value.StepTimeout;
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
            })
            .RemoveAllResilienceHandlers();
        builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(services => services.GetRequiredService<OutboundUrlGuard>().CreateHandler(TimeSpan.FromSeconds(5)))
            .RemoveAllResilienceHandlers();
    }
}
