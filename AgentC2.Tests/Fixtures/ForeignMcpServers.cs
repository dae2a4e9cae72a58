using Aspire.Hosting.ApplicationModel;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// The MCP servers nobody here wrote, installed by <c>scripts/setup.sh --test-tools</c> into <c>tools/mcp-servers</c>: the
/// reference server <c>@modelcontextprotocol/server-everything</c> (stdio in the catalog as <c>everything</c>, and over
/// Streamable HTTP started by tests), and the catalog entries the bad-input tests use.
/// </summary>
internal static class ForeignMcpServers
{
    public const string Everything = "everything";
    public const string Garbage = "garbage";
    public const string Huge = "huge";
    public const string BadSchema = "bad-schema";
    public const string MissingVariable = "missing-variable";
    public const string InheritsSecret = "inherits-secret";
    public const string Disabled = "disabled";

    /// <summary>The variable the reference server gets from its catalog entry (a secret of the agent's configuration by its name).</summary>
    public const string TokenVariable = "EVERYTHING_API_TOKEN";

    public static string Folder { get; } = Path.Combine(Repository.Root, "tools", "mcp-servers");

    public static string EverythingScript { get; } = Path.Combine(Folder, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");

    public static string MisbehavingScript { get; } = Path.Combine(Folder, "misbehaving.mjs");

    public static IResourceBuilder<ProjectResource> WithForeignMcpServers(this IResourceBuilder<ProjectResource> agent, string token)
    {
        if (!File.Exists(EverythingScript))
        {
            throw new InvalidOperationException($"{EverythingScript} is missing: run scripts/setup.sh --test-tools.");
        }

        Catalog(agent, Everything, EverythingScript, "stdio").WithEnvironment($"AgentC2__Mcp__Catalog__{Everything}__Environment__{TokenVariable}", token);
        Catalog(agent, Garbage, MisbehavingScript, "garbage");
        Catalog(agent, Huge, MisbehavingScript, "huge");
        Catalog(agent, BadSchema, MisbehavingScript, "bad-schema");
        Catalog(agent, MissingVariable, EverythingScript, "stdio").WithEnvironment($"AgentC2__Mcp__Catalog__{MissingVariable}__Inherit__0", "AGENTC2_NO_SUCH_VARIABLE");
        Catalog(agent, InheritsSecret, EverythingScript, "stdio").WithEnvironment($"AgentC2__Mcp__Catalog__{InheritsSecret}__Inherit__0", "AgentC2__Tenancy__OperatorApiKey");
        return Catalog(agent, Disabled, EverythingScript, "stdio").WithEnvironment($"AgentC2__Mcp__Catalog__{Disabled}__Enabled", "false");
    }

    private static IResourceBuilder<ProjectResource> Catalog(IResourceBuilder<ProjectResource> agent, string name, string script, string argument) => agent
        .WithEnvironment($"AgentC2__Mcp__Catalog__{name}__Command", "node")
        .WithEnvironment($"AgentC2__Mcp__Catalog__{name}__Args__0", script)
        .WithEnvironment($"AgentC2__Mcp__Catalog__{name}__Args__1", argument);
}
