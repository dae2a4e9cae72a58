using System.Text.Json;
using AgentC2.Agent.Agents;
using AgentC2.Agent.Runs;
using Microsoft.Extensions.AI;

namespace AgentC2.Agent.Steps;

/// <summary>A run's conversation: the agent's instructions, the input, then every checkpointed step's messages.</summary>
internal static class Conversation
{
    // jsonb reorders object keys, so the "$type" discriminators of message contents may not come first.
    private static readonly JsonSerializerOptions StoredMessages = CreateOptions();

    public static List<ChatMessage> Build(AgentDefinition agent, RunRecord run, IEnumerable<RunStepRecord> steps)
    {
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrWhiteSpace(agent.Instructions))
        {
            messages.Add(new ChatMessage(ChatRole.System, agent.Instructions));
        }

        messages.Add(new ChatMessage(ChatRole.User, run.Input));
        foreach (var step in steps)
        {
            messages.AddRange(Read(step.Messages));
        }

        return messages;
    }

    public static string Write(IEnumerable<ChatMessage> messages) => JsonSerializer.Serialize(messages, StoredMessages);

    public static List<ChatMessage> Read(string json) => JsonSerializer.Deserialize<List<ChatMessage>>(json, StoredMessages) ?? [];

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions) { AllowOutOfOrderMetadataProperties = true };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>A step is final when its model reply asked for no tool; the run's output is then that reply's text.</summary>
    public static StepOutcome OutcomeOf(RunStepRecord step) => OutcomeOf(step.StepNumber, Read(step.Messages));

    public static StepOutcome OutcomeOf(int stepNumber, IReadOnlyList<ChatMessage> messages)
    {
        var final = !messages.Any(m => m.Contents.OfType<FunctionCallContent>().Any());
        return new StepOutcome(stepNumber, final, final ? messages.LastOrDefault(m => m.Role == ChatRole.Assistant)?.Text : null);
    }
}

/// <summary>What one step left behind: whether the run is done and, if so, its output.</summary>
public sealed record StepOutcome(int StepNumber, bool Done, string? Output);
