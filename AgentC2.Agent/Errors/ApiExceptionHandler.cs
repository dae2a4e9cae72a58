using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using AgentC2.Agent.Data;
using AgentC2.Agent.Mcp;
using AgentC2.Agent.Runs;
using Npgsql;

namespace AgentC2.Agent.Errors;

/// <summary>
/// Turns exceptions into problem+json: malformed requests keep their 4xx status with a short,
/// safe detail; an unreachable database is a 503 with <c>Retry-After</c>; anything else is a 500
/// without internals. Never a stack trace.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is McpPoolExhaustedException or McpServerUnavailableException)
        {
            return await WriteMcpUnavailableAsync(httpContext, exception);
        }

        if (exception is RunInterruptedException interrupted && !httpContext.RequestAborted.IsCancellationRequested)
        {
            return await WriteRunInterruptedAsync(httpContext, interrupted);
        }

        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", DescribeBadRequest(bad)),
            _ when DatabaseFailures.IsUnavailable(exception) && !httpContext.RequestAborted.IsCancellationRequested =>
                (StatusCodes.Status503ServiceUnavailable, "Service unavailable", "The database is not reachable right now; nothing was changed. Retry later."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "The request failed unexpectedly; the trace id identifies it in the service's logs."),
        };

        if (status >= 500)
        {
            LogFailure(logger, status, exception);
        }

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            AnswerDatabaseUnavailable(httpContext);
        }

        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = Problems.TypeFor(status) },
        });
    }

    // The run exists and is told apart from "nothing was changed": the answer names it, and it ends failed once the
    // database is back, so a client can look it up (or retry with its Idempotency-Key and get it).
    private async ValueTask<bool> WriteRunInterruptedAsync(HttpContext httpContext, RunInterruptedException exception)
    {
        LogFailure(logger, StatusCodes.Status503ServiceUnavailable, exception);
        AnswerDatabaseUnavailable(httpContext);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.Location = $"/api/runs/{exception.RunId}";
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Type = Problems.DependencyUnavailable,
                Detail = $"Run {exception.RunId} started, but the database became unreachable before it ended; the run ends failed once "
                    + "the database answers again. Retry after the seconds in Retry-After (the same Idempotency-Key returns this run).",
                Extensions = { ["runId"] = exception.RunId },
            },
        });
    }

    // The pool may hold connections that died with the server; the next request should get a fresh one.
    private static void AnswerDatabaseUnavailable(HttpContext httpContext)
    {
        httpContext.RequestServices.GetService<NpgsqlDataSource>()?.Clear();
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    // The MCP pool had no client to give (every one in use), or the server cannot start now: retry later.
    private async ValueTask<bool> WriteMcpUnavailableAsync(HttpContext httpContext, Exception exception)
    {
        var (type, retryAfter) = exception is McpPoolExhaustedException exhausted
            ? (Problems.McpPoolExhausted, exhausted.RetryAfter)
            : (Problems.McpServerUnavailable, ((McpServerUnavailableException)exception).RetryAfter);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status503ServiceUnavailable, Title = "Service unavailable", Detail = exception.Message, Type = type },
        });
    }

    private static string DescribeBadRequest(BadHttpRequestException exception) => exception.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => "The request body is larger than this endpoint accepts.",
        StatusCodes.Status415UnsupportedMediaType => "Send the request body as application/json.",
        _ when exception.InnerException is JsonException json => DescribeJson(json),
        _ => "The request could not be read.",
    };

    private static string DescribeJson(JsonException exception)
    {
        var path = string.IsNullOrEmpty(exception.Path) ? "the body" : exception.Path;
        return exception.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? $"Unknown field at {path}: remove it (fields are camelCase)."
            : exception.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"Wrong type at {path}."
                : $"The request body is not valid JSON (at {path}).";
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Request failed with {Status}")]
    private static partial void LogFailure(ILogger logger, int status, Exception exception);
}
