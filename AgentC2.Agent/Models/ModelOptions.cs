using System.ComponentModel.DataAnnotations;

namespace AgentC2.Agent.Models;

/// <summary>Bound from <c>AgentC2:Models</c>.</summary>
internal sealed class ModelOptions
{
    public const string Section = "AgentC2:Models";

    /// <summary>The model behind each tier. A tier without an entry uses the offline model.</summary>
    public Dictionary<string, TierOptions> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

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
    /// <summary><c>offline</c> (built in, deterministic) or <c>openai</c> (any OpenAI-compatible endpoint).</summary>
    public string Provider { get; set; } = ModelProviders.Offline;

    public string? Model { get; set; }

    public Uri? Endpoint { get; set; }

    /// <summary>Secret: comes from the environment or a secret store, never from committed files.</summary>
    public string? ApiKey { get; set; }
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
