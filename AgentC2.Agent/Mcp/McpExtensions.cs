using AgentC2.Agent.Security;

namespace AgentC2.Agent.Mcp;

internal static class McpExtensions
{
    /// <summary>
    /// The MCP server registry (its changes carried to every instance), the catalog, the per-instance client pool (disposed,
    /// with every server process, at shutdown) and the redaction of the service's secrets from what tools return.
    /// </summary>
    public static void AddMcpPool(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<McpOptions>().BindConfiguration(McpOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.Pool.MaxClientsPerOrganization <= o.Pool.MaxClientsPerInstance, "AgentC2:Mcp:Pool:MaxClientsPerOrganization must not exceed MaxClientsPerInstance.")
            .Validate(o => o.Catalog.Values.All(e => !string.IsNullOrWhiteSpace(e.Command)), "Every AgentC2:Mcp:Catalog entry needs a Command.")
            .ValidateOnStart();
        builder.Services.AddSingleton(services => new ServiceSecrets(services.GetRequiredService<IConfiguration>()));
        builder.Services.AddSingleton<McpServerStore>();
        builder.Services.AddSingleton<IMcpConnector, McpConnector>();
        builder.Services.AddSingleton<McpPoolMetrics>();
        builder.Services.AddSingleton<McpClientPool>();
        builder.Services.AddSingleton<McpTools>();
        builder.Services.AddSingleton<McpRegistryChanges>();
        builder.Services.AddHostedService(services => services.GetRequiredService<McpRegistryChanges>());
        builder.Services.AddHostedService<McpPoolService>();
    }
}
