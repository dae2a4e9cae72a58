using System.ComponentModel.DataAnnotations;

namespace AgentC2.Agent.Models;

/// <summary>Bound from <c>AgentC2:Models</c>.</summary>
internal sealed class ModelOptions
{
    public const string Section = "AgentC2:Models";

    /// <summary>
    /// The provider of every tier that names none itself: <c>openai</c> (any OpenAI-compatible endpoint) or <c>offline</c>
    /// (the built-in model). Outside Production a tier with none uses the offline model; Production refuses to start.
    /// </summary>
    public string? Provider { get; set; }

    /// <summary>Base URL of the OpenAI-compatible endpoint for every tier that names none itself (empty: OpenAI's own).</summary>
    public string? Endpoint { get; set; }

    /// <summary>The model behind each tier (<c>fast</c>, <c>standard</c>, <c>reasoning</c>).</summary>
    public Dictionary<string, TierOptions> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long one attempt of a model call may take.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Retries of a model call that was rate limited (429), failed on the server (5xx) or timed out.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>
    /// The longest <c>Retry-After</c> a call waits for; a longer one fails the step at once (an async run is then retried
    /// by the queue's backoff, which does not hold a worker slot meanwhile).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(20);

    public OfflineModelOptions Offline { get; set; } = new();

    /// <summary>API key for every OpenAI-compatible tier that names none itself. Secret: environment or secret store only.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Conversations estimated above this many tokens are compacted before the model call.</summary>
    [Range(256, 2_000_000)]
    public int ContextBudgetTokens { get; set; } = 8_000;

    /// <summary>How many of the latest messages compaction always keeps verbatim.</summary>
    [Range(1, 200)]
    public int KeepRecentMessages { get; set; } = 6;

    /// <summary>Routing of the <c>auto</c> tier: contexts under this size start on the fast tier.</summary>
    [Range(1, 2_000_000)]
    public int FastTierMaxTokens { get; set; } = 1_000;

    /// <summary>Routing of the <c>auto</c> tier: contexts over this size go to the reasoning tier.</summary>
    [Range(1, 2_000_000)]
    public int ReasoningTierMinTokens { get; set; } = 6_000;
}

internal sealed class TierOptions
{
    /// <summary><c>offline</c> (built in, deterministic) or <c>openai</c> (any OpenAI-compatible endpoint); empty: <see cref="ModelOptions.Provider"/>.</summary>
    public string? Provider { get; set; }

    public string? Model { get; set; }

    /// <summary>Empty: <see cref="ModelOptions.Endpoint"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Secret: comes from the environment or a secret store, never from committed files. Empty: <see cref="ModelOptions.ApiKey"/>.</summary>
    public string? ApiKey { get; set; }
}

/// <summary>What one tier resolves to: its own settings, else the section's, else (outside Production) the offline model.</summary>
internal sealed record ResolvedTier(string Tier, string Provider, string? Model, Uri? Endpoint, string? ApiKey)
{
    /// <summary>The tier's settings, or why they cannot work (null settings).</summary>
    public static (ResolvedTier? Tier, string? Problem) Resolve(ModelOptions options, string tier, bool production)
    {
        var own = options.Tiers.GetValueOrDefault(tier) ?? new TierOptions();
        var provider = Value(own.Provider) ?? Value(options.Provider);
        if (provider is null)
        {
            return production
                ? (null, $"tier {tier} has no model provider")
                : (new ResolvedTier(tier, ModelProviders.Offline, null, null, null), null);
        }

        var endpointText = Value(own.Endpoint) ?? Value(options.Endpoint);
        Uri? endpoint = null;
        if (endpointText is not null && (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            return (null, $"tier {tier}'s endpoint '{endpointText}' is not an http(s) URL");
        }

        var resolved = new ResolvedTier(tier, provider.ToLowerInvariant(), Value(own.Model), endpoint, Value(own.ApiKey) ?? Value(options.ApiKey));
        return resolved.Provider switch
        {
            ModelProviders.Offline => (resolved, null),
            ModelProviders.OpenAI when resolved.Model is null => (null, $"tier {tier} (openai) has no model: set AgentC2__Models__Tiers__{tier}__Model"),
            ModelProviders.OpenAI when resolved.ApiKey is null && resolved.Endpoint is null => (null, $"tier {tier} (openai) has no API key: set AgentC2__Models__ApiKey"),
            ModelProviders.OpenAI => (resolved, null),
            var other => (null, $"tier {tier}'s provider '{other}' is not openai or offline"),
        };
    }

    // Deployments pass settings they leave empty as empty strings.
    private static string? Value(string? setting) => string.IsNullOrWhiteSpace(setting) ? null : setting.Trim();
}

internal static class ModelProviders
{
    public const string Offline = "offline";
    public const string OpenAI = "openai";
}

/// <summary>The deterministic built-in model: no network, same answer for the same conversation.</summary>
internal sealed class OfflineModelOptions
{
    /// <summary>Simulated latency of every call.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>How many model calls a run takes before the final answer, when the input does not say (<c>#steps=N</c>).</summary>
    [Range(1, 10_000)]
    public int StepsPerRun { get; set; } = 1;

    /// <summary>The final answer; <c>{tier}</c>, <c>{input}</c> (first 200 characters) and <c>{steps}</c> are filled in.</summary>
    [Required]
    public string Reply { get; set; } = "Offline {tier} model: completed \"{input}\" in {steps} step(s).";

    /// <summary>How many characters count as one token in the usage it reports.</summary>
    [Range(1, 100)]
    public int CharactersPerToken { get; set; } = 4;
}
