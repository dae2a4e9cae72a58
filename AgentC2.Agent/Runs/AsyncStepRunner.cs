using AgentC2.Agent.Agents;
using AgentC2.Agent.Steps;

namespace AgentC2.Agent.Runs;

/// <summary>What became of a step the worker asked for.</summary>
public abstract record AsyncStepOutcome
{
    public sealed record Executed(StepResponse Response) : AsyncStepOutcome;

    public sealed record UnknownRun : AsyncStepOutcome;

    /// <summary>The caller does not hold the run's lease (another worker took it over, or the run ended or was cancelled).</summary>
    public sealed record NotLeased(string Status) : AsyncStepOutcome;
}

/// <summary>
/// Executes the next step of an async run for the worker that holds its lease: the run resumes after its last
/// checkpointed step, whichever instance executed the earlier ones. The step that finishes the run (or uses up its
/// maxSteps) ends it in the same call.
/// </summary>
internal sealed class AsyncStepRunner(RunStore runs, StepExecutor steps, RunEvents events, AgentLoad load, AgentMetrics metrics)
{
    public async Task<AsyncStepOutcome> ExecuteAsync(Guid runId, string leaseOwner, CancellationToken cancellationToken)
    {
        using var counted = load.Enter();
        if (await runs.FindForStepAsync(runId, cancellationToken) is not var (run, agent, completed))
        {
            return new AsyncStepOutcome.UnknownRun();
        }

        if (run.Status != RunStatus.Running || run.LeaseOwner != leaseOwner)
        {
            return new AsyncStepOutcome.NotLeased(run.Status);
        }

        if (completed.Count >= run.MaxSteps)
        {
            return Respond(await FinishAsync(run, agent, RunStatus.Failed, RunErrors.MaxStepsReached(run.MaxSteps)), 0);
        }

        var executed = await steps.ExecuteNextAsync(run, agent, completed, finishWhenDone: true, cancellationToken);
        if (executed.FinishedRun is { } finished)
        {
            Finished(agent, finished);
            return Respond(finished, executed.Step.StepNumber);
        }

        return executed.RunStatus == RunStatus.Running && executed.Step.StepNumber >= run.MaxSteps
            ? Respond(await FinishAsync(run, agent, RunStatus.Failed, RunErrors.MaxStepsReached(run.MaxSteps)), executed.Step.StepNumber)
            : new AsyncStepOutcome.Executed(new StepResponse(run.Id, executed.RunStatus, executed.Step.StepNumber));
    }

    private async Task<RunRecord> FinishAsync(RunRecord run, AgentDefinition agent, string status, string error)
    {
        var finished = await runs.FinishAsync(run, status, null, error, CancellationToken.None);
        events.Publish(RunEvent.Finished(finished));
        Finished(agent, finished);
        return finished;
    }

    private void Finished(AgentDefinition agent, RunRecord run) =>
        metrics.RunFinished(run.ExecutionMode, run.Status, (run.FinishedAt ?? DateTime.UtcNow) - (run.StartedAt ?? run.CreatedAt));

    private static AsyncStepOutcome.Executed Respond(RunRecord run, int stepNumber) => new(new StepResponse(run.Id, run.Status, stepNumber));
}
