using System.ComponentModel.DataAnnotations;
using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace AgentC2.Frontend.Pages;

/// <summary>
/// Sign-in with an API key: an organization key (asked for its organization) or the operator key. The key goes
/// into the encrypted cookie only; a refused key is answered with a message, never echoed back.
/// </summary>
[AllowAnonymous]
internal sealed class SignInModel(AgentApiClient agentApi) : ConsolePageModel
{
    [BindProperty]
    [Required(ErrorMessage = "Enter an API key.")]
    [StringLength(200, ErrorMessage = "That is not an API key.")]
    public string? ApiKey { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var key = ApiKey?.Trim();
        ApiKey = null;
        if (!ModelState.IsValid || string.IsNullOrEmpty(key))
        {
            return Page();
        }

        OrganizationView? organization = null;
        var isOperator = false;
        var answered = await TryApiAsync(async () =>
        {
            try
            {
                organization = await agentApi.GetOrganizationAsync(key, cancellationToken);
            }
            catch (AgentApiException e) when (e.Status is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                isOperator = await agentApi.IsOperatorKeyAsync(key, cancellationToken);
            }
        });

        if (!answered)
        {
            return Page();
        }

        if (organization is null && !isOperator)
        {
            ModelState.AddModelError(nameof(ApiKey), "That key was not accepted. Check that you copied all of it and that it has not been revoked.");
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }

        var principal = organization is not null ? ConsoleUser.Organization(key, organization.Slug, organization.Name) : ConsoleUser.Operator(key);
        await HttpContext.SignInAsync(ConsoleExtensions.AuthenticationScheme, principal);
        var home = organization is not null ? "/agents" : "/operator";
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : home);
    }
}
