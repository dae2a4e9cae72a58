using System.Text.RegularExpressions;

namespace AgentC2.Tests.Deployment;

/// <summary>Structure of the Caddyfile, the App Platform spec, the Kubernetes manifests, the Dockerfiles and the deploy workflow.</summary>
[Collection(PublishedArtifactsCollection.Name)]
public sealed partial class PlatformArtifactTests(PublishedArtifacts published)
{
    private const string Caddyfile = "deploy/caddy/Caddyfile.production";
    private const string AppSpec = ".do/app.yaml";
    private const string Workflow = ".github/workflows/deploy-do.yml";

    [Fact]
    public void Caddy_routes_to_compose_services_by_name_checks_their_readiness_and_refuses_internal_paths()
    {
        var caddyfile = published.Text(Caddyfile);
        var composeServices = published.YamlDocument("docker-compose.production.yml").Map("services").Keys.Cast<string>().ToList();

        // Every replica behind each name (dynamic A records, read every second), not one address per connection.
        var upstreams = DynamicUpstream().Matches(caddyfile).Select(m => $"{m.Groups[1].Value}:{m.Groups[2].Value}").ToList();
        Assert.Equal(["agent:8080", "frontend:8080"], upstreams);
        Assert.All(upstreams, upstream => Assert.Contains(upstream.Split(':')[0], composeServices));
        Assert.Equal(2, Regex.Count(caddyfile, @"\n\t\treverse_proxy \{\n"));
        // Passive health only: Caddy runs no active checks on dynamic upstreams.
        Assert.DoesNotContain("health_uri", caddyfile, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(caddyfile, @"\bfail_duration \d+s\n"));
        Assert.Equal(2, Regex.Count(caddyfile, @"\blb_try_duration \d+s\n"));
        Assert.Contains("@agent path /api /api/*\n", caddyfile, StringComparison.Ordinal);
        // The refusal is the first handle: Caddy runs handle blocks before respond, so a bare respond would never be reached.
        Assert.Contains("@refused path /internal /internal/* /api/metrics /api/metrics/*\n\thandle @refused {\n", caddyfile, StringComparison.Ordinal);
        Assert.True(caddyfile.IndexOf("handle @refused", StringComparison.Ordinal) < caddyfile.IndexOf("handle @agent", StringComparison.Ordinal));
        Assert.DoesNotContain("\trespond @refused", caddyfile, StringComparison.Ordinal);
        Assert.StartsWith("{$DOMAIN} {", caddyfile.Split('\n').First(line => !line.StartsWith('#')), StringComparison.Ordinal);

        // The edge's own failures (no instance answered) are 503s with Retry-After: a problem under /api, a page elsewhere.
        var errors = caddyfile[caddyfile.IndexOf("\thandle_errors {", StringComparison.Ordinal)..];
        Assert.Equal(2, Regex.Count(errors, @"\n\t\t\t\tRetry-After 5\n"));
        Assert.Contains("\t\t\t\tContent-Type application/problem+json\n", errors, StringComparison.Ordinal);
        Assert.Contains("\"type\":\"urn:agentc2:problem:service-unavailable\"", errors, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(errors, @"` 503\n"));
    }

    [Fact]
    public void App_platform_runs_the_worker_without_http_and_health_checks_and_autoscales_the_agent()
    {
        var spec = published.YamlDocument(AppSpec);

        Assert.Equal("nyc", spec.Str("region"));
        var worker = Assert.Single(spec.List("workers"));
        Assert.Equal(ResourceNames.Worker, worker.Str("name"));
        Assert.Null(worker.At("http_port"));
        Assert.Null(worker.At("health_check"));
        Assert.Equal("2", worker.Str("instance_count"));

        var services = spec.List("services").ToDictionary(s => s.Str("name")!);
        Assert.Equal([ResourceNames.Agent, ResourceNames.Frontend], services.Keys);
        foreach (var service in services.Values)
        {
            Assert.Equal("8080", service.Str("http_port"));
            Assert.Equal(ServicePaths.Ready, service.Str("health_check", "http_path"));
            Assert.Equal("30", service.Str("health_check", "initial_delay_seconds"));
            Assert.Equal("10", service.Str("health_check", "period_seconds"));
        }

        var agent = services[ResourceNames.Agent];
        Assert.Equal(("2", "8", "70"), (agent.Str("autoscaling", "min_instance_count"), agent.Str("autoscaling", "max_instance_count"), agent.Str("autoscaling", "metrics", "cpu", "percent")));
        Assert.Null(agent.At("instance_count"));
        Assert.Equal("apps-d-2vcpu-4gb", agent.Str("instance_size_slug"));

        Assert.Equal(["DEPLOYMENT_FAILED", "DOMAIN_FAILED"], spec.List("alerts").Select(a => a.Str("rule")));
        foreach (var component in services.Values.Append(worker))
        {
            var alerts = component.List("alerts").ToDictionary(a => a.Str("rule")!, a => a.Str("value"));
            Assert.Equal("80", alerts["CPU_UTILIZATION"]);
            Assert.Equal("80", alerts["MEM_UTILIZATION"]);
            Assert.True(alerts.ContainsKey("RESTART_COUNT"));
        }

        var rules = spec.List("ingress", "rules").Select(r => (r.Str("match", "path", "prefix"), r.Str("component", "name"))).ToList();
        Assert.Equal([("/api", ResourceNames.Agent), ("/", ResourceNames.Frontend)], rules);
    }

    [Fact]
    public void App_platform_secrets_are_placeholders_the_deploy_workflow_fills_from_repository_secrets()
    {
        var spec = published.YamlDocument(AppSpec);
        var envs = spec.List("services").Concat(spec.List("workers")).SelectMany(c => c.List("envs")).ToList();
        var workflow = published.Text(Workflow);

        // Every connection string and AgentC2 setting is a secret but the plain ones the model sets: the version, the retention.
        string[] plain = ["AgentC2__Instance__Version", "AgentC2__Retention__Runs", "AgentC2__Metrics__Port"];
        Assert.Contains(envs, e => e.Str("key") == "AgentC2__Retention__Runs" && e.Str("value") == "30.00:00:00" && e.Str("type") is null);
        foreach (var env in envs.Where(e => e.Str("key")!.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || (e.Str("key")!.StartsWith("AgentC2__", StringComparison.Ordinal) && !plain.Contains(e.Str("key")))))
        {
            Assert.Equal("SECRET", env.Str("type"));
            var placeholder = Assert.Single(Placeholder().Matches(env.Str("value")!)).Groups[1].Value;
            // The placeholders envsubst fills are listed a few to a line before it.
            Assert.Contains($"${{{placeholder}}}", string.Concat(workflow.Split('\n').Where(line => line.TrimStart().StartsWith("placeholders", StringComparison.Ordinal))), StringComparison.Ordinal);
            Assert.Contains($"{placeholder}: ${{{{ secrets.{placeholder} }}}}", workflow, StringComparison.Ordinal);
        }

        Assert.All(spec.List("services").Concat(spec.List("workers")), c => Assert.Equal("${TAG}", c.Str("image", "tag")));
        // The fleet view shows the tag each instance runs; the grace period comes from the services' one drain bound.
        Assert.All(spec.List("services").Concat(spec.List("workers")), c =>
        {
            Assert.Contains(c.List("envs"), e => e.Str("key") == "AgentC2__Instance__Version" && e.Str("value") == "${TAG}");
            Assert.Equal(((int)ShutdownBounds.GracePeriod.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture), c.Str("termination", "grace_period_seconds"));
        });
        Assert.Contains(envs, e => e.Str("key") == "services__agent__http__0" && e.Str("value") == "${agent.PRIVATE_URL}");
        // A worker has no private URL on App Platform.
        Assert.DoesNotContain(envs, e => e.Str("key")!.StartsWith("services__worker", StringComparison.Ordinal));
    }

    [Fact]
    public void Metrics_are_served_on_a_port_no_public_route_reaches_on_every_target()
    {
        string[] services = [ResourceNames.Agent, ResourceNames.Worker, ResourceNames.Frontend];
        var metricsPort = ServicePaths.MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The images listen on the metrics port and serve metrics only there.
        foreach (var service in services)
        {
            var dockerfile = published.Text($"AgentC2.{char.ToUpperInvariant(service[0])}{service[1..]}/Dockerfile");
            Assert.Contains($"ENV ASPNETCORE_HTTP_PORTS={ServicePaths.ContainerPort};{metricsPort} AgentC2__Metrics__Port={metricsPort}\n", dockerfile, StringComparison.Ordinal);
            Assert.DoesNotContain($"EXPOSE {metricsPort}", dockerfile, StringComparison.Ordinal);
        }

        // Compose and Swarm: nothing publishes it, the edge routes to service ports only, Prometheus scrapes it.
        foreach (var file in new[] { "docker-compose.production.yml", "docker-stack.production.yml" })
        {
            var composeServices = published.YamlDocument(file).Map("services");
            Assert.All(composeServices.Values, definition => Assert.DoesNotContain(metricsPort, string.Join(' ', definition.At("ports") is List<object> ports ? ports.Select(p => p.ToString()) : [])));
        }

        Assert.DoesNotContain(metricsPort, published.Text(Caddyfile), StringComparison.Ordinal);
        foreach (var file in new[] { "deploy/prometheus/prometheus.compose.yml", "deploy/prometheus/prometheus.swarm.yml" })
        {
            var jobs = published.YamlDocument(file).List("scrape_configs");
            Assert.All(services, service => Assert.Contains(jobs, job => job.Str("job_name") == service && job.Str("dns_sd_configs", 0, "port") == metricsPort));
        }

        // Kubernetes: the Services (the Ingress's only way in) have the service port alone; the pods name the metrics port.
        foreach (var service in services)
        {
            var objects = published.Yaml($"deploy/kubernetes/{service}.yaml");
            var ports = Assert.Single(objects, o => o.Str("kind") == "Service").List("spec", "ports");
            Assert.Equal([ServicePaths.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], ports.Select(p => p.Str("port")));
            var container = Assert.Single(objects, o => o.Str("kind") == "Deployment").List("spec", "template", "spec", "containers")[0];
            Assert.Contains(container.List("ports"), p => p.Str("name") == "metrics" && p.Str("containerPort") == metricsPort);
        }

        // App Platform: only each component's http_port is routed, and none declares the metrics port internally.
        var spec = published.YamlDocument(AppSpec);
        Assert.All(spec.List("services"), c => Assert.Equal(ServicePaths.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), c.Str("http_port")));
        Assert.DoesNotContain("internal_ports", published.Text(AppSpec), StringComparison.Ordinal);
    }

    [Fact]
    public void Kubernetes_deployments_probe_the_health_paths_roll_without_downtime_and_spread_across_zones()
    {
        var secretKeys = published.Text("deploy/kubernetes/secrets.env.example").Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.TrimEnd('=')).ToHashSet();

        foreach (var service in PublishedArtifacts.AppServices)
        {
            var objects = published.Yaml($"deploy/kubernetes/{service}.yaml").ToDictionary(o => o.Str("kind")!);
            var deployment = objects["Deployment"];
            var pod = deployment.Map("spec", "template");
            var container = Assert.Single(pod.List("spec", "containers"));

            Assert.Equal(ServicePaths.Live, container.Str("livenessProbe", "httpGet", "path"));
            Assert.Equal(ServicePaths.Ready, container.Str("readinessProbe", "httpGet", "path"));
            Assert.Equal(ServicePaths.Live, container.Str("startupProbe", "httpGet", "path"));
            Assert.NotNull(container.Str("resources", "requests", "cpu"));
            Assert.NotNull(container.Str("resources", "limits", "memory"));
            Assert.Equal(("RollingUpdate", "0", "1"), (deployment.Str("spec", "strategy", "type"),
                deployment.Str("spec", "strategy", "rollingUpdate", "maxUnavailable"), deployment.Str("spec", "strategy", "rollingUpdate", "maxSurge")));
            Assert.Contains("topology.kubernetes.io/zone", pod.List("spec", "topologySpreadConstraints").Select(c => c.Str("topologyKey")));
            Assert.Equal(("true", ServicePaths.Metrics, "9464"), (pod.Str("metadata", "annotations", "prometheus.io/scrape"),
                pod.Str("metadata", "annotations", "prometheus.io/path"), pod.Str("metadata", "annotations", "prometheus.io/port")));
            Assert.Equal("true", pod.Str("spec", "securityContext", "runAsNonRoot"));

            Assert.Equal($"{service}-config", container.Str("envFrom", 0, "configMapRef", "name"));
            Assert.Equal("ConfigMap", objects["ConfigMap"].Str("kind"));
            foreach (var env in container.List("env"))
            {
                Assert.Equal("agentc2-secrets", env.Str("valueFrom", "secretKeyRef", "name"));
                Assert.Contains(env.Str("valueFrom", "secretKeyRef", "key")!, secretKeys);
            }

            // Every service runs at least two pods, and each is called by the edge or another service.
            Assert.True(objects.ContainsKey("PodDisruptionBudget"), $"{service} has no PodDisruptionBudget");
            Assert.True(objects.ContainsKey("Service"), $"{service} has no Service");
        }

        var limits = Assert.Single(published.Yaml("deploy/kubernetes/agent.yaml"), o => o.Str("kind") == "Deployment").Map("spec", "template", "spec").List("containers")[0].Map("resources", "limits");
        Assert.Equal(("2", "4Gi"), (limits.Str("cpu"), limits.Str("memory")));
        // The agent scales on CPU and on its work in flight, through KEDA (which owns its HorizontalPodAutoscaler).
        var agent = published.Yaml("deploy/kubernetes/agent.yaml");
        Assert.DoesNotContain(agent, o => o.Str("kind") == "HorizontalPodAutoscaler");
        Assert.Null(Assert.Single(agent, o => o.Str("kind") == "Deployment").Str("spec", "replicas"));
        var agentScaling = Assert.Single(agent, o => o.Str("kind") == "ScaledObject");
        Assert.Equal(("agent", "2", "8"), (agentScaling.Str("spec", "scaleTargetRef", "name"), agentScaling.Str("spec", "minReplicaCount"), agentScaling.Str("spec", "maxReplicaCount")));
        Assert.Equal(("cpu", "70"), (agentScaling.Str("spec", "triggers", 0, "type"), agentScaling.Str("spec", "triggers", 0, "metadata", "value")));
        Assert.Equal(("prometheus", "sum(agentc2_work_in_flight{job=\"agent\"})", "16"), (agentScaling.Str("spec", "triggers", 1, "type"),
            agentScaling.Str("spec", "triggers", 1, "metadata", "query"), agentScaling.Str("spec", "triggers", 1, "metadata", "threshold")));

        // The worker scales on the run queue: KEDA's PostgreSQL trigger, its connection from the Secret.
        var worker = published.Yaml("deploy/kubernetes/worker.yaml");
        Assert.Null(Assert.Single(worker, o => o.Str("kind") == "Deployment").Str("spec", "replicas"));
        var workerScaling = Assert.Single(worker, o => o.Str("kind") == "ScaledObject");
        Assert.Equal(("2", "10", "300"), (workerScaling.Str("spec", "minReplicaCount"), workerScaling.Str("spec", "maxReplicaCount"), workerScaling.Str("spec", "cooldownPeriod")));
        Assert.Equal(("postgresql", "32"), (workerScaling.Str("spec", "triggers", 0, "type"), workerScaling.Str("spec", "triggers", 0, "metadata", "targetQueryValue")));
        var authentication = Assert.Single(worker, o => o.Str("kind") == "TriggerAuthentication");
        Assert.Equal(authentication.Str("metadata", "name"), workerScaling.Str("spec", "triggers", 0, "authenticationRef", "name"));
        Assert.Equal(("connection", "agentc2-secrets", "KEDA_POSTGRES_CONNECTION"), (authentication.Str("spec", "secretTargetRef", 0, "parameter"),
            authentication.Str("spec", "secretTargetRef", 0, "name"), authentication.Str("spec", "secretTargetRef", 0, "key")));
        Assert.Contains("\nKEDA_POSTGRES_CONNECTION=\n", published.Text("deploy/kubernetes/secrets.env.example"), StringComparison.Ordinal);
    }

    [Fact]
    public void Kustomization_lists_every_manifest_and_the_ingress_routes_the_public_paths()
    {
        var kustomization = published.YamlDocument("deploy/kubernetes/kustomization.yaml");
        var manifests = published.Files.Where(f => f.StartsWith("deploy/kubernetes/", StringComparison.Ordinal) && f.EndsWith(".yaml", StringComparison.Ordinal) && !f.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(manifests, kustomization.Strings("resources").Order(StringComparer.Ordinal));
        Assert.Equal("agentc2", kustomization.Str("namespace"));
        Assert.Equal(PublishedArtifacts.AppServices.Select(s => $"agentc2-{s}"), kustomization.List("images").Select(i => i.Str("name")));

        var paths = published.YamlDocument("deploy/kubernetes/ingress.yaml").List("spec", "rules", 0, "http", "paths")
            .Select(p => (p.Str("path"), p.Str("backend", "service", "name")));
        Assert.Equal([("/api", ResourceNames.Agent), ("/", ResourceNames.Frontend)], paths);
    }

    [Fact]
    public void Dockerfiles_build_in_stages_restore_on_project_files_run_as_non_root_and_probe_like_compose()
    {
        var compose = published.YamlDocument("docker-compose.production.yml").Map("services");
        foreach (var service in PublishedArtifacts.AppServices)
        {
            var project = compose.Str(service, "build", "dockerfile")!.Split('/')[0];
            var lines = published.Text($"{project}/Dockerfile").Split('\n');

            Assert.Equal(["FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", "FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime"], lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)));
            var restore = Array.FindIndex(lines, l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
            var sources = Array.FindIndex(lines, l => l == $"COPY {project}/ {project}/");
            Assert.True(restore > 0 && sources > restore, "the restore layer comes before the sources are copied");
            Assert.Contains("COPY Directory.Build.props Directory.Packages.props ./", lines.Take(restore));
            Assert.Contains($"COPY {project}/{project}.csproj {project}/", lines.Take(restore));
            Assert.Contains("USER $APP_UID", lines);
            Assert.Contains("EXPOSE 8080", lines);

            var healthcheck = Assert.Single(lines, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
            var probe = string.Join(", ", compose.Strings(service, "healthcheck", "test").Skip(1).Select(p => $"\"{p}\""));
            Assert.EndsWith($"CMD [{probe}]", healthcheck, StringComparison.Ordinal);
            Assert.DoesNotContain("curl", healthcheck, StringComparison.Ordinal);
        }

        var ignore = File.ReadAllLines(Path.Combine(Fixtures.Repository.Root, ".dockerignore"));
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
    }

    [Fact]
    public void Deploy_workflow_pushes_sha_tagged_images_and_rolls_out_one_way_or_the_other_with_least_privilege()
    {
        var workflow = published.YamlDocument(Workflow);

        Assert.Equal("read", workflow.Str("permissions", "contents"));
        Assert.Single(workflow.Map("permissions"));
        Assert.Equal("false", workflow.Str("concurrency", "cancel-in-progress"));
        Assert.Equal(PublishedArtifacts.AppServices, workflow.List("jobs", "images", "strategy", "matrix", "include").Select(i => i.Str("service")));
        Assert.Equal("${{ github.event.workflow_run.head_sha || github.sha }}", workflow.Str("env", "TAG"));

        var swarm = workflow.Map("jobs", "swarm");
        Assert.Contains("== 'swarm'", swarm.Str("if"), StringComparison.Ordinal);
        // The whole stack from the generated file (the script the containers tier's Swarm drill runs), not images alone.
        var step = swarm.List("steps").Last();
        Assert.Equal("bash deploy/swarm/rollout.sh\n", step.Str("run"));
        Assert.Equal("actions/checkout@v4", swarm.List("steps").First().Str("uses"));
        Assert.Equal("${{ secrets.POSTGRES_PASSWORD }}", step.Str("env", "POSTGRES_PASSWORD"));
        Assert.Equal("${{ vars.DOMAIN }}", step.Str("env", "DOMAIN"));
        var script = published.Text("deploy/swarm/rollout.sh");
        Assert.Contains("docker stack deploy --with-registry-auth --prune", script, StringComparison.Ordinal);
        Assert.Contains("files=(-c docker-stack.production.yml)", script, StringComparison.Ordinal);
        Assert.Contains("rollback_completed", script, StringComparison.Ordinal);
        Assert.Contains("== 'app-platform'", workflow.Str("jobs", "app-platform", "if"), StringComparison.Ordinal);
        Assert.Contains("doctl apps update \"$APP_ID\" --spec", published.Text(Workflow), StringComparison.Ordinal);

        // Secrets only through the secrets context, never as literals.
        Assert.All(SecretUse().Matches(published.Text(Workflow)), m => Assert.Matches(@"^\$\{\{ secrets\.[A-Z0-9_]+ \}\}$", m.Value));
    }

    [GeneratedRegex(@"dynamic a \{\n\t+name (\S+)\n\t+port (\d+)\n\t+refresh 1s\n")]
    private static partial Regex DynamicUpstream();

    [GeneratedRegex(@"^\$\{([A-Z0-9_]+)\}$")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\$\{\{[^}]*secrets[^}]*\}\}")]
    private static partial Regex SecretUse();
}
