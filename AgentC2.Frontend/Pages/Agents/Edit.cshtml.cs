using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using Microsoft.AspNetCore.Mvc;

namespace AgentC2.Frontend.Pages.Agents;

internal sealed class EditAgentModel(AgentApiClient agentApi) : ConsolePageModel
{
    [FromRoute]
    public string Slug { get; set; } = "";

    [BindProperty]
    public AgentForm Agent { get; set; } = new();

    public bool Found { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Found = await TryApiAsync(async () => Agent = AgentForm.From(await agentApi.GetAgentAsync(Slug, cancellationToken)));

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Found = true;
        Agent.Slug = Slug;
        if (!ModelState.IsValid)
        {
            return Page();
        }

        return await TryApiAsync(async () => await agentApi.UpdateAgentAsync(Slug, Agent.ToRequest(), cancellationToken), nameof(Agent))
            ? Redirect($"/agents/{Slug}")
            : Page();
    }
}
