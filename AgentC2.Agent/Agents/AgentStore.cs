using Dapper;
using AgentC2.Agent.Caching;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentC2.Agent.Agents;

/// <summary>Agents in PostgreSQL; every query is scoped by organization.</summary>
internal sealed class AgentStore(NpgsqlDataSource dataSource, IOptions<AgentOptions> options, IServiceProvider services, TimeProvider time, ILogger<AgentStore> logger)
{
    /// <summary>
    /// Live agents by (organization, id or slug), for invocations; every instance empties it when an agent changes
    /// (see <see cref="AgentOptions.DefinitionCacheDuration"/>).
    /// </summary>
    public SharedInvalidationCache<AgentDefinition> Definitions { get; } =
        new("agentc2:agents:changed", options.Value.DefinitionCacheDuration, services, time, logger);

    public const string Columns = "id, organization_id, slug, name, instructions, model_tier, max_steps, tools, mcp_servers, created_at, updated_at";
    private const string UniqueViolation = "23505";

    /// <summary>Finds a live agent by id or slug.</summary>
    public async Task<AgentDefinition?> FindAsync(Guid organizationId, string idOrSlug, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var id = Guid.TryParse(idOrSlug, out var parsed) ? parsed : (Guid?)null;
        return await connection.QuerySingleOrDefaultAsync<AgentDefinition>(new CommandDefinition(
            $"SELECT {Columns} FROM agents WHERE organization_id = @organizationId AND deleted_at IS NULL AND (id = @id::uuid OR (@id::uuid IS NULL AND slug = @idOrSlug))",
            new { organizationId, id, idOrSlug }, cancellationToken: cancellationToken));
    }

    /// <summary>Finds a live agent by id or slug for an invocation, through the per-instance cache.</summary>
    public Task<AgentDefinition?> FindForInvocationAsync(Guid organizationId, string idOrSlug, CancellationToken cancellationToken) =>
        Definitions.GetOrLoadAsync($"{organizationId:N}/{idOrSlug}", ct => FindAsync(organizationId, idOrSlug, ct), cancellationToken);

    public async Task<IReadOnlyList<AgentDefinition>> ListAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AgentDefinition>(new CommandDefinition(
            $"SELECT {Columns} FROM agents WHERE organization_id = @organizationId AND deleted_at IS NULL ORDER BY slug",
            new { organizationId }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Creates the agent; null when the organization already has a live agent with that slug.</summary>
    public async Task<AgentDefinition?> CreateAsync(Guid organizationId, AgentSpec spec, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var now = time.GetUtcNow();
        return await connection.QuerySingleOrDefaultAsync<AgentDefinition>(new CommandDefinition(
            $"""
            INSERT INTO agents (id, organization_id, slug, name, instructions, model_tier, max_steps, tools, mcp_servers, created_at, updated_at)
            VALUES (@id, @organizationId, @Slug, @Name, @Instructions, @ModelTier, @MaxSteps, @Tools, @McpServers, @now, @now)
            ON CONFLICT (organization_id, slug) WHERE deleted_at IS NULL DO NOTHING
            RETURNING {Columns}
            """,
            new { id = Guid.CreateVersion7(), organizationId, spec.Slug, spec.Name, spec.Instructions, spec.ModelTier, spec.MaxSteps, spec.Tools, spec.McpServers, now },
            cancellationToken: cancellationToken));
    }

    /// <summary>Replaces the agent's fields. Null result with <c>SlugTaken</c> when another live agent has the new slug.</summary>
    public async Task<(AgentDefinition? Agent, bool SlugTaken)> ReplaceAsync(Guid organizationId, Guid id, AgentSpec spec, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var agent = await connection.QuerySingleOrDefaultAsync<AgentDefinition>(new CommandDefinition(
                $"""
                UPDATE agents SET slug = @Slug, name = @Name, instructions = @Instructions, model_tier = @ModelTier,
                    max_steps = @MaxSteps, tools = @Tools, mcp_servers = @McpServers, updated_at = @now
                WHERE organization_id = @organizationId AND id = @id AND deleted_at IS NULL
                RETURNING {Columns}
                """,
                new { organizationId, id, spec.Slug, spec.Name, spec.Instructions, spec.ModelTier, spec.MaxSteps, spec.Tools, spec.McpServers, now = time.GetUtcNow() },
                cancellationToken: cancellationToken));
            if (agent is not null)
            {
                await Definitions.InvalidateAsync();
            }

            return (agent, false);
        }
        catch (PostgresException exception) when (exception.SqlState == UniqueViolation)
        {
            return (null, true);
        }
    }

    public async Task<bool> DeleteAsync(Guid organizationId, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE agents SET deleted_at = @now WHERE organization_id = @organizationId AND id = @id AND deleted_at IS NULL",
            new { organizationId, id, now = time.GetUtcNow() }, cancellationToken: cancellationToken)) == 1;
        if (deleted)
        {
            await Definitions.InvalidateAsync();
        }

        return deleted;
    }
}
