using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;

namespace AgentC2.Frontend.Pages.Operator;

internal sealed class PoolModel(AgentApiClient agentApi) : ConsolePageModel
{
    public McpPoolView? Pool { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        await TryApiAsync(async () => Pool = await agentApi.GetMcpPoolAsync(cancellationToken));
}
