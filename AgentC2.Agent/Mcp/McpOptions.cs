using System.ComponentModel.DataAnnotations;

namespace AgentC2.Agent.Mcp;

/// <summary>Bound from <c>AgentC2:Mcp</c>: the operator's catalog of stdio MCP servers and the client pool's limits.</summary>
internal sealed class McpOptions
{
    public const string Section = "AgentC2:Mcp";

    /// <summary>
    /// Stdio servers organizations may enable by name: <c>AgentC2:Mcp:Catalog:{name}:Command</c>, <c>Args</c>,
    /// <c>Environment</c>, <c>Inherit</c>, <c>Enabled</c>. A catalog server starts from an empty environment (see
    /// <see cref="McpCatalogEntry"/>): it never sees the agent's configuration, connection strings or keys.
    /// </summary>
    public Dictionary<string, McpCatalogEntry> Catalog { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What a tool result may bring into a step (beyond that, content is cut and the step says so).</summary>
    [Required]
    public McpResultLimits Results { get; set; } = new();

    [Required]
    public McpPoolOptions Pool { get; set; } = new();
}

/// <summary>
/// A stdio MCP server of the operator's catalog. Its process gets only: the base variables <c>PATH</c>, <c>LANG</c>,
/// <c>LC_ALL</c> and <c>TZ</c> (copied from the agent when set), <c>HOME</c> and <c>TMPDIR</c> pointing at a scratch
/// folder of its own (removed when the session ends, and the process's working directory, so <c>PWD</c> names it
/// too), the variables of <see cref="Inherit"/> copied from the agent, and
/// the literal values of <see cref="Environment"/>. Nothing else of the agent's environment reaches it.
/// </summary>
internal sealed class McpCatalogEntry
{
    [Required]
    public string Command { get; set; } = string.Empty;

    public List<string> Args { get; set; } = [];

    /// <summary>Variables set for the server, with their values (they are also redacted from what its tools return).</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Names of the agent's own variables the server needs (e.g. <c>DOTNET_ROOT</c>, <c>HTTPS_PROXY</c>). A name the agent
    /// does not have, or one whose value is a secret of the agent (a key, a password), fails the server's start with a
    /// message naming it.
    /// </summary>
    public List<string> Inherit { get; set; } = [];

    /// <summary>A disabled entry cannot be registered, and servers registered from it do not start.</summary>
    public bool Enabled { get; set; } = true;

    public string? Description { get; set; }
}

/// <summary>Bound from <c>AgentC2:Mcp:Results</c>: how much of a tool result a step keeps.</summary>
internal sealed class McpResultLimits
{
    /// <summary>Characters of text a result keeps (the model and the stored step get the same cut text).</summary>
    [Range(1, 10_000_000)]
    public int MaxTextCharacters { get; set; } = 64 * 1024;

    /// <summary>Bytes (decoded) of one non-text item (image, audio, embedded resource) a step keeps with its data.</summary>
    [Range(0, 100_000_000)]
    public int MaxContentBytes { get; set; } = 256 * 1024;

    /// <summary>Non-text items one result keeps.</summary>
    [Range(0, 1_000)]
    public int MaxContentItems { get; set; } = 16;
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

    /// <summary>
    /// How the pool chooses the idle client that makes room at capacity: <c>Frequency</c> (W-TinyLFU: a new client must
    /// be used more often than the one it replaces) or <c>Recency</c> (the least recently used idle client).
    /// </summary>
    public McpAdmissionPolicy Admission { get; set; } = McpAdmissionPolicy.Frequency;

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

/// <summary>How the MCP pool chooses the idle client that makes room (<see cref="McpPoolAdmission"/>).</summary>
internal enum McpAdmissionPolicy
{
    Frequency,
    Recency,
}
