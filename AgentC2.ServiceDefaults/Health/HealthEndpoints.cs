using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>
/// The probes every service serves, in every environment, without authentication or rate limiting:
/// <list type="bullet">
/// <item><c>/api/health</c>: database, Redis and memory (200 healthy or degraded, 503 unhealthy);</item>
/// <item><c>/api/health/live</c>: 200 while the process runs, no dependency is asked;</item>
/// <item><c>/api/health/ready</c>: database reachable and the host not shutting down.</item>
/// </list>
/// </summary>
public static class HealthEndpoints
{
    public const string HealthPath = ServicePaths.Health;
    public const string LivePath = ServicePaths.Live;
    public const string ReadyPath = ServicePaths.Ready;

    internal const string HealthTag = "health";
    internal const string ReadyTag = "ready";

    internal static void AddAgentC2HealthChecks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HealthOptions>()
            .BindConfiguration(HealthOptions.Section)
            .Configure(options =>
            {
                if (builder.Environment.IsDevelopment() && builder.Configuration[$"{HealthOptions.Section}:{nameof(HealthOptions.ShutdownDrainDelay)}"] is null)
                {
                    options.ShutdownDrainDelay = TimeSpan.Zero;
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<MemoryLimit>();
        builder.Services.AddSingleton<InstanceDrain>();
        builder.Services.AddHostedService<ShutdownDrain>();
        builder.Services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, CloseConnectionsWhileDraining>();
        builder.Services.AddSingleton<HealthCheckMetrics>();
        builder.Services.AddSingleton<IHealthCheckPublisher>(services => services.GetRequiredService<HealthCheckMetrics>());
        builder.Services.Configure<HealthCheckPublisherOptions>(options =>
        {
            options.Delay = TimeSpan.FromSeconds(1);
            options.Period = HealthCheckMetrics.Period;
            options.Predicate = registration => registration.Tags.Contains(HealthTag);
        });
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [HealthTag, ReadyTag])
            .AddCheck<RedisHealthCheck>("redis", tags: [HealthTag])
            .AddCheck<MemoryHealthCheck>("memory", tags: [HealthTag])
            .AddCheck<ShutdownHealthCheck>("shutdown", tags: [HealthTag, ReadyTag]);
    }

    internal static void MapHealthEndpoints(this WebApplication app)
    {
        Map(app, HealthPath, registration => registration.Tags.Contains(HealthTag));
        Map(app, LivePath, _ => false);
        Map(app, ReadyPath, registration => registration.Tags.Contains(ReadyTag));
    }

    private static void Map(WebApplication app, string path, Func<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration, bool> predicate) =>
        app.MapHealthChecks(path, new HealthCheckOptions { Predicate = predicate, ResponseWriter = HealthResponseWriter.WriteAsync })
            .DisableRateLimiting()
            .AllowAnonymous()
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));
}
