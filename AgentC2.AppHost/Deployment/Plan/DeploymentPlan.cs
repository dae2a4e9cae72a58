namespace AgentC2.AppHost.Deployment.Plan;

/// <summary>
/// The deployment as every artifact sees it, built from the published manifest and the model's deployment
/// settings: AgentC2's own services, the backing services (PostgreSQL, Redis) and the variables the operator supplies.
/// </summary>
internal sealed record DeploymentPlan(
    string RepositoryRoot,
    DeploymentOptions Options,
    IReadOnlyList<AppService> Apps,
    IReadOnlyList<BackingService> BackingServices,
    IReadOnlyList<Variable> Variables)
{
    public IEnumerable<AppService> PublicApps => Apps.Where(app => app.Settings.HasHttpIngress);

    /// <summary>Every public route with the service it goes to, longest prefix first (as path-prefix ingresses match).</summary>
    public IEnumerable<(AppService App, string Route)> PublicRoutes =>
        PublicApps.SelectMany(app => app.Settings.PublicRoutes.Select(route => (app, route))).OrderByDescending(rule => rule.route.Length);
}

/// <summary>One of AgentC2's services, built from its project into the image <see cref="ImageName"/>.</summary>
internal sealed record AppService(
    string Name,
    ProjectFiles Project,
    int Replicas,
    DeploymentAnnotation Settings,
    IReadOnlyList<EnvVar> Environment,
    IReadOnlyList<string> DependsOn)
{
    public string ImageName => $"agentc2-{Name}";

    public int Port { get; } = ServicePaths.ContainerPort;

    /// <summary>The probe run inside the container: the service's own <c>--health-probe</c> (no curl in the runtime image).</summary>
    public IReadOnlyList<string> ProbeCommand => ["dotnet", Project.AssemblyName + ".dll", "--health-probe", Settings.LivenessPath];
}

/// <summary>A service's project and the project files its restore needs (itself and what it references), relative to the repository root.</summary>
internal sealed record ProjectFiles(string ProjectPath, IReadOnlyList<string> RestoreClosure)
{
    public string Directory => Path.GetDirectoryName(ProjectPath)!.Replace('\\', '/');

    public string AssemblyName => Path.GetFileNameWithoutExtension(ProjectPath);

    public string DockerfilePath => $"{Directory}/Dockerfile";
}

internal enum BackingKind
{
    Postgres,
    Redis,
}

/// <summary>A stateful dependency: a container in compose, a managed service (or an operator's own) elsewhere.</summary>
internal sealed record BackingService(
    string Name,
    BackingKind Kind,
    string Image,
    int Port,
    string? Entrypoint,
    IReadOnlyList<string> Args,
    IReadOnlyList<EnvVar> Environment,
    IReadOnlyList<VolumeMount> Volumes,
    string HealthCommand);

internal sealed record VolumeMount(string Name, string Target, bool ReadOnly);

internal sealed record EnvVar(string Name, EnvValue Value);

/// <summary>
/// A value an operator supplies at deploy time. Secrets never appear in an artifact: compose reads them from the
/// environment (<c>.env</c>), App Platform from encrypted app-level secrets, Kubernetes from a Secret.
/// </summary>
internal sealed record Variable(string Name, string Description, bool Secret, VariableDefault Default, string? Example = null);

internal enum VariableDefault
{
    /// <summary>Must be set; deploying without it fails.</summary>
    Required,

    /// <summary>May be left empty.</summary>
    Empty,

    /// <summary>Defaults to <see cref="Variable.Example"/>, the value it was published with.</summary>
    Published,
}
