using System.Net;
using System.Net.Sockets;

namespace AgentC2.Tests.Fixtures;

internal static class Loopback
{
    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
