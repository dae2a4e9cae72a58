using System.ClientModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentC2.Agent.Models;

/// <summary>A model call that failed for good, with a sentence that says what the endpoint did (stored as the run's error).</summary>
public sealed class ModelCallException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Turns what an OpenAI-compatible endpoint does wrong into a <see cref="ModelCallException"/> that names it: rate limits
/// and server errors after the retries, refused keys, timeouts, unreachable endpoints, and replies that are not Chat
/// Completions (including one with no message at all). Never the endpoint's response body: it may echo a key.
/// </summary>
internal sealed class ModelCallFailures(IChatClient inner, ResolvedTier tier, ModelOptions options) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, CancellationToken cancellationToken = default)
    {
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, chatOptions, cancellationToken);
        }
        catch (Exception exception) when (Describe(exception, cancellationToken) is { } reason)
        {
            throw new ModelCallException(reason, exception);
        }

        if (!response.Messages.Any(m => m.Contents.Count > 0))
        {
            throw new ModelCallException($"The {tier.Tier} model ({tier.Model}) answered with no message.");
        }

        return response;
    }

    private string? Describe(Exception exception, CancellationToken cancellationToken)
    {
        var model = $"The {tier.Tier} model ({tier.Model})";
        var attempts = options.MaxRetries + 1;
        return exception switch
        {
            OperationCanceledException when cancellationToken.IsCancellationRequested => null,

            // The client's retries gather the failure of each attempt: the last one says how the call ended.
            AggregateException { InnerExceptions: [.., var last] } => Describe(last, cancellationToken),
            ClientResultException { Status: 429 } rate => ModelRetryPolicy.RetryAfter(rate.GetRawResponse()) is { } after && after > options.MaxRetryAfter
                ? $"{model} is rate limited (HTTP 429) and asked to wait {Seconds(after)} s, longer than the {Seconds(options.MaxRetryAfter)} s a step waits."
                : $"{model} was rate limited (HTTP 429) on all {attempts} attempts.",
            ClientResultException { Status: 401 or 403 } refused => $"{model} refused the API key (HTTP {refused.Status}).",
            ClientResultException { Status: >= 500 } failed => $"{model} failed on the server (HTTP {failed.Status}) on all {attempts} attempts.",
            ClientResultException { Status: >= 400 } refused => $"{model} refused the request (HTTP {refused.Status}).",
            OperationCanceledException or TimeoutException or ClientResultException { InnerException: TaskCanceledException or TimeoutException }
                => $"{model} did not answer within {Seconds(options.Timeout)} s on any of {attempts} attempts.",
            ClientResultException { Status: 0 } or HttpRequestException => $"{model} could not be reached at {tier.Endpoint?.GetLeftPart(UriPartial.Authority) ?? "api.openai.com"}.",
            JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentException or NullReferenceException or ClientResultException
                => $"{model} sent a reply that is not a Chat Completions response ({exception.GetType().Name}).",
            _ => null,
        };
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
}
