using ModelContextProtocol.Protocol;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// Which MCP server of which organization, and which registration of it (a server removed and registered again under
/// the same name is another key, so no client of the old registration is ever used for the new one): the pool's key.
/// </summary>
public readonly record struct McpServerKey(Guid OrganizationId, string Server, Guid Registration = default)
{
    public override string ToString() => $"{OrganizationId:N}/{Server}";
}

/// <summary>A connected MCP server: its tools, and calls to them. <see cref="Completion"/> ends when the session does (server gone).</summary>
internal interface IMcpSession : IAsyncDisposable
{
    IReadOnlyList<Tool> Tools { get; }

    /// <summary>The catalog entry a stdio server was started from (null for HTTP servers).</summary>
    string? Catalog { get; }

    Task Completion { get; }

    ValueTask<CallToolResult> CallToolAsync(string name, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken);
}

/// <summary>Starts sessions with an organization's MCP servers.</summary>
internal interface IMcpConnector
{
    Task<IMcpSession> ConnectAsync(McpServerKey key, CancellationToken cancellationToken);
}

/// <summary>Every client is in use and none freed up within the acquire timeout.</summary>
internal sealed class McpPoolExhaustedException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The server could not be started (or is in its back-off after failed starts).</summary>
internal sealed class McpServerUnavailableException(string message, TimeSpan retryAfter, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
