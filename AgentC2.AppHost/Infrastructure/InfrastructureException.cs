namespace AgentC2.AppHost.Infrastructure;

/// <summary>
/// The AppHost cannot provide PostgreSQL or Redis as configured. The message is one sentence an
/// operator can act on (what is missing and how to install or configure it).
/// </summary>
public sealed class InfrastructureException(string message) : Exception(message);
