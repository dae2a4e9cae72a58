using AgentC2;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// PostgreSQL and Redis clients from the connection strings the AppHost (or the deployment) provides.
/// In Production (or when <c>required</c>) a missing connection string stops start-up; elsewhere the
/// dependency is left out and its health check reports Skipped.
/// </summary>
public static class DependencyExtensions
{
    /// <summary>How long opening a connection may take unless the connection string says (<c>Timeout</c>, in seconds).</summary>
    public const int DefaultConnectTimeoutSeconds = 5;

    /// <summary>
    /// A statement that makes the statements after it in the same command planned for their own parameters at every
    /// execution, never from a cached generic plan: Npgsql sends a command's statements in one implicit transaction, and
    /// the setting ends with it (the pooled connection keeps <c>auto</c>). For a prepared statement over a table that
    /// grows fast, the generic plan PostgreSQL caches while the table is small scans it whole until the next ANALYZE
    /// (docs/decisions.md, 45). Selects one row to read past.
    /// </summary>
    public const string PlanEachExecution = "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)";

    public static TBuilder AddAgentC2Database<TBuilder>(this TBuilder builder, bool required = false)
        where TBuilder : IHostApplicationBuilder
    {
        if (IsConfigured(builder, ResourceNames.Database, required))
        {
            var explicitTimeout = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = builder.Configuration.GetConnectionString(ResourceNames.Database) }
                .ContainsKey("Timeout");

            // The service's own /api/health check replaces the client's built-in one. Statements a service
            // repeats are prepared on their connection after a few uses, so PostgreSQL parses and plans them once.
            // No multiplexing: its single writer opens connections one after another, so while the server is
            // unreachable every queued command waits for all the failed opens before it (docs/decisions.md, 7).
            builder.AddNpgsqlDataSource(ResourceNames.Database, settings => settings.DisableHealthChecks = true, dataSource =>
            {
                UsePooledStatements(dataSource.ConnectionStringBuilder);

                // A request that needs a connection while the server is away (or behind a proxy that accepts for a
                // server that is gone) gets its 503 within seconds rather than Npgsql's default 15.
                if (!explicitTimeout)
                {
                    dataSource.ConnectionStringBuilder.Timeout = DefaultConnectTimeoutSeconds;
                }
            });
        }

        return builder;
    }

    /// <summary>
    /// How every service uses its pooled connections: statements repeated on a connection are prepared there after three
    /// uses, and a returned connection is not reset. No session state is ever left on a pooled connection (advisory locks
    /// are transaction-scoped, LISTEN holds its own connection for the worker's life, <see cref="PlanEachExecution"/>
    /// ends with its command); the reset was seven statements ahead of the next command, 8 of the 13 statements a queued
    /// run cost (docs/performance.md).
    /// </summary>
    public static void UsePooledStatements(Npgsql.NpgsqlConnectionStringBuilder connection)
    {
        connection.MaxAutoPrepare = 64;
        connection.AutoPrepareMinUsages = 3;
        connection.NoResetOnClose = true;
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

            // Every instance says what it is and does, for the operator's fleet view.
            builder.Services.AddSingleton<AgentC2.ServiceDefaults.Fleet.FleetRegistry>();
            builder.Services.AddHostedService<AgentC2.ServiceDefaults.Fleet.InstanceHeartbeat>();
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
