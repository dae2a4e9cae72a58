using System.Text.Json;
using AgentC2.Agent.Caching;
using StackExchange.Redis;

namespace AgentC2.Agent.Runs;

/// <summary>What happened to a run: a checkpointed step, or the run reaching a terminal status.</summary>
public sealed record RunEvent(Guid RunId, RunStepRecord? CheckpointedStep, RunStatusEvent? Ended)
{
    public static RunEvent Step(RunStepRecord step) => new(step.RunId, step, null);

    public static RunEvent Finished(RunRecord run) => new(run.Id, null, RunStatusEvent.Of(run));
}

/// <summary>The <c>status</c> event of a run's event stream: how the run ended.</summary>
public sealed record RunStatusEvent(Guid RunId, string Status, string? Output, string? Error, int StepsCompleted, TokenUsage Usage, DateTime? FinishedAt)
{
    public static RunStatusEvent Of(RunRecord run) =>
        new(run.Id, run.Status, run.Output, run.LastError, run.StepsCompleted, TokenUsage.Of(run.InputTokens, run.OutputTokens), run.FinishedAt);
}

/// <summary>
/// Publishes run events over Redis pub/sub (one channel per run), so that a client following a run's events on
/// any agent replica sees what every replica produces. Publishing never fails a step: a lost event is recovered
/// by the stream's periodic read of the database.
/// </summary>
internal sealed partial class RunEvents(IServiceProvider services, ILogger<RunEvents> logger)
{
    private readonly IConnectionMultiplexer? _redis = services.GetService<IConnectionMultiplexer>();

    public static RedisChannel ChannelOf(Guid runId) => RedisChannel.Literal($"agentc2:run-events:{runId:N}");

    public void Publish(RunEvent runEvent)
    {
        if (_redis is null)
        {
            return;
        }

        try
        {
            _redis.GetSubscriber().Publish(ChannelOf(runEvent.RunId), JsonSerializer.Serialize(runEvent, JsonSerializerOptions.Web), CommandFlags.FireAndForget);
        }
        catch (Exception exception) when (RedisOutage.Is(exception))
        {
            LogPublishFailed(logger, runEvent.RunId, exception.Message);
        }
    }

    /// <summary>Follows a run's channel; events arrive on <paramref name="received"/> until the returned handle is disposed.</summary>
    public async Task<IAsyncDisposable> SubscribeAsync(Guid runId, Action<RunEvent> received)
    {
        if (_redis is null)
        {
            return NoSubscription.Instance;
        }

        ChannelMessageQueue queue;
        try
        {
            queue = await _redis.GetSubscriber().SubscribeAsync(ChannelOf(runId));
        }
        catch (Exception exception) when (RedisOutage.Is(exception))
        {
            LogSubscribeFailed(logger, runId, exception.Message);
            return NoSubscription.Instance;
        }

        queue.OnMessage(message =>
        {
            if (JsonSerializer.Deserialize<RunEvent>(message.Message.ToString(), JsonSerializerOptions.Web) is { } runEvent)
            {
                received(runEvent);
            }
        });
        return new Subscription(queue);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish an event of run {RunId}: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Following run {RunId} from the database only; Redis did not answer: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, Guid runId, string reason);

    private sealed class Subscription(ChannelMessageQueue queue) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await queue.UnsubscribeAsync();
            }
            catch (Exception exception) when (RedisOutage.Is(exception))
            {
                // Redis went away while the run was followed; its subscriptions went with it.
            }
        }
    }

    private sealed class NoSubscription : IAsyncDisposable
    {
        public static readonly NoSubscription Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
