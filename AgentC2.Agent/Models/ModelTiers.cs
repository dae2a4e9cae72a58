namespace AgentC2.Agent.Models;

/// <summary>The tiers an agent can ask for; <see cref="Auto"/> lets the router choose per step.</summary>
internal static class ModelTiers
{
    public const string Auto = "auto";
    public const string Fast = "fast";
    public const string Standard = "standard";
    public const string Reasoning = "reasoning";

    public static readonly string[] Routed = [Fast, Standard, Reasoning];

    public static readonly string[] Selectable = [Auto, Fast, Standard, Reasoning];
}
