using AgentC2.Agent.Agents;
using AgentC2.Agent.ApiDocs;
using AgentC2.Agent.Data;
using AgentC2.Agent.Errors;
using AgentC2.Agent.Mcp;
using AgentC2.Agent.Models;
using AgentC2.Agent.RateLimiting;
using AgentC2.Agent.Runs;
using AgentC2.Agent.Steps;
using AgentC2.Agent.Tenancy;
using AgentC2.Agent.Webhooks;
using AgentC2.Security;

namespace AgentC2.Agent;

internal static class Extensions
{
    /// <summary>Everything the agent service needs beyond the service defaults.</summary>
    public static void AddAgentServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiErrorHandling();
        builder.AddAgentData();
        builder.AddAgentC2Redis();
        builder.AddTenancy();
        builder.AddTenantRateLimiting();

        builder.Services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        ModelSettings.Check(builder);
        builder.Services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AgentMetrics>();
        builder.Services.AddSingleton<AgentStore>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AgentStore>().Definitions);
        builder.Services.AddSingleton<RunInserts>();
        builder.Services.AddSingleton<RunStore>();
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<ModelRouter>();
        builder.Services.AddSingleton<ContextCompactor>();
        builder.Services.AddSingleton<StepExecutor>();
        builder.Services.AddSingleton<SyncRunner>();
        builder.Services.AddSingleton<SyncRunHandoff>();
        builder.Services.AddSingleton<AgentLoad>();
        builder.Services.AddSingleton<AgentC2.ServiceDefaults.Fleet.IInstanceLoad>(services => services.GetRequiredService<AgentLoad>());
        builder.Services.AddHostedService(services => services.GetRequiredService<SyncRunHandoff>());
        builder.Services.AddSingleton<InterruptedRuns>();
        builder.Services.AddHostedService(services => services.GetRequiredService<InterruptedRuns>());
        builder.Services.AddSingleton<InvokeService>();
        builder.Services.AddSingleton<AsyncStepRunner>();
        builder.Services.AddSingleton<RunEvents>();
        builder.Services.AddSingleton<RunEventStream>();
        builder.Services.AddSingleton<WebhookStore>();
        builder.AddOutboundUrlGuard();

        builder.AddMcpPool();

        builder.Services.AddApiDocs();
    }

    /// <summary>The public API (organization keys, rate limited), the operator API and the API documents.</summary>
    public static void MapAgentApis(this WebApplication app)
    {
        // Created now so that every instrument is registered (and scraped) from the start.
        app.Services.GetRequiredService<AgentMetrics>();

        var api = app.MapGroup("/api").RequireOrganization().RequireTenantRateLimit();
        api.MapAgentsApi();
        api.MapRunsApi();
        api.MapWebhooksApi();
        api.MapMcpServersApi();
        api.MapOrganizationApi();
        app.MapMcpPoolOperatorApi();
        app.MapOperatorApi();
        app.MapInternalStepsApi();

        app.MapApiDocs();
    }
}
