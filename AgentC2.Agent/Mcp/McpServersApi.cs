using System.ComponentModel.DataAnnotations;
using AgentC2.Agent.Agents;
using AgentC2.Agent.Errors;
using AgentC2.Agent.Steps;
using AgentC2.Agent.Tenancy;
using AgentC2.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Mcp;

/// <summary>Adding an MCP server: a catalog server by name, or an HTTP server by URL (with an optional auth header).</summary>
public sealed record McpServerRequest(string? Name, string? Catalog, string? Url, string? AuthHeader);

/// <summary>An MCP server as the API shows it: never its auth header, only whether it has one.</summary>
public sealed record McpServerView(string Name, string Kind, string? Catalog, string? Url, bool HasAuthHeader, DateTime CreatedAt);

public sealed record ToolView(string Name, string Description, string Source);

/// <summary>
/// <c>/api/mcp-servers</c>: an organization's MCP servers; <c>/api/agents/{idOrSlug}/tools</c>: what an agent can call;
/// <c>/api/operator/mcp-pool</c>: this instance's pool.
/// </summary>
internal static class McpServersApi
{
    private const int MaxUrlLength = 2_048;
    private const int MaxAuthHeaderLength = 4_096;

    public static RouteGroupBuilder MapMcpServersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/mcp-servers").WithTags("MCP servers");
        group.MapGet("/", async (HttpContext context, McpServerStore store, CancellationToken cancellationToken) =>
            TypedResults.Ok((await store.ListAsync(context.User.Caller().OrganizationId, cancellationToken)).Select(View).ToList()));
        group.MapPost("/", AddServer);
        group.MapDelete("/{name}", RemoveServer);
        api.MapGet("/agents/{idOrSlug}/tools", ListTools).WithTags("Agents");
        return group;
    }

    public static void MapMcpPoolOperatorApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/operator/mcp-pool", (McpClientPool pool) =>
                TypedResults.Ok(new { instance = $"{Environment.MachineName}/{Environment.ProcessId}", pool = pool.State() }))
            .RequireOperator().DisableRateLimiting().WithTags("Operator");

    private static async Task<Results<Created<McpServerView>, ValidationProblem, ProblemHttpResult>> AddServer(
        McpServerRequest request, HttpContext context, McpServerStore store, OutboundUrlGuard urlGuard, IOptions<McpOptions> options, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Name is null || !Slugs.IsValid(request.Name))
        {
            errors["name"] = [Slugs.Rule];
        }

        if ((request.Catalog is null) == (request.Url is null))
        {
            errors["catalog"] = ["Give either catalog (a server of the operator's catalog) or url (an HTTP MCP server), not both."];
        }
        else if (request.Catalog is not null && options.Value.Catalog.GetValueOrDefault(request.Catalog) is not { Enabled: true })
        {
            errors["catalog"] = [$"Not in the catalog. Available: {string.Join(", ", options.Value.Catalog.Where(e => e.Value.Enabled).Select(e => e.Key).Order())}."];
        }
        else if (request.Url is not null)
        {
            if (request.Url.Length > MaxUrlLength)
            {
                errors["url"] = [$"At most {MaxUrlLength} characters."];
            }
            else if (await urlGuard.CheckAsync(request.Url, cancellationToken) is { } refused)
            {
                errors["url"] = [refused];
            }
        }

        if (request.AuthHeader is { Length: > MaxAuthHeaderLength } || (request.AuthHeader is not null && request.Url is null))
        {
            errors["authHeader"] = [$"Only for url servers, at most {MaxAuthHeaderLength} characters."];
        }

        if (errors.Count > 0)
        {
            return Problems.ValidationResult(errors);
        }

        var organizationId = context.User.Caller().OrganizationId;
        return await store.AddAsync(organizationId, request.Name!, request.Catalog, request.Url, request.AuthHeader, cancellationToken) is { } added
            ? TypedResults.Created($"/api/mcp-servers/{added.Name}", View(added))
            : Problems.ConflictResult($"This organization already has an MCP server named '{request.Name}'.");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveServer(
        string name, HttpContext context, McpServerStore store, McpRegistryChanges changes, CancellationToken cancellationToken)
    {
        var organizationId = context.User.Caller().OrganizationId;
        if (!await store.RemoveAsync(organizationId, name, cancellationToken))
        {
            return Problems.NotFoundResult($"No MCP server '{name}' in this organization.");
        }

        // Before the answer: every instance has closed its clients of the server (or, without Redis, stops at its next step).
        await changes.AnnounceRemovedAsync(organizationId, name, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<List<ToolView>>, ProblemHttpResult>> ListTools(
        string idOrSlug, HttpContext context, AgentStore agents, McpTools mcpTools, CancellationToken cancellationToken)
    {
        var organizationId = context.User.Caller().OrganizationId;
        if (await agents.FindAsync(organizationId, idOrSlug, cancellationToken) is not { } agent)
        {
            return Problems.NotFoundResult($"No agent '{idOrSlug}' in this organization.");
        }

        var tools = BuiltInTools.For(agent.Tools).Select(t => new ToolView(t.Name, t.Description, "built-in")).ToList();
        // One read of the registrations for all the agent's servers; a server that cannot be started now is a 503
        // mcp-server-unavailable problem naming why.
        tools.AddRange((await mcpTools.ForAsync(organizationId, agent.McpServers, cancellationToken, throwWhenUnavailable: true))
            .Select(t => new ToolView(t.Name, t.Description, McpTools.ServerOf(t)!)));

        return TypedResults.Ok(tools);
    }

    private static McpServerView View(McpServerRecord server) =>
        new(server.Name, server.Catalog is null ? "http" : "catalog", server.Catalog, server.Url, server.AuthHeader is not null, server.CreatedAt);
}
