using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace AgentC2.Agent.Runs;

/// <summary>
/// A run's events as Server-Sent Events: first the steps already checkpointed (after <c>Last-Event-ID</c> when the
/// client resumes), then live steps as any replica checkpoints them (Redis pub/sub), then one <c>status</c> event
/// when the run ends, and the stream closes. The database is read again every <see cref="ReconcileInterval"/>, so
/// an event lost on the way (or Redis being away) only delays the stream; steps are sent once each, in order. When the
/// instance stops (<paramref name="ending"/>), the stream ends cleanly after the last step it sent; the client resumes on
/// another instance with <c>Last-Event-ID</c> and misses nothing.
/// </summary>
internal sealed class RunEventStream(RunStore runs, RunEvents events, TimeProvider time)
{
    public const string StepEvent = "step";
    public const string StatusEvent = "status";
    public const string HeartbeatEvent = "heartbeat";

    public static readonly TimeSpan ReconcileInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

    public async IAsyncEnumerable<SseItem<object>> FollowAsync(RunRecord run, int afterStep, CancellationToken ending, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var live = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true });
        await using var subscription = await events.SubscribeAsync(run.Id, e => live.Writer.TryWrite(e));

        var last = afterStep;
        var lastSent = time.GetTimestamp();
        while (!ending.IsCancellationRequested)
        {
            // What the database holds: steps not sent yet, and whether the run has ended.
            var current = await runs.FindAsync(run.OrganizationId, run.Id, cancellationToken) ?? run;
            foreach (var step in await runs.GetStepsAsync(run.Id, cancellationToken, afterStep: last))
            {
                last = step.StepNumber;
                lastSent = time.GetTimestamp();
                yield return Step(step);
            }

            if (RunStatus.IsTerminal(current.Status))
            {
                yield return new SseItem<object>(RunStatusEvent.Of(current), StatusEvent);
                yield break;
            }

            // Live events until the next reconciliation; a gap in step numbers or the run's end sends us back to the database.
            using var interval = new CancellationTokenSource(ReconcileInterval, time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, ending, interval.Token);
            var reread = false;
            while (!reread && await WaitAsync(live.Reader, wait.Token))
            {
                while (live.Reader.TryRead(out var runEvent))
                {
                    if (runEvent.CheckpointedStep is { } step && step.StepNumber == last + 1)
                    {
                        last = step.StepNumber;
                        lastSent = time.GetTimestamp();
                        yield return Step(step);
                    }
                    else if (runEvent.Ended is not null || (runEvent.CheckpointedStep?.StepNumber ?? 0) > last)
                    {
                        reread = true;
                    }
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (ending.IsCancellationRequested)
            {
                yield break;
            }

            if (time.GetElapsedTime(lastSent) >= HeartbeatInterval)
            {
                lastSent = time.GetTimestamp();
                yield return new SseItem<object>(new { runId = run.Id, status = current.Status }, HeartbeatEvent);
            }
        }
    }

    private static SseItem<object> Step(RunStepRecord step) =>
        new(StepView.Of(step), StepEvent) { EventId = step.StepNumber.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    // False when the wait ran out (time to read the database again); a cancelled request ends the stream.
    private static async Task<bool> WaitAsync(ChannelReader<RunEvent> reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
