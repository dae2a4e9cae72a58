using System.Text.Json;
using AgentC2.Agent.Security;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// An agent's MCP tools as <see cref="AIFunction"/>s for <see cref="IChatClient"/> tool calling. The organization's
/// registrations are read for every step, so a server removed a moment ago offers nothing, and clients of
/// registrations that are gone are closed here too. Each call leases the server's client from the pool only for the
/// call itself, so a long model call holds no client; a session the server no longer knows is renewed once and the
/// call retried; a server that is gone is discarded (reason <c>dead</c>) and the call answers a tool error.
/// </summary>
internal sealed partial class McpTools(
    McpClientPool pool,
    McpServerStore servers,
    ServiceSecrets secrets,
    IOptions<McpOptions> options,
    McpPoolMetrics metrics,
    ILogger<McpTools> logger)
{
    /// <summary>
    /// The tools of the agent's servers. A server that cannot be reached now contributes none and says so in the log; with
    /// <paramref name="throwWhenUnavailable"/> it fails instead (503 <c>mcp-server-unavailable</c> for the tool list API).
    /// </summary>
    public async Task<IReadOnlyList<AIFunction>> ForAsync(Guid organizationId, IReadOnlyList<string> agentServers, CancellationToken cancellationToken, bool throwWhenUnavailable = false)
    {
        var registered = (await servers.ListAsync(organizationId, cancellationToken)).ToDictionary(s => s.Name, s => s.Id, StringComparer.Ordinal);
        _ = pool.CloseAsync((key, _) => key.OrganizationId == organizationId && key.Registration != registered.GetValueOrDefault(key.Server), "removed");

        var functions = new List<AIFunction>();
        foreach (var server in agentServers)
        {
            if (!registered.TryGetValue(server, out var registration))
            {
                LogServerUnavailable(logger, $"{organizationId:N}/{server}", "it is no longer registered");
                continue;
            }

            var key = new McpServerKey(organizationId, server, registration);
            try
            {
                using var lease = await pool.AcquireAsync(key, cancellationToken);
                functions.AddRange(lease.Session.Tools.Select(tool => new PooledTool(this, key, tool)));
            }
            catch (McpServerUnavailableException exception) when (!throwWhenUnavailable)
            {
                LogServerUnavailable(logger, key.ToString(), exception.Message);
            }
        }

        return functions;
    }

    /// <summary>Calls one tool: the result with the service's secrets redacted, or a tool error; renews an expired session once.</summary>
    private async Task<ToolOutput> CallAsync(McpServerKey key, string tool, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var lease = await pool.AcquireAsync(key, cancellationToken);
            try
            {
                var result = await lease.Session.CallToolAsync(tool, arguments, cancellationToken);
                return Counted(ToolOutput.From(result, options.Value.Results, secrets));
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested && McpCallFailures.Of(exception, lease.Session) is not McpCallFailure.None and var failure)
            {
                var expired = failure == McpCallFailure.SessionExpired;
                await pool.DiscardAsync(lease, expired ? "expired" : "dead");
                if (expired && attempt == 1)
                {
                    metrics.SessionRenewed();
                    continue;
                }

                return Counted(ToolOutput.Error(expired
                    ? $"The MCP server '{key.Server}' did not accept a new session either: {exception.Message}"
                    : $"The MCP server '{key.Server}' is not reachable ({exception.GetType().Name}); it is started again on a later call.", secrets));
            }
            catch (McpException exception)
            {
                return Counted(ToolOutput.Error($"The MCP server '{key.Server}' answered an error: {exception.Message}", secrets));
            }
            catch (HttpRequestException exception)
            {
                return Counted(ToolOutput.Error($"The MCP server '{key.Server}' failed the call: {exception.Message}", secrets));
            }
        }
    }

    /// <summary>The MCP server a tool of <see cref="ForAsync"/> comes from (null for other tools).</summary>
    public static string? ServerOf(AIFunction tool) => (tool as PooledTool)?.Server;

    private ToolOutput Counted(ToolOutput output)
    {
        metrics.Redacted(output.Redactions);
        return output;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The tools of MCP server {Key} are not available to this step: {Reason}")]
    private static partial void LogServerUnavailable(ILogger logger, string key, string reason);

    /// <summary>One MCP tool; invoking it leases the server's client for the duration of the call.</summary>
    private sealed class PooledTool(McpTools tools, McpServerKey key, Tool tool) : AIFunction
    {
        public override string Name => tool.Name;

        public override string Description => tool.Description ?? string.Empty;

        public override JsonElement JsonSchema => tool.InputSchema;

        public string Server => key.Server;

        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
            await tools.CallAsync(key, tool.Name, arguments.ToDictionary(a => a.Key, a => a.Value), cancellationToken);
    }
}
