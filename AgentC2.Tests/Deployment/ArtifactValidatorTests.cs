using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Deployment;

/// <summary>
/// Each artifact is accepted by a real tool that reads it (installed by <c>scripts/setup.sh --test-tools</c>): Caddy
/// adapts the Caddyfile, docker-compose parses both Compose files, yamllint lints every YAML artifact, the Kubernetes
/// OpenAPI schemas accept every object, the GitHub workflow schema accepts the workflows, dockerfile-utils lints the
/// Dockerfiles. Each tool is also shown a broken copy, so a validator that accepts anything fails the test.
/// </summary>
[Collection(PublishedArtifactsCollection.Name)]
public sealed class ArtifactValidatorTests(PublishedArtifacts published) : IDisposable
{
    private static readonly string Validators = Path.Combine(Repository.Root, "tools", "validators");
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("agentc2-validate-");

    [Fact]
    public async Task Caddy_adapts_the_caddyfile_with_every_replica_behind_each_name_and_the_site()
    {
        var environment = new Dictionary<string, string?> { ["DOMAIN"] = "agents.example.org" };
        var adapted = await RunAsync("caddy", ["adapt", "--adapter", "caddyfile", "--config", Path.Combine(published.Output, "deploy/caddy/Caddyfile.production")], environment);

        Assert.True(adapted.ExitCode == 0, adapted.Output);
        Assert.Contains("\"name\":\"agent\",\"port\":\"8080\",\"refresh\":1000000000,\"source\":\"a\"", adapted.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"frontend\",\"port\":\"8080\",\"refresh\":1000000000,\"source\":\"a\"", adapted.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("agents.example.org", adapted.StandardOutput, StringComparison.Ordinal);

        var broken = Scratch("Caddyfile", published.Text("deploy/caddy/Caddyfile.production").Replace("lb_try_duration", "lb_try_durations", StringComparison.Ordinal));
        Assert.NotEqual(0, (await RunAsync("caddy", ["adapt", "--adapter", "caddyfile", "--config", broken], environment)).ExitCode);
    }

    [Theory]
    [InlineData("docker-compose.production.yml")]
    [InlineData("docker-stack.production.yml")]
    public async Task Docker_compose_accepts_the_compose_files_and_refuses_them_without_the_required_secrets(string file)
    {
        var filled = Scratch(".env", string.Join('\n', published.Text(".env.example").Split('\n')
            .Select(line => line.EndsWith('=') && !line.StartsWith('#') ? line + "set-in-test" : line)));
        var compose = Path.Combine(published.Output, file);

        var accepted = await RunAsync("docker-compose", ["--env-file", filled, "-f", compose, "config", "-q"]);
        Assert.True(accepted.ExitCode == 0, accepted.Output);

        var withoutSecrets = Scratch(".env.empty", "REGISTRY=r.example.org\nDOMAIN=agents.example.org\n");
        var refused = await RunAsync("docker-compose", ["--env-file", withoutSecrets, "-f", compose, "config", "-q"]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Matches(@"required variable [A-Z_]+ is missing a value: set [A-Z_]+ \(see \.env\.example\)", refused.Output);
    }

    [Fact]
    public async Task Yamllint_accepts_every_yaml_artifact()
    {
        var files = published.Files.Where(f => f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(f => Path.Combine(published.Output, f))
            .Concat(new[] { ".github/workflows/ci.yml", "deploy/prometheus/alerts.yml", "deploy/prometheus/alerts.test.yml", "deploy/prometheus/alertmanager.yml" }
                .Select(f => Path.Combine(Repository.Root, f)))
            .ToList();
        var config = Path.Combine(Repository.Root, ".yamllint.yaml");

        var linted = await RunAsync("yamllint", ["--strict", "-c", config, .. files]);
        Assert.True(linted.ExitCode == 0, linted.Output);

        var broken = Scratch("broken.yaml", "services:\n  agent:\n   image: x\n  agent:\n    image: y\n");
        Assert.NotEqual(0, (await RunAsync("yamllint", ["--strict", "-c", config, broken])).ExitCode);
    }

    [Fact]
    public async Task The_kubernetes_schemas_accept_every_object()
    {
        var manifests = published.Files.Where(f => f.StartsWith("deploy/kubernetes/", StringComparison.Ordinal) && f.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(f => Path.Combine(published.Output, f)).ToList();

        var validated = await RunAsync("node", [Path.Combine(Validators, "validate-kubernetes.mjs"), .. manifests]);
        Assert.True(validated.ExitCode == 0, validated.Output);
        var objects = manifests.Sum(file => YamlDocuments.Parse(File.ReadAllText(file)).Count(o => o.Str("kind") != "Kustomization"));
        Assert.Contains($"{objects} valid, 0 invalid", validated.StandardOutput, StringComparison.Ordinal);

        var broken = Scratch("broken.yaml", published.Text("deploy/kubernetes/agent.yaml").Replace("maxSurge: 1", "maxSurge: [1]", StringComparison.Ordinal));
        Assert.NotEqual(0, (await RunAsync("node", [Path.Combine(Validators, "validate-kubernetes.mjs"), broken])).ExitCode);

        // KEDA's objects are held to KEDA's own CRD schema.
        var brokenScaling = Scratch("broken-keda.yaml", published.Text("deploy/kubernetes/worker.yaml").Replace("minReplicaCount: 2", "minReplicaCount: two", StringComparison.Ordinal));
        var refused = await RunAsync("node", [Path.Combine(Validators, "validate-kubernetes.mjs"), brokenScaling]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("ScaledObject/worker", refused.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".github/workflows/deploy-do.yml")]
    [InlineData(".github/workflows/ci.yml")]
    public async Task The_workflow_schema_accepts_the_workflows(string workflow)
    {
        var path = File.Exists(Path.Combine(published.Output, workflow)) ? Path.Combine(published.Output, workflow) : Path.Combine(Repository.Root, workflow);

        var validated = await RunAsync(Path.Combine(Validators, "node_modules", ".bin", "action-validator"), [path]);
        Assert.True(validated.ExitCode == 0, validated.Output);

        var broken = Scratch("broken.yml", File.ReadAllText(path).Replace("runs-on:", "runs_on:", StringComparison.Ordinal));
        Assert.NotEqual(0, (await RunAsync(Path.Combine(Validators, "node_modules", ".bin", "action-validator"), [broken])).ExitCode);
    }

    [Theory]
    [InlineData("AgentC2.Agent/Dockerfile")]
    [InlineData("AgentC2.Worker/Dockerfile")]
    [InlineData("AgentC2.Frontend/Dockerfile")]
    public async Task Dockerfile_lint_accepts_the_dockerfiles(string dockerfile)
    {
        var lint = Path.Combine(Validators, "node_modules", ".bin", "dockerfile-utils");

        var linted = await RunAsync(lint, ["lint", Path.Combine(published.Output, dockerfile)]);
        Assert.True(linted.ExitCode == 0, linted.Output);

        var broken = Scratch("Dockerfile", published.Text(dockerfile).Replace("--start-period=", "--start-periods=", StringComparison.Ordinal));
        Assert.NotEqual(0, (await RunAsync(lint, ["lint", broken])).ExitCode);
    }

    [Fact]
    public async Task Promtool_accepts_the_rules_and_their_unit_tests_show_every_alert_firing_and_not()
    {
        var rules = Path.Combine(Repository.Root, "deploy/prometheus/alerts.yml");
        var checkedRules = await RunAsync("promtool", ["check", "rules", rules]);
        Assert.True(checkedRules.ExitCode == 0, checkedRules.Output);
        Assert.Contains("SUCCESS: 12 rules found", checkedRules.StandardOutput, StringComparison.Ordinal);

        var tested = await RunAsync("promtool", ["test", "rules", Path.Combine(Repository.Root, "deploy/prometheus/alerts.test.yml")]);
        Assert.True(tested.ExitCode == 0, tested.Output);

        // The unit tests notice a changed threshold.
        var mutated = Scratch("alerts.yml", File.ReadAllText(rules).Replace("> 0.8", "> 0.9", StringComparison.Ordinal));
        var mutatedTests = Scratch("alerts.test.yml", File.ReadAllText(Path.Combine(Repository.Root, "deploy/prometheus/alerts.test.yml")));
        Assert.True(File.Exists(mutated));
        var caught = await RunAsync("promtool", ["test", "rules", mutatedTests]);
        Assert.NotEqual(0, caught.ExitCode);
        Assert.Contains("AgentC2MemoryHigh", caught.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deploy/prometheus/prometheus.compose.yml")]
    [InlineData("deploy/prometheus/prometheus.swarm.yml")]
    public async Task Promtool_accepts_the_scrape_configurations_with_their_rules(string config)
    {
        // Where the container mounts the rules, the check reads the committed file.
        var rules = Scratch("alerts.yml", File.ReadAllText(Path.Combine(Repository.Root, "deploy/prometheus/alerts.yml")));
        var local = Scratch("prometheus.yml", published.Text(config).Replace("/etc/prometheus/alerts.yml", rules, StringComparison.Ordinal));

        var checkedConfig = await RunAsync("promtool", ["check", "config", local]);

        Assert.True(checkedConfig.ExitCode == 0, checkedConfig.Output);
        Assert.Contains("SUCCESS: 12 rules found", checkedConfig.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_grafana_dashboard_queries_documented_metrics_with_valid_promql()
    {
        using var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "deploy/grafana/agentc2-dashboard.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row").ToList();
        var expressions = panels.SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.True(panels.Count >= 15, $"{panels.Count} panels");
        Assert.All(panels, p => Assert.InRange(p.GetProperty("gridPos").GetProperty("x").GetInt32() + p.GetProperty("gridPos").GetProperty("w").GetInt32(), 1, 24));

        // promtool checks PromQL as recording rules.
        var rules = Scratch("dashboard-rules.yml", "groups:\n  - name: dashboard\n    rules:\n"
            + string.Concat(expressions.Select((expr, i) => $"      - record: agentc2:dashboard_{i}\n        expr: {System.Text.Json.JsonSerializer.Serialize(expr)}\n")));
        var checkedRules = await RunAsync("promtool", ["check", "rules", rules]);
        Assert.True(checkedRules.ExitCode == 0, checkedRules.Output);

        var documented = File.ReadAllText(Path.Combine(Repository.Root, "docs/metrics.md"));
        var metrics = expressions.SelectMany(e => System.Text.RegularExpressions.Regex.Matches(e, @"\bagentc2_[a-z_]+").Select(m => m.Value))
            .Select(m => System.Text.RegularExpressions.Regex.Replace(m, "_(bucket|count|sum)$", "")).Distinct().ToList();
        Assert.All(metrics, metric => Assert.Contains($"`{metric}", documented, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Amtool_accepts_the_alertmanager_configuration()
    {
        var checkedConfig = await RunAsync("amtool", ["check-config", Path.Combine(Repository.Root, "deploy/prometheus/alertmanager.yml")]);

        Assert.True(checkedConfig.ExitCode == 0, checkedConfig.Output);
        Assert.Contains("1 receivers", checkedConfig.Output, StringComparison.Ordinal);
    }

    private string Scratch(string name, string content)
    {
        var path = Path.Combine(_scratch.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static Task<ProcessOutcome> RunAsync(string tool, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        ToolProcess.RunAsync(tool, arguments, environment, TimeSpan.FromSeconds(60));

    public void Dispose() => _scratch.Delete(recursive: true);
}
