using System.Net.Sockets;
using Npgsql;
using StackExchange.Redis;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>Says why a dependency check failed without echoing connection details or credentials.</summary>
internal static class DependencyFailure
{
    public static string Reason(Exception exception) => exception switch
    {
        OperationCanceledException or TimeoutException or RedisTimeoutException => "timed out",
        PostgresException postgres => $"server error {postgres.SqlState}",
        RedisConnectionException redis => $"not connected ({redis.FailureType})",
        _ when FindSocketError(exception) is { } socketError => $"socket error {socketError}",
        _ => exception.GetType().Name,
    };

    private static SocketError? FindSocketError(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }
}
