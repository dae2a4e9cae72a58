using System.Globalization;
using Aspire.Hosting.ApplicationModel;

namespace AgentC2.AppHost.Deployment;

/// <summary>Deployment settings on the AppHost's services; the publish step turns them into the artifacts.</summary>
internal static class DeploymentBuilderExtensions
{
    /// <summary>Limits (<paramref name="memory"/> like <c>4G</c> or <c>512M</c>), requests (a quarter of the CPU and half the memory unless given) and the App Platform instance size.</summary>
    public static IResourceBuilder<ProjectResource> WithResourceLimits(this IResourceBuilder<ProjectResource> service,
        double cpus, string memory, string instanceSize, double? requestCpus = null, string? requestMemory = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cpus);
        var settings = service.Deployment();
        settings.Cpus = cpus;
        settings.MemoryMiB = ParseMiB(memory);
        settings.RequestCpus = requestCpus ?? cpus / 4;
        settings.RequestMemoryMiB = requestMemory is null ? settings.MemoryMiB / 2 : ParseMiB(requestMemory);
        settings.InstanceSize = instanceSize;
        return service;
    }

    /// <summary>Autoscaling on CPU and, where the platform can read it, on the service's work in flight per replica.</summary>
    public static IResourceBuilder<ProjectResource> WithAutoscaling(this IResourceBuilder<ProjectResource> service,
        int minReplicas, int maxReplicas, int cpuPercent, int? workInFlightPerReplica = null)
    {
        if (minReplicas < 1 || maxReplicas < minReplicas || cpuPercent is < 1 or > 100 || workInFlightPerReplica < 1)
        {
            throw new ArgumentException($"autoscaling needs 1 <= min <= max, a CPU target in 1..100 and a positive work-in-flight target (got {minReplicas}..{maxReplicas} at {cpuPercent} %, {workInFlightPerReplica})");
        }

        service.Deployment().Autoscaling = new Autoscaling(minReplicas, maxReplicas, cpuPercent, workInFlightPerReplica);
        return service;
    }

    /// <summary>Scaling on the run queue: the runs due or running, <paramref name="runsPerReplica"/> to an instance.</summary>
    public static IResourceBuilder<ProjectResource> WithQueueAutoscaling(this IResourceBuilder<ProjectResource> service,
        int minReplicas, int maxReplicas, int runsPerReplica, TimeSpan cooldown)
    {
        if (minReplicas < 1 || maxReplicas < minReplicas || runsPerReplica < 1 || cooldown < TimeSpan.Zero)
        {
            throw new ArgumentException($"queue autoscaling needs 1 <= min <= max, a positive runs-per-replica target and a cooldown (got {minReplicas}..{maxReplicas}, {runsPerReplica}, {cooldown})");
        }

        service.Deployment().QueueAutoscaling = new QueueAutoscaling(minReplicas, maxReplicas, runsPerReplica, cooldown);
        return service;
    }

    /// <summary>The path prefixes the edge routes to this service, and those under them it must refuse.</summary>
    public static IResourceBuilder<ProjectResource> WithPublicRoutes(this IResourceBuilder<ProjectResource> service, string[] routes, string[]? hidden = null)
    {
        var settings = service.Deployment();
        foreach (var route in routes.Concat(hidden ?? []))
        {
            if (!route.StartsWith('/'))
            {
                throw new ArgumentException($"a route is a path prefix starting with '/', got '{route}'");
            }
        }

        settings.PublicRoutes.AddRange(routes);
        settings.HiddenRoutes.AddRange(hidden ?? []);
        return service;
    }

    /// <summary>The deployment may leave this parameter empty (compose <c>${NAME:-}</c>, an optional Kubernetes secret key).</summary>
    public static IResourceBuilder<ParameterResource> OptionalInDeployments(this IResourceBuilder<ParameterResource> parameter) =>
        parameter.WithAnnotation(new OptionalInDeploymentsAnnotation());

    internal static DeploymentAnnotation Deployment(this IResourceBuilder<ProjectResource> service)
    {
        if (service.Resource.TryGetLastAnnotation<DeploymentAnnotation>(out var existing))
        {
            return existing;
        }

        var created = new DeploymentAnnotation();
        service.WithAnnotation(created);
        return created;
    }

    internal static int ParseMiB(string size)
    {
        var unit = size.Length > 0 ? char.ToUpperInvariant(size[^1]) : ' ';
        var factor = unit switch { 'G' => 1024, 'M' => 1, _ => 0 };
        if (factor == 0 || !int.TryParse(size.AsSpan(0, size.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new ArgumentException($"a memory size is a whole number of G or M, like 4G or 512M (got '{size}')");
        }

        return value * factor;
    }
}
