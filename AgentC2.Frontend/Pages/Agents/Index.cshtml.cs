using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;

namespace AgentC2.Frontend.Pages.Agents;

internal sealed class AgentsIndexModel(AgentApiClient agentApi) : ConsolePageModel
{
    public IReadOnlyList<AgentView>? Agents { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        await TryApiAsync(async () => Agents = await agentApi.ListAgentsAsync(cancellationToken));
}
