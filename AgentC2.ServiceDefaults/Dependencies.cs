using AgentC2;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// PostgreSQL and Redis clients from the connection strings the AppHost (or the deployment) provides.
/// In Production (or when <c>required</c>) a missing connection string stops start-up; elsewhere the
/// dependency is left out and its health check reports Skipped.
/// </summary>
public static class DependencyExtensions
{
    /// <param name="multiplexing">
    /// Lets concurrent commands share physical connections (fewer round trips under load). Only for
    /// services that keep no session state outside transactions: no LISTEN, no session-level locks.
    /// </param>
    public static TBuilder AddAgentC2Database<TBuilder>(this TBuilder builder, bool required = false, bool multiplexing = false)
        where TBuilder : IHostApplicationBuilder
    {
        if (IsConfigured(builder, ResourceNames.Database, required))
        {
            // The service's own /api/health check replaces the client's built-in one. Statements a service
            // repeats are prepared on their connection after a few uses, so PostgreSQL parses and plans them once.
            builder.AddNpgsqlDataSource(ResourceNames.Database, settings => settings.DisableHealthChecks = true, dataSource =>
            {
                dataSource.ConnectionStringBuilder.MaxAutoPrepare = 64;
                dataSource.ConnectionStringBuilder.AutoPrepareMinUsages = 3;
                dataSource.ConnectionStringBuilder.Multiplexing = multiplexing;
            });
        }

        return builder;
    }

    public static TBuilder AddAgentC2Redis<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        if (IsConfigured(builder, ResourceNames.Redis, required: false))
        {
            // Command tracing is off: rate-limit scripts run on every request and would drown the traces.
            builder.AddRedisClient(ResourceNames.Redis, settings =>
            {
                settings.DisableHealthChecks = true;
                settings.DisableTracing = true;
            }, options =>
            {
                // Start and keep running while Redis is away; fail commands at once instead of
                // queueing them, so callers can fail open and health reports the outage quickly.
                options.AbortOnConnectFail = false;

                // The .NET thread pool rather than the client's own spinning I/O threads: on small
                // instances those threads compete with request processing for the cores.
                options.SocketManager = SocketManager.ThreadPool;
                options.BacklogPolicy = BacklogPolicy.FailFast;
                options.ConnectTimeout = 2_000;
                options.SyncTimeout = 2_000;
                options.AsyncTimeout = 2_000;
            });
        }

        return builder;
    }

    private static bool IsConfigured(IHostApplicationBuilder builder, string name, bool required)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return true;
        }

        if (builder.Environment.IsProduction())
        {
            throw new InvalidOperationException(
                $"{builder.Environment.ApplicationName} cannot start in Production without ConnectionStrings:{name}: set the environment variable ConnectionStrings__{name}.");
        }

        return required
            ? throw new InvalidOperationException(
                $"{builder.Environment.ApplicationName} cannot start without ConnectionStrings:{name}: set the environment variable ConnectionStrings__{name}, or run it through the AppHost.")
            : false;
    }
}
