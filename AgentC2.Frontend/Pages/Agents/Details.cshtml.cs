using System.ComponentModel.DataAnnotations;
using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using Microsoft.AspNetCore.Mvc;

namespace AgentC2.Frontend.Pages.Agents;

/// <summary>An agent: its definition, its tools (built-in and from its MCP servers), and a form to run it.</summary>
internal sealed class AgentDetailsModel(AgentApiClient agentApi) : ConsolePageModel
{
    [FromRoute]
    public string Slug { get; set; } = "";

    public AgentView? Agent { get; private set; }

    public IReadOnlyList<ToolView>? Tools { get; private set; }

    public string? ToolsProblem { get; private set; }

    [BindProperty]
    public InvokeForm Invoke { get; set; } = new();

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostInvokeAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            await LoadAsync(cancellationToken);
            return Page();
        }

        var mode = Invoke.Mode is ExecutionModes.Sync or ExecutionModes.Async ? Invoke.Mode : null;
        Guid runId = default;
        if (await TryApiAsync(async () => runId = await agentApi.InvokeAsync(Slug, new InvokeRequest(Invoke.Input, Invoke.MaxSteps, mode), Invoke.IdempotencyKey, cancellationToken), nameof(Invoke)))
        {
            return Redirect($"/runs/{runId}");
        }

        await ReloadAsync(() => LoadAsync(cancellationToken));
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (await TryApiAsync(async () => Agent = await agentApi.GetAgentAsync(Slug, cancellationToken)))
        {
            try
            {
                Tools = await agentApi.ListToolsAsync(Slug, cancellationToken);
            }
            catch (Exception e) when (e is AgentApiException or AgentApiUnavailableException)
            {
                // The agent itself is shown; its MCP servers may be starting or unavailable.
                ToolsProblem = $"The tools could not be listed right now ({(e as AgentApiException)?.Detail ?? "the agent API is not reachable"}).";
            }
        }
    }
}

internal sealed class InvokeForm
{
    [Required(ErrorMessage = "Enter what the agent should do."), StringLength(100_000)]
    public string Input { get; set; } = "";

    public string Mode { get; set; } = "auto";

    [Range(1, 1000)]
    public int? MaxSteps { get; set; }

    /// <summary>New for every form shown: submitting the same form twice starts one run.</summary>
    [Required]
    public string IdempotencyKey { get; set; } = Guid.NewGuid().ToString("N");
}
