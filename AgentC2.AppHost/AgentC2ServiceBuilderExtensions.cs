using Aspire.Hosting.ApplicationModel;

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
            .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString | ReferenceEnvironmentInjectionFlags.ServiceDiscovery);

    /// <summary>
    /// How long finished runs are kept, with their steps and webhook deliveries (the worker's <c>AgentC2:Retention:Runs</c>),
    /// in run mode and in every deployment; an organization may have its own (<c>AgentC2:Retention:Organizations:{slug}:Runs</c>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRunRetention(this IResourceBuilder<ProjectResource> worker, TimeSpan keep) =>
        worker.WithEnvironment("AgentC2__Retention__Runs", keep.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
}
