using System.Reflection;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WebServer = Microsoft.AspNetCore.Hosting.Server.IServer;

namespace AgentC2.ServiceDefaults.Fleet;

/// <summary>What a service adds to its instance's heartbeat: the runs it is executing, the MCP clients it holds.</summary>
public interface IInstanceLoad
{
    int RunsInFlight { get; }

    int McpClients { get; }
}

/// <summary>
/// Writes this instance's heartbeat to the <see cref="FleetRegistry"/> every <see cref="Interval"/>: service, instance id,
/// version (the image tag it runs, <c>AgentC2:Instance:Version</c>), host, start, state (<c>starting</c>, <c>ready</c>,
/// <c>draining</c> from the stop signal), runs in flight and MCP clients; at exit it removes itself. Redis being away only
/// pauses the heartbeats.
/// </summary>
internal sealed partial class InstanceHeartbeat(
    FleetRegistry fleet,
    IHostEnvironment environment,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    IEnumerable<IInstanceLoad> loads,
    IServiceProvider services,
    TimeProvider time,
    ILogger<InstanceHeartbeat> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>The version an instance reports (deployments set the image tag).</summary>
    public const string VersionKey = "AgentC2:Instance:Version";

    private readonly DateTimeOffset _started = time.GetUtcNow();
    private readonly string _instanceId = $"{Environment.MachineName}-{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Turning ready and the stop signal are written at once, so that an operator watching a rollout sees an instance
        // ready when the orchestrator does, and draining, not only gone.
        using var started = lifetime.ApplicationStarted.Register(() => _ = BeatAsync());
        using var stopping = lifetime.ApplicationStopping.Register(() => _ = BeatAsync());
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            await BeatAsync();
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await fleet.RemoveAsync(Current());
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            // Its entry expires on its own.
        }
    }

    private async Task BeatAsync()
    {
        try
        {
            await fleet.WriteAsync(Current());
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            LogSkipped(logger, e.Message);
        }
    }

    private InstanceRecord Current()
    {
        var state = lifetime.ApplicationStopping.IsCancellationRequested ? "draining"
            : lifetime.ApplicationStarted.IsCancellationRequested ? "ready"
            : "starting";
        return new InstanceRecord(
            environment.ApplicationName.Replace("AgentC2.", "", StringComparison.Ordinal).ToLowerInvariant(),
            _instanceId,
            Version(configuration),
            Environment.MachineName,
            _started,
            state,
            loads.Sum(l => l.RunsInFlight),
            loads.Sum(l => l.McpClients),
            time.GetUtcNow(),
            Address());
    }

    /// <summary>The first address this instance's web server listens on, once it listens.</summary>
    private string? Address() =>
        services.GetService<WebServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();

    /// <summary>The configured version (the image tag), else the build's: its version and the first 12 digits of its commit.</summary>
    private static string Version(IConfiguration configuration)
    {
        if (configuration[VersionKey] is { Length: > 0 } configured)
        {
            return configured;
        }

        var build = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        return build.IndexOf('+', StringComparison.Ordinal) is var plus and >= 0 && build.Length > plus + 13 ? build[..(plus + 13)] : build;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Fleet heartbeat skipped: Redis is not reachable ({Reason})")]
    private static partial void LogSkipped(ILogger logger, string reason);
}
