using AgentC2.AppHost.Deployment.Caddy;
using AgentC2.AppHost.Deployment.Plan;
using AgentC2.AppHost.Deployment.Prometheus;

namespace AgentC2.AppHost.Deployment.Compose;

/// <summary>
/// Writes the plan as a Compose file for one host (<c>docker compose</c>) and as its Swarm variant
/// (<c>docker stack deploy</c>), with Caddy in front of the public services.
/// </summary>
/// <remarks>
/// The two differ only where <c>docker stack deploy</c>'s schema (docker/cli's <c>config_schema_v3.*</c>) refuses
/// the Compose file: it accepts <c>depends_on</c> only as a list (and ignores it), so the Swarm variant has none;
/// it has no <c>build</c> (Swarm deploys pushed images), and it pins the stateful services to the node labelled
/// <c>agentc2.data=true</c> because a named volume lives on one node.
/// </remarks>
internal sealed class ComposeWriter
{
    public const string ComposePath = "docker-compose.production.yml";
    public const string SwarmPath = "docker-stack.production.yml";
    public const string CaddyConfigName = "caddyfile";
    public const string DataNodeConstraint = "node.labels.agentc2.data == true";

    public static readonly Variable RegistryVariable = new("REGISTRY", "Image registry and namespace the images are pushed to, e.g. registry.digitalocean.com/agentc2", Secret: false, VariableDefault.Required);
    public static readonly Variable TagVariable = new("TAG", "Image tag to run (the deploy workflow uses the commit SHA)", Secret: false, VariableDefault.Published, "latest");
    public static readonly Variable DomainVariable = new("DOMAIN", "Public host name Caddy serves (and obtains a certificate for)", Secret: false, VariableDefault.Required);

    /// <summary>Swarm: the name of the secret holding the webhook URL; the rollout script creates it named by its content.</summary>
    public static readonly Variable WebhookSecretVariable = new("SLACK_WEBHOOK_SECRET",
        "Swarm only: name of the Docker secret holding SLACK_WEBHOOK_URL (deploy/swarm/rollout.sh creates it, named by a digest of its value)",
        Secret: false, VariableDefault.Published, "agentc2_slack_webhook_url");

    public static readonly Variable HttpPortVariable = new("HTTP_PORT", "Swarm only: the node port Caddy takes plain HTTP on (redirects to HTTPS)", Secret: false, VariableDefault.Published, "80");
    public static readonly Variable HttpsPortVariable = new("HTTPS_PORT", "Swarm only: the node port Caddy takes HTTPS (TCP and QUIC) on", Secret: false, VariableDefault.Published, "443");

    /// <summary>What an instance reports as its version in the fleet view: the image tag it runs.</summary>
    public const string VersionSetting = "AgentC2__Instance__Version";

    private readonly List<Variable> _used = [];
    private readonly DeploymentPlan _plan;
    private readonly IReadOnlyDictionary<string, string> _configContents;

    /// <param name="configContents">The generated files the configs mount, by path: Swarm config names carry a digest of them.</param>
    public ComposeWriter(DeploymentPlan plan, IReadOnlyDictionary<string, string> configContents)
    {
        _plan = plan;
        _configContents = configContents;
    }


    /// <summary>Every variable the Compose files read, in the order they first appear.</summary>
    public IReadOnlyCollection<Variable> UsedVariables => _used;

    public IEnumerable<GeneratedFile> Write()
    {
        yield return new GeneratedFile(ComposePath, Yaml.Document(Yaml.SnakeCase,
            $"AgentC2 on one host: docker compose --env-file .env -f {ComposePath} up -d --build\n"
            + "Generated from the AppHost by `aspire publish`; do not edit (docs/deployment.md).", Build(swarm: false)));
        yield return new GeneratedFile(SwarmPath, Yaml.Document(Yaml.SnakeCase,
            $"AgentC2 on Docker Swarm: docker stack deploy -c {SwarmPath} agentc2 (variables from the environment)\n"
            + "Generated from the AppHost by `aspire publish`; do not edit (docs/deployment.md).", Build(swarm: true)));
    }

    private ComposeFile Build(bool swarm)
    {
        var file = new ComposeFile { Version = swarm ? "3.9" : null };
        foreach (var backing in _plan.BackingServices)
        {
            file.Services[backing.Name] = BackingService(backing, swarm);
            foreach (var volume in backing.Volumes)
            {
                file.Volumes[volume.Name] = new ComposeVolume();
            }
        }

        foreach (var app in _plan.Apps)
        {
            file.Services[app.Name] = AppService(app, swarm);
        }

        file.Services[ResourceNames.Caddy] = Caddy(swarm);
        file.Configs[CaddyConfigName] = Config(CaddyConfigName, CaddyfileWriter.Path, swarm);
        file.Volumes["caddy_data"] = new ComposeVolume();
        file.Volumes["caddy_config"] = new ComposeVolume();

        // Monitoring: Prometheus with the alert rules, Alertmanager posting to a Slack-style webhook.
        file.Services[Monitoring.Prometheus] = Monitoring.PrometheusService(swarm);
        file.Services[Monitoring.Alertmanager] = Monitoring.AlertmanagerService(swarm);
        file.Configs["prometheus"] = Config("prometheus", swarm ? PrometheusWriter.SwarmPath : PrometheusWriter.ComposePath, swarm);
        file.Configs["prometheus_rules"] = Config("prometheus_rules", PrometheusWriter.RulesPath, swarm);
        file.Configs["alertmanager"] = Config("alertmanager", PrometheusWriter.AlertmanagerPath, swarm);
        if (!swarm)
        {
            file.Configs["alertmanager_start"] = Config("alertmanager_start", Monitoring.AlertmanagerStart, swarm);
        }

        file.Secrets[Monitoring.WebhookSecret] = swarm
            ? new ComposeSecret { External = true, Name = Variable(WebhookSecretVariable) }
            : new ComposeSecret { Environment = Name(Monitoring.WebhookVariable) };
        file.Volumes["prometheus_data"] = new ComposeVolume();
        file.Volumes["alertmanager_data"] = new ComposeVolume();
        if (swarm)
        {
            // No service has a virtual IP: every name resolves to its tasks, which works with and without IPVS.
            foreach (var service in file.Services.Values)
            {
                service.Deploy!.EndpointMode = "dnsrr";
            }
        }

        return file;
    }

    /// <summary>
    /// A config from a generated file. On Swarm its name carries a digest of the content: a Swarm config cannot change, so a
    /// changed Caddyfile, alert rule or Prometheus setting is a new config, and <c>docker stack deploy</c> rolls it out.
    /// </summary>
    private ComposeConfig Config(string key, string path, bool swarm)
    {
        if (!swarm)
        {
            return new ComposeConfig { File = "./" + path };
        }

        // A generated file as generated now, a maintained one (alert rules, Alertmanager) as the repository holds it.
        var maintained = System.IO.Path.Combine(_plan.RepositoryRoot, path);
        var content = _configContents.TryGetValue(path, out var generated) ? generated
            : File.Exists(maintained) ? File.ReadAllText(maintained)
            : throw new InvalidOperationException($"the Swarm config '{key}' mounts {path}, which is neither generated nor in the repository");

        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)))[..12];
        return new ComposeConfig { Name = $"{_plan.Options.Name}_{key}_{digest}", File = "./" + path };
    }

    private ComposeService AppService(AppService app, bool swarm)
    {
        var settings = app.Settings;
        return new ComposeService
        {
            Image = $"{Variable(RegistryVariable)}/{app.ImageName}:{Variable(TagVariable)}",
            Build = swarm ? null : new ComposeBuild { Dockerfile = app.Project.DockerfilePath },
            Environment = Environment(app.Environment).Append(new(VersionSetting, Variable(TagVariable))).ToDictionary(),
            DependsOn = swarm ? [] : app.DependsOn.ToDictionary(name => name, _ => new ComposeDependency()),
            // Every 10 s: a new task counts as running (and joins the name's DNS answers) at its first healthy probe.
            Healthcheck = new ComposeHealthcheck { Test = ["CMD", .. app.ProbeCommand], Interval = "10s", StartPeriod = Units.Seconds(settings.StartPeriod) },
            Restart = swarm ? null : "unless-stopped",
            StopGracePeriod = Units.Seconds(settings.StopGracePeriod),
            Deploy = new ComposeDeploy
            {
                Replicas = app.Replicas,
                Resources = new ComposeResources
                {
                    Limits = new ComposeResourceSet { Cpus = Units.Cpus(settings.Cpus), Memory = Units.ComposeMemory(settings.MemoryMiB) },
                    Reservations = new ComposeResourceSet { Cpus = Units.Cpus(settings.RequestCpus), Memory = Units.ComposeMemory(settings.RequestMemoryMiB) },
                },
                UpdateConfig = new ComposeUpdateConfig { Delay = "10s", FailureAction = "rollback", Monitor = "30s" },
                RollbackConfig = new ComposeUpdateConfig(),
                RestartPolicy = new ComposeRestartPolicy(),
            },
        };
    }

    private ComposeService BackingService(BackingService backing, bool swarm) => new()
    {
        Image = backing.Image,
        Entrypoint = backing.Entrypoint is null ? null : [backing.Entrypoint],
        Command = backing.Args.Count == 0 ? null : [.. backing.Args.Select(Escape)],
        Environment = Environment(backing.Environment),
        Volumes = [.. backing.Volumes.Select(v => $"{v.Name}:{v.Target}{(v.ReadOnly ? ":ro" : "")}")],
        Healthcheck = new ComposeHealthcheck { Test = ["CMD-SHELL", Escape(backing.HealthCommand)], Interval = "10s", Retries = 5 },
        Restart = swarm ? null : "unless-stopped",
        StopGracePeriod = "30s",
        Deploy = new ComposeDeploy
        {
            // One instance on the node that holds its volume; an update stops the old one first (no two writers on one data folder).
            Placement = swarm ? new ComposePlacement { Constraints = [DataNodeConstraint] } : null,
            UpdateConfig = new ComposeUpdateConfig { Order = "stop-first", FailureAction = "rollback" },
            RestartPolicy = new ComposeRestartPolicy(),
        },
    };

    private ComposeService Caddy(bool swarm) => new()
    {
        Image = CaddyfileWriter.Image,
        Environment = new() { ["DOMAIN"] = Variable(DomainVariable) },
        // On Swarm bound on the node (mode host): no routing mesh (it needs IPVS), and Caddy sees the clients' addresses.
        Ports = swarm
            ?
            [
                new ComposePort { Target = 80, Published = Variable(HttpPortVariable) },
                new ComposePort { Target = 443, Published = Variable(HttpsPortVariable) },
                new ComposePort { Target = 443, Published = Variable(HttpsPortVariable), Protocol = "udp" },
            ]
            : ["80:80", "443:443", "443:443/udp"],
        Volumes = ["caddy_data:/data", "caddy_config:/config"],
        Configs = [new ComposeConfigMount { Source = CaddyConfigName, Target = "/etc/caddy/Caddyfile" }],
        DependsOn = swarm ? [] : _plan.PublicApps.ToDictionary(app => app.Name, _ => new ComposeDependency()),
        // Busybox wget is in the alpine image; the admin API answers on loopback inside the container.
        Healthcheck = new ComposeHealthcheck { Test = ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:2019/config/"], StartPeriod = "10s" },
        Restart = swarm ? null : "unless-stopped",
        StopGracePeriod = "30s",
        Deploy = new ComposeDeploy
        {
            UpdateConfig = new ComposeUpdateConfig { Order = "stop-first", FailureAction = "rollback" },
            RestartPolicy = new ComposeRestartPolicy(),
        },
    };

    private Dictionary<string, string> Environment(IEnumerable<EnvVar> variables) =>
        variables.ToDictionary(v => v.Name, v => string.Concat(v.Value.Parts.Select(part => part switch
        {
            TextPart text => Escape(text.Text),
            VariablePart variable => Variable(variable.Variable),
            ServiceUrlPart url => url.Url,
            _ => throw new InvalidOperationException($"unknown value part {part}"),
        })));

    /// <summary>A variable named where Compose takes a name, not a value (a secret's <c>environment</c>).</summary>
    private string Name(Variable variable)
    {
        if (!_used.Contains(variable))
        {
            _used.Add(variable);
        }

        return variable.Name;
    }

    private string Variable(Variable variable)
    {
        Name(variable);
        return variable.Default switch
        {
            VariableDefault.Required => $"${{{variable.Name}:?set {variable.Name} (see .env.example)}}",
            VariableDefault.Empty => $"${{{variable.Name}:-}}",
            _ => $"${{{variable.Name}:-{variable.Example}}}",
        };
    }

    /// <summary>A literal <c>$</c> is written <c>$$</c>, or Compose would interpolate it.</summary>
    private static string Escape(string text) => text.Replace("$", "$$", StringComparison.Ordinal);
}
