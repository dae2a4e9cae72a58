using AgentC2.ServiceDefaults.Health;
using Npgsql;

namespace AgentC2.Worker.Queue;

/// <summary>
/// Opens the <see cref="SchemaGate"/> once the tables the worker uses exist (the agent's migrations create them): on a
/// fresh database the worker waits, not ready, instead of querying tables that are not there yet.
/// </summary>
internal sealed partial class SchemaWatcher(NpgsqlDataSource dataSource, SchemaGate schema, TimeProvider time, ILogger<SchemaWatcher> logger) : BackgroundService
{
    public static readonly string[] Tables = ["organizations", "runs", "run_steps", "webhook_deliveries", "webhook_attempts"];

    private static readonly string TableList = string.Join(", ", Tables);

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await using var command = dataSource.CreateCommand(
                    "SELECT count(*) FROM unnest($1::text[]) AS t(name) WHERE to_regclass('public.' || t.name) IS NULL");
                command.Parameters.AddWithValue(Tables);
                if (Convert.ToInt64(await command.ExecuteScalarAsync(stoppingToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
                {
                    schema.Open();
                    return;
                }

                if (attempt == 1 || attempt % 30 == 0)
                {
                    LogWaiting(logger, TableList);
                }
            }
            catch (NpgsqlException exception) when (!stoppingToken.IsCancellationRequested)
            {
                if (attempt == 1 || attempt % 30 == 0)
                {
                    LogDatabaseUnavailable(logger, exception.Message);
                }
            }

            await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the agent's migrations: the tables {Tables} are not all there yet")]
    private static partial void LogWaiting(ILogger logger, string tables);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for PostgreSQL to check the schema: {Reason}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string reason);
}
