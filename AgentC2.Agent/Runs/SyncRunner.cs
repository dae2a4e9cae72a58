using System.Runtime.ExceptionServices;
using AgentC2.Agent.Agents;
using AgentC2.Agent.Data;
using AgentC2.Agent.Mcp;
using AgentC2.Agent.Steps;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentC2.Agent.Runs;

/// <summary>
/// Runs a synchronous run to a terminal status in-process, step by step through the same
/// <see cref="StepExecutor"/> the worker drives for async runs. The run continues if the client
/// goes away (its result stays readable at <c>/api/runs/{id}</c>); it is bounded by <see cref="AgentOptions.SyncTimeout"/>
/// and stops at a step boundary when it is cancelled.
/// </summary>
internal sealed class SyncRunner(
    StepExecutor steps,
    RunStore runs,
    RunEvents events,
    InterruptedRuns interrupted,
    SyncRunHandoff handoff,
    AgentLoad load,
    AgentMetrics metrics,
    IOptions<AgentOptions> options,
    TimeProvider time)
{
    /// <summary>The error a run gets when it was handed over: it never ends this way (a worker finishes it).</summary>
    private const string HandedOffStatus = "handed-off";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Runs a new run to its end; returns it and its steps as stored. If the database becomes unreachable before the
    /// run ends, the run is handed to <see cref="InterruptedRuns"/> and <see cref="RunInterruptedException"/> is thrown.
    /// </summary>
    public async Task<SyncResult> RunAsync(RunRecord run, AgentDefinition agent)
    {
        using var counted = load.Enter();
        try
        {
            return handoff.Stopping ? await QueueAndAwaitAsync(run) : await RunToEndAsync(run, agent);
        }
        catch (Exception exception) when (DatabaseFailures.IsUnavailable(exception))
        {
            interrupted.Add(run);
            throw new RunInterruptedException(run.Id, exception);
        }
    }

    /// <summary>
    /// The instance is stopping: the run goes to the queue at once and is awaited for what is left of the drain bound;
    /// its client gets the result, or 202 and the run's address.
    /// </summary>
    private async Task<SyncResult> QueueAndAwaitAsync(RunRecord run)
    {
        var queued = await runs.HandOffAsync(run, CancellationToken.None);
        handoff.HandedOff(run.Id, 0);
        while (!RunStatus.IsTerminal(queued.Status) && handoff.Remaining > PollInterval)
        {
            await Task.Delay(PollInterval, time);
            queued = (await runs.FindAsync(run.OrganizationId, run.Id, CancellationToken.None))!;
        }

        return RunStatus.IsTerminal(queued.Status)
            ? new SyncResult(queued, await runs.GetStepsAsync(run.Id, CancellationToken.None), HandedOff: false)
            : new SyncResult(queued, [], HandedOff: true);
    }

    private async Task<SyncResult> RunToEndAsync(RunRecord run, AgentDefinition agent)
    {
        var started = time.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(handoff.HandOff);
        deadline.CancelAfter(options.Value.SyncTimeout);
        var completed = new List<RunStepRecord>();
        (string Status, string? Output, string? Error, RunRecord? Finished) result;
        ExceptionDispatchInfo? unavailable = null;
        try
        {
            result = await ExecuteAsync(run, agent, completed, deadline.Token);
        }
        catch (Exception exception) when (exception is McpPoolExhaustedException or McpServerUnavailableException)
        {
            // No MCP client to be had: the run fails, and the request answers 503 with Retry-After.
            unavailable = ExceptionDispatchInfo.Capture(exception);
            result = (RunStatus.Failed, null, exception.Message, null);
        }

        var (status, output, error, finished) = result;
        if (status == HandedOffStatus)
        {
            var queued = await runs.HandOffAsync(run, CancellationToken.None);
            handoff.HandedOff(run.Id, completed.Count);
            return new SyncResult(queued, completed, HandedOff: queued.Status == RunStatus.Queued);
        }

        if (finished is null)
        {
            finished = await runs.FinishAsync(run, status, output, error, CancellationToken.None);
            events.Publish(RunEvent.Finished(finished));
        }

        metrics.RunFinished(run.ExecutionMode, finished.Status, time.GetElapsedTime(started));
        unavailable?.Throw();
        return new SyncResult(finished, completed, HandedOff: false);
    }

    private async Task<(string Status, string? Output, string? Error, RunRecord? Finished)> ExecuteAsync(
        RunRecord run, AgentDefinition agent, List<RunStepRecord> completed, CancellationToken cancellationToken)
    {
        try
        {
            while (completed.Count < run.MaxSteps)
            {
                var executed = await steps.ExecuteNextAsync(run, agent, completed, finishWhenDone: true, cancellationToken);
                completed.Add(executed.Step);
                if (executed.Outcome.Done || RunStatus.IsTerminal(executed.RunStatus))
                {
                    // Done (finished in the same statement), or cancelled meanwhile (finishing then changes nothing).
                    return (RunStatus.Succeeded, executed.Outcome.Output, null, executed.FinishedRun);
                }
            }

            return (RunStatus.Failed, null, RunErrors.MaxStepsReached(run.MaxSteps), null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The step in flight is not checkpointed: the worker that takes the run over executes it again.
            return handoff.HandOff.IsCancellationRequested
                ? (HandedOffStatus, null, null, null)
                : (RunStatus.Failed, null, $"The run did not finish within the synchronous limit of {options.Value.SyncTimeout.TotalSeconds} s; use executionMode async for long runs.", null);
        }
        catch (Exception exception) when (exception is not (NpgsqlException or McpPoolExhaustedException or McpServerUnavailableException))
        {
            return (RunStatus.Failed, null, RunErrors.StepFailed(exception), null);
        }
    }
}

/// <summary>
/// A synchronous run as its request ends: finished (with its steps as this instance executed them), or handed to the
/// queue because the instance stopped (a worker finishes it; the client follows <c>/api/runs/{id}</c>).
/// </summary>
internal sealed record SyncResult(RunRecord Run, IReadOnlyList<RunStepRecord> Steps, bool HandedOff);
