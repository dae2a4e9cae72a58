using AgentC2.ServiceDefaults.Health;
using AgentC2.ServiceDefaults.Logging;
using AgentC2.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every AgentC2 service shares, in every environment: structured logs, OpenTelemetry with
/// a Prometheus scrape endpoint, health checks and probes, service discovery, resilient HttpClients
/// and problem+json errors.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddStructuredConsoleLogging();
        builder.AddAgentC2Telemetry();
        builder.AddAgentC2HealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        builder.Services.AddProblemDetails();

        // Work in flight is drained within one bound; the orchestrators' grace periods are derived from the same one.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = AgentC2.ShutdownBounds.HostShutdown);
        return builder;
    }

    /// <summary>Maps <c>/api/health</c>, <c>/api/health/live</c>, <c>/api/health/ready</c> and <c>/api/metrics</c>.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthEndpoints();
        app.MapMetricsEndpoint();
        return app;
    }
}
