using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.AppHost.Infrastructure;

internal static class LocalRedisBuilderExtensions
{
    /// <summary>Overrides the <c>redis-server</c> found on PATH.</summary>
    public const string CommandKey = "AgentC2:Redis:Command";

    /// <summary>
    /// Adds Redis as a local <c>redis-server</c> process: loopback only, append-only persistence in
    /// <paramref name="stateDirectory"/>/redis, a PING health check that <c>WaitFor</c> uses.
    /// </summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder, string name, string stateDirectory)
    {
        var configured = builder.Configuration[CommandKey];
        var command = ExecutableLookup.FindOnPath(string.IsNullOrWhiteSpace(configured) ? "redis-server" : configured)
            ?? throw new InfrastructureException(
                "redis-server was not found on PATH: install it with 'apt-get install -y redis-server' (or run scripts/setup.sh), or set " + CommandKey + ".");

        var dataDirectory = Directory.CreateDirectory(Path.Combine(stateDirectory, "redis")).FullName;
        var resource = new LocalRedisResource(name, command, dataDirectory);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource, async (_, ct) =>
            connectionString = await resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(
            _ => connectionString ?? throw new InvalidOperationException($"The connection string of '{name}' is not available yet."),
            name: healthCheckKey);

        return builder.AddResource(resource)
            .WithEndpoint(name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--port");
                context.Args.Add(resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--dir");
                context.Args.Add(dataDirectory);
                context.Args.Add("--appendonly");
                context.Args.Add("yes");
                context.Args.Add("--save");
                context.Args.Add(string.Empty);
                context.Args.Add("--daemonize");
                context.Args.Add("no");
            })
            .WithEnvironment(InfrastructureBuilderExtensions.ModeVariable, "local")
            .WithIconName("Memory")
            .WithHealthCheck(healthCheckKey);
    }
}
