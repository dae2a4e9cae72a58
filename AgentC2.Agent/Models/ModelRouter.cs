using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Models;

/// <summary>
/// Chooses the tier of each step. An agent pinned to a tier always gets it; <c>auto</c> starts small
/// contexts on the fast tier, sends large ones to the reasoning tier, and the rest to standard.
/// </summary>
internal sealed class ModelRouter(IOptionsMonitor<ModelOptions> options, AgentMetrics metrics)
{
    public string Route(string agentTier, int contextTokens)
    {
        var settings = options.CurrentValue;
        var tier = agentTier switch
        {
            ModelTiers.Auto when contextTokens >= settings.ReasoningTierMinTokens => ModelTiers.Reasoning,
            ModelTiers.Auto when contextTokens <= settings.FastTierMaxTokens => ModelTiers.Fast,
            ModelTiers.Auto => ModelTiers.Standard,
            _ => agentTier,
        };
        metrics.RoutingDecision(tier);
        return tier;
    }
}
