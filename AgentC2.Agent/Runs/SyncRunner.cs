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
    AgentMetrics metrics,
    IOptions<AgentOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time)
{
    /// <summary>
    /// Runs a new run to its end; returns it and its steps as stored. If the database becomes unreachable before the
    /// run ends, the run is handed to <see cref="InterruptedRuns"/> and <see cref="RunInterruptedException"/> is thrown.
    /// </summary>
    public async Task<(RunRecord Run, IReadOnlyList<RunStepRecord> Steps)> RunAsync(RunRecord run, AgentDefinition agent)
    {
        try
        {
            return await RunToEndAsync(run, agent);
        }
        catch (Exception exception) when (DatabaseFailures.IsUnavailable(exception))
        {
            interrupted.Add(run);
            throw new RunInterruptedException(run.Id, exception);
        }
    }

    private async Task<(RunRecord Run, IReadOnlyList<RunStepRecord> Steps)> RunToEndAsync(RunRecord run, AgentDefinition agent)
    {
        var started = time.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
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
        if (finished is null)
        {
            finished = await runs.FinishAsync(run, status, output, error, CancellationToken.None);
            events.Publish(RunEvent.Finished(finished));
        }

        metrics.RunFinished(agent.Slug, run.ExecutionMode, finished.Status, time.GetElapsedTime(started));
        unavailable?.Throw();
        return (finished, completed);
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
            return (RunStatus.Failed, null, lifetime.ApplicationStopping.IsCancellationRequested
                ? "The agent service stopped before the run finished."
                : $"The run did not finish within the synchronous limit of {options.Value.SyncTimeout.TotalSeconds} s; use executionMode async for long runs.", null);
        }
        catch (Exception exception) when (exception is not (NpgsqlException or McpPoolExhaustedException or McpServerUnavailableException))
        {
            return (RunStatus.Failed, null, $"The model or a tool failed ({exception.GetType().Name}).", null);
        }
    }
}
