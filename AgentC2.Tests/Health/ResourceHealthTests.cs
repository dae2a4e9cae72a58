using AgentC2.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.Tests.Health;

[Collection(AppHostCollection.Name)]
public sealed class ResourceHealthTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Every_resource_is_running_and_healthy()
    {
        foreach (var name in AppHostFixture.ResourceNames)
        {
            var resourceEvent = await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(name).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(KnownResourceStates.Running, resourceEvent.Snapshot.State?.Text);
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, resourceEvent.Snapshot.HealthStatus);
        }
    }

    [Fact]
    public async Task Local_mode_runs_postgres_and_redis_as_processes_and_shows_it_in_the_dashboard()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.DoesNotContain(model.Resources, r => r is ContainerResource);

        foreach (var name in new[] { AgentC2.ResourceNames.Postgres, AgentC2.ResourceNames.Redis })
        {
            Assert.IsAssignableFrom<ExecutableResource>(model.Resources.Single(r => r.Name == name));
            await fixture.App.ResourceNotifications.WaitForResourceAsync(name,
                e => e.Snapshot.ResourceType == "Executable"
                    && e.Snapshot.EnvironmentVariables.Any(v => v.Name == "AGENTC2_INFRASTRUCTURE" && v.Value == "local"))
                .WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
