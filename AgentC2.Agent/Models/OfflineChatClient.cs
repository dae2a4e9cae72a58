using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace AgentC2.Agent.Models;

/// <summary>
/// The built-in model: deterministic, offline, used by default, by tests, demos and benchmarks.
/// <list type="bullet">
/// <item>A run takes <see cref="OfflineModelOptions.StepsPerRun"/> model calls, or <c>#steps=N</c> from the user's input.</item>
/// <item>Until the last call it requests a tool: <c>#tool=name</c> from the input, else <c>think</c>, else the first tool offered;
/// with no tool offered it answers at once. The call's arguments come from the tool's JSON schema, or from <c>#args={…}</c>
/// in the input (<see cref="ToolArguments"/>).</item>
/// <item>The final answer follows <see cref="OfflineModelOptions.Reply"/> and quotes the last tool result; token counts are
/// <see cref="TokenEstimator"/> estimates at <see cref="OfflineModelOptions.CharactersPerToken"/>.</item>
/// <item><c>#latency=MS</c> in the input adds that many milliseconds to each call (on top of <see cref="OfflineModelOptions.Latency"/>);
/// <c>#fail=N</c> makes call N fail (an <see cref="InvalidOperationException"/>), for exercising retries.</item>
/// <item>Summarisation requests (see <see cref="ContextCompactor"/>) get a digest of the text they carry.</item>
/// </list>
/// </summary>
internal sealed partial class OfflineChatClient(string tier, OfflineModelOptions options, TimeProvider time) : IChatClient
{
    public const string TaskProperty = "agentc2.task";
    public const string SummarizeTask = "summarize";

    /// <summary>The run's step number, set by the step executor (compaction may hide earlier model turns from the history).</summary>
    public const string StepProperty = "agentc2.step";

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, CancellationToken cancellationToken = default)
    {
        var conversation = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var input = conversation.FirstOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var latency = options.Latency + TimeSpan.FromMilliseconds(Number(LatencyDirective(), input) ?? 0);
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, time, cancellationToken);
        }

        if (!IsSummarization(chatOptions) && Number(FailDirective(), input) is { } failing && failing == CallNumber(conversation, chatOptions))
        {
            throw new InvalidOperationException($"The offline model was asked to fail call {failing} (#fail).");
        }

        var reply = IsSummarization(chatOptions) ? Summarize(conversation) : Answer(conversation, chatOptions);
        return new ChatResponse(reply)
        {
            ModelId = $"agentc2-offline-{tier}",
            FinishReason = reply.Contents.OfType<FunctionCallContent>().Any() ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = Tokens(conversation),
                OutputTokenCount = Tokens([reply]),
                TotalTokenCount = Tokens(conversation) + Tokens([reply]),
            },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, chatOptions, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private ChatMessage Answer(IReadOnlyList<ChatMessage> conversation, ChatOptions? chatOptions)
    {
        var input = conversation.FirstOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var call = CallNumber(conversation, chatOptions);
        var steps = Number(StepsDirective(), input) is { } n && n > 0 ? n : options.StepsPerRun;

        if (call < steps && ChooseTool(chatOptions, Directive(ToolDirective(), input)) is { } tool)
        {
            var arguments = ToolArguments.For(tool.JsonSchema, $"step {call} of {steps}", call, input);
            return new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call_{call}", tool.Name, arguments)]);
        }

        var results = conversation.SelectMany(m => m.Contents.OfType<FunctionResultContent>()).Select(r => r.Result?.ToString()).ToList();
        var text = new StringBuilder(options.Reply)
            .Replace("{tier}", tier)
            .Replace("{input}", Truncate(input, 200))
            .Replace("{steps}", call.ToString(CultureInfo.InvariantCulture));
        if (results.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" Last tool result: {Truncate(results[^1] ?? string.Empty, 200)}");
        }

        return new ChatMessage(ChatRole.Assistant, text.ToString());
    }

    // The estimator's figure at four characters a token, rescaled to the configured ratio.
    private long Tokens(IEnumerable<ChatMessage> messages) => TokenEstimator.Estimate(messages) * 4L / options.CharactersPerToken;

    private static ChatMessage Summarize(IReadOnlyList<ChatMessage> conversation)
    {
        var source = string.Join(' ', conversation.Where(m => m.Role == ChatRole.User).Select(m => m.Text));
        var sentences = source.Split(['\n', '.'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var digest = string.Join("; ", sentences.Take(8).Select(s => Truncate(s, 60)));
        return new ChatMessage(ChatRole.Assistant, $"Summary ({sentences.Length} points): {digest}");
    }

    private static bool IsSummarization(ChatOptions? chatOptions) =>
        chatOptions?.AdditionalProperties?.TryGetValue(TaskProperty, out var task) == true && Equals(task, SummarizeTask);

    private static AIFunctionDeclaration? ChooseTool(ChatOptions? chatOptions, string? requested)
    {
        var tools = chatOptions?.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];
        return tools.FirstOrDefault(t => t.Name == requested)
            ?? tools.FirstOrDefault(t => t.Name == "think")
            ?? tools.FirstOrDefault();
    }

    private static int CallNumber(IReadOnlyList<ChatMessage> conversation, ChatOptions? chatOptions) =>
        chatOptions?.AdditionalProperties?.TryGetValue(StepProperty, out var step) == true && step is int number
            ? number
            : conversation.Count(m => m.Role == ChatRole.Assistant) + 1;

    private static int? Number(Regex pattern, string input) =>
        Directive(pattern, input) is { } text && int.TryParse(text, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string? Directive(Regex pattern, string input) => pattern.Match(input) is { Success: true } match ? match.Groups[1].Value : null;

    private static string Truncate(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");

    [GeneratedRegex(@"#steps=(\d{1,5})")]
    private static partial Regex StepsDirective();

    [GeneratedRegex(@"#latency=(\d{1,5})")]
    private static partial Regex LatencyDirective();

    [GeneratedRegex(@"#fail=(\d{1,5})")]
    private static partial Regex FailDirective();

    [GeneratedRegex(@"#tool=([A-Za-z0-9_\-\.]{1,128})")]
    private static partial Regex ToolDirective();
}
