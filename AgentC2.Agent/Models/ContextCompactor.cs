using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Models;

/// <summary>
/// Keeps a conversation within <see cref="ModelOptions.ContextBudgetTokens"/>: the system and first
/// user messages and the latest <see cref="ModelOptions.KeepRecentMessages"/> stay verbatim, the
/// middle is replaced by a summary from the fast tier. Summaries are cached per instance by the
/// content they replace (a miss on another replica only costs a summarisation call).
/// </summary>
internal sealed class ContextCompactor(ModelCatalog models, IOptionsMonitor<ModelOptions> options, AgentMetrics metrics) : IDisposable
{
    private const string SummaryInstruction = "Summarise the earlier part of this agent run: facts, decisions and tool results the next steps need.";

    private readonly MemoryCache _summaries = new(new MemoryCacheOptions { SizeLimit = 2_048 });

    public async Task<IReadOnlyList<ChatMessage>> CompactAsync(IReadOnlyList<ChatMessage> conversation, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (TokenEstimator.Estimate(conversation) <= settings.ContextBudgetTokens)
        {
            return conversation;
        }

        var head = conversation.TakeWhile(m => m.Role == ChatRole.System).ToList();
        var firstUser = conversation.Skip(head.Count).FirstOrDefault();
        if (firstUser is not null)
        {
            head.Add(firstUser);
        }

        // Never start the kept tail with tool results: they must follow the call that asked for them.
        var tailStart = Math.Max(head.Count, conversation.Count - settings.KeepRecentMessages);
        while (tailStart > head.Count && conversation[tailStart].Role == ChatRole.Tool)
        {
            tailStart--;
        }

        var middle = conversation.Skip(head.Count).Take(tailStart - head.Count).ToList();
        if (middle.Count == 0)
        {
            return conversation;
        }

        var summary = await SummarizeAsync(middle, cancellationToken);
        return [.. head, new ChatMessage(ChatRole.User, $"[Summary of {middle.Count} earlier messages] {summary}"), .. conversation.Skip(tailStart)];
    }

    public void Dispose() => _summaries.Dispose();

    private async Task<string> SummarizeAsync(IReadOnlyList<ChatMessage> middle, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(middle, AIJsonUtilities.DefaultOptions)));
        if (_summaries.TryGetValue(key, out string? cached) && cached is not null)
        {
            metrics.CompressionCacheHit();
            return cached;
        }

        metrics.CompressionCacheMiss();
        var transcript = new StringBuilder();
        foreach (var message in middle)
        {
            transcript.Append(message.Role.Value).Append(": ").AppendLine(Describe(message));
        }

        var response = await models.For(ModelTiers.Fast).GetResponseAsync(
            [new ChatMessage(ChatRole.System, SummaryInstruction), new ChatMessage(ChatRole.User, transcript.ToString())],
            new ChatOptions { AdditionalProperties = new() { [OfflineChatClient.TaskProperty] = OfflineChatClient.SummarizeTask } },
            cancellationToken);
        metrics.Tokens(ModelTiers.Fast, response.Usage);
        _summaries.Set(key, response.Text, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) });
        return response.Text;
    }

    private static string Describe(ChatMessage message) => string.Join(' ', message.Contents.Select(content => content switch
    {
        TextContent text => text.Text,
        FunctionCallContent call => $"called {call.Name}({JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions)}).",
        FunctionResultContent result => $"tool result: {result.Result}.",
        _ => string.Empty,
    }));
}
