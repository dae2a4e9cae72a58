using System.Globalization;
using System.Xml.Linq;
using Aspire.Hosting.ApplicationModel;

namespace AgentC2.AppHost.Deployment.Plan;

/// <summary>Builds the <see cref="DeploymentPlan"/> from the published manifest and the application model.</summary>
internal sealed class PlanBuilder(DistributedApplicationModel model, Manifest manifest, string manifestDirectory, string repositoryRoot, DeploymentOptions options)
{
    /// <summary>The files at the repository root that every restore reads.</summary>
    public static readonly string[] RestoreFiles = ["global.json", "Directory.Build.props", "Directory.Packages.props"];

    private readonly Dictionary<string, Variable> _variables = [];

    private Variable Region => new("REGION", "Region the services report as cloud.region in their telemetry", Secret: false, VariableDefault.Published, options.Region);

    public DeploymentPlan Build()
    {
        var resolver = new ExpressionResolver(manifest, VariableOf);
        var backing = manifest.Resources.Where(entry => entry.Value.IsContainer)
            .Select(entry => BackingServiceOf(entry.Key, entry.Value, resolver))
            .ToList();
        var apps = manifest.Resources.Where(entry => entry.Value.IsProject)
            .Select(entry => AppServiceOf(entry.Key, entry.Value, resolver, backing))
            .ToList();
        return new DeploymentPlan(repositoryRoot, options, apps, backing, [.. _variables.Values, Region]);
    }

    private AppService AppServiceOf(string name, ManifestResource resource, ExpressionResolver resolver, List<BackingService> backing)
    {
        var modelResource = model.Resources.OfType<ProjectResource>().Single(r => r.Name == name);
        var settings = modelResource.TryGetLastAnnotation<DeploymentAnnotation>(out var annotation) ? annotation : new DeploymentAnnotation();
        var replicas = modelResource.TryGetLastAnnotation<ReplicaAnnotation>(out var replica) ? replica.Replicas : 1;

        var environment = resource.Env
            .Where(entry => !resolver.ReferencesProjectHttps(entry.Value))
            .Select(entry => new EnvVar(entry.Key, resolver.Resolve(entry.Value)))
            // Every service also listens on the metrics port, and serves metrics there only (ServicePaths.MetricsPort).
            .Select(variable => variable.Name == "HTTP_PORTS"
                ? variable with { Value = new EnvValue([.. variable.Value.Parts, new TextPart($";{ServicePaths.MetricsPort}")], false) }
                : variable)
            .Append(new EnvVar("AgentC2__Metrics__Port", EnvValue.Literal(ServicePaths.MetricsPort.ToString(CultureInfo.InvariantCulture))))
            .Append(new EnvVar("OTEL_SERVICE_NAME", EnvValue.Literal(name)))
            .Append(new EnvVar("OTEL_RESOURCE_ATTRIBUTES", new EnvValue([new TextPart("cloud.region="), new VariablePart(Region)], false)))
            .ToList();

        var dependsOn = modelResource.Annotations.OfType<WaitAnnotation>()
            .Select(wait => wait.Resource is IResourceWithParent child ? child.Parent.Name : wait.Resource.Name)
            .Where(dependency => backing.Any(b => b.Name == dependency) || manifest.Resources.ContainsKey(dependency) && manifest[dependency].IsProject)
            .Distinct()
            .ToList();

        var projectPath = Path.GetFullPath(resource.Path ?? throw new InvalidDataException($"{name} has no project path"), manifestDirectory);
        return new AppService(name, ProjectFilesOf(projectPath), replicas, settings, environment, dependsOn);
    }

    private BackingService BackingServiceOf(string name, ManifestResource resource, ExpressionResolver resolver)
    {
        var environment = resource.Env.Select(entry => new EnvVar(entry.Key, resolver.Resolve(entry.Value))).ToList();
        var port = resource.Bindings.Values.Select(b => b.TargetPort).FirstOrDefault(p => p is not null)
            ?? throw new InvalidDataException($"{name} has no target port");
        var image = resource.Image ?? throw new InvalidDataException($"{name} has no image");
        var volumes = resource.Volumes.Select(v => new VolumeMount(v.Name, v.Target, v.ReadOnly)).ToList();

        var server = model.Resources.Single(r => r.Name == name);
        switch (server)
        {
            case PostgresServerResource postgres:
                var databases = model.Resources.OfType<PostgresDatabaseResource>().Where(d => d.Parent == postgres).ToList();
                if (databases.Count != 1)
                {
                    throw new InvalidDataException($"{name}: the deployment creates exactly one database per server (found {databases.Count})");
                }

                var user = resource.Env.GetValueOrDefault("POSTGRES_USER", "postgres");
                environment.Add(new EnvVar("POSTGRES_DB", EnvValue.Literal(databases[0].DatabaseName)));
                return new BackingService(name, BackingKind.Postgres, image, port, resource.Entrypoint, resource.Args, environment, volumes,
                    $"pg_isready -U {user} -d {databases[0].DatabaseName}");
            case RedisResource:
                return new BackingService(name, BackingKind.Redis, image, port, resource.Entrypoint, ExecInShell(resource.Entrypoint, resource.Args), environment, volumes,
                    "REDISCLI_AUTH=\"$REDIS_PASSWORD\" redis-cli ping | grep -q PONG");
            default:
                throw new InvalidDataException($"{name} ({image}) is a container the deployment artifacts do not know how to run");
        }
    }

    /// <summary>
    /// A server started through <c>/bin/sh -c "…"</c> (Aspire's Redis, to expand its password) would leave the shell as PID 1,
    /// which ignores SIGTERM: every stop would wait out the grace period and kill the server without its final save.
    /// <c>exec</c> makes the server itself PID 1.
    /// </summary>
    private static IReadOnlyList<string> ExecInShell(string? entrypoint, IReadOnlyList<string> args) =>
        entrypoint is "/bin/sh" or "sh" && args is ["-c", var script] && !script.StartsWith("exec ", StringComparison.Ordinal)
            ? ["-c", "exec " + script]
            : args;

    private Variable VariableOf(string parameter)
    {
        if (_variables.TryGetValue(parameter, out var known))
        {
            return known;
        }

        var input = manifest[parameter].Inputs.GetValueOrDefault("value") ?? new ManifestInput();
        var resource = model.Resources.OfType<ParameterResource>().FirstOrDefault(p => p.Name == parameter);
        var description = resource?.Description ?? throw new InvalidDataException($"parameter {parameter} needs a description (WithDescription): it is documented in .env.example");
        var (kind, example) = input.Default?.Value switch
        {
            _ when resource.Annotations.OfType<OptionalInDeploymentsAnnotation>().Any() => (VariableDefault.Empty, null),
            { } value => (VariableDefault.Published, value),
            null => (VariableDefault.Required, (string?)null),
        };

        var variable = new Variable(parameter.Replace('-', '_').ToUpper(CultureInfo.InvariantCulture), description, input.Secret, kind, example);
        _variables[parameter] = variable;
        return variable;
    }

    private ProjectFiles ProjectFilesOf(string projectPath)
    {
        var closure = new List<string>();
        var pending = new Stack<string>([projectPath]);
        while (pending.TryPop(out var project))
        {
            var relative = Path.GetRelativePath(repositoryRoot, project).Replace('\\', '/');
            if (closure.Contains(relative))
            {
                continue;
            }

            closure.Add(relative);
            foreach (var reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")?.Value.Replace('\\', '/');
                if (include is not null)
                {
                    pending.Push(Path.GetFullPath(include, Path.GetDirectoryName(project)!));
                }
            }
        }

        return new ProjectFiles(closure[0], [.. closure.Order(StringComparer.Ordinal)]);
    }
}
