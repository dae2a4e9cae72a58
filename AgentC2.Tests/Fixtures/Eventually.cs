namespace AgentC2.Tests.Fixtures;

/// <summary>Polls a real system until a condition holds, within a bound; the failure says what was last seen.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    public static async Task<T> MatchAsync<T>(Func<CancellationToken, Task<T>> probe, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        object? last = null;
        while (true)
        {
            try
            {
                var value = await probe(deadline.Token);
                if (condition(value))
                {
                    return value;
                }

                last = value;
            }
            catch (Exception exception) when (!deadline.IsCancellationRequested)
            {
                last = exception.GetType().Name + ": " + exception.Message;
            }
            catch (OperationCanceledException)
            {
                // The deadline passed during the probe.
            }

            try
            {
                await Task.Delay(Interval, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds} s; last seen: {last}");
            }
        }
    }
}
