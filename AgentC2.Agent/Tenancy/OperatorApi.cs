using AgentC2.Agent.Errors;
using AgentC2.ServiceDefaults.Fleet;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentC2.Agent.Tenancy;

/// <summary>
/// <c>/api/operator</c>: organizations and their API keys, and the fleet of running instances, for the holder of the
/// operator key. A new key is shown once, in the response that issues it.
/// </summary>
internal static class OperatorApi
{
    public static RouteGroupBuilder MapOperatorApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/operator").WithTags("Operator").RequireOperator();
        group.MapGet("/organizations", ListOrganizations);
        group.MapPost("/organizations", CreateOrganization);
        group.MapGet("/organizations/{organizationId:guid}/api-keys", ListKeys);
        group.MapPost("/organizations/{organizationId:guid}/api-keys", IssueKey);
        group.MapDelete("/organizations/{organizationId:guid}/api-keys/{keyId:guid}", RevokeKey);
        group.MapGet("/instances", ListInstances);
        return group;
    }

    public sealed record InstancePage(IReadOnlyList<InstanceRecord> Items);

    /// <summary>Every instance of every service heard from in the last heartbeats: what an operator watches during a rollout.</summary>
    private static async Task<Results<Ok<InstancePage>, ProblemHttpResult>> ListInstances(HttpContext context, IServiceProvider services)
    {
        if (services.GetService<FleetRegistry>() is not { } fleet)
        {
            return TypedResults.Problem("The fleet view needs Redis, which this deployment does not configure.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable", type: Problems.DependencyUnavailable);
        }

        try
        {
            return TypedResults.Ok(new InstancePage(await fleet.ReadAsync()));
        }
        catch (Exception exception) when (Caching.RedisOutage.Is(exception, context.RequestAborted))
        {
            context.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem("Redis, which holds the instances' heartbeats, is not reachable. Retry after the seconds in Retry-After.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable", type: Problems.DependencyUnavailable);
        }
    }

    public sealed record OrganizationRequest(string? Slug, string? Name);

    public sealed record ApiKeyRequest(string? Name);

    public sealed record IssuedApiKey(Guid Id, Guid OrganizationId, string Name, string Prefix, DateTime CreatedAt, string Key);

    private static async Task<Ok<IReadOnlyList<Organization>>> ListOrganizations(OrganizationStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.ListAsync(cancellationToken));

    private static async Task<Results<Created<Organization>, ValidationProblem, ProblemHttpResult>> CreateOrganization(
        OrganizationRequest request, OrganizationStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Slugs.IsValid(request.Slug))
        {
            errors["slug"] = [$"Required: {Slugs.Rule}."];
        }

        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            errors["name"] = ["Required, at most 200 characters."];
        }

        if (errors.Count > 0)
        {
            return Problems.ValidationResult(errors);
        }

        var organization = await store.CreateAsync(request.Slug!, request.Name!.Trim(), cancellationToken);
        return organization is null
            ? Problems.ConflictResult($"An organization with slug '{request.Slug}' exists.")
            : TypedResults.Created($"/api/operator/organizations/{organization.Id}", organization);
    }

    private static async Task<Results<Ok<IReadOnlyList<ApiKeyInfo>>, ProblemHttpResult>> ListKeys(
        Guid organizationId, OrganizationStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(organizationId, cancellationToken) is null
            ? Problems.NotFoundResult("No such organization.")
            : TypedResults.Ok(await store.ListKeysAsync(organizationId, cancellationToken));

    private static async Task<Results<Created<IssuedApiKey>, ValidationProblem, ProblemHttpResult>> IssueKey(
        Guid organizationId, ApiKeyRequest request, OrganizationStore store, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            return Problems.ValidationResult(new Dictionary<string, string[]> { ["name"] = ["Required, at most 200 characters."] });
        }

        if (await store.FindAsync(organizationId, cancellationToken) is null)
        {
            return Problems.NotFoundResult("No such organization.");
        }

        var key = ApiKeys.Generate();
        var info = await store.IssueKeyAsync(organizationId, request.Name.Trim(), key, cancellationToken);
        return TypedResults.Created(
            $"/api/operator/organizations/{organizationId}/api-keys/{info.Id}",
            new IssuedApiKey(info.Id, info.OrganizationId, info.Name, info.Prefix, info.CreatedAt, key));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(
        Guid organizationId, Guid keyId, OrganizationStore store, CallerCache callers, CancellationToken cancellationToken)
    {
        if (!await store.RevokeKeyAsync(organizationId, keyId, cancellationToken))
        {
            return Problems.NotFoundResult("No such API key in this organization.");
        }

        await callers.RevokedAsync();
        return TypedResults.NoContent();
    }
}
