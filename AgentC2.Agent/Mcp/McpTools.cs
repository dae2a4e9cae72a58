using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// An agent's MCP tools as <see cref="AIFunction"/>s for <see cref="IChatClient"/> tool calling. Each call leases the
/// server's client from the pool only for the call itself, so a long model call holds no client.
/// </summary>
internal sealed partial class McpTools(McpClientPool pool, ILogger<McpTools> logger)
{
    /// <summary>The tools of the agent's servers (a server that cannot be reached now contributes none, and says so in the log).</summary>
    public async Task<IReadOnlyList<AIFunction>> ForAsync(Guid organizationId, IReadOnlyList<string> servers, CancellationToken cancellationToken)
    {
        var functions = new List<AIFunction>();
        foreach (var server in servers)
        {
            var key = new McpServerKey(organizationId, server);
            try
            {
                using var lease = await pool.AcquireAsync(key, cancellationToken);
                functions.AddRange(lease.Session.Tools.Select(tool => new PooledTool(pool, key, tool)));
            }
            catch (McpServerUnavailableException exception)
            {
                LogServerUnavailable(logger, key.ToString(), exception.Message);
            }
        }

        return functions;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The tools of MCP server {Key} are not available to this step: {Reason}")]
    private static partial void LogServerUnavailable(ILogger logger, string key, string reason);

    /// <summary>One MCP tool; invoking it leases the server's client for the duration of the call.</summary>
    private sealed class PooledTool(McpClientPool pool, McpServerKey key, Tool tool) : AIFunction
    {
        public override string Name => tool.Name;

        public override string Description => tool.Description ?? string.Empty;

        public override JsonElement JsonSchema => tool.InputSchema;

        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            using var lease = await pool.AcquireAsync(key, cancellationToken);
            var result = await lease.Session.CallToolAsync(tool.Name, arguments.ToDictionary(a => a.Key, a => a.Value), cancellationToken);
            var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));
            return result.IsError == true ? $"Error from {key.Server}/{tool.Name}: {text}" : text;
        }
    }
}
