using AgentC2.Agent.Security;
using AgentC2.Security;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// Starts sessions with the servers organizations registered: catalog servers as child processes over stdio (the
/// operator's command, an environment built from nothing, a scratch home; disposal ends the process and its children),
/// HTTP servers over streamable HTTP through the outbound URL guard (each connection checked against internal
/// addresses), with the stored auth header. A key whose registration was removed or replaced starts nothing.
/// </summary>
internal sealed class McpConnector(
    McpServerStore servers,
    IOptionsMonitor<McpOptions> options,
    OutboundUrlGuard urlGuard,
    ServiceSecrets secrets,
    ILoggerFactory loggerFactory) : IMcpConnector
{
    public async Task<IMcpSession> ConnectAsync(McpServerKey key, CancellationToken cancellationToken)
    {
        var server = await servers.FindAsync(key.OrganizationId, key.Server, cancellationToken);
        if (server is null || (key.Registration != Guid.Empty && server.Id != key.Registration))
        {
            throw new McpStartException($"The MCP server '{key.Server}' is no longer registered.");
        }

        if (server.Catalog is not null)
        {
            var entry = options.CurrentValue.Catalog.GetValueOrDefault(server.Catalog) is { Enabled: true } enabled
                ? enabled
                : throw new McpStartException($"The MCP catalog has no enabled server '{server.Catalog}'.");
            var scratch = new ScratchFolder();
            try
            {
                var environment = CatalogServerEnvironment.For(server.Catalog, entry, scratch.Path, Environment.GetEnvironmentVariable, secrets);
                var (stdio, group) = StdioTransport(key.ToString(), entry, environment, scratch.Path, loggerFactory);
                return await StartAsync(stdio, loggerFactory, cancellationToken, group, server.Catalog, scratch, secrets);
            }
            catch
            {
                scratch.Dispose();
                throw;
            }
        }

        var http = new HttpClient(urlGuard.CreateHandler(TimeSpan.FromSeconds(10)));
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Name = key.ToString(),
            Endpoint = new Uri(server.Url!),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = server.AuthHeader is null ? null : new Dictionary<string, string> { ["Authorization"] = server.AuthHeader },
        }, http, loggerFactory, ownsHttpClient: true);
        return await StartAsync(transport, loggerFactory, cancellationToken, secrets: secrets);
    }

    /// <summary>
    /// A catalog server as a child process over stdio, with exactly <paramref name="environment"/> (nothing inherited; the launcher shell adds <c>PWD</c>), in <paramref name="workingDirectory"/>. On
    /// Linux it runs in a process group of its own (<c>setsid</c>), so that disposing the session ends the server's whole
    /// process tree, including children it started.
    /// </summary>
    public static (IClientTransport Transport, ServerProcessGroup? Group) StdioTransport(
        string name, McpCatalogEntry entry, IDictionary<string, string?> environment, string workingDirectory, ILoggerFactory loggerFactory)
    {
        var group = ServerProcessGroup.IsSupported ? new ServerProcessGroup() : null;
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = name,
            Command = group is null ? entry.Command : "/bin/sh",
            Arguments = group is null ? [.. entry.Args] : ["-c", ServerProcessGroup.Launcher, entry.Command, .. entry.Args],
            InheritEnvironmentVariables = false,
            WorkingDirectory = workingDirectory,
            EnvironmentVariables = environment,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
            StandardErrorLines = group is null ? null : group.Observe,
        }, loggerFactory);
        return (transport, group);
    }

    /// <summary>Initializes a session over <paramref name="transport"/> and lists the server's tools.</summary>
    public static async Task<IMcpSession> StartAsync(
        IClientTransport transport, ILoggerFactory loggerFactory, CancellationToken cancellationToken,
        ServerProcessGroup? group = null, string? catalog = null, IDisposable? scratch = null, ServiceSecrets? secrets = null)
    {
        var client = await McpClient.CreateAsync(transport, new McpClientOptions(), loggerFactory, cancellationToken);
        try
        {
            var tools = await client.ListToolsAsync(cancellationToken: cancellationToken);
            return new Session(client, [.. tools.Select(t => t.ProtocolTool)], catalog, group, scratch);
        }
        catch (Exception exception)
        {
            await client.DisposeAsync();
            await (group?.KillAsync() ?? Task.CompletedTask);
            if (exception is System.Text.Json.JsonException or ArgumentException && secrets is not null)
            {
                throw new McpStartException($"its tool list was refused ({exception.GetType().Name}: {secrets.Redact(exception.Message, out _)})");
            }

            throw;
        }
    }

    private sealed class Session(McpClient client, IReadOnlyList<Tool> tools, string? catalog, ServerProcessGroup? group, IDisposable? scratch) : IMcpSession
    {
        public IReadOnlyList<Tool> Tools { get; } = tools;

        public string? Catalog { get; } = catalog;

        public Task Completion => client.Completion;

        public ValueTask<CallToolResult> CallToolAsync(string name, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
            client.CallToolAsync(name, arguments, cancellationToken: cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await client.DisposeAsync();
            await (group?.KillAsync() ?? Task.CompletedTask);
            scratch?.Dispose();
        }
    }
}
