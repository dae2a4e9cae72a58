namespace AgentC2;

/// <summary>
/// The paths every AgentC2 service serves for machines: probes and metrics. The services map them, and the
/// AppHost's deployment artifacts point health checks, probes and scrape configuration at them.
/// </summary>
public static class ServicePaths
{
    /// <summary>Database, Redis and memory: 200 healthy or degraded, 503 unhealthy.</summary>
    public const string Health = "/api/health";

    /// <summary>200 while the process runs; no dependency is asked (liveness, container HEALTHCHECK).</summary>
    public const string Live = "/api/health/live";

    /// <summary>Database reachable and not shutting down (readiness, load-balancer health checks).</summary>
    public const string Ready = "/api/health/ready";

    /// <summary>Prometheus text format.</summary>
    public const string Metrics = "/api/metrics";

    /// <summary>The port every service listens on inside a container (the ASP.NET images' default).</summary>
    public const int ContainerPort = 8080;

    /// <summary>
    /// The port of <see cref="Metrics"/> inside a container (the OpenTelemetry Prometheus exporter's usual one). The images
    /// listen on it beside <see cref="ContainerPort"/> and serve metrics only there; no route, ingress, service or
    /// published port leads to it, so only the deployment's own Prometheus reaches it.
    /// </summary>
    public const int MetricsPort = 9464;

    /// <summary>The setting that moves <see cref="Metrics"/> to its own port (unset: served on the service's port, as in run mode).</summary>
    public const string MetricsPortKey = "AgentC2:Metrics:Port";
}
