namespace AgentC2.Agent.Agents;

/// <summary>An organization's agent: how it is instructed, which tier and tools it uses, how many steps a run may take.</summary>
/// <remarks>Init properties rather than a positional record: Npgsql reports <c>text[]</c> columns as <see cref="Array"/>, which Dapper's constructor matching refuses.</remarks>
public sealed record AgentDefinition
{
    public required Guid Id { get; init; }

    public required Guid OrganizationId { get; init; }

    public required string Slug { get; init; }

    public required string Name { get; init; }

    public string Instructions { get; init; } = string.Empty;

    public required string ModelTier { get; init; }

    public required int MaxSteps { get; init; }

    public string[] Tools { get; init; } = [];

    public string[] McpServers { get; init; } = [];

    public DateTime CreatedAt { get; init; }

    public DateTime UpdatedAt { get; init; }
}

/// <summary>The fields a client sets when creating or replacing an agent.</summary>
public sealed record AgentSpec(string Slug, string Name, string Instructions, string ModelTier, int MaxSteps, string[] Tools, string[] McpServers);
