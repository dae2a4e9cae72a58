using System.Net;
using System.Security.Cryptography;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// The containers tier's engine: <c>scripts/containers.sh up</c> (a private Docker engine and the stand-in images),
/// the three service images built from their committed Dockerfiles (<c>images</c>), and, for the tests that ask for it
/// (<see cref="ComposeUpAsync"/>), the production compose file started with an env file made from <c>.env.example</c>
/// (fresh random secrets) and the edge on a loopback port; the Swarm drill takes the compose project down first.
/// Disposal always runs <c>down -v</c> and <c>scripts/containers.sh down</c>. Only <c>docker</c> processes this fixture
/// starts see <c>DOCKER_HOST</c>: the rest of the suite keeps the machine's own (absent) engine.
/// </summary>
public sealed class ContainerEngine : IAsyncLifetime
{
    public const string Project = "agentc2ct";
    public const string Registry = "agentc2.local";
    public const string Tag = "dev";

    private static readonly string Script = Path.Combine(Repository.Root, "scripts", "containers.sh");
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("agentc2-containers-");
    private bool _composeUp;

    public string DockerHost { get; private set; } = string.Empty;

    /// <summary>The edge (Caddy of the compose file) on 127.0.0.1.</summary>
    public Uri Edge { get; } = new($"http://127.0.0.1:{Loopback.FreePort()}");

    /// <summary>The variables of the env file the compose file runs with.</summary>
    public IReadOnlyDictionary<string, string> Env { get; private set; } = new Dictionary<string, string>();

    /// <summary>What each step took, for the report.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Timings { get; } = new();

    public async Task InitializeAsync()
    {
        try
        {
            var up = await TimedAsync("containers.sh up", () => ToolProcess.RunAsync("bash", [Script, "up"], null, TimeSpan.FromMinutes(15), Repository.Root));
            Assert.True(up.ExitCode == 0, $"scripts/containers.sh up failed:\n{up.Output}");
            DockerHost = up.StandardOutput.Split('\n').Last(l => l.StartsWith("export DOCKER_HOST=", StringComparison.Ordinal))["export DOCKER_HOST=".Length..].Trim();

            var images = await TimedAsync("containers.sh images", () => ToolProcess.RunAsync("bash", [Script, "images"], Variables(), TimeSpan.FromMinutes(10), Repository.Root));
            Assert.True(images.ExitCode == 0, $"scripts/containers.sh images failed:\n{images.Output}");
            foreach (var line in images.StandardError.Split('\n').Where(l => l.Contains("built ", StringComparison.Ordinal)))
            {
                Timings.Enqueue(line.Trim());
            }

            WriteEnvFile();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>The production compose project, every service healthy (started on first use, or again after the Swarm drill).</summary>
    public async Task ComposeUpAsync()
    {
        // The tier's tests run one at a time (its collection is not parallel).
        if (_composeUp)
        {
            return;
        }

        _composeUp = true;
        var started = await TimedAsync("compose up --wait", () => ComposeAsync(["up", "-d", "--wait", "--wait-timeout", "300"], TimeSpan.FromMinutes(6)));
        if (started.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker compose up did not turn every service healthy:\n{started.Output}\n{await DiagnosticsAsync()}");
        }
    }

    /// <summary>Takes the compose project down (<c>down -v</c>) and records what it left, which must be nothing.</summary>
    public async Task ComposeDownAsync()
    {
        if (!_composeUp || DockerHost.Length == 0)
        {
            return;
        }

        _composeUp = false;
        var composeDown = await TimedAsync("compose down -v", () => ComposeAsync(["down", "-v", "--timeout", "30"], TimeSpan.FromMinutes(3)));
        var left = await DockerAsync(["ps", "-aq", "--filter", $"label=com.docker.compose.project={Project}"]);
        var volumes = await DockerAsync(["volume", "ls", "-q", "--filter", $"label=com.docker.compose.project={Project}"]);
        var networks = await DockerAsync(["network", "ls", "-q", "--filter", $"label=com.docker.compose.project={Project}"]);
        Timings.Enqueue($"left after down -v (exit {composeDown.ExitCode}): {Count(left)} containers, {Count(volumes)} volumes, {Count(networks)} networks");
    }

    /// <summary><c>docker compose</c> of the production file with this tier's env file and loopback edge.</summary>
    internal Task<ProcessOutcome> ComposeAsync(IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        DockerAsync(["compose", "-p", Project, "--env-file", EnvFile, "-f", Path.Combine(Repository.Root, "docker-compose.production.yml"), "-f", EdgeFile, .. arguments], timeout);

    internal Task<ProcessOutcome> DockerAsync(IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        ToolProcess.RunAsync("docker", arguments, Variables(), timeout ?? TimeSpan.FromMinutes(2), Repository.Root);

    /// <summary>A program (a script of the repository) with this engine's <c>DOCKER_HOST</c> and <paramref name="environment"/>.</summary>
    internal Task<ProcessOutcome> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var variables = Variables();
        foreach (var (name, value) in environment)
        {
            variables[name] = value;
        }

        return ToolProcess.RunAsync(program, arguments, variables, timeout, Repository.Root);
    }

    /// <summary>Every service's state and the last lines of its log: what a failure of the tier shows.</summary>
    public async Task<string> DiagnosticsAsync()
    {
        var ps = await ComposeAsync(["ps", "-a"]);
        var logs = await ComposeAsync(["logs", "--no-color", "--tail", "15"]);
        return $"{ps.StandardOutput}\n{logs.StandardOutput}\n{logs.StandardError}";
    }

    public async Task DisposeAsync()
    {
        await ComposeDownAsync();

        // The tier's numbers, for the CI log (.ci/run prints the file).
        Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts"));
        await File.WriteAllLinesAsync(Path.Combine(Repository.Root, "artifacts", "containers-tier.txt"), Timings);

        var down = await ToolProcess.RunAsync("bash", [Script, "down"], null, TimeSpan.FromMinutes(3), Repository.Root);
        _folder.Delete(recursive: true);
        Assert.True(down.ExitCode == 0, $"scripts/containers.sh down failed:\n{down.Output}");
        Assert.True(Timings.All(line => !line.StartsWith("left after down -v", StringComparison.Ordinal) || line.EndsWith(": 0 containers, 0 volumes, 0 networks", StringComparison.Ordinal)),
            $"down -v left something behind: {string.Join("; ", Timings)}");
    }

    private static int Count(ProcessOutcome outcome) => outcome.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    private string EnvFile => Path.Combine(_folder.FullName, ".env");

    private string EdgeFile => Path.Combine(_folder.FullName, "edge.yml");

    private Dictionary<string, string?> Variables() => new() { ["DOCKER_HOST"] = DockerHost, ["REGISTRY"] = Registry, ["TAG"] = Tag };

    // .env.example with every secret freshly random, the images built here, and Caddy on plain HTTP published on loopback.
    private void WriteEnvFile()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(Repository.Root, ".env.example")).Where(l => l.Contains('=') && !l.StartsWith('#')))
        {
            var name = line[..line.IndexOf('=')];
            values[name] = line[(line.IndexOf('=') + 1)..];
            if (name.EndsWith("PASSWORD", StringComparison.Ordinal) || name.EndsWith("_KEY", StringComparison.Ordinal))
            {
                values[name] = name == "MODEL_API_KEY" ? string.Empty : Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
            }
        }

        values["REGISTRY"] = Registry;
        values["TAG"] = Tag;
        values["DOMAIN"] = ":80";
        values["SLACK_WEBHOOK_URL"] = string.Empty;

        // The test deployment answers with the built-in model, chosen explicitly as Production requires.
        values["MODEL_PROVIDER"] = "offline";
        Env = values;
        File.WriteAllLines(EnvFile, values.Select(v => $"{v.Key}={v.Value}"));
        File.WriteAllText(EdgeFile, $"services:\n  caddy:\n    ports: !override\n      - 127.0.0.1:{Edge.Port}:80\n");
    }

    private async Task<ProcessOutcome> TimedAsync(string step, Func<Task<ProcessOutcome>> run)
    {
        var started = DateTime.UtcNow;
        var outcome = await run();
        Timings.Enqueue($"{step}: {(DateTime.UtcNow - started).TotalSeconds:F0} s");
        return outcome;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainersCollection : ICollectionFixture<ContainerEngine>
{
    public const string Name = "Containers tier";
}
