using AgentC2.ServiceDefaults.Health;
using AgentC2.Agent.Agents;
using AgentC2.Agent.Errors;
using AgentC2.Agent.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AgentC2.Agent.Runs;

/// <summary>Invoking agents and reading runs: <c>POST /api/agents/{idOrSlug}/invoke</c>, <c>/api/runs</c>.</summary>
internal static class RunsApi
{
    private const int DefaultPageSize = 20;
    private const int MaxPageSize = 100;

    public static RouteGroupBuilder MapRunsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/agents/{idOrSlug}/invoke", Invoke).WithTags("Runs");
        var group = api.MapGroup("/runs").WithTags("Runs");
        group.MapGet("/", ListRuns);
        group.MapGet("/{id:guid}", GetRun);
        group.MapPost("/{id:guid}/cancel", CancelRun);
        group.MapGet("/{id:guid}/events", FollowRun).Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        return group;
    }

    private static async Task<Results<Ok<RunView>, Accepted<RunAccepted>, ValidationProblem, ProblemHttpResult>> Invoke(
        string idOrSlug,
        InvokeRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        HttpContext context,
        InvokeService invocations,
        RunStore runs,
        CancellationToken cancellationToken)
    {
        var outcome = await invocations.InvokeAsync(context.User.Caller(), idOrSlug, request, idempotencyKey, cancellationToken);
        switch (outcome)
        {
            case InvokeOutcome.Completed completed:
                return TypedResults.Ok(RunView.Of(completed.Run, completed.Steps ?? await runs.GetStepsAsync(completed.Run.Id, cancellationToken)));
            case InvokeOutcome.Accepted accepted:
                return TypedResults.Accepted($"/api/runs/{accepted.Run.Id}", new RunAccepted(accepted.Run.Id, accepted.Run.Status));
            case InvokeOutcome.HandedOff handedOff:
                // The instance stopped before the run ended: a worker finishes it; the client follows it as an async run.
                return TypedResults.Accepted($"/api/runs/{handedOff.Run.Id}", new RunAccepted(handedOff.Run.Id, handedOff.Run.Status));
            case InvokeOutcome.Invalid invalid:
                return Problems.ValidationResult(invalid.Errors);
            case InvokeOutcome.IdempotencyKeyReused:
                return Problems.ConflictResult("This Idempotency-Key was used within the last 24 hours for a different request.", Problems.IdempotencyConflict);
            default:
                return Problems.NotFoundResult($"No agent '{idOrSlug}' in this organization.");
        }
    }

    private static async Task<Results<Ok<RunView>, ProblemHttpResult>> GetRun(Guid id, HttpContext context, RunStore runs, CancellationToken cancellationToken) =>
        await runs.FindAsync(context.User.Caller().OrganizationId, id, cancellationToken) is { } run
            ? TypedResults.Ok(RunView.Of(run, await runs.GetStepsAsync(run.Id, cancellationToken)))
            : Problems.NotFoundResult("No such run in this organization.");

    private static async Task<Results<Ok<RunView>, ProblemHttpResult>> CancelRun(
        Guid id, HttpContext context, RunStore runs, RunEvents events, AgentMetrics metrics, CancellationToken cancellationToken)
    {
        var (cancelled, found) = await runs.CancelAsync(context.User.Caller().OrganizationId, id, cancellationToken);
        if (cancelled is not null)
        {
            events.Publish(RunEvent.Finished(cancelled));
            metrics.RunCancelled(cancelled.ExecutionMode);
            return TypedResults.Ok(RunView.Of(cancelled));
        }

        return found is null
            ? Problems.NotFoundResult("No such run in this organization.")
            : Problems.ConflictResult($"The run has already ended ({found.Status}); only queued and running runs can be cancelled.", Problems.RunEnded);
    }

    /// <summary>
    /// Server-Sent Events: <c>step</c> (id = step number) for each step, then one <c>status</c> when the run ends. A stream that
    /// ends without <c>status</c> (the instance stopped) is resumed with <c>Last-Event-ID</c>.
    /// </summary>
    private static async Task<Results<ServerSentEventsResult<object>, ProblemHttpResult>> FollowRun(
        Guid id,
        HttpContext context,
        RunStore runs,
        RunEventStream stream,
        InstanceDrain drain,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventId,
        CancellationToken cancellationToken)
    {
        if (await runs.FindAsync(context.User.Caller().OrganizationId, id, cancellationToken) is not { } run)
        {
            return Problems.NotFoundResult("No such run in this organization.");
        }

        var after = int.TryParse(lastEventId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
        return TypedResults.ServerSentEvents(stream.FollowAsync(run, after, drain.StreamsEnding, cancellationToken));
    }

    private static async Task<Results<Ok<RunPage>, ValidationProblem, ProblemHttpResult>> ListRuns(
        HttpContext context, RunStore runs, AgentStore agents, CancellationToken cancellationToken,
        string? agent = null, string? status = null, string? cursor = null, int? limit = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not null && !RunStatus.All.Contains(status))
        {
            errors["status"] = [$"One of: {string.Join(", ", RunStatus.All)}."];
        }

        var after = RunCursor.TryDecode(cursor);
        if (cursor is not null && after is null)
        {
            errors["cursor"] = ["Not a cursor this API returned."];
        }

        if (limit is < 1 or > MaxPageSize)
        {
            errors["limit"] = [$"Between 1 and {MaxPageSize}."];
        }

        if (errors.Count > 0)
        {
            return Problems.ValidationResult(errors);
        }

        var organizationId = context.User.Caller().OrganizationId;
        Guid? agentId = null;
        if (agent is not null)
        {
            if (await agents.FindAsync(organizationId, agent, cancellationToken) is not { } found)
            {
                return Problems.NotFoundResult($"No agent '{agent}' in this organization.");
            }

            agentId = found.Id;
        }

        var pageSize = limit ?? DefaultPageSize;
        var page = await runs.ListAsync(organizationId, agentId, status, after, pageSize + 1, cancellationToken);
        var items = page.Take(pageSize).Select(run => RunView.Of(run)).ToList();
        var next = page.Count > pageSize ? new RunCursor(page[pageSize - 1].CreatedAt, page[pageSize - 1].Id).Encode() : null;
        return TypedResults.Ok(new RunPage(items, next));
    }
}
