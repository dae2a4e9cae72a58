using System.ComponentModel.DataAnnotations;

namespace AgentC2.AppHost.Deployment;

/// <summary>
/// Publish-time choices, bound from <c>AgentC2:Deployment</c> (e.g. <c>--AgentC2:Deployment:Region=fra</c> on the
/// publish command line). The committed artifacts are published with the defaults.
/// </summary>
internal sealed class DeploymentOptions
{
    public const string Section = "AgentC2:Deployment";

    /// <summary>App Platform region, and the <c>cloud.region</c> every service reports in its telemetry.</summary>
    [Required, RegularExpression("^[a-z]{3}[0-9]?$")]
    public string Region { get; set; } = "nyc";

    /// <summary>Name of the App Platform app, the compose project and the Kubernetes namespace.</summary>
    [Required, RegularExpression("^[a-z][a-z0-9-]{1,30}[a-z0-9]$")]
    public string Name { get; set; } = "agentc2";

    /// <summary>Public host name. When set, App Platform and the Kubernetes Ingress are bound to it; compose reads <c>DOMAIN</c>.</summary>
    [RegularExpression(@"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")]
    public string? Domain { get; set; }

    /// <summary>Image registry the Kubernetes manifests pull from (compose reads <c>REGISTRY</c>; App Platform uses the account's DOCR).</summary>
    [Required]
    public string Registry { get; set; } = "registry.digitalocean.com/agentc2";

    /// <summary>The cluster's Prometheus, which KEDA asks for the agent's work in flight (<c>agentc2_work_in_flight</c>).</summary>
    [Required, Url]
    public string PrometheusAddress { get; set; } = "http://prometheus.monitoring.svc:9090";
}
