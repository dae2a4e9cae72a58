using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>
/// Holds the host in its stopping phase for <see cref="HealthOptions.ShutdownDrainDelay"/> before the
/// web server stops: readiness already answers 503, in-flight and new requests are still served, and
/// load balancers see the replica leave before its connections close.
/// </summary>
internal sealed partial class ShutdownDrain(IOptions<HealthOptions> options, InstanceDrain drain, TimeProvider time, ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var delay = options.Value.ShutdownDrainDelay;
        if (delay > TimeSpan.Zero)
        {
            LogDraining(logger, delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout ran out first: stop now.
            }
        }

        // Out of every rotation by now: long-lived answers (event streams) end, so the server's stop does not wait on them.
        drain.EndStreams();
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: readiness reports 503; draining for {Seconds} s before the server stops")]
    private static partial void LogDraining(ILogger logger, double seconds);
}
