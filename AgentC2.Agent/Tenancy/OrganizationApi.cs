using AgentC2.Agent.Errors;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentC2.Agent.Tenancy;

/// <summary><c>GET /api/organization</c>: the organization the caller's key belongs to (what a client shows as "signed in as").</summary>
internal static class OrganizationApi
{
    public static RouteGroupBuilder MapOrganizationApi(this RouteGroupBuilder api)
    {
        api.MapGet("/organization", GetOrganization).WithTags("Organization");
        return api;
    }

    private static async Task<Results<Ok<Organization>, ProblemHttpResult>> GetOrganization(HttpContext context, OrganizationStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(context.User.Caller().OrganizationId, cancellationToken) is { } organization
            ? TypedResults.Ok(organization)
            : Problems.NotFoundResult("No such organization.");
}
