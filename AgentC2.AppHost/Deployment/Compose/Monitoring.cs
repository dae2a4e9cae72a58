using AgentC2.AppHost.Deployment.Plan;

namespace AgentC2.AppHost.Deployment.Compose;

/// <summary>The monitoring services of the Compose files: Prometheus (rules from deploy/prometheus) and Alertmanager.</summary>
internal static class Monitoring
{
    public const string Prometheus = "prometheus";
    public const string Alertmanager = "alertmanager";
    public const string PrometheusImage = "prom/prometheus:v2.55.1";
    public const string AlertmanagerImage = "prom/alertmanager:v0.27.0";

    /// <summary>The Slack-compatible incoming webhook URL Alertmanager posts to, as a secret (never in a file of the repository).</summary>
    public const string WebhookSecret = "slack_webhook_url";

    /// <summary>One host: the secret comes from this variable of the env file; empty, Alertmanager runs with no receiver and says so.</summary>
    public static readonly Variable WebhookVariable = new("SLACK_WEBHOOK_URL",
        "Slack-compatible incoming webhook URL Alertmanager posts alerts to; empty: alerts are not sent, and its log says so (Swarm reads the secret agentc2_slack_webhook_url instead)",
        Secret: true, VariableDefault.Empty);

    /// <summary>
    /// Compose: Alertmanager starts through this script (a config), with its configuration when the webhook secret has a
    /// URL, else without a receiver, saying so.
    /// </summary>
    public const string AlertmanagerStart = "deploy/prometheus/alertmanager-start.sh";

    public const string AlertmanagerStartTarget = "/etc/alertmanager/start.sh";

    public static ComposeService PrometheusService(bool swarm) => new()
    {
        Image = PrometheusImage,
        Command = ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.time=15d"],
        Volumes = ["prometheus_data:/prometheus"],
        Configs =
        [
            new ComposeConfigMount { Source = "prometheus", Target = "/etc/prometheus/prometheus.yml" },
            new ComposeConfigMount { Source = "prometheus_rules", Target = Deployment.Prometheus.PrometheusWriter.RulesMount },
        ],
        DependsOn = swarm ? [] : new() { [Alertmanager] = new ComposeDependency() },
        Healthcheck = new ComposeHealthcheck { Test = ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9090/-/ready"], StartPeriod = "30s" },
        Restart = swarm ? null : "unless-stopped",
        StopGracePeriod = "30s",
        Deploy = Stateful(swarm, cpus: "1", memory: "1G"),
    };

    public static ComposeService AlertmanagerService(bool swarm) => new()
    {
        Image = AlertmanagerImage,
        Entrypoint = swarm ? null : ["/bin/sh", AlertmanagerStartTarget],
        Command = ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
        Volumes = ["alertmanager_data:/alertmanager"],
        Configs = swarm
            ? [new ComposeConfigMount { Source = "alertmanager", Target = "/etc/alertmanager/alertmanager.yml" }]
            : [new ComposeConfigMount { Source = "alertmanager", Target = "/etc/alertmanager/alertmanager.yml" }, new ComposeConfigMount { Source = "alertmanager_start", Target = AlertmanagerStartTarget }],
        Secrets = [new ComposeConfigMount { Source = WebhookSecret, Target = WebhookSecret }],
        Healthcheck = new ComposeHealthcheck { Test = ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9093/-/ready"], StartPeriod = "10s" },
        Restart = swarm ? null : "unless-stopped",
        StopGracePeriod = "30s",
        Deploy = Stateful(swarm, cpus: "0.25", memory: "256M"),
    };

    private static ComposeDeploy Stateful(bool swarm, string cpus, string memory) => new()
    {
        Placement = swarm ? new ComposePlacement { Constraints = [ComposeWriter.DataNodeConstraint] } : null,
        Resources = new ComposeResources { Limits = new ComposeResourceSet { Cpus = cpus, Memory = memory } },
        UpdateConfig = new ComposeUpdateConfig { Order = "stop-first", FailureAction = "rollback" },
        RestartPolicy = new ComposeRestartPolicy(),
    };
}
