using AgentC2.ServiceDefaults.Health;
using AgentC2.Worker.Telemetry;
using Npgsql;

namespace AgentC2.Worker.Queue;

/// <summary>Reads the queue's depth every few seconds for the <c>agentc2_queue_depth</c> gauge (a scrape never waits on the database).</summary>
internal sealed partial class QueueDepthSampler(RunQueue queue, WorkerMetrics metrics, TimeProvider time, SchemaGate schema, ILogger<QueueDepthSampler> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                metrics.Depth(await queue.DepthAsync(stoppingToken));
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogSampleFailed(logger, exception.Message);
            }

            await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the queue depth failed: {Reason}")]
    private static partial void LogSampleFailed(ILogger logger, string reason);
}
