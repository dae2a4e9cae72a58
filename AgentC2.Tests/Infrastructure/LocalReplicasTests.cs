using AgentC2.AppHost;
using AgentC2.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace AgentC2.Tests.Infrastructure;

public sealed class LocalReplicasTests
{
    [Theory]
    [InlineData(null, 1)]
    [InlineData("1", 1)]
    [InlineData("2", 2)]
    [InlineData("4", 4)]
    public void Run_mode_starts_the_configured_replicas_of_each_service_one_by_default(string? configured, int expected)
    {
        Assert.Equal(expected, AgentC2ServiceBuilderExtensions.ReplicaCount(Configuration(configured), isPublishMode: false, deployed: 2));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    [InlineData("4")]
    public void The_artifacts_always_get_the_deployed_replicas(string? configured)
    {
        Assert.Equal(2, AgentC2ServiceBuilderExtensions.ReplicaCount(Configuration(configured), isPublishMode: true, deployed: 2));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5")]
    [InlineData("-1")]
    [InlineData("two")]
    [InlineData("")]
    public void Values_out_of_range_are_refused_with_a_sentence(string configured)
    {
        var error = Assert.Throws<InfrastructureException>(() => AgentC2ServiceBuilderExtensions.ReplicaCount(Configuration(configured), isPublishMode: false, deployed: 2));
        Assert.Equal($"AgentC2:Replicas must be a whole number from 1 to 4 (the replicas of each service in run mode), not '{configured}'.", error.Message);
    }

    private static IConfiguration Configuration(string? replicas) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [AgentC2ServiceBuilderExtensions.ReplicasKey] = replicas })
        .Build();
}
