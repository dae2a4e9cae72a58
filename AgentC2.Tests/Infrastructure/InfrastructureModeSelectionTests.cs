using AgentC2.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace AgentC2.Tests.Infrastructure;

public sealed class InfrastructureModeSelectionTests
{
    [Theory]
    [InlineData(null, true, InfrastructureMode.Containers)]
    [InlineData(null, false, InfrastructureMode.Local)]
    [InlineData("auto", true, InfrastructureMode.Containers)]
    [InlineData("AUTO", false, InfrastructureMode.Local)]
    [InlineData("local", true, InfrastructureMode.Local)]
    [InlineData("containers", true, InfrastructureMode.Containers)]
    public void Run_mode_follows_configuration_and_the_runtime_probe(string? configured, bool runtimeAnswers, InfrastructureMode expected)
    {
        Assert.Equal(expected, InfrastructureModeSelection.Select(Configuration(configured), isPublishMode: false, () => runtimeAnswers));
    }

    [Theory]
    [InlineData("local")]
    [InlineData("auto")]
    [InlineData(null)]
    public void Publish_mode_always_describes_containers(string? configured)
    {
        Assert.Equal(InfrastructureMode.Containers,
            InfrastructureModeSelection.Select(Configuration(configured), isPublishMode: true, () => throw new InvalidOperationException("publish mode must not probe")));
    }

    [Fact]
    public void Containers_without_a_runtime_fail_fast_instead_of_hanging()
    {
        var error = Assert.Throws<InfrastructureException>(() => InfrastructureModeSelection.Select(Configuration("containers"), false, () => false));
        Assert.Contains("no container runtime answered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_values_are_refused()
    {
        var error = Assert.Throws<InfrastructureException>(() => InfrastructureModeSelection.Select(Configuration("swarm"), false, () => true));
        Assert.Equal("AgentC2:Infrastructure must be 'auto', 'containers' or 'local', not 'swarm'.", error.Message);
    }

    private static IConfiguration Configuration(string? mode) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [InfrastructureModeSelection.ConfigurationKey] = mode })
        .Build();
}
