using Microsoft.Extensions.AI;

namespace AgentC2.Agent.Steps;

/// <summary>Tools every agent may enable by name, executed in the agent service itself.</summary>
internal static class BuiltInTools
{
    public const string Think = "think";

    public static readonly string[] Names = [Think];

    private static readonly Dictionary<string, AIFunction> Functions = new(StringComparer.Ordinal)
    {
        [Think] = AIFunctionFactory.Create(
            (string thought) => $"Noted: {thought}",
            Think,
            "Write down an intermediate thought or plan; returns it unchanged. Use it to reason across steps."),
    };

    public static IEnumerable<AIFunction> For(IEnumerable<string> enabled) =>
        enabled.Select(name => Functions.GetValueOrDefault(name)).OfType<AIFunction>();
}
