using Aspire.Hosting.ApplicationModel;

namespace AgentC2.AppHost.Deployment;

/// <summary>
/// What a deployment needs to know about a service that the application model does not say by itself: resource
/// limits and requests, autoscaling, the public routes it serves, its probes. Replicas come from the model's own
/// <c>WithReplicas</c>, which publish mode sets to the deployed count (<c>WithAgentC2Replicas</c>).
/// </summary>
internal sealed class DeploymentAnnotation : IResourceAnnotation
{
    /// <summary>CPU limit in cores.</summary>
    public double Cpus { get; set; } = 1;

    /// <summary>Memory limit in MiB.</summary>
    public int MemoryMiB { get; set; } = 1024;

    /// <summary>CPU the scheduler reserves (Kubernetes requests, Swarm reservations). Autoscaling targets are relative to it.</summary>
    public double RequestCpus { get; set; } = 0.25;

    /// <summary>Memory the scheduler reserves, in MiB.</summary>
    public int RequestMemoryMiB { get; set; } = 512;

    /// <summary>DigitalOcean App Platform instance size slug (dedicated sizes are required for autoscaling).</summary>
    public string InstanceSize { get; set; } = "apps-s-1vcpu-1gb";

    public Autoscaling? Autoscaling { get; set; }

    /// <summary>Scaling on the run queue instead of fixed replicas (KEDA on Kubernetes; see <see cref="QueueAutoscaling"/>).</summary>
    public QueueAutoscaling? QueueAutoscaling { get; set; }

    /// <summary>The fewest instances this service runs: its autoscaling minimum, else its fixed replicas.</summary>
    public int MinReplicas(int replicas) => Autoscaling?.MinReplicas ?? QueueAutoscaling?.MinReplicas ?? replicas;

    /// <summary>Path prefixes the edge (Caddy, App Platform ingress, Kubernetes Ingress) routes to this service. None: no HTTP ingress.</summary>
    public List<string> PublicRoutes { get; } = [];

    /// <summary>Path prefixes of this service the edge refuses even under a public route.</summary>
    public List<string> HiddenRoutes { get; } = [];

    public string LivenessPath { get; set; } = ServicePaths.Live;

    public string ReadinessPath { get; set; } = ServicePaths.Ready;

    /// <summary>
    /// How long the orchestrator waits after the stop signal before it kills the process: derived from the services' one
    /// drain bound (<see cref="ShutdownBounds"/>: the readiness drain, sync runs finishing or handed to the queue, the
    /// worker handing its runs back), the same on every platform.
    /// </summary>
    public TimeSpan StopGracePeriod { get; set; } = ShutdownBounds.GracePeriod;

    /// <summary>How long a new instance may take before failing health checks counts (migrations run at start-up).</summary>
    public TimeSpan StartPeriod { get; set; } = TimeSpan.FromSeconds(30);

    public bool HasHttpIngress => PublicRoutes.Count > 0;
}

/// <summary>
/// Horizontal autoscaling on CPU utilization (of the requested CPU on Kubernetes, of the instance on App Platform) and,
/// where the platform reads the service's own metric (KEDA on Kubernetes), on its work in flight: an agent's runs mostly
/// wait on models and tools, so its CPU stays low while they pile up.
/// </summary>
internal sealed record Autoscaling(int MinReplicas, int MaxReplicas, int CpuPercent, int? WorkInFlightPerReplica = null);

/// <summary>
/// Scaling on the run queue: as many instances as the runs that are due or running need at
/// <paramref name="RunsPerReplica"/> each (the worker's <c>AgentC2:Queue:MaxConcurrentRuns</c>), within
/// <paramref name="MinReplicas"/>..<paramref name="MaxReplicas"/>, scaling in only after <paramref name="Cooldown"/>.
/// </summary>
internal sealed record QueueAutoscaling(int MinReplicas, int MaxReplicas, int RunsPerReplica, TimeSpan Cooldown);

/// <summary>Marks a parameter a deployment may leave empty.</summary>
internal sealed class OptionalInDeploymentsAnnotation : IResourceAnnotation;
