using System.ComponentModel.DataAnnotations;
using AgentC2.AppHost.Deployment.Caddy;
using AgentC2.AppHost.Deployment.Compose;
using AgentC2.AppHost.Deployment.DigitalOcean;
using AgentC2.AppHost.Deployment.GitHub;
using AgentC2.AppHost.Deployment.Kubernetes;
using AgentC2.AppHost.Deployment.Plan;
using AgentC2.AppHost.Deployment.Prometheus;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentC2.AppHost.Deployment;

/// <summary>
/// The publish step that turns the application model into AgentC2's deployment artifacts: it reads the manifest
/// Aspire writes (<c>aspire-manifest.json</c>) and the model's deployment settings into a <see cref="DeploymentPlan"/>,
/// and writes the Dockerfiles, the Compose and Swarm files with Caddy, <c>.env.example</c>, the App Platform spec and
/// the Kubernetes manifests into the publish output folder (the repository root for the committed copies).
/// </summary>
internal static partial class DeploymentArtifacts
{
    public const string StepName = "agentc2-deployment-artifacts";
    public const string ManifestStep = "publish-manifest";
    public const string ManifestFile = "aspire-manifest.json";

    public static IDistributedApplicationBuilder AddDeploymentArtifacts(this IDistributedApplicationBuilder builder)
    {
        var appHostDirectory = builder.AppHostDirectory;
        builder.Pipeline.AddStep(StepName, context => WriteAsync(context, appHostDirectory),
            dependsOn: ManifestStep, requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    private static async Task WriteAsync(PipelineStepContext context, string appHostDirectory)
    {
        try
        {
            var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
            var options = ReadOptions(context.Services.GetRequiredService<IConfiguration>());
            var manifest = await Manifest.ReadAsync(Path.Combine(output, ManifestFile), context.CancellationToken);
            var plan = new PlanBuilder(context.Model, manifest, output, RepositoryRoot(appHostDirectory), options).Build();

            var files = Generate(plan);
            foreach (var file in files)
            {
                var path = Path.Combine(output, file.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, file.Content, context.CancellationToken);
            }

            Log.Written(context.Logger, files.Count, output);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // `dotnet run` would otherwise exit 0 after a failed step.
            Environment.ExitCode = 1;
            Log.Failed(context.Logger, e.Message);
            throw;
        }
    }

    /// <summary>Every artifact of the plan, in the order they are written.</summary>
    public static IReadOnlyList<GeneratedFile> Generate(DeploymentPlan plan)
    {
        var caddyfile = CaddyfileWriter.Write(CaddyfileWriter.Site(plan));
        var prometheus = PrometheusWriter.Write(plan).ToList();
        var compose = new ComposeWriter(plan, prometheus.Append(caddyfile).ToDictionary(file => file.Path, file => file.Content));
        var files = new List<GeneratedFile>();
        files.AddRange(plan.Apps.Select(DockerfileWriter.Write));
        files.AddRange(compose.Write());
        files.Add(EnvExampleWriter.Write(compose.UsedVariables));
        files.Add(caddyfile);
        files.Add(AppSpecWriter.Write(plan));
        files.AddRange(prometheus);
        files.AddRange(KubernetesWriter.Write(plan, prometheus.Single(f => f.Path == PrometheusWriter.KubernetesPath)));
        files.Add(SwarmRolloutWriter.Write(plan.Options.Name));
        files.Add(DeployWorkflowWriter.Write(plan, compose.UsedVariables));
        return files;
    }

    private static DeploymentOptions ReadOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection(DeploymentOptions.Section).Get<DeploymentOptions>() ?? new DeploymentOptions();
        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true))
        {
            throw new InvalidOperationException($"{DeploymentOptions.Section}: {string.Join("; ", errors.Select(e => e.ErrorMessage))}");
        }

        return options;
    }

    /// <summary>The folder with the central package versions above the AppHost: the Docker build context.</summary>
    private static string RepositoryRoot(string appHostDirectory)
    {
        for (var directory = new DirectoryInfo(appHostDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Directory.Packages.props")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Directory.Packages.props above {appHostDirectory}");
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Wrote {Count} deployment artifacts to {Output}")]
        public static partial void Written(ILogger logger, int count, string output);

        [LoggerMessage(Level = LogLevel.Error, Message = "Writing the deployment artifacts failed: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);
    }
}
