using AgentC2.AppHost.Deployment.Plan;

namespace AgentC2.AppHost.Deployment.Prometheus;

/// <summary>
/// Writes the Prometheus configuration that scrapes every AgentC2 service on <c>/api/metrics</c> and loads the alert
/// rules (<see cref="RulesPath"/>, kept beside it and unit-tested with promtool): one file per way services are
/// found — by compose service name (every replica's address), by Swarm task (<c>tasks.{service}</c>), and by
/// Kubernetes pod annotations (<c>prometheus.io/*</c>, written on every Deployment).
/// </summary>
internal static class PrometheusWriter
{
    public const string Folder = "deploy/prometheus";
    public const string RulesPath = Folder + "/alerts.yml";
    public const string AlertmanagerPath = Folder + "/alertmanager.yml";
    public const string ComposePath = Folder + "/prometheus.compose.yml";
    public const string SwarmPath = Folder + "/prometheus.swarm.yml";
    public const string KubernetesPath = Folder + "/prometheus.kubernetes.yml";

    /// <summary>Where the rules file is mounted in the Prometheus container.</summary>
    public const string RulesMount = "/etc/prometheus/alerts.yml";

    public const string AlertmanagerTarget = "alertmanager:9093";

    private const string Header = "Generated from the AppHost by `aspire publish`; do not edit (docs/operations.md, \"Alerts\").";

    public static IEnumerable<GeneratedFile> Write(DeploymentPlan plan)
    {
        yield return new GeneratedFile(ComposePath, Yaml.Document(Yaml.SnakeCase,
            "Prometheus for docker-compose.production.yml: every replica of every service, found by service name.\n" + Header,
            Config(plan, plan.Apps.Select(app => DnsJob(app, app.Name)))));
        yield return new GeneratedFile(SwarmPath, Yaml.Document(Yaml.SnakeCase,
            "Prometheus for docker-stack.production.yml: every task of every service (tasks.<service>).\n" + Header,
            Config(plan, plan.Apps.Select(app => DnsJob(app, $"tasks.{app.Name}")))));
        yield return new GeneratedFile(KubernetesPath, Yaml.Document(Yaml.SnakeCase,
            $"Prometheus for deploy/kubernetes: the pods of namespace {plan.Options.Name} annotated prometheus.io/scrape.\n" + Header,
            Config(plan, [PodJob(plan)])));
    }

    private static PrometheusConfig Config(DeploymentPlan plan, IEnumerable<ScrapeConfig> jobs) => new()
    {
        Global = new PrometheusGlobal { ExternalLabels = new() { ["region"] = plan.Options.Region } },
        RuleFiles = [RulesMount],
        Alerting = new PrometheusAlerting { Alertmanagers = [new AlertmanagerConfig { StaticConfigs = [new StaticConfig { Targets = [AlertmanagerTarget] }] }] },
        ScrapeConfigs = [.. jobs],
    };

    private static ScrapeConfig DnsJob(AppService app, string name) => new()
    {
        JobName = app.Name,
        DnsSdConfigs = [new DnsSdConfig { Names = [name], Port = ServicePaths.MetricsPort }],
    };

    private static ScrapeConfig PodJob(DeploymentPlan plan) =>
        new()
        {
            JobName = "agentc2-pods",
            KubernetesSdConfigs = [new KubernetesSdConfig { Namespaces = new KubernetesNamespaces { Names = [plan.Options.Name] } }],
            RelabelConfigs =
            [
                new RelabelConfig { SourceLabels = ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], Action = "keep", Regex = "true" },
                new RelabelConfig { SourceLabels = ["__meta_kubernetes_pod_annotation_prometheus_io_path"], Action = "replace", Regex = "(.+)", TargetLabel = "__metrics_path__" },
                new RelabelConfig
                {
                    SourceLabels = ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
                    Action = "replace", Regex = @"([^:]+)(?::\d+)?;(\d+)", Replacement = "$1:$2", TargetLabel = "__address__",
                },
                // The job is the service (agent, worker, frontend), as with compose, so the alerts read the same.
                new RelabelConfig { SourceLabels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], Action = "replace", TargetLabel = "job" },
                new RelabelConfig { SourceLabels = ["__meta_kubernetes_pod_name"], Action = "replace", TargetLabel = "instance" },
            ],
        };
}
