using AgentC2.AppHost.Deployment;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace AgentC2.AppHost;

internal static class AgentC2ServiceBuilderExtensions
{
    /// <summary>
    /// Adds one of AgentC2's services. Its references give it <c>ConnectionStrings__{name}</c> and
    /// <c>services__{name}__{endpoint}__0</c> only: the services read nothing else, and the per-property variables
    /// (<c>REDIS_HOST</c>, <c>AGENT_HTTP</c>, …) would only repeat them, in the dashboard and in every deployment artifact.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddAgentC2Service<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name)
            .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString | ReferenceEnvironmentInjectionFlags.ServiceDiscovery)
            .WithTraceExport();

    /// <summary>
    /// Where a deployment sends its traces (and logs and metrics) over OTLP: <c>OTLP_ENDPOINT</c> (empty: no export) and
    /// <c>OTLP_HEADERS</c> (a secret: the collector's credentials, <c>key=value,…</c>), as the OpenTelemetry SDK's own
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> and <c>OTEL_EXPORTER_OTLP_HEADERS</c>. In run mode the AppHost points them at the
    /// dashboard itself.
    /// </summary>
    private static IResourceBuilder<ProjectResource> WithTraceExport(this IResourceBuilder<ProjectResource> service)
    {
        var builder = service.ApplicationBuilder;
        if (!builder.ExecutionContext.IsPublishMode)
        {
            return service;
        }

        var endpoint = builder.Resources.OfType<ParameterResource>().FirstOrDefault(p => p.Name == OtlpEndpoint) is { } existing
            ? builder.CreateResourceBuilder(existing)
            : builder.AddParameter(OtlpEndpoint).WithDescription("OTLP endpoint the services export traces, logs and metrics to, over OTLP/gRPC, e.g. http://otel-collector:4317 (empty: none)")
                .OptionalInDeployments();
        var headers = builder.Resources.OfType<ParameterResource>().FirstOrDefault(p => p.Name == OtlpHeaders) is { } known
            ? builder.CreateResourceBuilder(known)
            : builder.AddParameter(OtlpHeaders, secret: true).WithDescription("Headers of the OTLP export, e.g. the collector's API key as authorization=Bearer …")
                .OptionalInDeployments();
        return service.WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint).WithEnvironment("OTEL_EXPORTER_OTLP_HEADERS", headers);
    }

    /// <summary>
    /// How many replicas of a service run. The deployment artifacts get <paramref name="deployed"/> (at least two, so a
    /// rolling update or a failed instance never leaves the service empty). Run mode starts <c>AgentC2:Replicas</c> of
    /// each (1 to 4, default 1): on a developer's machine every replica is a process of its own and the start-up is
    /// CPU-bound, so one of each starts in about half the time; <c>--AgentC2:Replicas=2</c> runs the deployed topology
    /// (the test suite does, to exercise takeover and balancing).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAgentC2Replicas(this IResourceBuilder<ProjectResource> service, int deployed) =>
        service.WithReplicas(ReplicaCount(service.ApplicationBuilder.Configuration, service.ApplicationBuilder.ExecutionContext.IsPublishMode, deployed));

    /// <summary>The replicas of a service: <paramref name="deployed"/> when publishing, else <c>AgentC2:Replicas</c> (default 1).</summary>
    internal static int ReplicaCount(IConfiguration configuration, bool isPublishMode, int deployed)
    {
        if (isPublishMode)
        {
            return deployed;
        }

        var configured = configuration[ReplicasKey];
        if (configured is null)
        {
            return 1;
        }

        return int.TryParse(configured, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var replicas) && replicas is >= 1 and <= MaxLocalReplicas
            ? replicas
            : throw new Infrastructure.InfrastructureException(
                $"{ReplicasKey} must be a whole number from 1 to {MaxLocalReplicas} (the replicas of each service in run mode), not '{configured}'.");
    }

    internal const string ReplicasKey = "AgentC2:Replicas";
    private const int MaxLocalReplicas = 4;

    private const string OtlpEndpoint = "otlp-endpoint";
    private const string OtlpHeaders = "otlp-headers";

    /// <summary>
    /// How long finished runs are kept, with their steps and webhook deliveries (the worker's <c>AgentC2:Retention:Runs</c>),
    /// in run mode and in every deployment; an organization may have its own (<c>AgentC2:Retention:Organizations:{slug}:Runs</c>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRunRetention(this IResourceBuilder<ProjectResource> worker, TimeSpan keep) =>
        worker.WithEnvironment("AgentC2__Retention__Runs", keep.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
}
