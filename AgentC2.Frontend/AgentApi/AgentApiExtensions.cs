using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentC2.Frontend.AgentApi;

internal static class AgentApiExtensions
{
    /// <summary>The agent API over service discovery (<c>http://agent</c>), with the standard resilience handler from the service defaults.</summary>
    public static void AddAgentApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient<AgentApiClient>(client => client.BaseAddress = new Uri($"https+http://{AgentC2.ResourceNames.Agent}"));

        // The console can still render (and say the API is down) without the agent: Degraded, not Unhealthy,
        // and not part of readiness.
        builder.Services.AddHealthChecks()
            .AddCheck<AgentApiHealthCheck>("agent-api", failureStatus: HealthStatus.Degraded, tags: ["health"]);
    }
}
