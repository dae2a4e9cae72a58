using System.Net;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace AgentC2.Agent.Mcp;

/// <summary>Why a tool call failed, as far as the session is concerned.</summary>
internal enum McpCallFailure
{
    /// <summary>The server answered (a tool or protocol error): the session is fine.</summary>
    None,

    /// <summary>The server no longer knows the session (Streamable HTTP 404, or a server that restarted and says so): start a new one.</summary>
    SessionExpired,

    /// <summary>The server is gone (process exited, connection refused or reset): the client is dead.</summary>
    ServerGone,
}

internal static class McpCallFailures
{
    /// <summary>
    /// Classifies <paramref name="exception"/> from a call on <paramref name="session"/>. The Streamable HTTP spec answers an
    /// unknown session with 404; servers built on the TypeScript SDK's examples answer 400 "No valid session ID provided",
    /// so a protocol error that speaks of the session id counts too.
    /// </summary>
    public static McpCallFailure Of(Exception exception, IMcpSession session) => exception switch
    {
        HttpRequestException { StatusCode: HttpStatusCode.NotFound } => McpCallFailure.SessionExpired,
        McpException when SpeaksOfLostSession(exception.Message) => McpCallFailure.SessionExpired,
        ClientTransportClosedException closed when closed.Details is HttpClientCompletionDetails { HttpStatusCode: HttpStatusCode.NotFound } => McpCallFailure.SessionExpired,
        HttpRequestException { StatusCode: null } or IOException or System.Net.Sockets.SocketException or ClientTransportClosedException => McpCallFailure.ServerGone,
        _ when session.Completion.IsCompleted => McpCallFailure.ServerGone,
        _ => McpCallFailure.None,
    };

    private static bool SpeaksOfLostSession(string message) =>
        message.Contains("session", StringComparison.OrdinalIgnoreCase)
        && (message.Contains("no valid", StringComparison.OrdinalIgnoreCase) || message.Contains("not found", StringComparison.OrdinalIgnoreCase)
            || message.Contains("expired", StringComparison.OrdinalIgnoreCase) || message.Contains("unknown", StringComparison.OrdinalIgnoreCase)
            || message.Contains("invalid", StringComparison.OrdinalIgnoreCase));
}
