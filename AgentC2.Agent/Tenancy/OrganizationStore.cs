using Dapper;
using Npgsql;

namespace AgentC2.Agent.Tenancy;

/// <summary>Organizations and their API keys in PostgreSQL.</summary>
internal sealed class OrganizationStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    public async Task<Caller?> FindCallerAsync(string apiKey, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Caller>(new CommandDefinition(
            """
            SELECT k.organization_id, o.slug AS organization_slug, k.id AS api_key_id
            FROM api_keys k JOIN organizations o ON o.id = k.organization_id
            WHERE k.key_hash = @hash AND k.revoked_at IS NULL
            """,
            new { hash = ApiKeys.Hash(apiKey) }, cancellationToken: cancellationToken));
    }

    /// <summary>Creates the organization, or returns null when its slug is taken.</summary>
    public async Task<Organization?> CreateAsync(string slug, string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Organization>(new CommandDefinition(
            """
            INSERT INTO organizations (id, slug, name, created_at) VALUES (@id, @slug, @name, @now)
            ON CONFLICT (slug) DO NOTHING
            RETURNING id, slug, name, created_at
            """,
            new { id = Guid.CreateVersion7(), slug, name, now = time.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    public async Task<Organization?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Organization>(new CommandDefinition(
            "SELECT id, slug, name, created_at FROM organizations WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<Organization>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Organization>(new CommandDefinition(
            "SELECT id, slug, name, created_at FROM organizations ORDER BY slug", cancellationToken: cancellationToken));
        return [.. rows];
    }

    public async Task<ApiKeyInfo> IssueKeyAsync(Guid organizationId, string name, string key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<ApiKeyInfo>(new CommandDefinition(
            """
            INSERT INTO api_keys (id, organization_id, name, prefix, key_hash, created_at)
            VALUES (@id, @organizationId, @name, @prefix, @hash, @now)
            ON CONFLICT (key_hash) DO UPDATE SET name = api_keys.name
            RETURNING id, organization_id, name, prefix, created_at, revoked_at
            """,
            new { id = Guid.CreateVersion7(), organizationId, name, prefix = ApiKeys.Prefix(key), hash = ApiKeys.Hash(key), now = time.GetUtcNow() },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ApiKeyInfo>(new CommandDefinition(
            "SELECT id, organization_id, name, prefix, created_at, revoked_at FROM api_keys WHERE organization_id = @organizationId ORDER BY created_at",
            new { organizationId }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Revokes a key of the organization; false when there is no such key.</summary>
    public async Task<bool> RevokeKeyAsync(Guid organizationId, Guid keyId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var found = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            """
            UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @now)
            WHERE organization_id = @organizationId AND id = @keyId
            RETURNING id
            """,
            new { organizationId, keyId, now = time.GetUtcNow() }, cancellationToken: cancellationToken));
        return found is not null;
    }

    public async Task<Organization> EnsureAsync(string slug, string name, CancellationToken cancellationToken)
    {
        if (await CreateAsync(slug, name, cancellationToken) is { } created)
        {
            return created;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<Organization>(new CommandDefinition(
            "SELECT id, slug, name, created_at FROM organizations WHERE slug = @slug", new { slug }, cancellationToken: cancellationToken));
    }
}
