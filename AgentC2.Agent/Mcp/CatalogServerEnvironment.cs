using AgentC2.Agent.Security;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// The whole environment of a catalog (stdio) server's process, built from nothing: the base variables, a scratch
/// <c>HOME</c>/<c>TMPDIR</c>, the entry's <see cref="McpCatalogEntry.Inherit"/> names and its literal
/// <see cref="McpCatalogEntry.Environment"/> (see <see cref="McpCatalogEntry"/> for the rule).
/// </summary>
internal static class CatalogServerEnvironment
{
    /// <summary>Copied from the agent when set: what nearly every program needs to start and to format text and times.</summary>
    public static readonly string[] Base = ["PATH", "LANG", "LC_ALL", "TZ"];

    /// <summary>The variables for the server's process; fails with <see cref="McpStartException"/> naming a variable it cannot give.</summary>
    public static Dictionary<string, string?> For(string catalogName, McpCatalogEntry entry, string scratchFolder, Func<string, string?> agentVariable, ServiceSecrets secrets)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in Base)
        {
            if (agentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        environment["HOME"] = scratchFolder;
        environment["TMPDIR"] = scratchFolder;
        foreach (var name in entry.Inherit)
        {
            var value = agentVariable(name)
                ?? throw new McpStartException($"The MCP catalog entry '{catalogName}' inherits the variable '{name}', which the agent does not have.");
            if (secrets.Contains(value))
            {
                throw new McpStartException($"The MCP catalog entry '{catalogName}' inherits the variable '{name}', which holds a secret of the agent; give the server its own value under Environment.");
            }

            environment[name] = value;
        }

        foreach (var (name, value) in entry.Environment)
        {
            environment[name] = value;
        }

        return environment;
    }
}

/// <summary>
/// A server the agent will not or cannot start (a catalog entry disabled, gone or asking for what it may not have; a
/// registration removed; a tool list the client refused), with a message fit for the caller: it names the cause, never a
/// secret value.
/// </summary>
internal sealed class McpStartException(string message) : Exception(message);

/// <summary>A catalog server's own <c>HOME</c> and <c>TMPDIR</c> (mode 0700), removed with everything in it when the session ends.</summary>
internal sealed class ScratchFolder : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("agentc2-mcp-");

    public string Path => _directory.FullName;

    public void Dispose()
    {
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A process of the server's group may still be writing for a moment; the folder is in the temp folder.
        }
    }
}
