using AgentC2.AppHost.Deployment;
using Aspire.Hosting.ApplicationModel;

namespace AgentC2.AppHost;

internal static class ModelBuilderExtensions
{
    public const string Provider = "model-provider";
    public const string Endpoint = "model-endpoint";
    public const string ApiKey = "model-api-key";

    /// <summary>The model of each tier, as the agent's <c>AgentC2:Models:Tiers:{tier}:Model</c>.</summary>
    public static readonly string[] Tiers = ["fast", "standard", "reasoning"];

    /// <summary>
    /// The agent's models (<c>AgentC2:Models</c>). A published deployment always takes the provider (required: the agent
    /// refuses to start in Production without one, so a deployment never answers with the offline model by accident),
    /// the endpoint, the model of each tier and the API key (a secret). In run mode the offline model answers unless
    /// the same parameters are set (e.g. <c>Parameters__model-provider=openai</c>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithModelSettings(this IResourceBuilder<ProjectResource> agent)
    {
        var builder = agent.ApplicationBuilder;
        var publish = builder.ExecutionContext.IsPublishMode;
        IResourceBuilder<ParameterResource>? Parameter(string name, string description, bool secret = false, bool required = false)
        {
            if (!publish && string.IsNullOrEmpty(builder.Configuration[$"Parameters:{name}"]))
            {
                return null;
            }

            var parameter = builder.AddParameter(name, secret).WithDescription(description);
            return publish && !required ? parameter.OptionalInDeployments() : parameter;
        }

        void Pass(string variable, IResourceBuilder<ParameterResource>? parameter)
        {
            if (parameter is not null)
            {
                agent.WithEnvironment(variable, parameter);
            }
        }

        Pass("AgentC2__Models__Provider", Parameter(Provider,
            "Model provider of every tier: openai (any OpenAI-compatible endpoint) or offline (the built-in deterministic model, for trials)", required: true));
        Pass("AgentC2__Models__Endpoint", Parameter(Endpoint, "Base URL of the OpenAI-compatible endpoint, e.g. https://api.openai.com/v1 (empty: OpenAI's)"));
        foreach (var tier in Tiers)
        {
            Pass($"AgentC2__Models__Tiers__{tier}__Model", Parameter($"model-{tier}", $"Model of the {tier} tier at the endpoint (needed with openai)"));
        }

        Pass("AgentC2__Models__ApiKey", Parameter(ApiKey, "API key of the OpenAI-compatible endpoint (needed with OpenAI's own; a self-hosted endpoint may take none)", secret: true));
        return agent;
    }
}
