using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;

namespace AgentC2.Frontend.Pages.Mcp;

/// <summary>The organization's MCP servers, and for every agent that uses some, the tools they give it.</summary>
internal sealed class McpIndexModel(AgentApiClient agentApi) : ConsolePageModel
{
    public IReadOnlyList<McpServerView>? Servers { get; private set; }

    public List<(AgentView Agent, IReadOnlyList<ToolView>? Tools, string? Problem)> AgentTools { get; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        List<AgentView> agents = [];
        if (!await TryApiAsync(async () =>
            {
                Servers = await agentApi.ListMcpServersAsync(cancellationToken);
                agents = await agentApi.ListAgentsAsync(cancellationToken);
            }))
        {
            return;
        }

        foreach (var agent in agents.Where(a => a.McpServers.Length > 0))
        {
            try
            {
                AgentTools.Add((agent, await agentApi.ListToolsAsync(agent.Slug, cancellationToken), null));
            }
            catch (Exception e) when (e is AgentApiException or AgentApiUnavailableException)
            {
                AgentTools.Add((agent, null, $"Its tools could not be listed right now ({(e as AgentApiException)?.Detail ?? "the agent API is not reachable"})."));
            }
        }
    }
}
