using Dapper;
using Npgsql;

namespace AgentC2.Agent.Mcp;

/// <summary>An organization's MCP server as stored (the auth header stays inside the service).</summary>
internal sealed record McpServerRecord(Guid Id, Guid OrganizationId, string Name, string? Catalog, string? Url, string? AuthHeader, DateTime CreatedAt);

/// <summary>The MCP servers organizations have enabled; every query is scoped by organization.</summary>
internal sealed class McpServerStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string Columns = "id, organization_id, name, catalog, url, auth_header, created_at";

    public async Task<IReadOnlyList<McpServerRecord>> ListAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<McpServerRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM mcp_servers WHERE organization_id = @organizationId ORDER BY name", new { organizationId }, cancellationToken: cancellationToken))];
    }

    public async Task<McpServerRecord?> FindAsync(Guid organizationId, string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<McpServerRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM mcp_servers WHERE organization_id = @organizationId AND name = @name", new { organizationId, name }, cancellationToken: cancellationToken));
    }

    /// <summary>Adds the server; null when the organization already has one by that name.</summary>
    public async Task<McpServerRecord?> AddAsync(Guid organizationId, string name, string? catalog, string? url, string? authHeader, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<McpServerRecord>(new CommandDefinition(
            $"""
            INSERT INTO mcp_servers (id, organization_id, name, catalog, url, auth_header, created_at)
            VALUES (@id, @organizationId, @name, @catalog, @url, @authHeader, @now)
            ON CONFLICT (organization_id, name) DO NOTHING
            RETURNING {Columns}
            """,
            new { id = Guid.CreateVersion7(), organizationId, name, catalog, url, authHeader, now = time.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    public async Task<bool> RemoveAsync(Guid organizationId, string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM mcp_servers WHERE organization_id = @organizationId AND name = @name", new { organizationId, name }, cancellationToken: cancellationToken)) == 1;
    }
}
