using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>
/// Whether the database schema this service needs is in place. Until it is, the service runs and answers its live
/// probe (Kestrel listens from the start), its readiness and health report the <c>schema</c> check unhealthy, the work
/// that needs the schema waits in <see cref="WaitAsync"/>, and (with <see cref="UseSchemaGate"/>) requests other than
/// probes and metrics answer 503 <c>starting</c> with <c>Retry-After</c>. The agent opens it when its migrations are done;
/// the worker when it sees the tables it uses.
/// </summary>
public sealed class SchemaGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => _open.Task.IsCompleted;

    public void Open() => _open.TrySetResult();

    public Task WaitAsync(CancellationToken cancellationToken) => _open.Task.WaitAsync(cancellationToken);
}

public static class SchemaGateExtensions
{
    public const string ProblemType = "urn:agentc2:problem:starting";

    /// <summary>Registers the gate and its <c>schema</c> health check (part of health and readiness).</summary>
    public static IHostApplicationBuilder AddSchemaGate(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SchemaGate>();
        builder.Services.AddHealthChecks().AddCheck<SchemaHealthCheck>("schema", tags: [HealthEndpoints.HealthTag, HealthEndpoints.ReadyTag]);
        return builder;
    }

    /// <summary>Answers every request but the probes and metrics with 503 <c>starting</c> while the schema is not in place.</summary>
    public static IApplicationBuilder UseSchemaGate(this IApplicationBuilder app)
    {
        var gate = app.ApplicationServices.GetRequiredService<SchemaGate>();
        return app.Use(async (context, next) =>
        {
            if (gate.IsOpen || context.Request.Path.StartsWithSegments(ServicePaths.Health) || context.Request.Path.StartsWithSegments(ServicePaths.Metrics))
            {
                await next(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "2";
            await context.Response.WriteAsJsonAsync(
                new { type = ProblemType, title = "Starting", status = 503, detail = "The service is starting: its database schema is not ready yet. Retry after the seconds in Retry-After." },
                options: null, contentType: "application/problem+json", context.RequestAborted);
        });
    }

    private sealed class SchemaHealthCheck(SchemaGate gate) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(gate.IsOpen
                ? HealthCheckResult.Healthy("the database schema is in place")
                : HealthCheckResult.Unhealthy("the database schema is not ready yet (migrations running, or PostgreSQL not reachable yet)"));
    }
}
