using System.Security.Claims;
using System.Text.Encodings.Web;
using AgentC2.Agent.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Tenancy;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>: the operator key grants the operator role; an
/// organization's live API key identifies that organization. Challenges are 401 problem+json.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    OrganizationStore organizations,
    IOptionsMonitor<TenancyOptions> tenancy,
    IProblemDetailsService problemDetails)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var key = header["Bearer ".Length..].Trim();
        if (key.Length is 0 or > 256)
        {
            return AuthenticateResult.Fail("The API key is malformed.");
        }

        if (tenancy.CurrentValue.OperatorApiKey is { Length: > 0 } operatorKey && ApiKeys.Matches(key, operatorKey))
        {
            return Success(new ClaimsIdentity([new Claim(ClaimTypes.Role, TenancyClaims.OperatorRole)], SchemeName));
        }

        var caller = await organizations.FindCallerAsync(key, Context.RequestAborted);
        return caller is null
            ? AuthenticateResult.Fail("The API key is unknown or revoked.")
            : Success(TenancyClaims.ToIdentity(caller, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Type = Problems.Unauthorized,
                Detail = "Send a valid API key as 'Authorization: Bearer <key>'; unknown and revoked keys are refused.",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Type = Problems.Forbidden,
                Detail = "This key may not use this endpoint.",
            },
        });
    }

    private static AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
}
