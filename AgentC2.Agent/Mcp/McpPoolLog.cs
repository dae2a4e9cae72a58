namespace AgentC2.Agent.Mcp;

/// <summary>What the MCP client pool logs.</summary>
internal static partial class McpPoolLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Key} failed to start; not retried for {BackoffSeconds} s")]
    public static partial void StartFailed(ILogger logger, string key, double backoffSeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Key} went away; it is started again on next use")]
    public static partial void SessionEnded(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP client for {Key} discarded ({Reason}); the next use starts a new session")]
    public static partial void Discarded(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disposing the MCP client for {Key} failed: {Reason}")]
    public static partial void DisposeFailed(ILogger logger, string key, string reason);
}
