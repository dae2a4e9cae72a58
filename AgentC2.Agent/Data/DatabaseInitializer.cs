using AgentC2.Agent.Tenancy;
using DbUp;
using DbUp.Engine.Output;
using AgentC2.ServiceDefaults.Health;
using Npgsql;

namespace AgentC2.Agent.Data;

/// <summary>
/// Brings the schema up to date in the background while the service already listens: DbUp applies the embedded
/// <c>Data/Migrations/*.sql</c> scripts in order, under a PostgreSQL advisory lock (transaction-scoped) so that replicas
/// starting together migrate one at a time, then it seeds the demo organization when configured and opens the
/// <see cref="SchemaGate"/>. Until then the live probe answers, readiness does not, and the API answers 503
/// <c>starting</c>. An unreachable database is waited for (retried with backoff, logged); a migration that fails for
/// good stops the service with exit code 1.
/// </summary>
internal sealed partial class DatabaseInitializer(
    IConfiguration configuration,
    NpgsqlDataSource dataSource,
    DemoOrganizationSeeder demoSeeder,
    SchemaGate schema,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<DatabaseInitializer> logger) : BackgroundService
{
    // "AgentC2" in ASCII: the advisory lock every replica takes around migrations.
    private const long MigrationLockKey = 0x41_67_65_6E_74_43_32;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Once the host has started (Kestrel listens): a failure then stops the service cleanly with its exit code,
        // where a failure during the start would cancel Kestrel's bind and end the process with an unhandled exception.
        await WhenStartedAsync(stoppingToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await MigrateAsync(stoppingToken);
                await demoSeeder.SeedAsync(stoppingToken);
                schema.Open();
                return;
            }
            catch (NpgsqlException exception) when (!stoppingToken.IsCancellationRequested && (IsTransient(exception) || exception is not PostgresException))
            {
                LogDatabaseUnavailable(logger, attempt, exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), time, stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Not something waiting cures (a broken script): stop, so the orchestrator shows the failure.
                Environment.ExitCode = 1;
                LogMigrationFailed(logger, exception);
                throw;
            }
        }
    }

    private Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(stoppingToken);
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        // A transaction-level lock: released when the transaction ends, however it ends.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            take.Parameters.AddWithValue(MigrationLockKey);
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        var upgrader = DeployChanges.To
            .PostgresqlDatabase(configuration.GetConnectionString(ResourceNames.Database))
            .WithScriptsEmbeddedInAssembly(typeof(DatabaseInitializer).Assembly, name => name.Contains(".Data.Migrations.", StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogTo(new DbUpLog(logger))
            .Build();
        var result = upgrader.PerformUpgrade();
        if (!result.Successful)
        {
            // A script that lost a deadlock (or a lock) to a service already querying the tables it changes was rolled
            // back with its transaction: the next attempt applies it again.
            if (IsTransient(result.Error))
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(result.Error);
            }

            throw new InvalidOperationException($"Database migration {result.ErrorScript?.Name} failed: {result.Error.Message}", result.Error);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Failures a later attempt may not meet: deadlocks, serialization failures, locks not available, lost connections.</summary>
    internal static bool IsTransient(Exception? error) => error is NpgsqlException { IsTransient: true };

    [LoggerMessage(Level = LogLevel.Critical, Message = "The database schema could not be brought up to date; the service stops")]
    private static partial void LogMigrationFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL is not reachable yet, or a migration met a transient failure (attempt {Attempt}): {Reason}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, int attempt, string reason);

    private sealed partial class DbUpLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) { }

        public void LogDebug(string format, params object[] args) { }

        public void LogInformation(string format, params object[] args)
        {
            if (logger.IsEnabled(LogLevel.Information))
            {
                var message = Format(format, args);
                LogMigration(logger, message);
            }
        }

        public void LogWarning(string format, params object[] args) => LogMigrationWarning(logger, Format(format, args));

        public void LogError(string format, params object[] args) => LogMigrationError(logger, Format(format, args));

        public void LogError(Exception ex, string format, params object[] args) => LogError(format, args);

        private static string Format(string format, object[] args) => string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args);

        [LoggerMessage(Level = LogLevel.Information, Message = "Migrations: {Message}")]
        private static partial void LogMigration(ILogger logger, string message);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Migrations: {Message}")]
        private static partial void LogMigrationWarning(ILogger logger, string message);

        [LoggerMessage(Level = LogLevel.Error, Message = "Migrations: {Message}")]
        private static partial void LogMigrationError(ILogger logger, string message);
    }
}
