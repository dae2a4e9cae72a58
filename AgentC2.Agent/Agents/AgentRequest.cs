using AgentC2.Agent.Models;
using AgentC2.Agent.Steps;
using AgentC2.Agent.Tenancy;

namespace AgentC2.Agent.Agents;

/// <summary>Body of <c>POST /api/agents</c> and <c>PUT /api/agents/{idOrSlug}</c>.</summary>
public sealed record AgentRequest(
    string? Slug,
    string? Name,
    string? Instructions,
    string? ModelTier,
    int? MaxSteps,
    string[]? Tools,
    string[]? McpServers);

internal static class AgentRequestValidation
{
    private const int MaxNameLength = 200;
    private const int MaxInstructionsLength = 50_000;
    private const int MaxListLength = 64;

    /// <summary>The agent to store, or the field errors of the request.</summary>
    public static (AgentSpec? Spec, Dictionary<string, string[]> Errors) Validate(AgentRequest request, AgentOptions limits)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Slugs.IsValid(request.Slug) || Guid.TryParse(request.Slug, out _))
        {
            errors["slug"] = [$"Required: {Slugs.Rule}."];
        }

        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength)
        {
            errors["name"] = [$"Required, at most {MaxNameLength} characters."];
        }

        if (request.Instructions is { Length: > MaxInstructionsLength })
        {
            errors["instructions"] = [$"At most {MaxInstructionsLength} characters."];
        }

        var tier = request.ModelTier ?? ModelTiers.Auto;
        if (!ModelTiers.Selectable.Contains(tier))
        {
            errors["modelTier"] = [$"One of: {string.Join(", ", ModelTiers.Selectable)}."];
        }

        var maxSteps = request.MaxSteps ?? limits.DefaultMaxSteps;
        if (maxSteps < 1 || maxSteps > limits.MaxStepsLimit)
        {
            errors["maxSteps"] = [$"Between 1 and {limits.MaxStepsLimit}."];
        }

        var tools = request.Tools ?? [];
        if (tools.Length > MaxListLength || tools.Any(tool => !BuiltInTools.Names.Contains(tool)))
        {
            errors["tools"] = [$"At most {MaxListLength} of the built-in tools: {string.Join(", ", BuiltInTools.Names)}."];
        }

        var servers = request.McpServers ?? [];
        if (servers.Length > MaxListLength || servers.Any(server => !Slugs.IsValid(server)))
        {
            errors["mcpServers"] = [$"At most {MaxListLength} MCP server names (lower-case letters, digits and dashes)."];
        }

        return errors.Count > 0
            ? (null, errors)
            : (new AgentSpec(request.Slug!, request.Name!.Trim(), request.Instructions ?? string.Empty, tier, maxSteps, [.. tools.Distinct()], [.. servers.Distinct()]), errors);
    }
}
