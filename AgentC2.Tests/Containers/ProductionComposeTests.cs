using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Containers;

/// <summary>
/// The containers tier: the service images built from their committed Dockerfiles and the production compose file run
/// on a private engine (stand-ins for the third-party images), exercised through its edge like a client would.
/// </summary>
[Collection(ContainersCollection.Name)]
public sealed class ProductionComposeTests(ContainerEngine engine) : IAsyncLifetime
{
    public Task InitializeAsync() => engine.ComposeUpAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static readonly string[] Services = ["agent", "worker", "frontend"];

    [Fact]
    public async Task Every_container_is_healthy_and_the_service_images_run_as_their_non_root_user()
    {
        var ps = await engine.ComposeAsync(["ps", "-a", "--format", "{{.Service}} {{.State}} {{.Health}}"]);
        var states = ps.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(states.All(s => s.EndsWith(" running healthy", StringComparison.Ordinal)), ps.Output);
        Assert.Equal(["agent", "agent", "alertmanager", "caddy", "frontend", "frontend", "postgres", "prometheus", "redis", "worker", "worker"],
            states.Select(s => s.Split(' ')[0]).Order());

        foreach (var service in Services)
        {
            var image = $"{ContainerEngine.Registry}/agentc2-{service}:{ContainerEngine.Tag}";
            var inspect = await engine.DockerAsync(["image", "inspect", "-f", "{{.Config.User}}|{{json .Config.Healthcheck.Test}}", image]);
            Assert.True(inspect.ExitCode == 0, inspect.Output);
            var (user, healthcheck) = (inspect.StandardOutput.Split('|')[0], inspect.StandardOutput.Split('|')[1]);
            Assert.NotEqual("", user);
            Assert.NotEqual("root", user);
            Assert.Contains("--health-probe", healthcheck, StringComparison.Ordinal);
            var id = await engine.ComposeAsync(["exec", "-T", service, "id", "-u"]);
            Assert.Equal("1654", id.StandardOutput.Trim());
        }
    }

    [Theory]
    [InlineData("agent", "AgentC2.Agent.dll")]
    [InlineData("worker", "AgentC2.Worker.dll")]
    public async Task An_image_alone_turns_healthy_by_its_own_healthcheck_while_its_database_is_unreachable(string service, string assembly)
    {
        // The image's HEALTHCHECK asks the live probe, which answers while the service waits for PostgreSQL (here: never).
        var name = $"{ContainerEngine.Project}-alone-{service}";
        var run = await engine.DockerAsync(["run", "-d", "--name", name, "--health-interval", "2s", "--health-start-period", "60s",
            "-e", "ConnectionStrings__agentc2=Host=nowhere.invalid;Username=x;Password=y;Database=agentc2",
            "-e", "ConnectionStrings__redis=nowhere.invalid:6379,abortConnect=false",
            "-e", "AgentC2__Internal__ApiKey=test-internal-key-for-the-image", "-e", "AgentC2__Tenancy__OperatorApiKey=test-operator-key-for-the-image",
            "-e", "AgentC2__Models__Provider=offline",
            $"{ContainerEngine.Registry}/agentc2-{service}:{ContainerEngine.Tag}"]);
        try
        {
            Assert.True(run.ExitCode == 0, run.Output);
            var health = await Eventually.MatchAsync(async _ => (await engine.DockerAsync(["inspect", "-f", "{{.State.Health.Status}} {{.State.Status}}", name])).StandardOutput.Trim(),
                state => state.StartsWith("healthy", StringComparison.Ordinal) || state.EndsWith("exited", StringComparison.Ordinal), TimeSpan.FromSeconds(90), $"{service} image healthy");
            Assert.True(health == "healthy running", $"{health}\n{(await engine.DockerAsync(["logs", "--tail", "20", name])).Output}");
            var inspect = await engine.DockerAsync(["inspect", "-f", "{{json .Config.Healthcheck.Test}}", name]);
            Assert.Contains(assembly, inspect.StandardOutput, StringComparison.Ordinal);

            // SIGTERM: a clean exit within the grace period.
            var started = DateTime.UtcNow;
            await engine.DockerAsync(["stop", "--time", "30", name]);
            var exit = await engine.DockerAsync(["inspect", "-f", "{{.State.ExitCode}}", name]);
            engine.Timings.Enqueue($"{service} image alone: healthy without its database, stopped on SIGTERM in {(DateTime.UtcNow - started).TotalSeconds:F1} s, exit code {exit.StandardOutput.Trim()}");
            Assert.Equal("0", exit.StandardOutput.Trim());
        }
        finally
        {
            await engine.DockerAsync(["rm", "-f", name]);
        }
    }

    [Fact]
    public async Task Through_the_edge_a_sync_invoke_and_an_async_run_followed_over_sse_succeed_and_internal_paths_are_refused()
    {
        using var http = new HttpClient { BaseAddress = engine.Edge, Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ServicePaths.Ready)).StatusCode);
        foreach (var path in new[] { "/api/metrics", "/internal/runs/00000000-0000-0000-0000-000000000000/steps" })
        {
            using var refused = await http.PostAsync(path, null);
            await refused.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
        }

        var key = await OrganizationKeyAsync(http);
        using var client = new HttpClient { BaseAddress = engine.Edge, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using (var agent = await client.PostAsJsonAsync("/api/agents", new { slug = "assistant", name = "Assistant", tools = new[] { "think" } }))
        {
            Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        }

        using var sync = await client.PostAsJsonAsync("/api/agents/assistant/invoke", new { input = "Plan #steps=3", executionMode = "sync" });
        var run = await sync.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
        Assert.Equal(("succeeded", 3), (run.GetProperty("status").GetString(), run.GetProperty("stepsCompleted").GetInt32()));

        using var accepted = await client.PostAsJsonAsync("/api/agents/assistant/invoke", new { input = "Research #steps=5 #latency=100", executionMode = "async" });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var runId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        var events = await client.GetStringAsync($"/api/runs/{runId}/events");
        Assert.Equal(5, Regex.Count(events, "^event: step$", RegexOptions.Multiline));
        Assert.Contains("\"status\":\"succeeded\"", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_console_signs_in_through_the_edge()
    {
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = engine.Edge };
        var form = await browser.GetStringAsync("/sign-in");

        using var signIn = await browser.PostAsync("/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["ApiKey"] = engine.Env["OPERATOR_API_KEY"],
            ["__RequestVerificationToken"] = ConsoleForms.Token(form),
        }));

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        using var home = await browser.GetAsync(signIn.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("Sign out", await home.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prometheus_scrapes_every_service_container_with_the_alert_rules_loaded()
    {
        var targets = await Eventually.MatchAsync(async _ =>
            (await engine.ComposeAsync(["exec", "-T", "prometheus", "wget", "-qO-", "http://127.0.0.1:9090/api/v1/targets?state=active"])).StandardOutput,
            text => Regex.Count(text, "\"health\":\"up\"") >= 6, TimeSpan.FromSeconds(90), "Prometheus scraping all six service replicas");
        Assert.DoesNotContain("\"health\":\"down\"", targets, StringComparison.Ordinal);
        var rules = (await engine.ComposeAsync(["exec", "-T", "prometheus", "wget", "-qO-", "http://127.0.0.1:9090/api/v1/rules"])).StandardOutput;
        Assert.Contains("AgentC2HealthCheckUnhealthy", rules, StringComparison.Ordinal);
        var alertmanager = await engine.ComposeAsync(["logs", "--no-color", "alertmanager"]);
        Assert.Contains("SLACK_WEBHOOK_URL is empty", alertmanager.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_and_keys_survive_a_restart_of_postgres_and_redis_and_services_stop_cleanly()
    {
        using var http = new HttpClient { BaseAddress = engine.Edge, Timeout = TimeSpan.FromSeconds(60) };
        var key = await OrganizationKeyAsync(http);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        using (var agent = await http.PostAsJsonAsync("/api/agents", new { slug = "keeper", name = "Keeper" }))
        {
            Assert.Equal(HttpStatusCode.Created, agent.StatusCode);
        }

        using var before = await http.PostAsJsonAsync("/api/agents/keeper/invoke", new { input = "Remember #steps=2", executionMode = "sync" });
        var runId = (await before.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        // A console session: its cookie is encrypted with the data-protection key ring that lives in Redis.
        var cookies = new CookieContainer();
        using var console = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = engine.Edge };
        using (var signIn = await console.PostAsync("/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["ApiKey"] = key,
            ["__RequestVerificationToken"] = ConsoleForms.Token(await console.GetStringAsync("/sign-in")),
        })))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        var restarted = await engine.ComposeAsync(["restart", "--timeout", "30", "postgres", "redis"], TimeSpan.FromMinutes(3));
        Assert.True(restarted.ExitCode == 0, restarted.Output);
        foreach (var backing in new[] { "postgres", "redis" })
        {
            // A clean stop on SIGTERM: exit code 0, not a kill after the grace period (137).
            var exit = await engine.DockerAsync(["inspect", "-f", "{{.State.ExitCode}} {{.RestartCount}}", $"{ContainerEngine.Project}-{backing}-1"]);
            Assert.StartsWith("0 ", exit.StandardOutput, StringComparison.Ordinal);
        }

        var run = await Eventually.MatchAsync(async token => await http.GetAsync($"/api/runs/{runId}", token), response => response.StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(90), "the run read back through the edge after the restart");
        Assert.Equal("succeeded", (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        // The key ring came back with Redis's data: the same cookie still opens the console.
        var runs = await Eventually.MatchAsync(async token => await console.GetAsync("/runs", token), response => response.StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "the console session after the restart");
        Assert.Contains("keeper", await runs.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Every service stops on SIGTERM within its grace period and exits 0 (its 5 s readiness drain included).
        foreach (var service in Services)
        {
            var started = DateTime.UtcNow;
            var stop = await engine.ComposeAsync(["stop", "--timeout", "45", service], TimeSpan.FromMinutes(2));
            var took = DateTime.UtcNow - started;
            var exits = await engine.DockerAsync(["inspect", "-f", "{{.State.ExitCode}}", $"{ContainerEngine.Project}-{service}-1", $"{ContainerEngine.Project}-{service}-2"]);
            engine.Timings.Enqueue($"{service} replicas stopped on SIGTERM in {took.TotalSeconds:F1} s, exit codes {exits.StandardOutput.Replace('\n', ' ').Trim()}");
            Assert.True(stop.ExitCode == 0, stop.Output);
            Assert.All(exits.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), code => Assert.Equal("0", code.Trim()));
            Assert.True(took < TimeSpan.FromSeconds(45), $"stopping {service} took {took}");
        }

        var back = await engine.ComposeAsync(["up", "-d", "--wait", "--wait-timeout", "180"], TimeSpan.FromMinutes(4));
        Assert.True(back.ExitCode == 0, back.Output + await engine.DiagnosticsAsync());
    }

    // A new organization and key through the operator API at the edge.
    private async Task<string> OrganizationKeyAsync(HttpClient http)
    {
        using var operatorClient = AppHostFixture.WithApiKey(new HttpClient { BaseAddress = http.BaseAddress }, engine.Env["OPERATOR_API_KEY"]);
        return (await Tenants.CreateOrganizationAsync(operatorClient)).ApiKey;
    }
}
