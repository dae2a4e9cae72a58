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
public sealed class ProductionComposeTests(ContainerEngine engine)
{
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

        // A service stops on SIGTERM within its grace period and exits 0 (its 5 s readiness drain included).
        var started = DateTime.UtcNow;
        var stop = await engine.ComposeAsync(["stop", "--timeout", "45", "worker"], TimeSpan.FromMinutes(2));
        var took = DateTime.UtcNow - started;
        var workerExits = await engine.DockerAsync(["inspect", "-f", "{{.State.ExitCode}}", $"{ContainerEngine.Project}-worker-1", $"{ContainerEngine.Project}-worker-2"]);
        engine.Timings.Enqueue($"worker replicas stopped on SIGTERM in {took.TotalSeconds:F1} s, exit codes {workerExits.StandardOutput.Replace('\n', ' ').Trim()}");
        Assert.True(stop.ExitCode == 0, stop.Output);
        Assert.All(workerExits.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), code => Assert.Equal("0", code.Trim()));
        Assert.True(took < TimeSpan.FromSeconds(45), $"stopping took {took}");
        var back = await engine.ComposeAsync(["up", "-d", "--wait", "--wait-timeout", "120", "worker"], TimeSpan.FromMinutes(3));
        Assert.True(back.ExitCode == 0, back.Output + await engine.DiagnosticsAsync());
    }

    // A new organization and key through the operator API at the edge.
    private async Task<string> OrganizationKeyAsync(HttpClient http)
    {
        using var operatorClient = AppHostFixture.WithApiKey(new HttpClient { BaseAddress = http.BaseAddress }, engine.Env["OPERATOR_API_KEY"]);
        return (await Tenants.CreateOrganizationAsync(operatorClient)).ApiKey;
    }
}
