using Microsoft.Extensions.AI;

namespace AgentC2.Agent.Models;

/// <summary>
/// A tokenizer-free estimate (about four characters a token, plus a few tokens of framing per
/// message): good enough to decide on routing and compaction, never billed.
/// </summary>
internal static class TokenEstimator
{
    private const int PerMessageOverhead = 4;

    public static int Estimate(string? text) => string.IsNullOrEmpty(text) ? 0 : (text.Length + 3) / 4;

    public static int Estimate(ChatMessage message) =>
        PerMessageOverhead + message.Contents.Sum(content => content switch
        {
            TextContent text => Estimate(text.Text),
            FunctionCallContent call => Estimate(call.Name) + (call.Arguments?.Sum(a => Estimate(a.Key) + Estimate(a.Value?.ToString())) ?? 0),
            FunctionResultContent result => Estimate(result.Result?.ToString()),
            _ => 0,
        });

    public static int Estimate(IEnumerable<ChatMessage> messages) => messages.Sum(Estimate);
}
