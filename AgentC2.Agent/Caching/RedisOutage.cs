using StackExchange.Redis;

namespace AgentC2.Agent.Caching;

/// <summary>
/// Tells a Redis command that failed because Redis is away (or the connection to it is being re-established) from any
/// other failure. With the fail-fast backlog policy, StackExchange.Redis fails a command it cannot write on a
/// connection that is down, or could not write in time, with a cancelled task rather than a <see cref="RedisException"/>;
/// that is an outage too, unless the caller's own token was cancelled.
/// </summary>
internal static class RedisOutage
{
    public static bool Is(Exception exception, CancellationToken cancellationToken = default) => exception switch
    {
        RedisException or TimeoutException or ObjectDisposedException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}
