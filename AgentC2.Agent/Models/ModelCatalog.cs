using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace AgentC2.Agent.Models;

/// <summary>One <see cref="IChatClient"/> per tier, built once from <see cref="ModelOptions"/>.</summary>
internal sealed class ModelCatalog : IDisposable
{
    private readonly Dictionary<string, IChatClient> _clients;

    public ModelCatalog(IOptions<ModelOptions> options, IHostEnvironment environment, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _clients = ModelTiers.Routed.ToDictionary(
            tier => tier,
            tier => Create(ModelSettings.Resolve(options.Value, tier, environment.IsProduction()), options.Value, time, loggerFactory),
            StringComparer.OrdinalIgnoreCase);
    }

    public IChatClient For(string tier) =>
        _clients.TryGetValue(tier, out var client) ? client : throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown model tier.");

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private static IChatClient Create(ResolvedTier tier, ModelOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        IChatClient client = tier.Provider switch
        {
            ModelProviders.Offline => new OfflineChatClient(tier.Tier, options.Offline, time),
            _ => new ModelCallFailures(
                new OpenAI.Chat.ChatClient(
                        tier.Model,
                        // A self-hosted endpoint may take no key; the client still sends one.
                        new ApiKeyCredential(tier.ApiKey ?? "none"),
                        new OpenAIClientOptions
                        {
                            Endpoint = tier.Endpoint,
                            NetworkTimeout = options.Timeout,
                            RetryPolicy = new ModelRetryPolicy(options.MaxRetries, options.MaxRetryAfter),
                        })
                    .AsIChatClient(),
                tier, options),
        };

        return client.AsBuilder()
            .UseOpenTelemetry(loggerFactory, sourceName: AgentMetrics.MeterName)
            .Build();
    }
}

/// <summary>Resolves every routed tier at start-up, so that a tier that cannot work stops the service with one sentence.</summary>
internal static class ModelSettings
{
    public static ResolvedTier Resolve(ModelOptions options, string tier, bool production) =>
        ResolvedTier.Resolve(options, tier, production) is ({ } resolved, _) ? resolved : throw new InvalidOperationException(Problems(options, production));

    /// <summary>Throws when a routed tier cannot work (in Production: also when a tier has no provider at all).</summary>
    public static void Check(IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(ModelOptions.Section).Get<ModelOptions>() ?? new ModelOptions();
        var production = builder.Environment.IsProduction();
        if (ModelTiers.Routed.Any(tier => ResolvedTier.Resolve(options, tier, production).Problem is not null))
        {
            throw new InvalidOperationException($"{builder.Environment.ApplicationName} cannot start: {Problems(options, production)}.");
        }
    }

    private static string Problems(ModelOptions options, bool production)
    {
        var problems = ModelTiers.Routed.Select(tier => ResolvedTier.Resolve(options, tier, production).Problem).OfType<string>().ToList();
        return problems.All(p => p.EndsWith("has no model provider", StringComparison.Ordinal))
            ? "in Production every model tier needs a provider: set AgentC2__Models__Provider to openai (with AgentC2__Models__Tiers__{fast,standard,reasoning}__Model, "
              + "AgentC2__Models__ApiKey and, for an endpoint other than OpenAI's, AgentC2__Models__Endpoint), or to offline to answer with the built-in offline model"
            : string.Join("; ", problems);
    }
}
