using System.Text.RegularExpressions;

namespace AgentC2.Tests.Deployment;

[Collection(PublishedArtifactsCollection.Name)]
public sealed partial class ComposeArtifactTests(PublishedArtifacts published)
{
    private const string ComposeFile = "docker-compose.production.yml";
    private const string SwarmFile = "docker-stack.production.yml";

    public static TheoryData<string> Files => [ComposeFile, SwarmFile];

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_service_of_the_app_model_is_there_with_its_healthcheck(string file)
    {
        var services = published.YamlDocument(file).Map("services");

        Assert.Equal([ResourceNames.Postgres, ResourceNames.Redis, .. PublishedArtifacts.AppServices, ResourceNames.Caddy, "prometheus", "alertmanager"],
            services.Keys.Cast<string>());
        foreach (var (name, service) in services)
        {
            var healthcheck = service.Map("healthcheck");
            Assert.NotEmpty(healthcheck.Strings("test"));
            Assert.NotNull(healthcheck.Str("interval"));
            Assert.NotNull(healthcheck.Str("timeout"));
            Assert.NotNull(healthcheck.Str("retries"));
            Assert.NotNull(healthcheck.Str("start_period"));
            Assert.NotNull(service.Map("deploy").Map("restart_policy"));
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Redis_runs_as_pid_1_so_that_it_stops_cleanly_on_sigterm(string file)
    {
        var redis = published.YamlDocument(file).Map("services").Map(ResourceNames.Redis);

        // Behind "sh -c" the shell would be PID 1 and ignore SIGTERM: every stop would be a kill after the grace period.
        Assert.Equal(["/bin/sh"], redis.Strings("entrypoint"));
        var command = redis.Strings("command").ToList();
        Assert.Equal("-c", command[0]);
        Assert.StartsWith("exec redis-server ", command[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AgentC2.Agent/Dockerfile")]
    [InlineData("AgentC2.Worker/Dockerfile")]
    [InlineData("AgentC2.Frontend/Dockerfile")]
    public void Dockerfiles_need_no_frontend_image_from_a_registry(string dockerfile) =>
        // "# syntax=" makes BuildKit pull a frontend image before building: nothing in these files needs one.
        Assert.DoesNotContain("# syntax=", published.Text(dockerfile), StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Files))]
    public void App_services_have_the_plans_replicas_limits_and_rolling_updates(string file)
    {
        var services = published.YamlDocument(file).Map("services");
        (string Service, string Replicas, string Cpus, string Memory)[] plan =
        [
            (ResourceNames.Agent, "2", "2", "4G"),
            (ResourceNames.Worker, "2", "1", "1G"),
            (ResourceNames.Frontend, "2", "1", "2G"),
        ];

        foreach (var (service, replicas, cpus, memory) in plan)
        {
            var deploy = services.Map(service, "deploy");
            Assert.Equal(replicas, deploy.Str("replicas"));
            Assert.Equal(cpus, deploy.Str("resources", "limits", "cpus"));
            Assert.Equal(memory, deploy.Str("resources", "limits", "memory"));
            Assert.NotNull(deploy.Str("resources", "reservations", "memory"));
            Assert.Equal("1", deploy.Str("update_config", "parallelism"));
            Assert.Equal("start-first", deploy.Str("update_config", "order"));
            Assert.Equal("rollback", deploy.Str("update_config", "failure_action"));

            var healthcheck = services.Map(service, "healthcheck");
            Assert.Equal(["CMD", "dotnet", $"AgentC2.{Capitalized(service)}.dll", "--health-probe", ServicePaths.Live], healthcheck.Strings("test"));
            Assert.Equal(("10s", "5s", "3"), (healthcheck.Str("interval"), healthcheck.Str("timeout"), healthcheck.Str("retries")));

            Assert.Matches($@"^\$\{{REGISTRY:\?[^}}]+\}}/agentc2-{service}:\$\{{TAG:-latest\}}$", services.Str(service, "image"));
            // From the services' one drain bound, as on Kubernetes and App Platform.
            Assert.Equal($"{(int)ShutdownBounds.GracePeriod.TotalSeconds}s", services.Str(service, "stop_grace_period"));
            Assert.Equal("${TAG:-latest}", services.Str(service, "environment", "AgentC2__Instance__Version"));
        }
    }

    [Fact]
    public void The_compose_file_builds_the_images_restarts_them_and_waits_for_healthy_dependencies()
    {
        var services = published.YamlDocument(ComposeFile).Map("services");

        foreach (var service in PublishedArtifacts.AppServices)
        {
            Assert.Equal(".", services.Str(service, "build", "context"));
            Assert.Equal($"AgentC2.{Capitalized(service)}/Dockerfile", services.Str(service, "build", "dockerfile"));
        }

        foreach (var (_, service) in services)
        {
            Assert.Equal("unless-stopped", service.Str("restart"));
        }

        Assert.Equal([ResourceNames.Postgres, ResourceNames.Redis], services.Map(ResourceNames.Agent, "depends_on").Keys.Cast<string>());
        Assert.Equal([ResourceNames.Agent, ResourceNames.Frontend], services.Map(ResourceNames.Caddy, "depends_on").Keys.Cast<string>());
        foreach (var dependency in services.Values.Select(s => s.At("depends_on")).OfType<Dictionary<object, object>>().SelectMany(d => d.Values))
        {
            Assert.Equal("service_healthy", dependency.Str("condition"));
        }
    }

    [Fact]
    public void The_swarm_file_deploys_pushed_images_and_keeps_stateful_services_on_the_data_node()
    {
        var document = published.YamlDocument(SwarmFile);
        var services = document.Map("services");

        Assert.Equal("3.9", document.Str("version"));
        foreach (var (name, service) in services)
        {
            // docker stack deploy refuses depends_on maps (docker/cli's schema) and ignores build and restart.
            Assert.Null(service.At("depends_on"));
            Assert.Null(service.At("build"));
            Assert.Null(service.At("restart"));
            // No virtual IPs (they need IPVS): every name resolves to its tasks, on Swarms with and without IPVS.
            Assert.Equal("dnsrr", service.Str("deploy", "endpoint_mode"));
        }

        // The edge publishes on its node (no routing mesh, which needs IPVS; Caddy sees the clients' addresses).
        Assert.All(services.List(ResourceNames.Caddy, "ports"), port => Assert.Equal("host", port.Str("mode")));
        Assert.Equal(["${HTTP_PORT:-80}", "${HTTPS_PORT:-443}", "${HTTPS_PORT:-443}"], services.List(ResourceNames.Caddy, "ports").Select(port => port.Str("published")));

        // Configs are named by a digest of their content (a changed Caddyfile is a new config, which rolls out); the
        // webhook secret by the name the rollout script gives it.
        foreach (var (key, config) in document.Map("configs"))
        {
            var path = config.Str("file")!;
            var content = File.Exists(Path.Combine(published.Output, path)) ? published.Text(path) : File.ReadAllText(Path.Combine(Fixtures.Repository.Root, path));
            var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)))[..12];
            Assert.Equal($"agentc2_{key}_{digest}", config.Str("name"));
        }

        Assert.Equal("${SLACK_WEBHOOK_SECRET:-agentc2_slack_webhook_url}", document.Str("secrets", "slack_webhook_url", "name"));

        foreach (var stateful in new[] { ResourceNames.Postgres, ResourceNames.Redis, "prometheus", "alertmanager" })
        {
            Assert.Equal(["node.labels.agentc2.data == true"], services.Map(stateful, "deploy", "placement").Strings("constraints"));
            Assert.Equal("stop-first", services.Str(stateful, "deploy", "update_config", "order"));
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Data_lives_in_named_volumes_and_caddy_is_the_only_published_port(string file)
    {
        var document = published.YamlDocument(file);
        var declared = document.Map("volumes").Keys.Cast<string>().ToList();
        var services = document.Map("services");

        foreach (var (name, service) in services)
        {
            foreach (var volume in service.At("volumes") is List<object> volumes ? volumes.Cast<string>() : [])
            {
                Assert.Contains(volume.Split(':')[0], declared);
            }

            if ((string)name != ResourceNames.Caddy)
            {
                Assert.Null(service.At("ports"));
            }
        }

        Assert.Contains("agentc2-postgres-data:/var/lib/postgresql", services.Strings(ResourceNames.Postgres, "volumes"));
        Assert.Equal("docker.io/library/caddy:2.10.2-alpine", services.Str(ResourceNames.Caddy, "image"));
        if (file == ComposeFile)
        {
            Assert.Equal(["80:80", "443:443", "443:443/udp"], services.Strings(ResourceNames.Caddy, "ports"));
        }
        Assert.Contains("caddy_data:/data", services.Strings(ResourceNames.Caddy, "volumes"));
        Assert.Equal("./deploy/caddy/Caddyfile.production", document.Str("configs", "caddyfile", "file"));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Prometheus_loads_the_alert_rules_and_alertmanager_reads_its_webhook_from_a_secret(string file)
    {
        var document = published.YamlDocument(file);
        var swarm = file == SwarmFile;

        Assert.Equal("./deploy/prometheus/alerts.yml", document.Str("configs", "prometheus_rules", "file"));
        Assert.Equal(swarm ? "./deploy/prometheus/prometheus.swarm.yml" : "./deploy/prometheus/prometheus.compose.yml", document.Str("configs", "prometheus", "file"));
        var mounts = document.List("services", "prometheus", "configs").Select(c => (c.Str("source"), c.Str("target")));
        Assert.Contains(("prometheus_rules", "/etc/prometheus/alerts.yml"), mounts);
        Assert.Equal("slack_webhook_url", document.Str("services", "alertmanager", "secrets", 0, "source"));
        Assert.Equal(swarm ? "true" : null, document.Str("secrets", "slack_webhook_url", "external"));
        // One host: the URL comes from SLACK_WEBHOOK_URL of the env file (may stay empty: Alertmanager then runs without a
        // receiver and says so), so a fresh `up` needs no file the operator has not made.
        Assert.Null(document.Str("secrets", "slack_webhook_url", "file"));
        Assert.Equal(swarm ? null : "SLACK_WEBHOOK_URL", document.Str("secrets", "slack_webhook_url", "environment"));
        if (!swarm)
        {
            Assert.Equal(["/bin/sh", "/etc/alertmanager/start.sh"], document.Strings("services", "alertmanager", "entrypoint"));
            Assert.Equal("./deploy/prometheus/alertmanager-start.sh", document.Str("configs", "alertmanager_start", "file"));
        }
        Assert.Contains("api_url_file: /run/secrets/slack_webhook_url", File.ReadAllText(Path.Combine(Fixtures.Repository.Root, "deploy/prometheus/alertmanager.yml")), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_variable_is_documented_in_the_env_example_and_secrets_come_only_from_it(string file)
    {
        var documented = published.Text(".env.example").Split('\n')
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=')[0])
            .ToHashSet();

        var used = VariableReference().Matches(published.Text(file)).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.NotEmpty(used);
        Assert.All(used, variable => Assert.Contains(variable, documented));
        foreach (var secret in new[] { "POSTGRES_PASSWORD", "REDIS_PASSWORD", "OPERATOR_API_KEY", "INTERNAL_API_KEY" })
        {
            // Required: compose stops with a message instead of starting with an empty secret.
            Assert.Contains($"${{{secret}:?", published.Text(file), StringComparison.Ordinal);
        }

        var environment = published.YamlDocument(file).Map("services", ResourceNames.Agent, "environment");
        Assert.Equal("Host=postgres;Port=5432;Username=postgres;Password=${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (see .env.example)};Database=agentc2",
            environment.Str("ConnectionStrings__agentc2"));
        Assert.Equal("${MODEL_API_KEY:-}", environment.Str("AgentC2__Models__ApiKey"));
    }

    private static string Capitalized(string service) => char.ToUpperInvariant(service[0]) + service[1..];

    // ${NAME}, ${NAME:-default}, ${NAME:?message}; not $${NAME} (a literal dollar sign).
    [GeneratedRegex(@"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)")]
    private static partial Regex VariableReference();
}
