using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using Microsoft.AspNetCore.Mvc;

namespace AgentC2.Frontend.Pages.Runs;

/// <summary>A run with its steps; while it runs, <c>run-live.js</c> follows it through <c>/runs/{id}/events</c>.</summary>
internal sealed class RunDetailsModel(AgentApiClient agentApi) : ConsolePageModel
{
    [FromRoute]
    public Guid Id { get; set; }

    public RunView? Run { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        await TryApiAsync(async () => Run = await agentApi.GetRunAsync(Id, cancellationToken));

    public async Task<IActionResult> OnPostCancelAsync(CancellationToken cancellationToken)
    {
        if (await TryApiAsync(async () => Run = await agentApi.CancelRunAsync(Id, cancellationToken)))
        {
            return Redirect($"/runs/{Id}");
        }

        await ReloadAsync(() => OnGetAsync(cancellationToken));
        return Page();
    }
}
