using System.ComponentModel.DataAnnotations;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>Bound from <c>AgentC2:Health</c>.</summary>
internal sealed class HealthOptions
{
    public const string Section = "AgentC2:Health";

    /// <summary>
    /// How long the database <c>SELECT 1</c> and the Redis <c>PING</c> may take before they count as failed: under the
    /// readiness probes' own timeouts (3 s at the edge and in Kubernetes), so a probe is answered rather than timed out.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan DependencyTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Resident memory above this fraction of the memory limit reports Degraded.</summary>
    [Range(0.05, 1.0)]
    public double MemoryDegradedThreshold { get; set; } = 0.8;

    /// <summary>
    /// After a stop signal, how long the service keeps serving while <c>/api/health/ready</c> answers 503,
    /// so load balancers take it out of rotation before it stops accepting connections.
    /// Defaults to 5 s, and to zero in Development.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ShutdownDrainDelay { get; set; } = TimeSpan.FromSeconds(5);
}
