using AgentC2.AppHost.Deployment.Plan;

namespace AgentC2.AppHost.Deployment.DigitalOcean;

/// <summary>
/// Writes the App Platform spec: public services with health checks and autoscaling, the worker as a worker
/// (no HTTP port), ingress by path, alerts. Secrets are <c>type: SECRET</c> with <c>${NAME}</c> placeholders that
/// the deploy workflow fills from repository secrets (<see cref="PlatformSecrets"/>); <c>${TAG}</c> likewise.
/// PostgreSQL and Redis are managed databases outside the app.
/// </summary>
internal static class AppSpecWriter
{
    public const string Path = ".do/app.yaml";

    /// <summary>The placeholder of the image tag; the deploy workflow sets it to the commit SHA.</summary>
    public const string TagPlaceholder = "${TAG}";

    public static GeneratedFile Write(DeploymentPlan plan)
    {
        var workers = plan.Apps.Where(app => !app.Settings.HasHttpIngress).Select(app => app.Name).ToHashSet();
        var spec = new AppSpec
        {
            Name = plan.Options.Name,
            Region = plan.Options.Region,
            Domains = plan.Options.Domain is { } domain ? [new AppDomain { Domain = domain }] : [],
            Alerts = [new AppAlert { Rule = "DEPLOYMENT_FAILED" }, new AppAlert { Rule = "DOMAIN_FAILED" }],
            Services = [.. plan.Apps.Where(app => app.Settings.HasHttpIngress).Select(app => Component(app, workers))],
            Workers = [.. plan.Apps.Where(app => !app.Settings.HasHttpIngress).Select(app => Component(app, workers))],
            Ingress = new AppIngress
            {
                Rules = [.. plan.PublicRoutes.Select(rule => new AppIngressRule
                {
                    Match = new AppIngressMatch { Path = new AppIngressPath { Prefix = rule.Route } },
                    Component = new AppIngressComponent { Name = rule.App.Name, PreservePathPrefix = rule.Route == "/" ? null : true },
                })],
            },
        };

        // App Platform autoscales on CPU alone: a service that scales on the queue elsewhere runs its minimum here.
        var onQueue = plan.Apps.Where(app => app.Settings.QueueAutoscaling is not null).Select(app => $"{app.Name} ({app.Settings.QueueAutoscaling!.MinReplicas})").ToList();
        var scaling = onQueue.Count == 0 ? "" : $"App Platform autoscales on CPU only, which an agent's waiting work does not raise: {string.Join(", ", onQueue)}\n"
            + "run their minimum here; scale them on the queue alerts (docs/operations.md, \"Scaling on the queue\").\n";
        return new GeneratedFile(Path, Yaml.Document(Yaml.SnakeCase,
            "AgentC2 on DigitalOcean App Platform. The deploy workflow fills ${TAG} and the secrets' ${NAME}\n"
            + "placeholders from repository secrets, then runs `doctl apps update <app-id> --spec`.\n"
            + scaling
            + "Generated from the AppHost by `aspire publish`; do not edit (docs/deployment.md).", spec));
    }

    private static AppComponent Component(AppService app, HashSet<string> workers)
    {
        var settings = app.Settings;
        var component = new AppComponent
        {
            Name = app.Name,
            Image = new AppImage { Repository = app.ImageName, Tag = TagPlaceholder },
            InstanceSizeSlug = settings.InstanceSize,
            // A worker component has no private URL: values pointing at one are left out (the console then reports the
            // worker's health as not reachable).
            Envs =
            [
                .. app.Environment.Where(v => !v.Value.Parts.OfType<ServiceUrlPart>().Any(url => workers.Contains(url.Service))).Select(Env),
                // What the instance reports as its version in the fleet view.
                new AppEnv { Key = Compose.ComposeWriter.VersionSetting, Value = TagPlaceholder },
            ],
            Alerts =
            [
                new AppAlert { Rule = "CPU_UTILIZATION", Operator = "GREATER_THAN", Value = 80, Window = "FIVE_MINUTES" },
                new AppAlert { Rule = "MEM_UTILIZATION", Operator = "GREATER_THAN", Value = 80, Window = "FIVE_MINUTES" },
                new AppAlert { Rule = "RESTART_COUNT", Operator = "GREATER_THAN", Value = 3, Window = "FIVE_MINUTES" },
            ],
        };

        if (settings.Autoscaling is { } autoscaling)
        {
            component.Autoscaling = new AppAutoscaling
            {
                MinInstanceCount = autoscaling.MinReplicas,
                MaxInstanceCount = autoscaling.MaxReplicas,
                Metrics = new AppAutoscalingMetrics { Cpu = new AppCpuMetric { Percent = autoscaling.CpuPercent } },
            };
        }
        else
        {
            component.InstanceCount = settings.MinReplicas(app.Replicas);
        }

        // The same grace period as on every other platform, from the services' one drain bound.
        component.Termination = new AppTermination { GracePeriodSeconds = (int)settings.StopGracePeriod.TotalSeconds };
        if (settings.HasHttpIngress)
        {
            // Taken out of the routing for a few seconds before TERM, like a stopping task leaving Swarm's DNS.
            component.Termination.DrainSeconds = 5;
            component.HttpPort = app.Port;
            component.HealthCheck = new AppHealthCheck
            {
                HttpPath = settings.ReadinessPath,
                Port = app.Port,
                InitialDelaySeconds = (int)settings.StartPeriod.TotalSeconds,
                PeriodSeconds = 10,
                TimeoutSeconds = 5,
                SuccessThreshold = 1,
                FailureThreshold = 3,
            };
        }

        return component;
    }

    private static AppEnv Env(EnvVar variable) => PlatformSecrets.Of(variable) is { } secret
        ? new AppEnv { Key = variable.Name, Type = "SECRET", Value = $"${{{secret.Name}}}" }
        : new AppEnv { Key = variable.Name, Value = variable.Value.Render(url => $"${{{url.Service}.PRIVATE_URL}}") };
}
