using YamlDotNet.Serialization;

namespace AgentC2.AppHost.Deployment.Prometheus;

// The Prometheus configuration file, as far as AgentC2 uses it. Keys are written in snake_case.

internal sealed class PrometheusConfig
{
    public PrometheusGlobal Global { get; set; } = new();

    public List<string> RuleFiles { get; set; } = [];

    public PrometheusAlerting Alerting { get; set; } = new();

    public List<ScrapeConfig> ScrapeConfigs { get; set; } = [];
}

internal sealed class PrometheusGlobal
{
    public string ScrapeInterval { get; set; } = "15s";

    public string EvaluationInterval { get; set; } = "15s";

    public Dictionary<string, string> ExternalLabels { get; set; } = [];
}

internal sealed class PrometheusAlerting
{
    public List<AlertmanagerConfig> Alertmanagers { get; set; } = [];
}

internal sealed class AlertmanagerConfig
{
    public List<StaticConfig> StaticConfigs { get; set; } = [];
}

internal sealed class StaticConfig
{
    public List<string> Targets { get; set; } = [];
}

internal sealed class ScrapeConfig
{
    public string JobName { get; set; } = "";

    public string MetricsPath { get; set; } = ServicePaths.Metrics;

    public List<DnsSdConfig> DnsSdConfigs { get; set; } = [];

    public List<KubernetesSdConfig> KubernetesSdConfigs { get; set; } = [];

    public List<RelabelConfig> RelabelConfigs { get; set; } = [];
}

internal sealed class DnsSdConfig
{
    public List<string> Names { get; set; } = [];

    public string Type { get; set; } = "A";

    public int Port { get; set; }

    public string RefreshInterval { get; set; } = "15s";
}

internal sealed class KubernetesSdConfig
{
    public string Role { get; set; } = "pod";

    public KubernetesNamespaces Namespaces { get; set; } = new();
}

internal sealed class KubernetesNamespaces
{
    public List<string> Names { get; set; } = [];
}

internal sealed class RelabelConfig
{
    public List<string> SourceLabels { get; set; } = [];

    public string? Action { get; set; }

    public string? Regex { get; set; }

    public string? Replacement { get; set; }

    public string? TargetLabel { get; set; }
}
