namespace AgentC2.Agent.Mcp;

/// <summary>
/// Wakes every caller waiting for room in the pool when a lease is released or a client removed (each then checks
/// again). Not thread-safe: the pool takes <see cref="Next"/> and pulses under its lock.
/// </summary>
internal sealed class ReleaseSignal
{
    private TaskCompletionSource _next = New();

    /// <summary>Completes at the next <see cref="Pulse"/>.</summary>
    public Task Next => _next.Task;

    public void Pulse()
    {
        _next.TrySetResult();
        _next = New();
    }

    /// <summary>Whether <paramref name="next"/> completed within <paramref name="timeout"/>.</summary>
    public static async Task<bool> WaitAsync(Task next, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await next.WaitAsync(timeout, time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
