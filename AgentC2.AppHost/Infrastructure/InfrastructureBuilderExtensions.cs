using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentC2.AppHost.Infrastructure;

/// <summary>The PostgreSQL database and Redis of AgentC2, as containers or as local processes.</summary>
public sealed record AgentC2Infrastructure(
    InfrastructureMode Mode,
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> Redis);

public static class InfrastructureBuilderExtensions
{
    /// <summary>Set on the infrastructure resources in run mode, so the dashboard shows which mode is in use.</summary>
    public const string ModeVariable = "AGENTC2_INFRASTRUCTURE";

    /// <summary>
    /// Adds PostgreSQL (server <see cref="ResourceNames.Postgres"/>, database <see cref="ResourceNames.Database"/>)
    /// and Redis (<see cref="ResourceNames.Redis"/>) in the mode chosen by <c>AgentC2:Infrastructure</c>.
    /// </summary>
    public static AgentC2Infrastructure AddAgentC2Infrastructure(this IDistributedApplicationBuilder builder)
    {
        var mode = InfrastructureModeSelection.Select(builder.Configuration, builder.ExecutionContext.IsPublishMode);
        var infrastructure = mode == InfrastructureMode.Local ? builder.AddLocalInfrastructure() : builder.AddContainerInfrastructure();

        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AgentC2.AppHost.Infrastructure");
            InfrastructureLog.ModeSelected(logger, mode, InfrastructureModeSelection.ConfigurationKey);
            return Task.CompletedTask;
        });

        return infrastructure;
    }

    private static AgentC2Infrastructure AddLocalInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var state = LocalStateDirectory.Resolve(builder);
        var database = builder.AddLocalPostgres(ResourceNames.Postgres, state).AddDatabase(ResourceNames.Database);
        var redis = builder.AddLocalRedis(ResourceNames.Redis, state);
        return new(InfrastructureMode.Local, database, redis);
    }

    private static AgentC2Infrastructure AddContainerInfrastructure(this IDistributedApplicationBuilder builder)
    {
        // A deployment supplies its own passwords (described parameters without a generated default, so publishing
        // never writes one anywhere); run mode generates them as usual.
        var publishing = builder.ExecutionContext.IsPublishMode;
        var postgresPassword = publishing
            ? builder.AddParameter($"{ResourceNames.Postgres}-password", secret: true).WithDescription("Password of the PostgreSQL superuser")
            : null;
        var redisPassword = publishing
            ? builder.AddParameter($"{ResourceNames.Redis}-password", secret: true).WithDescription("Password of Redis")
            : null;
        var postgres = builder.AddPostgres(ResourceNames.Postgres, password: postgresPassword).WithDataVolume("agentc2-postgres-data");
        var redis = builder.AddRedis(ResourceNames.Redis, password: redisPassword).WithDataVolume("agentc2-redis-data");
        if (builder.ExecutionContext.IsRunMode)
        {
            postgres.WithEnvironment(ModeVariable, "containers");
            redis.WithEnvironment(ModeVariable, "containers");
        }

        return new(InfrastructureMode.Containers, postgres.AddDatabase(ResourceNames.Database), redis);
    }
}
