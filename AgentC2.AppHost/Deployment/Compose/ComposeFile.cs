namespace AgentC2.AppHost.Deployment.Compose;

// The Compose file format, as far as AgentC2 uses it. Keys are written in snake_case.

internal sealed class ComposeFile
{
    /// <summary>Set on the Swarm variant only: <c>docker stack deploy</c> validates against the 3.x schemas.</summary>
    public string? Version { get; set; }

    public Dictionary<string, ComposeService> Services { get; set; } = [];

    public Dictionary<string, ComposeConfig> Configs { get; set; } = [];

    public Dictionary<string, ComposeSecret> Secrets { get; set; } = [];

    public Dictionary<string, ComposeVolume> Volumes { get; set; } = [];
}

internal sealed class ComposeService
{
    public string? Image { get; set; }

    public ComposeBuild? Build { get; set; }

    public List<string>? Entrypoint { get; set; }

    public List<string>? Command { get; set; }

    public Dictionary<string, string> Environment { get; set; } = [];

    /// <summary><c>"80:80"</c>, or a <see cref="ComposePort"/> (long syntax: host-mode publishing on Swarm).</summary>
    public List<object> Ports { get; set; } = [];

    public List<string> Volumes { get; set; } = [];

    public List<ComposeConfigMount> Configs { get; set; } = [];

    public List<ComposeConfigMount> Secrets { get; set; } = [];

    public Dictionary<string, ComposeDependency> DependsOn { get; set; } = [];

    public ComposeHealthcheck? Healthcheck { get; set; }

    public string? Restart { get; set; }

    public string? StopGracePeriod { get; set; }

    public ComposeDeploy? Deploy { get; set; }
}

internal sealed class ComposeBuild
{
    public string Context { get; set; } = ".";

    public string Dockerfile { get; set; } = "";
}

internal sealed class ComposeDependency
{
    public string Condition { get; set; } = "service_healthy";
}

internal sealed class ComposeHealthcheck
{
    public List<string> Test { get; set; } = [];

    public string Interval { get; set; } = "30s";

    public string Timeout { get; set; } = "5s";

    public int Retries { get; set; } = 3;

    public string StartPeriod { get; set; } = "30s";
}

internal sealed class ComposeDeploy
{
    /// <summary>
    /// Swarm only: <c>dnsrr</c>, so the service name resolves to every task (no virtual IP, which needs IPVS in the node's
    /// kernel); clients and the edge balance over the tasks themselves.
    /// </summary>
    public string? EndpointMode { get; set; }

    public int Replicas { get; set; } = 1;

    public ComposePlacement? Placement { get; set; }

    public ComposeResources? Resources { get; set; }

    public ComposeUpdateConfig? UpdateConfig { get; set; }

    public ComposeUpdateConfig? RollbackConfig { get; set; }

    public ComposeRestartPolicy? RestartPolicy { get; set; }
}

internal sealed class ComposePlacement
{
    public List<string> Constraints { get; set; } = [];
}

internal sealed class ComposeResources
{
    public ComposeResourceSet? Limits { get; set; }

    public ComposeResourceSet? Reservations { get; set; }
}

internal sealed class ComposeResourceSet
{
    public string Cpus { get; set; } = "";

    public string Memory { get; set; } = "";
}

internal sealed class ComposeUpdateConfig
{
    public int Parallelism { get; set; } = 1;

    public string? Delay { get; set; }

    public string Order { get; set; } = "start-first";

    public string? FailureAction { get; set; }

    public string? Monitor { get; set; }
}

internal sealed class ComposeRestartPolicy
{
    public string Condition { get; set; } = "any";

    public string Delay { get; set; } = "5s";

    public string Window { get; set; } = "60s";
}

internal sealed class ComposeConfig
{
    /// <summary>Swarm only: the config's name, with a digest of its content (Swarm configs cannot change; a new one rolls out).</summary>
    public string? Name { get; set; }

    public string File { get; set; } = "";
}

/// <summary>A published port in the long syntax.</summary>
internal sealed class ComposePort
{
    public int Target { get; set; }

    /// <summary>The node's port (may be a variable: the edge behind another balancer).</summary>
    public string Published { get; set; } = "";

    public string? Protocol { get; set; }

    /// <summary><c>host</c>: bound on the node running the task (no routing mesh, which needs IPVS; client addresses stay visible).</summary>
    public string Mode { get; set; } = "host";
}

/// <summary>A secret from a file beside the compose file (one host), or created beforehand (<c>docker secret create</c>, Swarm).</summary>
internal sealed class ComposeSecret
{
    public string? File { get; set; }

    /// <summary>The variable whose value is the secret (Compose v2).</summary>
    public string? Environment { get; set; }

    public bool? External { get; set; }

    public string? Name { get; set; }
}

internal sealed class ComposeConfigMount
{
    public string Source { get; set; } = "";

    public string Target { get; set; } = "";
}

/// <summary>A named volume with the engine's defaults (written as <c>{}</c>).</summary>
internal sealed class ComposeVolume;
