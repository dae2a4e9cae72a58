using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Migrations;

/// <summary>Misconfiguration stops a process at once with one sentence saying what to do, never a hang.</summary>
public sealed class StartupFailureTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("agentc2-startup-");

    public static TheoryData<string, string, string> AppHostMisconfigurations => new()
    {
        { "AgentC2:Infrastructure", "kubernetes", "AgentC2:Infrastructure must be 'auto', 'containers' or 'local', not 'kubernetes'." },
        { "AgentC2:Redis:Command", "/nonexistent/redis-server", "install it with 'apt-get install -y redis-server'" },
        { "AgentC2:Postgres:BinDirectory", "/nonexistent/bin", "install them with 'apt-get install -y postgresql'" },
    };

    [Theory]
    [MemberData(nameof(AppHostMisconfigurations))]
    public async Task AppHost_exits_with_one_clear_sentence(string key, string value, string expected)
    {
        string[] arguments = key == "AgentC2:Infrastructure"
            ? [$"--{key}={value}"]
            : ["--AgentC2:Infrastructure=local", $"--AgentC2:StateDirectory={_state.FullName}", $"--{key}={value}"];

        var outcome = await DotnetProcess.RunAsync(Repository.AppHostAssembly, arguments, null, Bound);

        Assert.Equal(1, outcome.ExitCode);
        var message = Assert.Single(outcome.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AgentC2.Agent", "agentc2")]
    [InlineData("AgentC2.Worker", "agentc2")]
    [InlineData("AgentC2.Frontend", "redis")]
    public async Task Services_refuse_to_start_in_production_without_connection_strings(string project, string connectionName)
    {
        var outcome = await DotnetProcess.RunAsync(Repository.ServiceAssembly(project), ["--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string?>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__agentc2"] = null,
                ["ConnectionStrings__redis"] = null,
            },
            Bound);

        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains($"cannot start in Production without ConnectionStrings:{connectionName}", outcome.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_agent_refuses_to_start_in_production_without_redis()
    {
        // A database is configured (nothing connects before the check), Redis is not: rate limits must not silently go local.
        var outcome = await DotnetProcess.RunAsync(Repository.ServiceAssembly("AgentC2.Agent"), ["--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string?>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__agentc2"] = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x",
                ["ConnectionStrings__redis"] = null,
            },
            Bound);

        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains("cannot start in Production without ConnectionStrings:redis", outcome.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, "in Production every model tier needs a provider: set AgentC2__Models__Provider to openai")]
    [InlineData("openai", null, "tier fast (openai) has no model: set AgentC2__Models__Tiers__fast__Model")]
    [InlineData("anthropic", null, "tier fast's provider 'anthropic' is not openai or offline")]
    [InlineData("openai", "ftp://models.example", "tier fast's endpoint 'ftp://models.example' is not an http(s) URL")]
    public async Task The_agent_refuses_to_start_in_production_without_a_model_it_can_use(string? provider, string? endpoint, string expected)
    {
        // Database and Redis are configured (nothing connects before the check): only the model settings are missing or wrong.
        var outcome = await DotnetProcess.RunAsync(Repository.ServiceAssembly("AgentC2.Agent"), ["--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string?>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__agentc2"] = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x",
                ["ConnectionStrings__redis"] = "127.0.0.1:1,abortConnect=false",
                ["AgentC2__Models__Provider"] = provider,
                ["AgentC2__Models__Endpoint"] = endpoint,
                ["AgentC2__Models__ApiKey"] = "test-model-key",
            },
            Bound);

        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains($"AgentC2.Agent cannot start: {expected}", outcome.StandardError, StringComparison.Ordinal);
    }

    public void Dispose() => _state.Delete(recursive: true);
}
