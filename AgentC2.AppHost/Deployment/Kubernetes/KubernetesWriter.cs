using System.Globalization;
using System.Text;
using AgentC2.AppHost.Deployment.Plan;
using AgentC2.AppHost.Deployment.Prometheus;

namespace AgentC2.AppHost.Deployment.Kubernetes;

/// <summary>
/// Writes a kustomize folder: per service a ConfigMap, a Deployment (probes, requests/limits, zero-downtime rolling
/// update, zone spread, Prometheus scrape annotations, non-root and read-only), a Service when it serves HTTP to
/// others, its autoscaling (<see cref="KubernetesScaling"/>) and a PodDisruptionBudget when it runs more than one
/// instance; one Ingress for the public routes. PostgreSQL and Redis are managed services: their connection
/// strings come from the Secret <see cref="SecretName"/> (<see cref="PlatformSecrets"/>).
/// </summary>
internal static class KubernetesWriter
{
    public const string Folder = "deploy/kubernetes";
    public const string SecretName = "agentc2-secrets";
    public const string NameLabel = "app.kubernetes.io/name";

    private const string Header = "Generated from the AppHost by `aspire publish`; do not edit (docs/deployment.md).";

    public static IEnumerable<GeneratedFile> Write(DeploymentPlan plan, GeneratedFile prometheusConfig)
    {
        var resources = new List<string> { "namespace.yaml" };
        yield return File("namespace.yaml", new Namespace { Metadata = new ObjectMeta { Name = plan.Options.Name } });

        // A Service for every app the edge or another app calls.
        var called = plan.Apps.SelectMany(app => app.Environment).SelectMany(v => v.Value.Parts.OfType<ServiceUrlPart>()).Select(url => url.Service)
            .Concat(plan.PublicApps.Select(app => app.Name))
            .ToHashSet();
        foreach (var app in plan.Apps)
        {
            resources.Add($"{app.Name}.yaml");
            yield return Files($"{app.Name}.yaml", Objects(app, called.Contains(app.Name), plan.Options));
        }

        resources.Add("ingress.yaml");
        yield return File("ingress.yaml", Ingress(plan));

        // For the cluster's Prometheus and Alertmanager: mount these (see docs/operations.md, "Alerts").
        resources.Add("monitoring.yaml");
        yield return Files("monitoring.yaml",
        [
            new ConfigMap
            {
                Metadata = new ObjectMeta { Name = "agentc2-prometheus" },
                Data = new()
                {
                    ["prometheus.yml"] = prometheusConfig.Content,
                    ["alerts.yml"] = System.IO.File.ReadAllText(Path.Combine(plan.RepositoryRoot, PrometheusWriter.RulesPath)),
                },
            },
            new ConfigMap
            {
                Metadata = new ObjectMeta { Name = "agentc2-alertmanager" },
                Data = new() { ["alertmanager.yml"] = System.IO.File.ReadAllText(Path.Combine(plan.RepositoryRoot, PrometheusWriter.AlertmanagerPath)) },
            },
        ]);

        yield return File("kustomization.yaml", new Kustomization
        {
            Namespace = plan.Options.Name,
            Labels = [new KustomizeLabel { Pairs = new() { ["app.kubernetes.io/part-of"] = plan.Options.Name, ["agentc2.io/region"] = plan.Options.Region } }],
            Resources = resources,
            Images = [.. plan.Apps.Select(app => new KustomizeImage { Name = app.ImageName, NewName = $"{plan.Options.Registry}/{app.ImageName}", NewTag = "latest" })],
        });

        var secrets = new StringBuilder(Yaml.Header(
            $"The Secret the services read: kubectl -n {plan.Options.Name} create secret generic {SecretName} --from-env-file=secrets.env\n"
            + "(a copy of this file with the values filled in, kept out of the repository).\n" + Header));
        foreach (var secret in PlatformSecrets.All(plan).Concat(KubernetesScaling.ScalesOnQueue(plan) ? [KubernetesScaling.QueueConnection] : []))
        {
            secrets.Append(CultureInfo.InvariantCulture, $"\n# {secret.Description}{(secret.Default == VariableDefault.Empty ? " (may stay empty)" : "")}\n{secret.Name}=\n");
        }

        yield return new GeneratedFile($"{Folder}/secrets.env.example", secrets.ToString());
    }

    private static IEnumerable<object> Objects(AppService app, bool called, DeploymentOptions options)
    {
        var labels = new Dictionary<string, string> { [NameLabel] = app.Name };
        var settings = app.Settings;
        var literal = app.Environment.Where(v => PlatformSecrets.Of(v) is null).ToList();

        yield return new ConfigMap
        {
            Metadata = Meta($"{app.Name}-config", labels),
            Data = literal.ToDictionary(v => v.Name, v => v.Value.Render(url => url.Url)),
        };

        yield return new Deployment
        {
            Metadata = Meta(app.Name, labels),
            Spec = new DeploymentSpec
            {
                // An autoscaler owns the replica count of a service that scales.
                Replicas = settings.Autoscaling is null && settings.QueueAutoscaling is null ? app.Replicas : null,
                Selector = new LabelSelector { MatchLabels = labels },
                Template = new PodTemplate
                {
                    Metadata = new ObjectMeta
                    {
                        Labels = labels,
                        Annotations = new()
                        {
                            ["prometheus.io/scrape"] = "true",
                            ["prometheus.io/port"] = ServicePaths.MetricsPort.ToString(CultureInfo.InvariantCulture),
                            ["prometheus.io/path"] = ServicePaths.Metrics,
                        },
                    },
                    Spec = new PodSpec
                    {
                        TerminationGracePeriodSeconds = (int)settings.StopGracePeriod.TotalSeconds,
                        TopologySpreadConstraints =
                        [
                            new TopologySpreadConstraint { TopologyKey = "topology.kubernetes.io/zone", LabelSelector = new LabelSelector { MatchLabels = labels } },
                            new TopologySpreadConstraint { TopologyKey = "kubernetes.io/hostname", LabelSelector = new LabelSelector { MatchLabels = labels } },
                        ],
                        Containers = [Container(app, literal.Count > 0)],
                        Volumes = [new Volume { Name = "tmp" }],
                    },
                },
            },
        };

        if (called)
        {
            yield return new Service
            {
                Metadata = Meta(app.Name, labels),
                Spec = new ServiceSpec { Selector = labels, Ports = [new ServicePort { Port = app.Port }] },
            };
        }

        foreach (var scaling in KubernetesScaling.Objects(app, labels, options))
        {
            yield return scaling;
        }

        if (settings.MinReplicas(app.Replicas) > 1)
        {
            yield return new PodDisruptionBudget
            {
                Metadata = Meta(app.Name, labels),
                Spec = new PodDisruptionBudgetSpec { Selector = new LabelSelector { MatchLabels = labels } },
            };
        }
    }

    private static Container Container(AppService app, bool hasConfig)
    {
        var settings = app.Settings;
        var startPeriodSeconds = (int)settings.StartPeriod.TotalSeconds;
        return new Container
        {
            Name = app.Name,
            Image = app.ImageName,
            // The metrics port is the pod's alone: the Service (and so the Ingress) has only the service port.
            Ports = [new ContainerPort { Port = app.Port }, new ContainerPort { Port = ServicePaths.MetricsPort, Name = "metrics" }],
            EnvFrom = hasConfig ? [new EnvFromSource { ConfigMapRef = new NameReference { Name = $"{app.Name}-config" } }] : [],
            Env = [.. app.Environment.Select(v => (v.Name, Secret: PlatformSecrets.Of(v))).Where(v => v.Secret is not null).Select(v => new EnvVarSource
            {
                Name = v.Name,
                ValueFrom = new EnvValueFrom
                {
                    SecretKeyRef = new SecretKeySelector { Name = SecretName, Key = v.Secret!.Name, Optional = v.Secret.Default == VariableDefault.Empty ? true : null },
                },
            })],
            Resources = new ResourceRequirements
            {
                Requests = new() { ["cpu"] = Units.KubernetesCpu(settings.RequestCpus), ["memory"] = Units.KubernetesMemory(settings.RequestMemoryMiB) },
                Limits = new() { ["cpu"] = Units.KubernetesCpu(settings.Cpus), ["memory"] = Units.KubernetesMemory(settings.MemoryMiB) },
            },
            // Liveness waits until the process has started once (migrations run at start-up).
            StartupProbe = new Probe { HttpGet = new HttpGetAction { Path = settings.LivenessPath }, PeriodSeconds = 2, TimeoutSeconds = 2, FailureThreshold = Math.Max(1, startPeriodSeconds / 2) },
            LivenessProbe = new Probe { HttpGet = new HttpGetAction { Path = settings.LivenessPath }, PeriodSeconds = 10, TimeoutSeconds = 5, FailureThreshold = 3 },
            ReadinessProbe = new Probe { HttpGet = new HttpGetAction { Path = settings.ReadinessPath }, PeriodSeconds = 5, TimeoutSeconds = 3, FailureThreshold = 2 },
            VolumeMounts = [new VolumeMount { Name = "tmp", MountPath = "/tmp" }],
        };
    }

    private static Ingress Ingress(DeploymentPlan plan)
    {
        var domain = plan.Options.Domain;
        return new Ingress
        {
            Metadata = new ObjectMeta
            {
                Name = plan.Options.Name,
                // Live run events are server-sent events: pass them on unbuffered (ingress-nginx; other controllers ignore it).
                Annotations = new() { ["nginx.ingress.kubernetes.io/proxy-buffering"] = "off", ["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "3600" },
            },
            Spec = new IngressSpec
            {
                Tls = domain is null ? [] : [new IngressTls { Hosts = [domain], SecretName = $"{plan.Options.Name}-tls" }],
                Rules =
                [
                    new IngressRule
                    {
                        Host = domain,
                        Http = new HttpIngressRuleValue
                        {
                            Paths = [.. plan.PublicRoutes.Select(rule => new HttpIngressPath
                            {
                                Path = rule.Route,
                                Backend = new IngressBackend { Service = new IngressServiceBackend { Name = rule.App.Name, Port = new ServiceBackendPort { Number = rule.App.Port } } },
                            })],
                        },
                    },
                ],
            },
        };
    }

    private static ObjectMeta Meta(string name, Dictionary<string, string> labels) => new() { Name = name, Labels = labels };

    private static GeneratedFile File(string name, object document) => new($"{Folder}/{name}", Yaml.Document(Yaml.CamelCase, Header, document));

    private static GeneratedFile Files(string name, IEnumerable<object> documents) => new($"{Folder}/{name}", Yaml.Documents(Yaml.CamelCase, Header, documents));
}
