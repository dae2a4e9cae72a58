using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentC2.Agent.Errors;

/// <summary>
/// Stable problem types (<c>urn:agentc2:problem:*</c>) and the results that carry them. Every error
/// the API returns is <c>application/problem+json</c> with one of these types.
/// </summary>
internal static class Problems
{
    public const string BadRequest = "urn:agentc2:problem:bad-request";
    public const string Validation = "urn:agentc2:problem:validation";
    public const string Unauthorized = "urn:agentc2:problem:unauthorized";
    public const string Forbidden = "urn:agentc2:problem:forbidden";
    public const string NotFound = "urn:agentc2:problem:not-found";
    public const string MethodNotAllowed = "urn:agentc2:problem:method-not-allowed";
    public const string Conflict = "urn:agentc2:problem:conflict";
    public const string IdempotencyConflict = "urn:agentc2:problem:idempotency-key-reused";
    public const string PayloadTooLarge = "urn:agentc2:problem:payload-too-large";
    public const string UnsupportedMediaType = "urn:agentc2:problem:unsupported-media-type";
    public const string RateLimited = "urn:agentc2:problem:rate-limited";
    public const string DependencyUnavailable = "urn:agentc2:problem:dependency-unavailable";
    public const string Internal = "urn:agentc2:problem:internal";
    public const string RunEnded = "urn:agentc2:problem:run-ended";
    public const string LeaseNotHeld = "urn:agentc2:problem:lease-not-held";
    public const string StepFailed = "urn:agentc2:problem:step-failed";
    public const string McpPoolExhausted = "urn:agentc2:problem:mcp-pool-exhausted";
    public const string McpServerUnavailable = "urn:agentc2:problem:mcp-server-unavailable";

    public static string TypeFor(int status) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status409Conflict => Conflict,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests => RateLimited,
        StatusCodes.Status503ServiceUnavailable => DependencyUnavailable,
        >= 500 => Internal,
        _ => BadRequest,
    };

    public static ProblemHttpResult NotFoundResult(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found", type: NotFound);

    public static ProblemHttpResult ConflictResult(string detail, string type = Conflict) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict", type: type);

    public static ProblemHttpResult StepFailedResult(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status502BadGateway, title: "Step failed", type: StepFailed);

    public static ProblemHttpResult BadRequestResult(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request", type: BadRequest);

    public static ValidationProblem ValidationResult(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "One or more fields are invalid.", title: "Validation failed", type: Validation);
}
