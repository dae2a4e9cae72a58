using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace AgentC2.Agent.Models;

/// <summary>One <see cref="IChatClient"/> per tier, built once from <see cref="ModelOptions"/>.</summary>
internal sealed class ModelCatalog : IDisposable
{
    private readonly Dictionary<string, IChatClient> _clients;

    public ModelCatalog(IOptions<ModelOptions> options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _clients = ModelTiers.Routed.ToDictionary(tier => tier, tier => Create(tier, options.Value, time, loggerFactory), StringComparer.OrdinalIgnoreCase);
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

    private static IChatClient Create(string tier, ModelOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        var settings = options.Tiers.GetValueOrDefault(tier) ?? new TierOptions();
        IChatClient client = settings.Provider.ToLowerInvariant() switch
        {
            ModelProviders.Offline => new OfflineChatClient(tier, options.Offline, time),
            ModelProviders.OpenAI => new OpenAI.Chat.ChatClient(
                    settings.Model ?? throw new OptionsValidationException(ModelOptions.Section, typeof(ModelOptions), [$"Tiers:{tier}:Model is required for the openai provider."]),
                    new ApiKeyCredential(settings.ApiKey ?? options.ApiKey ?? throw new OptionsValidationException(ModelOptions.Section, typeof(ModelOptions), [$"Tiers:{tier}:ApiKey is required for the openai provider."])),
                    new OpenAIClientOptions { Endpoint = settings.Endpoint })
                .AsIChatClient(),
            var other => throw new OptionsValidationException(ModelOptions.Section, typeof(ModelOptions), [$"Tiers:{tier}:Provider '{other}' is not 'offline' or 'openai'."]),
        };

        return client.AsBuilder()
            .UseOpenTelemetry(loggerFactory, sourceName: AgentMetrics.MeterName)
            .Build();
    }
}
