using AgentC2.Security;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// Starts sessions with the servers organizations enabled: catalog servers as child processes over stdio (the
/// operator's command; disposal ends the process and its children), HTTP servers over streamable HTTP through the
/// outbound URL guard (each connection checked against internal addresses), with the stored auth header.
/// </summary>
internal sealed class McpConnector(
    McpServerStore servers,
    IOptions<McpOptions> options,
    OutboundUrlGuard urlGuard,
    ILoggerFactory loggerFactory) : IMcpConnector
{
    public async Task<IMcpSession> ConnectAsync(McpServerKey key, CancellationToken cancellationToken)
    {
        var server = await servers.FindAsync(key.OrganizationId, key.Server, cancellationToken)
            ?? throw new InvalidOperationException($"The organization has no MCP server '{key.Server}'.");
        IClientTransport transport;
        if (server.Catalog is not null)
        {
            var entry = options.Value.Catalog.GetValueOrDefault(server.Catalog)
                ?? throw new InvalidOperationException($"The MCP catalog has no server '{server.Catalog}' any more.");
            var (stdio, group) = StdioTransport(key.ToString(), entry, loggerFactory);
            return await StartAsync(stdio, loggerFactory, cancellationToken, group);
        }
        else
        {
            var http = new HttpClient(urlGuard.CreateHandler(TimeSpan.FromSeconds(10)));
            transport = new HttpClientTransport(new HttpClientTransportOptions
            {
                Name = key.ToString(),
                Endpoint = new Uri(server.Url!),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = server.AuthHeader is null ? null : new Dictionary<string, string> { ["Authorization"] = server.AuthHeader },
            }, http, loggerFactory, ownsHttpClient: true);
        }

        return await StartAsync(transport, loggerFactory, cancellationToken);
    }

    /// <summary>
    /// A catalog server as a child process over stdio. On Linux it runs in a process group of its own (<c>setsid</c>), so that
    /// disposing the session ends the server's whole process tree, including children it started.
    /// </summary>
    public static (IClientTransport Transport, ServerProcessGroup? Group) StdioTransport(string name, McpCatalogEntry entry, ILoggerFactory loggerFactory)
    {
        var group = ServerProcessGroup.IsSupported ? new ServerProcessGroup() : null;
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = name,
            Command = group is null ? entry.Command : "/bin/sh",
            Arguments = group is null ? [.. entry.Args] : ["-c", ServerProcessGroup.Launcher, entry.Command, .. entry.Args],
            EnvironmentVariables = entry.Environment.ToDictionary(e => e.Key, e => (string?)e.Value),
            ShutdownTimeout = TimeSpan.FromSeconds(2),
            StandardErrorLines = group is null ? null : group.Observe,
        }, loggerFactory);
        return (transport, group);
    }

    /// <summary>Initializes a session over <paramref name="transport"/> and lists the server's tools.</summary>
    public static async Task<IMcpSession> StartAsync(IClientTransport transport, ILoggerFactory loggerFactory, CancellationToken cancellationToken, ServerProcessGroup? group = null)
    {
        var client = await McpClient.CreateAsync(transport, new McpClientOptions(), loggerFactory, cancellationToken);
        try
        {
            var tools = await client.ListToolsAsync(cancellationToken: cancellationToken);
            return new Session(client, [.. tools.Select(t => t.ProtocolTool)], group);
        }
        catch
        {
            await client.DisposeAsync();
            await (group?.KillAsync() ?? Task.CompletedTask);
            throw;
        }
    }

    private sealed class Session(McpClient client, IReadOnlyList<Tool> tools, ServerProcessGroup? group) : IMcpSession
    {
        public IReadOnlyList<Tool> Tools { get; } = tools;

        public Task Completion => client.Completion;

        public ValueTask<CallToolResult> CallToolAsync(string name, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
            client.CallToolAsync(name, arguments, cancellationToken: cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await client.DisposeAsync();
            await (group?.KillAsync() ?? Task.CompletedTask);
        }
    }
}
