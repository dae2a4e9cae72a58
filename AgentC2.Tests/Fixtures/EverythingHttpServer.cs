using System.Diagnostics;
using System.Net.Sockets;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// The reference MCP server (<c>@modelcontextprotocol/server-everything</c>) over Streamable HTTP on a loopback port, as a
/// process the test starts, restarts on the same port (every session it knew is gone) and stops by its id.
/// </summary>
internal sealed class EverythingHttpServer : IAsyncDisposable
{
    private Process? _process;

    public int Port { get; } = Loopback.FreePort();

    public Uri Endpoint => new($"http://127.0.0.1:{Port}/mcp");

    public static async Task<EverythingHttpServer> StartAsync()
    {
        var server = new EverythingHttpServer();
        await server.RestartAsync();
        return server;
    }

    /// <summary>Stops the server if it runs, then starts a new process on the same port and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        var start = new ProcessStartInfo("node", [ForeignMcpServers.EverythingScript, "streamableHttp"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.MatchAsync(async token =>
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync("127.0.0.1", Port, token);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, listening => listening, TimeSpan.FromSeconds(30), $"the reference MCP server listening on {Port}");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
