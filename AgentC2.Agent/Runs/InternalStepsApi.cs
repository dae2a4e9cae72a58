using AgentC2.Agent.Errors;
using AgentC2.Agent.Mcp;
using AgentC2.Agent.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace AgentC2.Agent.Runs;

/// <summary>
/// <c>POST /internal/runs/{runId}/steps</c>: the worker's call for the next step of a run it leased. Only the
/// internal service credential is accepted; the route is not rate limited, not in the public API document, and
/// not forwarded by any public proxy.
/// </summary>
internal static partial class InternalStepsApi
{
    public static void MapInternalStepsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost($"{InternalApi.PathPrefix}/runs/{{runId:guid}}/steps", ExecuteStep)
            .RequireInternalCaller()
            .ExcludeFromDescription();
    }

    private static async Task<Results<Ok<StepResponse>, ValidationProblem, ProblemHttpResult>> ExecuteStep(
        Guid runId, StepRequest request, AsyncStepRunner runner, AgentMetrics metrics, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.LeaseOwner) || request.LeaseOwner.Length > 200)
        {
            return Problems.ValidationResult(new Dictionary<string, string[]> { ["leaseOwner"] = ["The worker's lease owner, 1 to 200 characters."] });
        }

        try
        {
            return await runner.ExecuteAsync(runId, request.LeaseOwner, cancellationToken) switch
            {
                AsyncStepOutcome.Executed executed => TypedResults.Ok(executed.Response),
                AsyncStepOutcome.NotLeased { Status: var status } when RunStatus.IsTerminal(status) =>
                    Problems.ConflictResult($"The run has ended ({status}).", Problems.RunEnded),
                AsyncStepOutcome.NotLeased => Problems.ConflictResult("This worker does not hold the run's lease.", Problems.LeaseNotHeld),
                _ => Problems.NotFoundResult("No such run."),
            };
        }
        catch (Exception exception) when (exception is not (NpgsqlException or OperationCanceledException or McpPoolExhaustedException or McpServerUnavailableException))
        {
            // The model or a tool failed: the worker retries the run with backoff, from this step.
            metrics.StepFailed("model-or-tool");
            LogStepFailed(loggers.CreateLogger(typeof(InternalStepsApi)), runId, exception);
            return Problems.StepFailedResult(RunErrors.StepFailed(exception));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A step of run {RunId} failed")]
    private static partial void LogStepFailed(ILogger logger, Guid runId, Exception exception);
}
