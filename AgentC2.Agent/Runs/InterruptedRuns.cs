using System.Threading.Channels;

namespace AgentC2.Agent.Runs;

/// <summary>
/// A synchronous run that started but whose database became unreachable before it ended: its request answers 503
/// naming the run (<see cref="RunInterruptedException"/>), and the run is failed here as soon as the database answers
/// again, rather than when the workers find it stale. If this instance stops first, the workers still do.
/// </summary>
internal sealed partial class InterruptedRuns(RunStore runs, RunEvents events, TimeProvider time, ILogger<InterruptedRuns> logger) : BackgroundService
{
    public const string Error = "The database became unreachable while the run was executing; its last steps may not have been recorded.";

    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    private readonly Channel<RunRecord> _pending = Channel.CreateUnbounded<RunRecord>();

    public void Add(RunRecord run) => _pending.Writer.TryWrite(run);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var run in _pending.Reader.ReadAllAsync(stoppingToken))
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var finished = await runs.FinishAsync(run, RunStatus.Failed, null, Error, stoppingToken);
                    events.Publish(RunEvent.Finished(finished));
                    LogFailed(logger, run.Id, attempt, finished.Status);
                    break;
                }
                catch (Exception exception) when (Data.DatabaseFailures.IsUnavailable(exception))
                {
                    await Task.Delay(RetryInterval, time, stoppingToken);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}, interrupted by the database outage, is closed (attempt {Attempt}): {Status}")]
    private static partial void LogFailed(ILogger logger, Guid runId, int attempt, string status);
}

/// <summary>A synchronous run was created and started, but its database became unreachable before it ended.</summary>
internal sealed class RunInterruptedException(Guid runId, Exception inner)
    : Exception($"Run {runId} started, but the database became unreachable before it ended.", inner)
{
    public Guid RunId { get; } = runId;
}
