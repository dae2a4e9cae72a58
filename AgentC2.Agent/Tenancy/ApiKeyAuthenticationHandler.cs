using System.Security.Claims;
using System.Text.Encodings.Web;
using AgentC2.Agent.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Tenancy;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>: the operator key grants the operator role, the internal service
/// credential the internal role (the worker); an organization's live API key identifies that organization. Challenges are 401 problem+json.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    CallerCache callers,
    IOptionsMonitor<TenancyOptions> tenancy,
    IConfiguration configuration,
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

        if (configuration[InternalApi.CredentialKey] is { Length: > 0 } internalKey && ApiKeys.Matches(key, internalKey))
        {
            return Success(new ClaimsIdentity([new Claim(ClaimTypes.Role, TenancyClaims.InternalRole)], SchemeName));
        }

        var caller = await callers.FindCallerAsync(key, Context.RequestAborted);
        return caller is null
            ? AuthenticateResult.Fail("The API key is unknown or revoked.")
            : Success(TenancyClaims.ToIdentity(caller, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized", Problems.Unauthorized,
            "Send a valid API key as 'Authorization: Bearer <key>'; unknown and revoked keys are refused.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden", Problems.Forbidden, "This key may not use this endpoint.");

    private async Task WriteProblemAsync(int status, string title, string type, string detail)
    {
        Response.StatusCode = status;
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Type = type, Detail = detail },
        });
    }

    private static AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
}
