extern alias AgentService;
using AgentService::AgentC2.Agent.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace AgentC2.Tests.Models;

public sealed class OfflineModelTests
{
    private static readonly AIFunction Think = AIFunctionFactory.Create((string thought) => thought, "think");

    [Fact]
    public async Task It_calls_a_tool_until_the_requested_step_then_answers()
    {
        using var model = new OfflineChatClient("fast", new OfflineModelOptions(), TimeProvider.System);
        var conversation = new List<ChatMessage> { new(ChatRole.User, "Do it #steps=3") };
        var options = new ChatOptions { Tools = [Think] };

        for (var step = 1; step <= 2; step++)
        {
            var response = await model.GetResponseAsync(conversation, options);
            var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
            Assert.Equal("think", call.Name);
            conversation.AddRange(response.Messages);
            conversation.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, "ok")]));
        }

        var final = await model.GetResponseAsync(conversation, options);
        Assert.Empty(final.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Contains("in 3 step(s)", final.Text, StringComparison.Ordinal);
        Assert.True(final.Usage!.InputTokenCount > 0);
    }

    [Fact]
    public async Task The_same_conversation_gets_the_same_answer()
    {
        using var model = new OfflineChatClient("standard", new OfflineModelOptions(), TimeProvider.System);
        ChatMessage[] conversation = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hello")];

        var first = await model.GetResponseAsync(conversation);
        var second = await model.GetResponseAsync(conversation);

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.Usage!.TotalTokenCount, second.Usage!.TotalTokenCount);
    }

    [Fact]
    public async Task Replies_and_token_counts_are_configurable()
    {
        using var standard = new OfflineChatClient("fast", new OfflineModelOptions(), TimeProvider.System);
        using var custom = new OfflineChatClient("fast", new OfflineModelOptions { Reply = "Done: {input} ({tier}, {steps})", CharactersPerToken = 2 }, TimeProvider.System);
        ChatMessage[] conversation = [new(ChatRole.User, "ship it")];

        var plain = await standard.GetResponseAsync(conversation);
        var configured = await custom.GetResponseAsync(conversation);

        Assert.Equal("Done: ship it (fast, 1)", configured.Text);
        Assert.Equal(2 * plain.Usage!.InputTokenCount, configured.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task Simulated_latency_follows_the_time_provider()
    {
        var time = new FakeTimeProvider();
        using var model = new OfflineChatClient("fast", new OfflineModelOptions { Latency = TimeSpan.FromSeconds(2) }, time);

        var pending = model.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Contains("hi", (await pending.WaitAsync(TimeSpan.FromSeconds(5))).Text, StringComparison.Ordinal);
    }
}
