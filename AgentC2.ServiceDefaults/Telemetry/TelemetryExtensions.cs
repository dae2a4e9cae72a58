using AgentC2.ServiceDefaults.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AgentC2.ServiceDefaults.Telemetry;

internal static class TelemetryExtensions
{
    public const string MetricsPath = ServicePaths.Metrics;

    /// <summary>Meters and activity sources of AgentC2's own code all start with this prefix.</summary>
    public const string InstrumentationPrefix = "AgentC2.";

    /// <summary>
    /// Traces, metrics and logs through OpenTelemetry: OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
    /// (the Aspire dashboard in run mode; traces only then), and metrics in Prometheus text at <see cref="MetricsPath"/> always.
    /// </summary>
    public static void AddAgentC2Telemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddSingleton<ProcessMetrics>();
        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(InstrumentationPrefix + "*")
                // Every scrape sees current values (tests and drills read metrics right after acting).
                .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));

        // Spans are recorded only when they go somewhere: with no listener, no activity is even created (a sync
        // invocation made ~10 of them, with their tags, for nothing).
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry
                .WithTracing(tracing => tracing
                    // A trace starts with a request or a run; a client call with no parent is a timer's (the worker's claims
                    // and heartbeats, cache refreshes) and would bury the runs' traces under thousands of one-span ones.
                    .SetSampler(new ParentBasedSampler(new NoBackgroundClientSampler()))
                    .AddSource(builder.Environment.ApplicationName)
                    .AddSource(InstrumentationPrefix + "*")
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbeOrScrape(context.Request.Path))
                    .AddHttpClientInstrumentation())
                .UseOtlpExporter();
        }
    }

    public static void MapMetricsEndpoint(this WebApplication app)
    {
        // Creating the process metrics registers their observable gauges with the meter.
        app.Services.GetRequiredService<ProcessMetrics>();
        var endpoint = app.MapPrometheusScrapingEndpoint(MetricsPath).DisableRateLimiting().AllowAnonymous();

        // Deployments keep metrics off every public route: served only on their own port (ServicePaths.MetricsPort),
        // so the service's port answers 404 for them, whatever routes a platform's ingress sends there.
        if (app.Configuration.GetValue<int?>(ServicePaths.MetricsPortKey) is { } port)
        {
            endpoint.RequireHost($"*:{port}");
        }
    }

    private static bool IsProbeOrScrape(PathString path) =>
        path.StartsWithSegments(HealthEndpoints.HealthPath) || path.StartsWithSegments(MetricsPath);
}

/// <summary>Samples every root span except one of kind client (a background poll, not a request's or a run's work).</summary>
internal sealed class NoBackgroundClientSampler : Sampler
{
    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        new(samplingParameters.Kind == System.Diagnostics.ActivityKind.Client ? SamplingDecision.Drop : SamplingDecision.RecordAndSample);
}
