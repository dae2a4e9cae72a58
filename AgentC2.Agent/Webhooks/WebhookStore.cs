using Dapper;
using Npgsql;

namespace AgentC2.Agent.Webhooks;

/// <summary>A run's webhook delivery and its attempts, as the worker recorded them.</summary>
public sealed record WebhookDeliveryView(
    Guid Id,
    Guid RunId,
    string Url,
    string EventType,
    string Status,
    int Attempts,
    DateTime? NextAttemptAt,
    DateTime? DeliveredAt,
    string? LastError,
    DateTime CreatedAt,
    IReadOnlyList<WebhookAttemptView> History);

public sealed record WebhookAttemptView(int Attempt, DateTime StartedAt, double DurationMs, int? StatusCode, string? Error);

/// <summary>Webhook deliveries (read-only here; the worker delivers) and each organization's signing secret.</summary>
internal sealed class WebhookStore(NpgsqlDataSource dataSource)
{
    private sealed record DeliveryRow(
        Guid Id, Guid RunId, string Url, string EventType, string Status, int Attempts, DateTime AvailableAt, DateTime? DeliveredAt, string? LastError, DateTime CreatedAt);

    public async Task<WebhookDeliveryView?> FindDeliveryAsync(Guid organizationId, Guid runId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var delivery = await connection.QuerySingleOrDefaultAsync<DeliveryRow>(new CommandDefinition(
            """
            SELECT id, run_id, url, event_type, status, attempts, available_at, delivered_at, last_error, created_at
            FROM webhook_deliveries WHERE organization_id = @organizationId AND run_id = @runId
            """,
            new { organizationId, runId }, cancellationToken: cancellationToken));
        if (delivery is null)
        {
            return null;
        }

        var attempts = await connection.QueryAsync<WebhookAttemptView>(new CommandDefinition(
            "SELECT attempt, started_at, duration_ms, status_code, error FROM webhook_attempts WHERE delivery_id = @Id ORDER BY attempt",
            new { delivery.Id }, cancellationToken: cancellationToken));
        return new WebhookDeliveryView(
            delivery.Id, delivery.RunId, delivery.Url, delivery.EventType, delivery.Status, delivery.Attempts,
            delivery.Status == "pending" ? delivery.AvailableAt : null, delivery.DeliveredAt, delivery.LastError, delivery.CreatedAt, [.. attempts]);
    }

    public async Task<string> GetSecretAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<string>(new CommandDefinition(
            "SELECT webhook_secret FROM organizations WHERE id = @organizationId", new { organizationId }, cancellationToken: cancellationToken));
    }

    /// <summary>Replaces the organization's signing secret; deliveries from now on are signed with the new one.</summary>
    public async Task<string> RotateSecretAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<string>(new CommandDefinition(
            "UPDATE organizations SET webhook_secret = @secret WHERE id = @organizationId RETURNING webhook_secret",
            new { organizationId, secret = "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) },
            cancellationToken: cancellationToken));
    }
}
