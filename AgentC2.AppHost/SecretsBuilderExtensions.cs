using AgentC2.AppHost.Deployment;
using Aspire.Hosting.ApplicationModel;

namespace AgentC2.AppHost;

internal static class SecretsBuilderExtensions
{
    public const string OperatorApiKey = "operator-api-key";
    public const string DemoApiKey = "demo-api-key";
    public const string InternalApiKey = "internal-api-key";

    /// <summary>
    /// The agent's secrets as AppHost parameters. <c>operator-api-key</c> guards the operator API; in run
    /// mode <c>demo-api-key</c> seeds a demo organization. Both are generated when unset (and kept in
    /// the AppHost's user secrets), or set through configuration, e.g. <c>Parameters__demo-api-key</c>;
    /// the dashboard shows them.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAgentC2Secrets(this IResourceBuilder<ProjectResource> agent)
    {
        var builder = agent.ApplicationBuilder;
        var generated = new GenerateParameterDefault { MinLength = 32, Special = false };

        var operatorKey = builder.AddParameter(OperatorApiKey, generated, secret: true, persist: true)
            .WithDescription("API key of the operator API (organizations and their API keys)");
        agent.WithEnvironment("AgentC2__Tenancy__OperatorApiKey", operatorKey);

        if (builder.ExecutionContext.IsRunMode)
        {
            var demoKey = builder.AddParameter(DemoApiKey, generated, secret: true, persist: true)
                .WithDescription("API key of the demo organization seeded in run mode");
            agent.WithEnvironment("AgentC2__Tenancy__DemoApiKey", demoKey);
        }

        return agent;
    }

    /// <summary>
    /// The internal service credential (<c>internal-api-key</c>, generated when unset) with which the worker calls the
    /// agent's internal step endpoint; both get it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithInternalCredential(this IResourceBuilder<ProjectResource> worker, IResourceBuilder<ProjectResource> agent)
    {
        var credential = worker.ApplicationBuilder.AddParameter(InternalApiKey, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true)
            .WithDescription("Credential the worker presents to the agent's internal step endpoint");
        agent.WithEnvironment(InternalApi.CredentialEnvironmentVariable, credential);
        return worker.WithEnvironment(InternalApi.CredentialEnvironmentVariable, credential);
    }
}
