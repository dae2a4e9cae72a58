using System.ClientModel.Primitives;
using System.Globalization;

namespace AgentC2.Agent.Models;

/// <summary>
/// Retries of OpenAI-compatible calls: the client's own (429, 5xx, timeouts, with exponential backoff), waiting what a
/// <c>Retry-After</c> asks, but not longer than <see cref="ModelOptions.MaxRetryAfter"/>: a longer wait fails the call at
/// once rather than hold the run's step.
/// </summary>
internal sealed class ModelRetryPolicy(int maxRetries, TimeSpan maxRetryAfter) : ClientRetryPolicy(maxRetries)
{
    protected override bool ShouldRetry(PipelineMessage message, Exception? exception) =>
        base.ShouldRetry(message, exception) && !(RetryAfter(message.Response) > maxRetryAfter);

    protected override async ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception) =>
        await base.ShouldRetryAsync(message, exception) && !(RetryAfter(message.Response) > maxRetryAfter);

    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount) =>
        RetryAfter(message.Response) ?? base.GetNextDelay(message, tryCount);

    /// <summary>The wait a response asks for: <c>retry-after-ms</c>, or <c>Retry-After</c> in seconds or as a date.</summary>
    public static TimeSpan? RetryAfter(PipelineResponse? response)
    {
        if (response is null)
        {
            return null;
        }

        if (response.Headers.TryGetValue("retry-after-ms", out var milliseconds) && double.TryParse(milliseconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
        {
            return TimeSpan.FromMilliseconds(Math.Max(0, ms));
        }

        if (!response.Headers.TryGetValue("Retry-After", out var value) || value is null)
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Max(0, seconds));
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? (date - DateTimeOffset.UtcNow) is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero
            : null;
    }
}
