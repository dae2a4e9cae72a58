using AgentC2.ServiceDefaults.Health;
using AgentC2.Worker.Telemetry;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentC2.Worker.Retention;

/// <summary>
/// Deletes finished runs past their organization's retention, with their steps and webhook deliveries (the foreign
/// keys cascade), in small batches with a pause between them. Several workers may run it at once: each batch skips the
/// rows another one holds.
/// </summary>
internal sealed partial class RunRetention(
    NpgsqlDataSource dataSource,
    IOptionsMonitor<RetentionOptions> options,
    WorkerMetrics metrics,
    SchemaGate schema,
    TimeProvider time,
    ILogger<RunRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue;
            try
            {
                var deleted = 0;
                int batch;
                do
                {
                    batch = await DeleteBatchAsync(settings, stoppingToken);
                    deleted += batch;
                    metrics.RunsDeleted(batch);
                    if (batch == settings.BatchSize)
                    {
                        await Task.Delay(settings.BatchPause, time, stoppingToken);
                    }
                }
                while (batch == settings.BatchSize);

                if (deleted > 0)
                {
                    LogDeleted(logger, deleted);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogFailed(logger, exception.Message);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            await Task.Delay(settings.Interval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<int> DeleteBatchAsync(RetentionOptions settings, CancellationToken cancellationToken)
    {
        var overrides = settings.Organizations.Where(o => o.Value.Runs is not null).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            WITH doomed AS (
                SELECT r.id FROM runs r
                JOIN organizations o ON o.id = r.organization_id
                LEFT JOIN unnest(@slugs::text[], @keeps::interval[]) AS x (slug, keep) ON x.slug = o.slug
                WHERE r.status IN ('succeeded', 'failed', 'cancelled')
                  AND COALESCE(x.keep, @keep) > interval '0'
                  AND r.finished_at < now() - COALESCE(x.keep, @keep)
                ORDER BY r.finished_at
                LIMIT @batch
                FOR UPDATE OF r SKIP LOCKED)
            DELETE FROM runs USING doomed WHERE runs.id = doomed.id
            """,
            new
            {
                slugs = overrides.Select(o => o.Key).ToArray(),
                keeps = overrides.Select(o => o.Value.Runs!.Value).ToArray(),
                keep = settings.Runs,
                batch = settings.BatchSize,
            },
            cancellationToken: cancellationToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} finished runs past their retention")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting runs past their retention failed (retried at the next interval): {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
