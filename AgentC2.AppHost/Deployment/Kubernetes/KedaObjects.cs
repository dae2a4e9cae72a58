namespace AgentC2.AppHost.Deployment.Kubernetes;

// KEDA's objects (keda.sh/v1alpha1), as much of them as the manifests use. KEDA turns a ScaledObject into the
// HorizontalPodAutoscaler of its target, so a target has one or the other, never both.

internal sealed class ScaledObject
{
    public string ApiVersion { get; set; } = "keda.sh/v1alpha1";

    public string Kind { get; set; } = "ScaledObject";

    public ObjectMeta Metadata { get; set; } = new();

    public ScaledObjectSpec Spec { get; set; } = new();
}

internal sealed class ScaledObjectSpec
{
    public ScaleTargetReference ScaleTargetRef { get; set; } = new();

    public int PollingInterval { get; set; }

    public int CooldownPeriod { get; set; }

    public int MinReplicaCount { get; set; }

    public int MaxReplicaCount { get; set; }

    public List<ScaleTrigger> Triggers { get; set; } = [];
}

internal sealed class ScaleTrigger
{
    public string Type { get; set; } = "";

    public string? MetricType { get; set; }

    public Dictionary<string, string> Metadata { get; set; } = [];

    public NameReference? AuthenticationRef { get; set; }
}

internal sealed class TriggerAuthentication
{
    public string ApiVersion { get; set; } = "keda.sh/v1alpha1";

    public string Kind { get; set; } = "TriggerAuthentication";

    public ObjectMeta Metadata { get; set; } = new();

    public TriggerAuthenticationSpec Spec { get; set; } = new();
}

internal sealed class TriggerAuthenticationSpec
{
    public List<SecretTargetReference> SecretTargetRef { get; set; } = [];
}

internal sealed class SecretTargetReference
{
    public string Parameter { get; set; } = "";

    public string Name { get; set; } = "";

    public string Key { get; set; } = "";
}
