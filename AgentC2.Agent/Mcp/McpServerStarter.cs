namespace AgentC2.Agent.Mcp;

/// <summary>
/// Starts the pool's MCP servers within <see cref="McpPoolOptions.StartTimeout"/>. A server that failed to start is not
/// tried again until its <see cref="StartBackoff"/> is over (other keys are not affected); callers meanwhile get 503
/// <c>mcp-server-unavailable</c> with the time left.
/// </summary>
internal sealed class McpServerStarter(IMcpConnector connector, McpPoolOptions options, McpPoolMetrics metrics, TimeProvider time, ILogger logger)
{
    private readonly StartBackoff _backoff = new(options.StartFailureBackoff, time);
    private readonly Lock _gate = new();

    public void ThrowIfBackingOff(McpServerKey key)
    {
        int failures;
        TimeSpan remaining;
        lock (_gate)
        {
            if (!_backoff.IsWaiting(key, out failures, out remaining))
            {
                return;
            }
        }

        throw new McpServerUnavailableException($"The MCP server '{key.Server}' failed to start {failures} time(s); retrying after a back-off.", remaining);
    }

    /// <summary>Forgets the back-off of every key <paramref name="match"/> selects (a server deregistered or changed).</summary>
    public void ForgetWhere(Func<McpServerKey, bool> match)
    {
        lock (_gate)
        {
            _backoff.ForgetWhere(match);
        }
    }

    public async Task<IMcpSession> StartAsync(McpServerKey key)
    {
        var started = time.GetTimestamp();
        try
        {
            using var timeout = new CancellationTokenSource(options.StartTimeout, time);
            var session = await connector.ConnectAsync(key, timeout.Token);
            metrics.ServerStarted(time.GetElapsedTime(started));
            lock (_gate)
            {
                _backoff.Forget(key);
            }

            return session;
        }
        catch (Exception exception)
        {
            TimeSpan backoff;
            lock (_gate)
            {
                backoff = _backoff.Failed(key);
            }

            McpPoolLog.StartFailed(logger, key.ToString(), backoff.TotalSeconds, exception);
            var reason = exception is McpStartException ? exception.Message : exception.GetType().Name;
            throw new McpServerUnavailableException($"The MCP server '{key.Server}' could not be started: {reason}", backoff, exception);
        }
    }
}
