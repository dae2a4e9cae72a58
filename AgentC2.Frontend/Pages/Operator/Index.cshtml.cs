using System.ComponentModel.DataAnnotations;
using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using Microsoft.AspNetCore.Mvc;

namespace AgentC2.Frontend.Pages.Operator;

/// <summary>The operator's organizations, and a form to create one.</summary>
internal sealed class OperatorIndexModel(AgentApiClient agentApi) : ConsolePageModel
{
    public IReadOnlyList<OrganizationView>? Organizations { get; private set; }

    [BindProperty]
    public OrganizationForm NewOrganization { get; set; } = new();

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        await TryApiAsync(async () => Organizations = await agentApi.ListOrganizationsAsync(cancellationToken));

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        OrganizationView? created = null;
        if (ModelState.IsValid && await TryApiAsync(async () => created = await agentApi.CreateOrganizationAsync(NewOrganization.Slug.Trim(), NewOrganization.Name.Trim(), cancellationToken), nameof(NewOrganization)))
        {
            return Redirect($"/operator/organizations/{created!.Id}");
        }

        await ReloadAsync(() => OnGetAsync(cancellationToken));
        return Page();
    }
}

internal sealed class OrganizationForm
{
    [Required, StringLength(200)]
    public string Name { get; set; } = "";

    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{0,63}$", ErrorMessage = "1–64 of a–z, 0–9 and '-'.")]
    public string Slug { get; set; } = "";
}
