extern alias AgentService;
extern alias ServiceDefaults;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;
using AgentService::AgentC2.Agent.Mcp;
using AgentService::AgentC2.Agent.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using ServiceDefaultsSecurity = ServiceDefaults::AgentC2.Security;

namespace AgentC2.Tests.Mcp;

/// <summary>The pool over real sample-server processes (the registry in the application's database).</summary>
[Collection(AppHostCollection.Name)]
public sealed class McpPoolProcessTests(AppHostFixture fixture)
{
    private const string MarkerVariable = "AGENTC2_TEST_MARKER";

    [Fact]
    public async Task One_process_per_key_a_crashed_server_is_replaced_and_disposal_leaves_no_process()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        using var added = await client.PostAsJsonAsync("/api/mcp-servers", new { name = "samples", catalog = "samples" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var marker = Guid.NewGuid().ToString("N");
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true; // as the agent service sets it at start-up
        await using var dataSource = NpgsqlDataSource.Create((await fixture.App.GetConnectionStringAsync(AgentC2.ResourceNames.Database))!);
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = Options.Create(new McpOptions
        {
            Catalog =
            {
                ["samples"] = new McpCatalogEntry
                {
                    Command = "dotnet",
                    Args = [Path.Combine(Repository.Root, "samples", "AgentC2.McpSample", "bin", Repository.Configuration, "net10.0", "AgentC2.McpSample.dll")],
                    Environment = { [MarkerVariable] = marker },
                },
            },
        });
        var connector = new McpConnector(
            new McpServerStore(dataSource, TimeProvider.System), new StaticOptionsMonitor<McpOptions>(options.Value),
            new ServiceDefaultsSecurity.OutboundUrlGuard(Options.Create(new ServiceDefaultsSecurity.OutboundUrlOptions())),
            new ServiceSecrets([]), NullLoggerFactory.Instance);
        var pool = new McpClientPool(connector, options, new McpPoolMetrics(services.GetRequiredService<IMeterFactory>()), TimeProvider.System, NullLogger<McpClientPool>.Instance);
        var key = new McpServerKey(organization.Id, "samples");

        try
        {
            // 100 concurrent first uses: one server process.
            var leases = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => pool.AcquireAsync(key, CancellationToken.None))));
            var first = Assert.Single(Processes.WithEnvironment(MarkerVariable, marker));
            Assert.Equal(first.ToString(System.Globalization.CultureInfo.InvariantCulture), await CallAsync(leases[0], "pid"));
            Assert.Equal("echo: hi", await CallAsync(leases[1], "echo", ("text", "hi")));
            Assert.Contains(leases[0].Session.Tools, t => t.Name == "slow");
            foreach (var lease in leases)
            {
                lease.Dispose();
            }

            // The server crashes: the pool notices, and the next use starts a new one.
            using (var lease = await pool.AcquireAsync(key, CancellationToken.None))
            {
                await Assert.ThrowsAnyAsync<Exception>(() => CallAsync(lease, "crash"));
            }

            await Eventually.MatchAsync(_ => Task.FromResult(pool.State().Clients), n => n == 0, TimeSpan.FromSeconds(10), "the dead client removed");
            using (var lease = await pool.AcquireAsync(key, CancellationToken.None))
            {
                var second = int.Parse(await CallAsync(lease, "pid"), System.Globalization.CultureInfo.InvariantCulture);
                Assert.NotEqual(first, second);
                Assert.Equal([second], Processes.WithEnvironment(MarkerVariable, marker));

                // The server's own child: disposal must end the whole tree.
                var child = int.Parse(await CallAsync(lease, "child"), System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal([second, child], Processes.WithEnvironment(MarkerVariable, marker).Order());
            }
        }
        finally
        {
            await pool.DisposeAsync();
        }

        await Eventually.MatchAsync(_ => Task.FromResult(Processes.WithEnvironment(MarkerVariable, marker)), pids => pids.Count == 0,
            TimeSpan.FromSeconds(10), "no sample server process (nor its child) left");
    }

    private static async Task<string> CallAsync(McpLease lease, string tool, params (string Name, object? Value)[] arguments)
    {
        var result = await lease.Session.CallToolAsync(tool, arguments.ToDictionary(a => a.Name, a => a.Value), CancellationToken.None);
        return string.Join("", result.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(c => c.Text));
    }
}
