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
            // Bounded here, not only by the token: a connection that a proxy accepted for a server that is gone waits for
            // the client's connect timeout whatever the token says, and a probe must answer within its own timeout.
            await SelectOneAsync(dataSource, timeout, deadline.Token).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("PostgreSQL answered SELECT 1");
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // Pooled connections do not survive a server restart; dropping them makes recovery immediate once it is back.
            dataSource.Clear();
            return HealthCheckResult.Unhealthy($"PostgreSQL did not answer SELECT 1: {DependencyFailure.Reason(exception)}");
        }
    }

    private static async Task SelectOneAsync(NpgsqlDataSource dataSource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = (int)Math.Ceiling(timeout.TotalSeconds) };
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
