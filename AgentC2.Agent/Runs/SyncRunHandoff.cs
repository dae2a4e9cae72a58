using AgentC2.Agent.Agents;
using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Runs;

/// <summary>
/// When this instance stops, its synchronous runs are not lost: from the stop signal no new run executes here (a new
/// synchronous invocation goes to the queue and is awaited), and <see cref="AgentOptions.SyncRunDrain"/> later every run
/// still executing here stops where it is and is handed to the queue from its last checkpoint.
/// </summary>
internal sealed partial class SyncRunHandoff : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _handOff = new();
    private readonly CancellationTokenRegistration _stopping;
    private readonly TimeProvider _time;
    private readonly ILogger<SyncRunHandoff> _logger;
    private long _stoppedAt;

    public SyncRunHandoff(IHostApplicationLifetime lifetime, IOptions<AgentOptions> options, TimeProvider time, ILogger<SyncRunHandoff> logger)
    {
        _time = time;
        _logger = logger;
        Bound = options.Value.SyncRunDrain;
        _stopping = lifetime.ApplicationStopping.Register(() =>
        {
            Interlocked.Exchange(ref _stoppedAt, time.GetTimestamp());
            LogDraining(_logger, Bound.TotalSeconds);
            _handOff.CancelAfter(Bound);
        });
    }

    /// <summary>How long after the stop signal the runs still executing here are handed to the queue.</summary>
    public TimeSpan Bound { get; }

    /// <summary>Whether the stop signal came: new runs do not execute here.</summary>
    public bool Stopping => Interlocked.Read(ref _stoppedAt) != 0;

    /// <summary>Cancelled at the bound: runs executing here stop where they are and go to the queue.</summary>
    public CancellationToken HandOff => _handOff.Token;

    /// <summary>What is left of the bound (zero before the stop signal).</summary>
    public TimeSpan Remaining => Stopping ? Bound - _time.GetElapsedTime(Interlocked.Read(ref _stoppedAt)) : TimeSpan.Zero;

    // A hosted service only so that it exists (and watches for the stop signal) from the start.
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void HandedOff(Guid runId, int checkpointedSteps) => LogHandedOff(_logger, runId, checkpointedSteps);

    public void Dispose()
    {
        _stopping.Dispose();
        _handOff.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: synchronous runs still executing in {Seconds} s go to the queue; new ones go there at once")]
    private static partial void LogDraining(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} handed to the queue after {Steps} checkpointed steps: a worker finishes it")]
    private static partial void LogHandedOff(ILogger logger, Guid runId, int steps);
}
