namespace AgentC2.AppHost.Infrastructure;

/// <summary>How the AppHost provides PostgreSQL and Redis.</summary>
public enum InfrastructureMode
{
    /// <summary><c>AddPostgres</c>/<c>AddRedis</c> containers (publish mode, or run mode with a container runtime).</summary>
    Containers,

    /// <summary><c>postgres</c> and <c>redis-server</c> as local processes with state under the AppHost's state folder.</summary>
    Local,
}
