using AgentC2.Agent.Agents;
using AgentC2.Agent.Tenancy;
using AgentC2.Security;
using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Runs;

/// <summary>What became of an invocation.</summary>
public abstract record InvokeOutcome
{
    public sealed record AgentNotFound : InvokeOutcome;

    public sealed record Invalid(Dictionary<string, string[]> Errors) : InvokeOutcome;

    public sealed record IdempotencyKeyReused : InvokeOutcome;

    /// <summary>A synchronous run that reached a terminal status (with its steps when this request ran it).</summary>
    public sealed record Completed(RunRecord Run, IReadOnlyList<RunStepRecord>? Steps) : InvokeOutcome;

    /// <summary>An asynchronous run, committed to the queue.</summary>
    public sealed record Accepted(RunRecord Run) : InvokeOutcome;

    /// <summary>A synchronous run the instance handed to the queue as it stopped: a worker finishes it.</summary>
    public sealed record HandedOff(RunRecord Run) : InvokeOutcome;
}

/// <summary>
/// Accepts an invocation: validates it against the agent, decides sync or async, creates the run
/// under the idempotency key (the same key and request return the same run), then either runs it
/// to the end in-process (sync) or leaves it queued for the worker (async).
/// </summary>
internal sealed class InvokeService(
    AgentStore agents, RunStore runs, SyncRunner syncRunner, OutboundUrlGuard urlGuard, IOptions<AgentOptions> options, TimeProvider time)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public async Task<InvokeOutcome> InvokeAsync(Caller caller, string idOrSlug, InvokeRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await agents.FindForInvocationAsync(caller.OrganizationId, idOrSlug, cancellationToken) is not { } agent)
        {
            return new InvokeOutcome.AgentNotFound();
        }

        var (invocation, errors) = InvocationPolicy.Validate(request, idempotencyKey, agent, options.Value);
        if (invocation is null)
        {
            return new InvokeOutcome.Invalid(errors);
        }

        // The callback is refused now if it points inside (after DNS resolution), and checked again at delivery.
        if (invocation.CallbackUrl is not null && await urlGuard.CheckAsync(invocation.CallbackUrl, cancellationToken) is { } refused)
        {
            return new InvokeOutcome.Invalid(new() { ["callbackUrl"] = [refused] });
        }

        var created = await runs.CreateAsync(new NewRun(
            caller.OrganizationId, agent.Id, invocation.ExecutionMode, invocation.Input, invocation.MaxSteps, invocation.Metadata,
            invocation.CallbackUrl, invocation.IdempotencyKey,
            invocation.IdempotencyKey is null ? null : InvocationPolicy.Fingerprint(agent, invocation),
            // The invocation's trace continues in every step of the run, wherever and whenever it runs.
            System.Diagnostics.Activity.Current?.Id), cancellationToken);

        switch (created)
        {
            case CreateRunResult.Created { Run.ExecutionMode: ExecutionModes.Sync } fresh:
                var result = await syncRunner.RunAsync(fresh.Run, agent);
                return result.HandedOff ? new InvokeOutcome.HandedOff(result.Run) : new InvokeOutcome.Completed(result.Run, result.Steps);
            case CreateRunResult.Created fresh:
                return new InvokeOutcome.Accepted(fresh.Run);
            case CreateRunResult.Existing existing:
                return await ReplayAsync(caller.OrganizationId, existing.RunId, cancellationToken);
            default:
                return new InvokeOutcome.IdempotencyKeyReused();
        }
    }

    /// <summary>The run an earlier identical request created; a synchronous one still running is awaited.</summary>
    private async Task<InvokeOutcome> ReplayAsync(Guid organizationId, Guid runId, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.SyncTimeout + TimeSpan.FromSeconds(5));
        while (true)
        {
            var run = (await runs.FindAsync(organizationId, runId, deadline.Token))!;
            if (run.ExecutionMode == ExecutionModes.Async)
            {
                return new InvokeOutcome.Accepted(run);
            }

            if (RunStatus.IsTerminal(run.Status))
            {
                return new InvokeOutcome.Completed(run, null);
            }

            await Task.Delay(PollInterval, time, deadline.Token);
        }
    }
}
