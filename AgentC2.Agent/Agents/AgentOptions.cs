using System.ComponentModel.DataAnnotations;

namespace AgentC2.Agent.Agents;

/// <summary>Bound from <c>AgentC2:Agent</c>: limits of agents and runs.</summary>
internal sealed class AgentOptions
{
    public const string Section = "AgentC2:Agent";

    /// <summary>An invocation whose effective maxSteps is above this runs asynchronously unless it asks otherwise.</summary>
    [Range(1, 10_000)]
    public int AsyncThreshold { get; set; } = 20;

    /// <summary>maxSteps of an agent created without one.</summary>
    [Range(1, 10_000)]
    public int DefaultMaxSteps { get; set; } = 10;

    /// <summary>The largest maxSteps an agent or invocation may ask for.</summary>
    [Range(1, 100_000)]
    public int MaxStepsLimit { get; set; } = 1_000;

    /// <summary>The largest maxSteps an explicitly synchronous invocation may ask for (longer runs must be async).</summary>
    [Range(1, 10_000)]
    public int MaxSyncSteps { get; set; } = 50;

    /// <summary>How long a synchronous run may take before it fails.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// After the stop signal, how long this instance's synchronous runs may go on before they are handed to the durable
    /// queue (a worker finishes them from their last checkpoint; their clients get 202 and the run's address). Defaults to
    /// <see cref="ShutdownBounds.Drain"/>, from which the orchestrators' grace periods are derived: it may only be shorter.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan SyncRunDrain { get; set; } = ShutdownBounds.Drain;

    /// <summary>How long an instance reuses an agent's definition for invocations (changes reach every instance at once through Redis).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan DefinitionCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(1, 10_000_000)]
    public int MaxInputLength { get; set; } = 100_000;
}
