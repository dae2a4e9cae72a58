using AgentC2.Agent.Errors;
using AgentC2.Agent.Mcp;
using AgentC2.Agent.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Agents;

/// <summary><c>/api/agents</c>: the calling organization's agents, addressed by id or slug.</summary>
internal static class AgentsApi
{
    public static RouteGroupBuilder MapAgentsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/agents").WithTags("Agents");
        group.MapGet("/", ListAgents);
        group.MapPost("/", CreateAgent);
        group.MapGet("/{idOrSlug}", GetAgent);
        group.MapPut("/{idOrSlug}", ReplaceAgent);
        group.MapDelete("/{idOrSlug}", DeleteAgent);
        return group;
    }

    public sealed record AgentView(Guid Id, string Slug, string Name, string Instructions, string ModelTier, int MaxSteps, string[] Tools, string[] McpServers, DateTime CreatedAt, DateTime UpdatedAt)
    {
        public static AgentView Of(AgentDefinition agent) => new(
            agent.Id, agent.Slug, agent.Name, agent.Instructions, agent.ModelTier, agent.MaxSteps, agent.Tools, agent.McpServers, agent.CreatedAt, agent.UpdatedAt);
    }

    private static async Task<Ok<List<AgentView>>> ListAgents(HttpContext context, AgentStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok((await store.ListAsync(context.User.Caller().OrganizationId, cancellationToken)).Select(AgentView.Of).ToList());

    private static async Task<Results<Ok<AgentView>, ProblemHttpResult>> GetAgent(string idOrSlug, HttpContext context, AgentStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(context.User.Caller().OrganizationId, idOrSlug, cancellationToken) is { } agent
            ? TypedResults.Ok(AgentView.Of(agent))
            : NotFound(idOrSlug);

    private static async Task<Results<Created<AgentView>, ValidationProblem, ProblemHttpResult>> CreateAgent(
        AgentRequest request, HttpContext context, AgentStore store, McpServerStore servers, IOptions<AgentOptions> options, CancellationToken cancellationToken)
    {
        var (spec, errors) = AgentRequestValidation.Validate(request, options.Value);
        if (spec is null)
        {
            return Problems.ValidationResult(errors);
        }

        if (await UnknownServersAsync(spec, context, servers, cancellationToken) is { } unknown)
        {
            return Problems.ValidationResult(unknown);
        }

        var agent = await store.CreateAsync(context.User.Caller().OrganizationId, spec, cancellationToken);
        return agent is null
            ? Problems.ConflictResult($"An agent with slug '{spec.Slug}' exists in this organization.")
            : TypedResults.Created($"/api/agents/{agent.Id}", AgentView.Of(agent));
    }

    // The agent's MCP servers must be registered in its organization (/api/mcp-servers).
    private static async Task<Dictionary<string, string[]>?> UnknownServersAsync(AgentSpec spec, HttpContext context, McpServerStore servers, CancellationToken cancellationToken)
    {
        if (spec.McpServers.Length == 0)
        {
            return null;
        }

        var registered = (await servers.ListAsync(context.User.Caller().OrganizationId, cancellationToken)).Select(s => s.Name).ToHashSet();
        var unknown = spec.McpServers.Where(name => !registered.Contains(name)).ToList();
        return unknown.Count == 0
            ? null
            : new() { ["mcpServers"] = [$"Not registered in this organization (see /api/mcp-servers): {string.Join(", ", unknown)}."] };
    }

    private static async Task<Results<Ok<AgentView>, ValidationProblem, ProblemHttpResult>> ReplaceAgent(
        string idOrSlug, AgentRequest request, HttpContext context, AgentStore store, McpServerStore servers, IOptions<AgentOptions> options, CancellationToken cancellationToken)
    {
        var organizationId = context.User.Caller().OrganizationId;
        if (await store.FindAsync(organizationId, idOrSlug, cancellationToken) is not { } existing)
        {
            return NotFound(idOrSlug);
        }

        var (spec, errors) = AgentRequestValidation.Validate(request, options.Value);
        if (spec is null)
        {
            return Problems.ValidationResult(errors);
        }

        if (await UnknownServersAsync(spec, context, servers, cancellationToken) is { } unknown)
        {
            return Problems.ValidationResult(unknown);
        }

        var (agent, slugTaken) = await store.ReplaceAsync(organizationId, existing.Id, spec, cancellationToken);
        return agent is not null ? TypedResults.Ok(AgentView.Of(agent))
            : slugTaken ? Problems.ConflictResult($"An agent with slug '{spec.Slug}' exists in this organization.")
            : NotFound(idOrSlug);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAgent(string idOrSlug, HttpContext context, AgentStore store, CancellationToken cancellationToken)
    {
        var organizationId = context.User.Caller().OrganizationId;
        return await store.FindAsync(organizationId, idOrSlug, cancellationToken) is { } agent && await store.DeleteAsync(organizationId, agent.Id, cancellationToken)
            ? TypedResults.NoContent()
            : NotFound(idOrSlug);
    }

    private static ProblemHttpResult NotFound(string idOrSlug) => Problems.NotFoundResult($"No agent '{idOrSlug}' in this organization.");
}
