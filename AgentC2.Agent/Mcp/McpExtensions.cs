namespace AgentC2.Agent.Mcp;

internal static class McpExtensions
{
    /// <summary>The MCP server registry, the catalog and the per-instance client pool (disposed, with every server process, at shutdown).</summary>
    public static void AddMcpPool(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<McpOptions>().BindConfiguration(McpOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.Pool.MaxClientsPerOrganization <= o.Pool.MaxClientsPerInstance, "AgentC2:Mcp:Pool:MaxClientsPerOrganization must not exceed MaxClientsPerInstance.")
            .Validate(o => o.Catalog.Values.All(e => !string.IsNullOrWhiteSpace(e.Command)), "Every AgentC2:Mcp:Catalog entry needs a Command.")
            .ValidateOnStart();
        builder.Services.AddSingleton<McpServerStore>();
        builder.Services.AddSingleton<IMcpConnector, McpConnector>();
        builder.Services.AddSingleton<McpPoolMetrics>();
        builder.Services.AddSingleton<McpClientPool>();
        builder.Services.AddSingleton<McpTools>();
        builder.Services.AddHostedService<McpPoolService>();
    }
}
