using System.Globalization;
using AgentC2.AppHost.Deployment.Plan;

namespace AgentC2.AppHost.Deployment.Kubernetes;

/// <summary>
/// How a service scales on Kubernetes: on the run queue (a KEDA ScaledObject with a PostgreSQL trigger), on CPU and its
/// work in flight (a KEDA ScaledObject with CPU and Prometheus triggers), or on CPU alone (a HorizontalPodAutoscaler).
/// </summary>
internal static class KubernetesScaling
{
    /// <summary>
    /// The runs that need a worker slot now: running, or queued and due. The same figure as
    /// <c>agentc2_queue_depth{status="queued"} + agentc2_queue_depth{status="running"}</c>.
    /// </summary>
    public const string QueueQuery = "SELECT count(*) FROM runs WHERE status = 'running' OR (status = 'queued' AND available_at <= now())";

    /// <summary>
    /// The key of the Secret holding the database for KEDA's PostgreSQL trigger, as a URL
    /// (<c>postgresql://user:password@host:5432/agentc2?sslmode=require</c>): KEDA reads libpq's forms, not the
    /// services' Npgsql connection string. A user that may read <c>runs</c> is enough.
    /// </summary>
    public static readonly Variable QueueConnection = new("KEDA_POSTGRES_CONNECTION",
        "The run queue's database for KEDA's PostgreSQL trigger, as a URL: postgresql://user:password@host:5432/agentc2?sslmode=require (read access to runs is enough)",
        Secret: true, VariableDefault.Required);

    /// <summary>How often KEDA reads a trigger, in seconds.</summary>
    private const int PollingSeconds = 15;

    public static bool ScalesOnQueue(DeploymentPlan plan) => plan.Apps.Any(app => app.Settings.QueueAutoscaling is not null);

    public static IEnumerable<object> Objects(AppService app, Dictionary<string, string> labels, DeploymentOptions options)
    {
        var settings = app.Settings;
        var target = new ScaleTargetReference { Name = app.Name };
        if (settings.QueueAutoscaling is { } queue)
        {
            var authentication = $"{app.Name}-queue";
            yield return new TriggerAuthentication
            {
                Metadata = new ObjectMeta { Name = authentication, Labels = labels },
                Spec = new TriggerAuthenticationSpec
                {
                    SecretTargetRef = [new SecretTargetReference { Parameter = "connection", Name = KubernetesWriter.SecretName, Key = QueueConnection.Name }],
                },
            };
            yield return new ScaledObject
            {
                Metadata = new ObjectMeta { Name = app.Name, Labels = labels },
                Spec = new ScaledObjectSpec
                {
                    ScaleTargetRef = target,
                    PollingInterval = PollingSeconds,
                    CooldownPeriod = (int)queue.Cooldown.TotalSeconds,
                    MinReplicaCount = queue.MinReplicas,
                    MaxReplicaCount = queue.MaxReplicas,
                    Triggers =
                    [
                        new ScaleTrigger
                        {
                            Type = "postgresql",
                            Metadata = new()
                            {
                                ["query"] = QueueQuery,
                                ["targetQueryValue"] = Number(queue.RunsPerReplica),
                                ["activationTargetQueryValue"] = "0",
                            },
                            AuthenticationRef = new NameReference { Name = authentication },
                        },
                    ],
                },
            };
        }
        else if (settings.Autoscaling is { WorkInFlightPerReplica: { } perReplica } both)
        {
            yield return new ScaledObject
            {
                Metadata = new ObjectMeta { Name = app.Name, Labels = labels },
                Spec = new ScaledObjectSpec
                {
                    ScaleTargetRef = target,
                    PollingInterval = PollingSeconds,
                    CooldownPeriod = 300,
                    MinReplicaCount = both.MinReplicas,
                    MaxReplicaCount = both.MaxReplicas,
                    Triggers =
                    [
                        new ScaleTrigger { Type = "cpu", MetricType = "Utilization", Metadata = new() { ["value"] = Number(both.CpuPercent) } },
                        new ScaleTrigger
                        {
                            Type = "prometheus",
                            Metadata = new()
                            {
                                ["serverAddress"] = options.PrometheusAddress,
                                ["query"] = $"sum(agentc2_work_in_flight{{job=\"{app.Name}\"}})",
                                ["threshold"] = Number(perReplica),
                            },
                        },
                    ],
                },
            };
        }
        else if (settings.Autoscaling is { } cpu)
        {
            yield return new HorizontalPodAutoscaler
            {
                Metadata = new ObjectMeta { Name = app.Name, Labels = labels },
                Spec = new HorizontalPodAutoscalerSpec
                {
                    ScaleTargetRef = target,
                    MinReplicas = cpu.MinReplicas,
                    MaxReplicas = cpu.MaxReplicas,
                    Metrics = [new MetricSpec { Resource = new ResourceMetricSource { Target = new MetricTarget { AverageUtilization = cpu.CpuPercent } } }],
                },
            };
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
