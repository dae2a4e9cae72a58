namespace AgentC2.AppHost.Infrastructure;

/// <summary>
/// The AppHost cannot start as configured: it cannot provide PostgreSQL or Redis, or a setting is out of range. The
/// message is one sentence an operator can act on (what is missing or wrong, and how to install or configure it).
/// </summary>
public sealed class InfrastructureException(string message) : Exception(message);
