namespace AgentC2.Agent.Mcp;

/// <summary>
/// After a server failed to start it is not tried again for <c>initial</c>, doubling with each further failure up to
/// five minutes; a successful start (or forgetting the key) clears it. Not thread-safe: the pool calls it under its lock.
/// </summary>
internal sealed class StartBackoff(TimeSpan initial, TimeProvider time)
{
    private static readonly TimeSpan Max = TimeSpan.FromMinutes(5);

    private readonly Dictionary<McpServerKey, (int Failures, long RetryAt)> _failures = [];

    /// <summary>Whether <paramref name="key"/> is still waiting out its back-off, for how long, after how many failures.</summary>
    public bool IsWaiting(McpServerKey key, out int failures, out TimeSpan remaining)
    {
        var now = time.GetTimestamp();
        if (_failures.TryGetValue(key, out var failure) && now < failure.RetryAt)
        {
            (failures, remaining) = (failure.Failures, time.GetElapsedTime(now, failure.RetryAt));
            return true;
        }

        (failures, remaining) = (0, TimeSpan.Zero);
        return false;
    }

    /// <summary>Records a failed start; returns how long the key now waits.</summary>
    public TimeSpan Failed(McpServerKey key)
    {
        var failures = _failures.TryGetValue(key, out var previous) ? previous.Failures + 1 : 1;
        var backoff = TimeSpan.FromTicks(Math.Min(Max.Ticks, initial.Ticks * (1L << Math.Min(failures - 1, 20))));
        _failures[key] = (failures, time.GetTimestamp() + (long)(backoff.TotalSeconds * time.TimestampFrequency));
        return backoff;
    }

    public void Forget(McpServerKey key) => _failures.Remove(key);

    /// <summary>Forgets every key that <paramref name="match"/> selects (a server deregistered).</summary>
    public void ForgetWhere(Func<McpServerKey, bool> match)
    {
        foreach (var key in _failures.Keys.Where(match).ToList())
        {
            _failures.Remove(key);
        }
    }
}
