using System.Globalization;
using System.Security.Claims;

namespace AgentC2.Agent.Tenancy;

/// <summary>How the caller's organization travels in the request's principal.</summary>
internal static class TenancyClaims
{
    public const string OperatorRole = "operator";
    public const string OrganizationPolicy = "organization";
    public const string OperatorPolicy = "operator";
    public const string InternalRole = "internal";
    public const string InternalPolicy = "internal";

    private const string OrganizationId = "agentc2:org";
    private const string OrganizationSlug = "agentc2:org-slug";
    private const string ApiKeyId = "agentc2:key";

    public static ClaimsIdentity ToIdentity(Caller caller, string scheme) => new(
        [
            new Claim(OrganizationId, caller.OrganizationId.ToString()),
            new Claim(OrganizationSlug, caller.OrganizationSlug),
            new Claim(ApiKeyId, caller.ApiKeyId.ToString()),
        ],
        scheme);

    /// <summary>The calling organization; only called behind <see cref="OrganizationPolicy"/>.</summary>
    public static Caller Caller(this ClaimsPrincipal principal) =>
        principal.FindCaller() ?? throw new InvalidOperationException("The endpoint is not behind the organization policy.");

    public static Caller? FindCaller(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(OrganizationId) is { } organization && principal.FindFirstValue(ApiKeyId) is { } key
            ? new Caller(Guid.Parse(organization, CultureInfo.InvariantCulture), principal.FindFirstValue(OrganizationSlug) ?? string.Empty, Guid.Parse(key, CultureInfo.InvariantCulture))
            : null;

    public static bool HasOrganization(this ClaimsPrincipal principal) => principal.HasClaim(c => c.Type == OrganizationId);
}
