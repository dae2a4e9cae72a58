namespace AgentC2.Worker.Queue;

/// <summary>Exponential backoff with jitter, shared by run retries and webhook deliveries.</summary>
internal static class Backoff
{
    /// <summary>
    /// The delay after failed attempt <paramref name="attempt"/> (1-based): <paramref name="baseDelay"/> doubled per
    /// attempt, capped at <paramref name="maxDelay"/>, then spread over its upper half by <paramref name="jitter"/> (0..1),
    /// so that runs failing together do not retry together.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double jitter)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var capped = Math.Min(baseDelay.TotalMilliseconds * Math.Pow(2, exponent), maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (0.5 * Math.Clamp(jitter, 0, 1))));
    }
}
