using System.Security.Claims;

namespace AgentC2.Frontend.Console;

/// <summary>
/// Who is signed in to the console. The cookie (encrypted and signed with the shared data-protection key ring)
/// carries the API key itself, so every replica can call the agent API for the user; no page shows it and nothing
/// logs it.
/// </summary>
internal static class ConsoleUser
{
    public const string OrganizationRole = "organization";
    public const string OperatorRole = "operator";

    private const string ApiKeyClaim = "agentc2:api-key";
    private const string OrganizationSlugClaim = "agentc2:organization";

    public static ClaimsPrincipal Organization(string apiKey, string slug, string name) => Principal(apiKey, OrganizationRole, name,
        new Claim(OrganizationSlugClaim, slug));

    public static ClaimsPrincipal Operator(string apiKey) => Principal(apiKey, OperatorRole, "Operator");

    public static string? ApiKey(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyClaim);

    public static bool IsOperator(this ClaimsPrincipal user) => user.IsInRole(OperatorRole);

    public static bool IsOrganization(this ClaimsPrincipal user) => user.IsInRole(OrganizationRole);

    public static string? OrganizationSlug(this ClaimsPrincipal user) => user.FindFirstValue(OrganizationSlugClaim);

    private static ClaimsPrincipal Principal(string apiKey, string role, string displayName, params Claim[] claims) =>
        new(new ClaimsIdentity(
            [new Claim(ApiKeyClaim, apiKey), new Claim(ClaimTypes.Role, role), new Claim(ClaimTypes.Name, displayName), .. claims],
            ConsoleExtensions.AuthenticationScheme));
}
