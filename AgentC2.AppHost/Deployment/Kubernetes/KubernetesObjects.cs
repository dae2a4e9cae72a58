using YamlDotNet.Serialization;

namespace AgentC2.AppHost.Deployment.Kubernetes;

// Kubernetes objects, as far as AgentC2 uses them. Keys are written in camelCase.

internal sealed class ObjectMeta
{
    public string Name { get; set; } = "";

    public Dictionary<string, string> Labels { get; set; } = [];

    public Dictionary<string, string> Annotations { get; set; } = [];
}

internal sealed class LabelSelector
{
    public Dictionary<string, string> MatchLabels { get; set; } = [];
}

internal sealed class Namespace
{
    public string ApiVersion { get; set; } = "v1";

    public string Kind { get; set; } = "Namespace";

    public ObjectMeta Metadata { get; set; } = new();
}

internal sealed class ConfigMap
{
    public string ApiVersion { get; set; } = "v1";

    public string Kind { get; set; } = "ConfigMap";

    public ObjectMeta Metadata { get; set; } = new();

    public Dictionary<string, string> Data { get; set; } = [];
}

internal sealed class Deployment
{
    public string ApiVersion { get; set; } = "apps/v1";

    public string Kind { get; set; } = "Deployment";

    public ObjectMeta Metadata { get; set; } = new();

    public DeploymentSpec Spec { get; set; } = new();
}

internal sealed class DeploymentSpec
{
    /// <summary>Left out when a HorizontalPodAutoscaler owns the count (an apply would otherwise reset it).</summary>
    public int? Replicas { get; set; }

    public int RevisionHistoryLimit { get; set; } = 5;

    public LabelSelector Selector { get; set; } = new();

    public DeploymentStrategy Strategy { get; set; } = new();

    public PodTemplate Template { get; set; } = new();
}

internal sealed class DeploymentStrategy
{
    public string Type { get; set; } = "RollingUpdate";

    public RollingUpdate RollingUpdate { get; set; } = new();
}

internal sealed class RollingUpdate
{
    public int MaxUnavailable { get; set; }

    public int MaxSurge { get; set; } = 1;
}

internal sealed class PodTemplate
{
    public ObjectMeta Metadata { get; set; } = new();

    public PodSpec Spec { get; set; } = new();
}

internal sealed class PodSpec
{
    public int TerminationGracePeriodSeconds { get; set; }

    public bool AutomountServiceAccountToken { get; set; }

    public PodSecurityContext SecurityContext { get; set; } = new();

    public List<TopologySpreadConstraint> TopologySpreadConstraints { get; set; } = [];

    public List<Container> Containers { get; set; } = [];

    public List<Volume> Volumes { get; set; } = [];
}

internal sealed class PodSecurityContext
{
    public bool RunAsNonRoot { get; set; } = true;

    /// <summary>The <c>app</c> user of the .NET images.</summary>
    public int RunAsUser { get; set; } = 1654;

    public int RunAsGroup { get; set; } = 1654;

    public SeccompProfile SeccompProfile { get; set; } = new();
}

internal sealed class SeccompProfile
{
    public string Type { get; set; } = "RuntimeDefault";
}

internal sealed class TopologySpreadConstraint
{
    public int MaxSkew { get; set; } = 1;

    public string TopologyKey { get; set; } = "";

    public string WhenUnsatisfiable { get; set; } = "ScheduleAnyway";

    public LabelSelector LabelSelector { get; set; } = new();
}

internal sealed class Container
{
    public string Name { get; set; } = "";

    public string Image { get; set; } = "";

    public List<ContainerPort> Ports { get; set; } = [];

    public List<EnvFromSource> EnvFrom { get; set; } = [];

    public List<EnvVarSource> Env { get; set; } = [];

    public ResourceRequirements Resources { get; set; } = new();

    public Probe? StartupProbe { get; set; }

    public Probe? LivenessProbe { get; set; }

    public Probe? ReadinessProbe { get; set; }

    public ContainerSecurityContext SecurityContext { get; set; } = new();

    public List<VolumeMount> VolumeMounts { get; set; } = [];
}

internal sealed class ContainerPort
{
    public string Name { get; set; } = "http";

    [YamlMember(Alias = "containerPort")]
    public int Port { get; set; }
}

internal sealed class EnvFromSource
{
    public NameReference? ConfigMapRef { get; set; }
}

internal sealed class NameReference
{
    public string Name { get; set; } = "";
}

internal sealed class EnvVarSource
{
    public string Name { get; set; } = "";

    public EnvValueFrom? ValueFrom { get; set; }
}

internal sealed class EnvValueFrom
{
    public SecretKeySelector? SecretKeyRef { get; set; }
}

internal sealed class SecretKeySelector
{
    public string Name { get; set; } = "";

    public string Key { get; set; } = "";

    public bool? Optional { get; set; }
}

internal sealed class ResourceRequirements
{
    public Dictionary<string, string> Requests { get; set; } = [];

    public Dictionary<string, string> Limits { get; set; } = [];
}

internal sealed class Probe
{
    public HttpGetAction HttpGet { get; set; } = new();

    public int PeriodSeconds { get; set; }

    public int TimeoutSeconds { get; set; }

    public int FailureThreshold { get; set; }
}

internal sealed class HttpGetAction
{
    public string Path { get; set; } = "";

    public string Port { get; set; } = "http";
}

internal sealed class ContainerSecurityContext
{
    public bool AllowPrivilegeEscalation { get; set; }

    public bool ReadOnlyRootFilesystem { get; set; } = true;

    public Capabilities Capabilities { get; set; } = new();
}

internal sealed class Capabilities
{
    public List<string> Drop { get; set; } = ["ALL"];
}

internal sealed class VolumeMount
{
    public string Name { get; set; } = "";

    public string MountPath { get; set; } = "";
}

internal sealed class Volume
{
    public string Name { get; set; } = "";

    public EmptyDir EmptyDir { get; set; } = new();
}

/// <summary>Written as <c>{}</c>.</summary>
internal sealed class EmptyDir;

internal sealed class Service
{
    public string ApiVersion { get; set; } = "v1";

    public string Kind { get; set; } = "Service";

    public ObjectMeta Metadata { get; set; } = new();

    public ServiceSpec Spec { get; set; } = new();
}

internal sealed class ServiceSpec
{
    public Dictionary<string, string> Selector { get; set; } = [];

    public List<ServicePort> Ports { get; set; } = [];
}

internal sealed class ServicePort
{
    public string Name { get; set; } = "http";

    public int Port { get; set; }

    public string TargetPort { get; set; } = "http";
}

internal sealed class HorizontalPodAutoscaler
{
    public string ApiVersion { get; set; } = "autoscaling/v2";

    public string Kind { get; set; } = "HorizontalPodAutoscaler";

    public ObjectMeta Metadata { get; set; } = new();

    public HorizontalPodAutoscalerSpec Spec { get; set; } = new();
}

internal sealed class HorizontalPodAutoscalerSpec
{
    public ScaleTargetReference ScaleTargetRef { get; set; } = new();

    public int MinReplicas { get; set; }

    public int MaxReplicas { get; set; }

    public List<MetricSpec> Metrics { get; set; } = [];
}

internal sealed class ScaleTargetReference
{
    public string ApiVersion { get; set; } = "apps/v1";

    public string Kind { get; set; } = "Deployment";

    public string Name { get; set; } = "";
}

internal sealed class MetricSpec
{
    public string Type { get; set; } = "Resource";

    public ResourceMetricSource Resource { get; set; } = new();
}

internal sealed class ResourceMetricSource
{
    public string Name { get; set; } = "cpu";

    public MetricTarget Target { get; set; } = new();
}

internal sealed class MetricTarget
{
    public string Type { get; set; } = "Utilization";

    public int AverageUtilization { get; set; }
}

internal sealed class PodDisruptionBudget
{
    public string ApiVersion { get; set; } = "policy/v1";

    public string Kind { get; set; } = "PodDisruptionBudget";

    public ObjectMeta Metadata { get; set; } = new();

    public PodDisruptionBudgetSpec Spec { get; set; } = new();
}

internal sealed class PodDisruptionBudgetSpec
{
    public int MaxUnavailable { get; set; } = 1;

    public LabelSelector Selector { get; set; } = new();
}

internal sealed class Ingress
{
    public string ApiVersion { get; set; } = "networking.k8s.io/v1";

    public string Kind { get; set; } = "Ingress";

    public ObjectMeta Metadata { get; set; } = new();

    public IngressSpec Spec { get; set; } = new();
}

internal sealed class IngressSpec
{
    public List<IngressTls> Tls { get; set; } = [];

    public List<IngressRule> Rules { get; set; } = [];
}

internal sealed class IngressTls
{
    public List<string> Hosts { get; set; } = [];

    public string SecretName { get; set; } = "";
}

internal sealed class IngressRule
{
    public string? Host { get; set; }

    public HttpIngressRuleValue Http { get; set; } = new();
}

internal sealed class HttpIngressRuleValue
{
    public List<HttpIngressPath> Paths { get; set; } = [];
}

internal sealed class HttpIngressPath
{
    public string Path { get; set; } = "";

    public string PathType { get; set; } = "Prefix";

    public IngressBackend Backend { get; set; } = new();
}

internal sealed class IngressBackend
{
    public IngressServiceBackend Service { get; set; } = new();
}

internal sealed class IngressServiceBackend
{
    public string Name { get; set; } = "";

    public ServiceBackendPort Port { get; set; } = new();
}

internal sealed class ServiceBackendPort
{
    public int Number { get; set; }
}

internal sealed class Kustomization
{
    public string ApiVersion { get; set; } = "kustomize.config.k8s.io/v1beta1";

    public string Kind { get; set; } = "Kustomization";

    public string Namespace { get; set; } = "";

    public List<KustomizeLabel> Labels { get; set; } = [];

    public List<string> Resources { get; set; } = [];

    public List<KustomizeImage> Images { get; set; } = [];
}

internal sealed class KustomizeLabel
{
    public Dictionary<string, string> Pairs { get; set; } = [];
}

internal sealed class KustomizeImage
{
    public string Name { get; set; } = "";

    public string NewName { get; set; } = "";

    public string NewTag { get; set; } = "";
}
