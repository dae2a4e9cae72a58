namespace AgentC2.AppHost.Deployment.DigitalOcean;

// The DigitalOcean App Platform app specification, as far as AgentC2 uses it. Keys are written in snake_case.

internal sealed class AppSpec
{
    public string Name { get; set; } = "";

    public string Region { get; set; } = "";

    public List<AppDomain> Domains { get; set; } = [];

    public List<AppAlert> Alerts { get; set; } = [];

    public List<AppComponent> Services { get; set; } = [];

    public List<AppComponent> Workers { get; set; } = [];

    public AppIngress? Ingress { get; set; }
}

internal sealed class AppDomain
{
    public string Domain { get; set; } = "";

    public string Type { get; set; } = "PRIMARY";
}

internal sealed class AppComponent
{
    public string Name { get; set; } = "";

    public AppImage Image { get; set; } = new();

    public int? HttpPort { get; set; }

    public string InstanceSizeSlug { get; set; } = "";

    public int? InstanceCount { get; set; }

    public AppAutoscaling? Autoscaling { get; set; }

    public AppHealthCheck? HealthCheck { get; set; }

    public AppTermination? Termination { get; set; }

    public List<AppEnv> Envs { get; set; } = [];

    public List<AppAlert> Alerts { get; set; } = [];
}

internal sealed class AppImage
{
    public string RegistryType { get; set; } = "DOCR";

    public string Repository { get; set; } = "";

    public string Tag { get; set; } = "";
}

internal sealed class AppAutoscaling
{
    public int MinInstanceCount { get; set; }

    public int MaxInstanceCount { get; set; }

    public AppAutoscalingMetrics Metrics { get; set; } = new();
}

internal sealed class AppAutoscalingMetrics
{
    public AppCpuMetric Cpu { get; set; } = new();
}

internal sealed class AppCpuMetric
{
    public int Percent { get; set; }
}

/// <summary>How App Platform stops an instance: traffic drained for <c>drain_seconds</c> (services only), then TERM, then kill after the grace period.</summary>
internal sealed class AppTermination
{
    public int? DrainSeconds { get; set; }

    public int GracePeriodSeconds { get; set; }
}

internal sealed class AppHealthCheck
{
    public string HttpPath { get; set; } = "";

    public int Port { get; set; }

    public int InitialDelaySeconds { get; set; }

    public int PeriodSeconds { get; set; }

    public int TimeoutSeconds { get; set; }

    public int SuccessThreshold { get; set; }

    public int FailureThreshold { get; set; }
}

internal sealed class AppEnv
{
    public string Key { get; set; } = "";

    public string Scope { get; set; } = "RUN_TIME";

    public string? Type { get; set; }

    public string Value { get; set; } = "";
}

internal sealed class AppAlert
{
    public string Rule { get; set; } = "";

    public string? Operator { get; set; }

    public double? Value { get; set; }

    public string? Window { get; set; }
}

internal sealed class AppIngress
{
    public List<AppIngressRule> Rules { get; set; } = [];
}

internal sealed class AppIngressRule
{
    public AppIngressMatch Match { get; set; } = new();

    public AppIngressComponent Component { get; set; } = new();
}

internal sealed class AppIngressMatch
{
    public AppIngressPath Path { get; set; } = new();
}

internal sealed class AppIngressPath
{
    public string Prefix { get; set; } = "";
}

internal sealed class AppIngressComponent
{
    public string Name { get; set; } = "";

    public bool? PreservePathPrefix { get; set; }
}
