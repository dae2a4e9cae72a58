using System.ComponentModel.DataAnnotations;
using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using Microsoft.AspNetCore.Mvc;

namespace AgentC2.Frontend.Pages.Operator;

/// <summary>An organization's API keys: issue one (shown once, on the page that issues it) or revoke one.</summary>
internal sealed class OrganizationModel(AgentApiClient agentApi) : ConsolePageModel
{
    [FromRoute]
    public Guid Id { get; set; }

    public OrganizationView? Organization { get; private set; }

    public IReadOnlyList<ApiKeyView>? Keys { get; private set; }

    public IssuedApiKey? Issued { get; private set; }

    [BindProperty]
    [StringLength(200)]
    [Display(Name = "Key name")]
    public string? KeyName { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostIssueAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(KeyName))
        {
            ModelState.AddModelError(nameof(KeyName), "Name the key, e.g. after where it is used.");
        }
        else if (ModelState.IsValid)
        {
            await TryApiAsync(async () => Issued = await agentApi.IssueApiKeyAsync(Id, KeyName.Trim(), cancellationToken), null);
            KeyName = null;
            ModelState.Clear();
        }

        await ReloadAsync(() => LoadAsync(cancellationToken));
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(Guid keyId, CancellationToken cancellationToken)
    {
        if (await TryApiAsync(() => agentApi.RevokeApiKeyAsync(Id, keyId, cancellationToken)))
        {
            return Redirect($"/operator/organizations/{Id}");
        }

        await ReloadAsync(() => LoadAsync(cancellationToken));
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken) =>
        await TryApiAsync(async () =>
        {
            Organization = (await agentApi.ListOrganizationsAsync(cancellationToken)).FirstOrDefault(o => o.Id == Id)
                ?? throw new AgentApiException(System.Net.HttpStatusCode.NotFound, "Not found", "No such organization.", null, new Dictionary<string, string[]>());
            Keys = await agentApi.ListApiKeysAsync(Id, cancellationToken);
        });
}
