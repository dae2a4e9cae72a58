using AgentC2.Agent.Agents;
using AgentC2.Agent.Mcp;
using AgentC2.Agent.Models;
using AgentC2.Agent.Steps;
using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Tenancy;

/// <summary>
/// When <see cref="TenancyOptions.DemoApiKey"/> is set (the AppHost does so in run mode), makes sure
/// the demo organization, that key and an example agent exist, so the API is usable at once; when the MCP catalog
/// offers the sample server, the organization enables it and a second agent (<c>sampler</c>) uses its tools.
/// </summary>
internal sealed partial class DemoOrganizationSeeder(
    OrganizationStore organizations,
    AgentStore agents,
    McpServerStore mcpServers,
    IOptions<TenancyOptions> tenancy,
    IOptions<McpOptions> mcp,
    ILogger<DemoOrganizationSeeder> logger)
{
    public const string DemoAgentSlug = "assistant";

    /// <summary>The catalog server the demo organization enables when the catalog offers it, and the agent that uses it.</summary>
    public const string SampleServer = "samples";
    public const string SampleAgentSlug = "sampler";

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var options = tenancy.Value;
        if (string.IsNullOrWhiteSpace(options.DemoApiKey))
        {
            return;
        }

        var organization = await organizations.EnsureAsync(options.DemoOrganizationSlug, "Demo organization", cancellationToken);
        await organizations.IssueKeyAsync(organization.Id, "demo", options.DemoApiKey, cancellationToken);
        await agents.CreateAsync(organization.Id, new AgentSpec(
            DemoAgentSlug, "Assistant", "You are a helpful assistant. Think step by step.", ModelTiers.Auto, 10, [BuiltInTools.Think], []),
            cancellationToken);
        if (mcp.Value.Catalog.ContainsKey(SampleServer))
        {
            await mcpServers.AddAsync(organization.Id, SampleServer, SampleServer, null, null, cancellationToken);
            await agents.CreateAsync(organization.Id, new AgentSpec(
                SampleAgentSlug, "Sampler", "You use the sample MCP tools.", ModelTiers.Auto, 10, [], [SampleServer]),
                cancellationToken);
        }

        LogSeeded(logger, organization.Slug);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo organization '{Slug}' is ready")]
    private static partial void LogSeeded(ILogger logger, string slug);
}
