using System.ComponentModel.DataAnnotations;

namespace AgentC2.Worker.Queue;

/// <summary>Bound from <c>AgentC2:Queue</c>: how a worker drains the run queue.</summary>
internal sealed class QueueOptions
{
    public const string Section = "AgentC2:Queue";

    /// <summary>Runs one worker drives at the same time.</summary>
    [Range(1, 1_000)]
    public int MaxConcurrentRuns { get; set; } = 32;

    /// <summary>How long a claimed run is the worker's without a heartbeat; after that another worker takes it over.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the worker renews the leases of the runs it drives (well below <see cref="LeaseDuration"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:30:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often an idle worker looks for work when no notification wakes it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Runs of one organization running at the same time (across all workers), unless overridden per organization.</summary>
    [Range(0, 100_000)]
    public int MaxRunningPerOrganization { get; set; } = 50;

    /// <summary>Per-organization overrides by slug: <c>AgentC2:Queue:Organizations:{slug}:MaxRunning</c>.</summary>
    public Dictionary<string, OrganizationQueueOptions> Organizations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The delay before the second attempt of a run whose step failed; it doubles with each attempt (with jitter).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one step may take (the model and its tool calls) before the worker counts it failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A synchronous run still <c>running</c> this long after it started was orphaned by its agent instance (well above the
    /// agent's synchronous time limit); the worker marks it failed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan StaleSyncRunAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a stopping worker lets steps in flight finish before it aborts them and releases their runs.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(15);
}

internal sealed class OrganizationQueueOptions
{
    [Range(0, 100_000)]
    public int? MaxRunning { get; set; }
}
