using System.ComponentModel.DataAnnotations;

namespace AgentC2.Agent.Mcp;

/// <summary>Bound from <c>AgentC2:Mcp</c>: the operator's catalog of stdio MCP servers and the client pool's limits.</summary>
internal sealed class McpOptions
{
    public const string Section = "AgentC2:Mcp";

    /// <summary>Stdio servers organizations may enable by name: <c>AgentC2:Mcp:Catalog:{name}:Command</c>, <c>Args</c>, <c>Environment</c>.</summary>
    public Dictionary<string, McpCatalogEntry> Catalog { get; set; } = new(StringComparer.Ordinal);

    [Required]
    public McpPoolOptions Pool { get; set; } = new();
}

internal sealed class McpCatalogEntry
{
    [Required]
    public string Command { get; set; } = string.Empty;

    public List<string> Args { get; set; } = [];

    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    public string? Description { get; set; }
}

/// <summary>Bound from <c>AgentC2:Mcp:Pool</c>.</summary>
internal sealed class McpPoolOptions
{
    /// <summary>MCP clients (and so server processes) one agent instance keeps at most.</summary>
    [Range(1, 10_000)]
    public int MaxClientsPerInstance { get; set; } = 20;

    /// <summary>Of those, how many one organization may hold.</summary>
    [Range(1, 10_000)]
    public int MaxClientsPerOrganization { get; set; } = 5;

    /// <summary>A client unused this long is disposed by the sweep.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a caller waits for a client when every client is in use.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan AcquireTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long starting a server (spawn, initialize, list tools) may take.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After a failed start, the server is not tried again for this long, doubling with each further failure (up to 5 min).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan StartFailureBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the pool's state is logged.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StateLogInterval { get; set; } = TimeSpan.FromMinutes(1);
}
