using AgentC2.Agent.Agents;
using AgentC2.Agent.Steps;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentC2.Agent.Runs;

/// <summary>
/// Runs a synchronous run to a terminal status in-process, step by step through the same
/// <see cref="StepExecutor"/> the worker drives for async runs. The run continues if the client
/// goes away (its result stays readable at <c>/api/runs/{id}</c>); it is bounded by <see cref="AgentOptions.SyncTimeout"/>.
/// </summary>
internal sealed class SyncRunner(
    StepExecutor steps,
    RunStore runs,
    AgentMetrics metrics,
    IOptions<AgentOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time)
{
    public async Task<RunRecord> RunAsync(RunRecord run, AgentDefinition agent)
    {
        var started = time.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        deadline.CancelAfter(options.Value.SyncTimeout);
        var (status, output, error) = await ExecuteAsync(run, agent, deadline.Token);
        await runs.FinishAsync(run.Id, status, output, error, CancellationToken.None);
        metrics.RunFinished(agent.Slug, status, time.GetElapsedTime(started));
        return (await runs.FindAsync(run.OrganizationId, run.Id, CancellationToken.None))!;
    }

    private async Task<(string Status, string? Output, string? Error)> ExecuteAsync(RunRecord run, AgentDefinition agent, CancellationToken cancellationToken)
    {
        try
        {
            for (var step = run.StepsCompleted; step < run.MaxSteps; step++)
            {
                var outcome = await steps.ExecuteNextAsync(run, agent, cancellationToken);
                if (outcome.Done)
                {
                    return (RunStatus.Succeeded, outcome.Output, null);
                }
            }

            return (RunStatus.Failed, null, $"The model had not finished after maxSteps ({run.MaxSteps}) steps.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (RunStatus.Failed, null, lifetime.ApplicationStopping.IsCancellationRequested
                ? "The agent service stopped before the run finished."
                : $"The run did not finish within the synchronous limit of {options.Value.SyncTimeout.TotalSeconds} s; use executionMode async for long runs.");
        }
        catch (Exception exception) when (exception is not NpgsqlException)
        {
            return (RunStatus.Failed, null, $"The model or a tool failed ({exception.GetType().Name}).");
        }
    }
}
