using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentC2.ServiceDefaults.Health;

/// <summary><c>SELECT 1</c> against the service's PostgreSQL database, bounded by <see cref="HealthOptions.DependencyTimeout"/>.</summary>
internal sealed class DatabaseHealthCheck(IServiceProvider services, IOptionsMonitor<HealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<NpgsqlDataSource>() is not { } dataSource)
        {
            return SkippedCheck.Result("no PostgreSQL database is configured for this service");
        }

        var timeout = options.CurrentValue.DependencyTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = (int)Math.Ceiling(timeout.TotalSeconds) };
            await command.ExecuteScalarAsync(deadline.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy("PostgreSQL answered SELECT 1");
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // Pooled connections do not survive a server restart; dropping them makes recovery immediate once it is back.
            dataSource.Clear();
            return HealthCheckResult.Unhealthy($"PostgreSQL did not answer SELECT 1: {DependencyFailure.Reason(exception)}");
        }
    }
}
