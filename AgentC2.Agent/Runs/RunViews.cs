using System.Text.Json;
using AgentC2.Agent.Mcp;
using AgentC2.Agent.Steps;
using Microsoft.Extensions.AI;

namespace AgentC2.Agent.Runs;

public sealed record TokenUsage(long InputTokens, long OutputTokens, long TotalTokens)
{
    public static TokenUsage Of(long input, long output) => new(input, output, input + output);
}

/// <summary>A run as the API shows it; <see cref="Steps"/> only on single-run reads.</summary>
public sealed record RunView(
    Guid Id,
    Guid AgentId,
    string Agent,
    string Status,
    string ExecutionMode,
    string Input,
    string? Output,
    string? Error,
    int MaxSteps,
    int StepsCompleted,
    int Attempts,
    JsonElement? Metadata,
    string? CallbackUrl,
    TokenUsage Usage,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    IReadOnlyList<StepView>? Steps)
{
    public static RunView Of(RunRecord run, IReadOnlyList<RunStepRecord>? steps = null) => new(
        run.Id, run.AgentId, run.AgentSlug, run.Status, run.ExecutionMode, run.Input, run.Output, run.LastError,
        run.MaxSteps, run.StepsCompleted, run.Attempts,
        run.Metadata is null ? null : JsonDocument.Parse(run.Metadata).RootElement.Clone(),
        run.CallbackUrl, TokenUsage.Of(run.InputTokens, run.OutputTokens),
        run.CreatedAt, run.StartedAt, run.FinishedAt,
        steps?.Select(StepView.Of).ToList());
}

public sealed record StepView(int Number, string ModelTier, IReadOnlyList<MessageView> Messages, TokenUsage Usage, double DurationMs, DateTime CreatedAt)
{
    public static StepView Of(RunStepRecord step) => new(
        step.StepNumber, step.ModelTier, [.. Conversation.Read(step.Messages).Select(MessageView.Of)],
        TokenUsage.Of(step.InputTokens, step.OutputTokens), Math.Round(step.DurationMs, 3), step.CreatedAt);
}

public sealed record MessageView(string Role, string? Text, IReadOnlyList<ToolCallView>? ToolCalls, IReadOnlyList<ToolResultView>? ToolResults)
{
    public static MessageView Of(ChatMessage message)
    {
        var calls = message.Contents.OfType<FunctionCallContent>().Select(c => new ToolCallView(c.CallId, c.Name, c.Arguments)).ToList();
        var results = message.Contents.OfType<FunctionResultContent>()
            .Select(r => new ToolResultView(r.CallId, r.Result?.ToString(), ToolOutput.Read(r.AdditionalProperties?.GetValueOrDefault(ToolOutput.ContentProperty)))).ToList();
        return new MessageView(
            message.Role.Value,
            string.IsNullOrEmpty(message.Text) ? null : message.Text,
            calls.Count > 0 ? calls : null,
            results.Count > 0 ? results : null);
    }
}

public sealed record ToolCallView(string Id, string Name, IDictionary<string, object?>? Arguments);

/// <summary>A tool's result: its text, and the non-text items it kept (images, audio, resources, links, structured content), if any.</summary>
public sealed record ToolResultView(string CallId, string? Result, IReadOnlyList<ToolContent>? Content = null);

public sealed record RunAccepted(Guid RunId, string Status);

public sealed record RunPage(IReadOnlyList<RunView> Items, string? NextCursor);
