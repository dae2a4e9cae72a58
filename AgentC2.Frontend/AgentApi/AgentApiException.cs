using System.Net;

namespace AgentC2.Frontend.AgentApi;

/// <summary>The agent API refused a request: its problem+json, for the page to show.</summary>
internal sealed class AgentApiException(HttpStatusCode status, string title, string? detail, TimeSpan? retryAfter, IReadOnlyDictionary<string, string[]> errors)
    : Exception($"{(int)status} {title}: {detail}")
{
    public HttpStatusCode Status { get; } = status;

    public string Title { get; } = title;

    public string? Detail { get; } = detail;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Validation errors by field (camelCase, as the API names them).</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>The agent API could not be reached (down, timing out, or its circuit open).</summary>
internal sealed class AgentApiUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
