using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using Microsoft.AspNetCore.Mvc;

namespace AgentC2.Frontend.Pages.Agents;

internal sealed class NewAgentModel(AgentApiClient agentApi) : ConsolePageModel
{
    [BindProperty]
    public AgentForm Agent { get; set; } = new();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        AgentView? created = null;
        return await TryApiAsync(async () => created = await agentApi.CreateAgentAsync(Agent.ToRequest(), cancellationToken), nameof(Agent))
            ? Redirect($"/agents/{created!.Slug}")
            : Page();
    }
}
