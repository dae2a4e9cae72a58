using Dapper;
using Npgsql;

namespace AgentC2.Worker.Webhooks;

/// <summary>A due delivery with what its payload is made of: the ended run and the organization's signing secret.</summary>
internal sealed record DueDelivery(
    Guid Id,
    Guid RunId,
    string Url,
    string EventType,
    int Attempts,
    string WebhookSecret,
    Guid AgentId,
    string AgentSlug,
    string Status,
    string? Output,
    string? LastError,
    int StepsCompleted,
    long InputTokens,
    long OutputTokens,
    string? Metadata,
    DateTime CreatedAt,
    DateTime? FinishedAt,
    string? TraceParent);

/// <summary>
/// The webhook outbox (rows written by the database when a run with a callback ends). A claim pushes the row's
/// <c>available_at</c> past the attempt's timeout, so a worker that dies mid-attempt only delays the retry.
/// </summary>
internal sealed class WebhookOutbox(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<DueDelivery>> ClaimAsync(int limit, TimeSpan attemptLease, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DueDelivery>(new CommandDefinition(
            """
            WITH due AS (
                SELECT id FROM webhook_deliveries
                WHERE status = 'pending' AND available_at <= now()
                ORDER BY available_at
                LIMIT @limit
                FOR UPDATE SKIP LOCKED)
            UPDATE webhook_deliveries d SET attempts = d.attempts + 1, available_at = now() + @attemptLease
            FROM due, runs r, agents a, organizations o
            WHERE d.id = due.id AND r.id = d.run_id AND a.id = r.agent_id AND o.id = d.organization_id
            RETURNING d.id, d.run_id, d.url, d.event_type, d.attempts, o.webhook_secret, r.agent_id, a.slug AS agent_slug, r.status,
                      r.output, r.last_error, r.steps_completed, r.input_tokens, r.output_tokens, r.metadata::text AS metadata,
                      r.created_at, r.finished_at, r.trace_parent
            """,
            new { limit, attemptLease }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Records an attempt and what follows from it: delivered, retried at <paramref name="retryAt"/>, or failed for good.</summary>
    public async Task RecordAsync(
        DueDelivery delivery, DateTimeOffset startedAt, TimeSpan duration, int? statusCode, string? error, string status, TimeSpan? retryAfter,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error)
            VALUES (@Id, @Attempts, @startedAt, @durationMs, @statusCode, @error)
            ON CONFLICT (delivery_id, attempt) DO NOTHING;
            UPDATE webhook_deliveries SET status = @status, last_error = @error,
                                          available_at = CASE WHEN @status = 'pending' THEN now() + @retryAfter ELSE available_at END,
                                          delivered_at = CASE WHEN @status = 'delivered' THEN now() END
            WHERE id = @Id;
            """,
            new { delivery.Id, delivery.Attempts, startedAt, durationMs = duration.TotalMilliseconds, statusCode, error, status, retryAfter = retryAfter ?? TimeSpan.Zero },
            cancellationToken: cancellationToken));
    }
}
