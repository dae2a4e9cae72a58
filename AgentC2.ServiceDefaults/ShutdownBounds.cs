namespace AgentC2;

/// <summary>
/// How long a stopping instance takes, from the stop signal to its exit: one bound, <see cref="Drain"/>, from which the
/// services' own shutdown timeout and every orchestrator's grace period (compose, Swarm, Kubernetes, App Platform) are
/// derived, so that no platform kills an instance that is still handing its work on.
/// </summary>
public static class ShutdownBounds
{
    /// <summary>
    /// After the stop signal, how long work in flight may go on: synchronous runs still going at this bound are handed
    /// to the durable queue from their last checkpoint (their clients get 202 and the run's address), event streams end
    /// earlier (after the readiness drain), and the worker hands its leased runs back within it.
    /// </summary>
    public static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    /// <summary>The host's shutdown timeout: the drain, then time to hand runs over and answer their clients.</summary>
    public static readonly TimeSpan HostShutdown = Drain + TimeSpan.FromSeconds(8);

    /// <summary>How long an orchestrator waits after the stop signal before it kills the process.</summary>
    public static readonly TimeSpan GracePeriod = HostShutdown + TimeSpan.FromSeconds(7);
}
