using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.Tests.Containers;

/// <summary>
/// The AppHost's <c>containers</c> mode on the private engine: Aspire's own <c>AddPostgres</c>/<c>AddRedis</c> containers
/// (stand-ins under the tags Aspire pins), the services as processes, a migration, a sync invoke and an async run.
/// </summary>
[Collection(ContainersCollection.Name)]
public sealed class AppHostContainersModeTests(ContainerEngine engine)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Aspires_postgres_and_redis_containers_serve_a_migrated_app_with_sync_and_async_runs()
    {
        // The orchestrator the AppHost starts reads DOCKER_HOST from this process; the collection runs alone, so setting it
        // for this test only leaves every other test on the machine's own (absent) engine.
        var previous = Environment.GetEnvironmentVariable("DOCKER_HOST");
        var state = Directory.CreateTempSubdirectory("agentc2-containers-mode-");
        var demoKey = "demo-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable("DOCKER_HOST", engine.DockerHost);
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AgentC2_AppHost>(
            [
                "--AgentC2:Infrastructure=containers", $"--AgentC2:StateDirectory={state.FullName}",
                $"--Parameters:demo-api-key={demoKey}", $"--Parameters:operator-api-key=operator-{Guid.NewGuid():N}",
            ]);
            AppHostFixture.WithoutOtlpExporter(builder);

            await using var app = await builder.BuildAsync().WaitAsync(Bound);
            await app.StartAsync().WaitAsync(Bound);
            await Task.WhenAll(AppHostFixture.ResourceNames.Select(name => app.ResourceNotifications.WaitForResourceHealthyAsync(name))).WaitAsync(Bound);

            var model = app.Services.GetRequiredService<DistributedApplicationModel>();
            Assert.IsAssignableFrom<ContainerResource>(model.Resources.Single(r => r.Name == ResourceNames.Postgres));
            Assert.IsAssignableFrom<ContainerResource>(model.Resources.Single(r => r.Name == ResourceNames.Redis));

            using var client = AppHostFixture.WithApiKey(app.CreateHttpClient(ResourceNames.Agent, "http"), demoKey);
            var sync = await Eventually.MatchAsync(async token => await client.PostAsJsonAsync("/api/agents/assistant/invoke", new { input = "Plan #steps=3", executionMode = "sync" }, token),
                response => response.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "a sync invoke answered 200");
            Assert.Equal("succeeded", (await sync.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

            var runId = await client.InvokeAsyncRunAsync("assistant", new { input = "Research #steps=4", executionMode = "async" });
            await client.WaitForStatusAsync(runId, "succeeded", TimeSpan.FromSeconds(90));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOCKER_HOST", previous);
            try
            {
                state.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Files of a container still shutting down; the folder is temporary.
            }
        }
    }
}
