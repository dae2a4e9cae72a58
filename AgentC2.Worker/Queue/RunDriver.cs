using System.Collections.Concurrent;
using System.Diagnostics;
using AgentC2.ServiceDefaults.Fleet;
using AgentC2.ServiceDefaults.Health;
using AgentC2.Worker.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentC2.Worker.Queue;

/// <summary>
/// Drains the run queue: claims runs up to <see cref="QueueOptions.MaxConcurrentRuns"/>, drives each one step at a time
/// through the agent service, renews the leases of all of them with one heartbeat, and retries failed attempts with
/// backoff. It wakes on <c>LISTEN agentc2_runs</c> and polls as a fallback. A stopping worker claims nothing new, lets
/// steps in flight finish (up to <see cref="QueueOptions.StopGrace"/>) and gives its runs back to the queue.
/// </summary>
internal sealed partial class RunDriver(
    RunQueue queue,
    AgentStepClient agent,
    QueueNotifications notifications,
    WorkerIdentity identity,
    WorkerMetrics metrics,
    IOptions<QueueOptions> options,
    TimeProvider time,
    SchemaGate schema,
    ILogger<RunDriver> logger) : BackgroundService, IInstanceLoad
{
    /// <summary>How often a claim also returns runs with expired leases to the queue.</summary>
    public static readonly TimeSpan ReapInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a woken claim loop waits for more slots or runs, so that one claim serves several.</summary>
    public static readonly TimeSpan ClaimCoalescing = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _driving = new();

    /// <summary>The runs this worker drives now (for its fleet heartbeat).</summary>
    public int RunsInFlight => _driving.Count;

    public int McpClients => 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.WaitAsync(stoppingToken);
        var settings = options.Value;
        LogStarted(logger, identity.LeaseOwner, settings.MaxConcurrentRuns);
        using var abort = new CancellationTokenSource();
        var drivers = new ConcurrentDictionary<Task, bool>();
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(heartbeatStop.Token);
        var lastReap = long.MinValue;
        var cursors = new QueueCursors(time);
        var backlog = false;

        while (!stoppingToken.IsCancellationRequested)
        {
            if (settings.MaxConcurrentRuns - _driving.Count <= 0)
            {
                await notifications.RunQueued.WaitAsync(settings.PollInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

                // Under load, runs finish in quick succession: gather the slots they free into one claim.
                await Task.Delay(ClaimCoalescing, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            var free = settings.MaxConcurrentRuns - _driving.Count;
            var reap = lastReap == long.MinValue || time.GetElapsedTime(lastReap) >= ReapInterval;

            // While the organizations it follows have a backlog, the worker resumes their queues where it left them; a full
            // claim (every organization, each queue from its start) at least every reap interval and when that backlog ends.
            while (notifications.QueuedOrganizations.TryDequeue(out var organization))
            {
                cursors.Follow(organization);
            }

            var full = reap || !backlog || cursors.Count == 0;
            IReadOnlyList<ClaimedRun> claimed;
            try
            {
                (claimed, var expired) = await queue.ClaimAsync(identity.LeaseOwner, free, reap, full ? null : cursors.Snapshot(), stoppingToken);
                lastReap = reap ? time.GetTimestamp() : lastReap;
                cursors.Advance(claimed);
                if (full)
                {
                    cursors.ForgetIdle();
                }

                if (expired > 0)
                {
                    metrics.LeasesExpired(expired);
                    LogLeasesExpired(logger, expired);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException || (exception is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                LogClaimFailed(logger, exception.Message);
                claimed = [];
            }
            catch (OperationCanceledException)
            {
                break;
            }

            foreach (var run in claimed)
            {
                metrics.Claimed(run.WaitSeconds);
                var lease = CancellationTokenSource.CreateLinkedTokenSource(abort.Token);
                _driving[run.Id] = lease;
                var driver = DriveAsync(run, lease, stoppingToken);
                drivers[driver] = true;
                _ = driver.ContinueWith(t => drivers.TryRemove(t, out _), TaskScheduler.Default);
            }

            if (claimed.Count < free && !full)
            {
                // The followed organizations ran out: look at every organization at once before sleeping.
                backlog = false;
                continue;
            }

            backlog = claimed.Count == free;
            if (claimed.Count < free)
            {
                // Nothing more to claim now: sleep until a run is queued (NOTIFY), one of ours ends (its organization may be
                // below its cap again), or the next poll.
                await notifications.RunQueued.WaitAsync(settings.PollInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await Task.Delay(ClaimCoalescing, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        // Stopping: steps in flight may finish within the grace period; then they are aborted. Every run is given back.
        abort.CancelAfter(settings.StopGrace);
        await Task.WhenAll(drivers.Keys);
        await heartbeatStop.CancelAsync();
        await heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        LogStopped(logger, identity.LeaseOwner);
    }

    private async Task DriveAsync(ClaimedRun run, CancellationTokenSource lease, CancellationToken stoppingToken)
    {
        await Task.Yield();

        // This attempt is a span of the run's trace; each step call below is its child, and the agent's step continues it.
        using var activity = WorkerTracing.Start("run", ActivityKind.Consumer, run.TraceParent, run.Id);
        activity?.SetTag("agentc2.organization.id", run.OrganizationId.ToString());
        activity?.SetTag("agentc2.run.attempt", run.Attempts);
        try
        {
            while (true)
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    await ReleaseAsync(run);
                    return;
                }

                switch (await agent.ExecuteStepAsync(run.Id, identity.LeaseOwner, lease.Token))
                {
                    case StepCall.Done { Response: var response }:
                        metrics.Step(ok: true);
                        if (response.Status != RunStatus.Running)
                        {
                            return;
                        }

                        break;
                    case StepCall.Lost lost:
                        LogLeaseLost(logger, run.Id, lost.Reason);
                        return;
                    case StepCall.Unavailable unavailable:
                        LogAgentUnavailable(logger, run.Id, unavailable.Reason);
                        await ReleaseAsync(run, options.Value.RetryBaseDelay);
                        return;
                    case StepCall.Failed failed:
                        metrics.Step(ok: false);
                        var delay = Backoff.Delay(run.Attempts, options.Value.RetryBaseDelay, options.Value.RetryMaxDelay, Random.Shared.NextDouble());
                        var status = await queue.FailAttemptAsync(run.Id, identity.LeaseOwner, delay, failed.Reason, CancellationToken.None);
                        LogAttemptFailed(logger, run.Id, run.Attempts, run.MaxAttempts, failed.Reason, status ?? "lease lost");
                        if (status == "failed")
                        {
                            metrics.RunFailed();
                        }

                        return;
                }
            }
        }
        catch (OperationCanceledException) when (lease.IsCancellationRequested)
        {
            // Lease lost (cancelled or taken over: nothing to give back), or the stop grace ran out (give it back).
            if (stoppingToken.IsCancellationRequested)
            {
                await ReleaseAsync(run);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            // The database is away: the lease will expire and another attempt resumes from the last checkpoint.
            LogDriveFailed(logger, run.Id, exception.Message);
        }
        finally
        {
            _driving.TryRemove(run.Id, out _);
            lease.Dispose();
            notifications.RunQueued.Set();
        }
    }

    private async Task ReleaseAsync(ClaimedRun run, TimeSpan delay = default)
    {
        try
        {
            if (await queue.ReleaseAsync(run.Id, identity.LeaseOwner, delay, CancellationToken.None))
            {
                metrics.Released();
                LogReleased(logger, run.Id);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            LogDriveFailed(logger, run.Id, exception.Message);
        }
    }

    /// <summary>One statement renews every lease this worker holds; runs it no longer holds stop at once.</summary>
    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var ids = _driving.Keys.ToList();
            if (ids.Count == 0)
            {
                continue;
            }

            try
            {
                var held = await queue.HeartbeatAsync(identity.LeaseOwner, ids, CancellationToken.None);
                foreach (var id in ids.Where(id => !held.Contains(id)))
                {
                    if (_driving.TryGetValue(id, out var lease))
                    {
                        await lease.CancelAsync();
                    }
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogHeartbeatFailed(logger, exception.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {LeaseOwner} drains the run queue, {MaxConcurrentRuns} runs at a time")]
    private static partial void LogStarted(ILogger logger, string leaseOwner, int maxConcurrentRuns);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {LeaseOwner} stopped; its runs are back in the queue")]
    private static partial void LogStopped(ILogger logger, string leaseOwner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} runs' leases expired; they are back in the queue for another worker")]
    private static partial void LogLeasesExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming runs failed: {Reason}")]
    private static partial void LogClaimFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} is no longer this worker's: {Reason}")]
    private static partial void LogLeaseLost(ILogger logger, Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attempt {Attempt} of {MaxAttempts} of run {RunId} failed: {Reason} (run is now {Status})")]
    private static partial void LogAttemptFailed(ILogger logger, Guid runId, int attempt, int maxAttempts, string reason, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Driving run {RunId} stopped: {Reason}")]
    private static partial void LogDriveFailed(ILogger logger, Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} given back to the queue")]
    private static partial void LogReleased(ILogger logger, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The agent service could not take a step of run {RunId} ({Reason}); the run goes back to the queue, this attempt not counted")]
    private static partial void LogAgentUnavailable(ILogger logger, Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing leases failed: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string reason);
}

/// <summary>This worker process's name on the leases it takes: host, process id and a random suffix.</summary>
internal sealed class WorkerIdentity
{
    public string LeaseOwner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
