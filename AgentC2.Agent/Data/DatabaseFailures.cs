using Npgsql;

namespace AgentC2.Agent.Data;

/// <summary>
/// The database could not be reached or is going away (connection failures, timeouts, shutdown, too many
/// connections) — not an error in a statement, which is a bug.
/// </summary>
internal static class DatabaseFailures
{
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal),
        NpgsqlException => true,
        TimeoutException => true,
        _ => false,
    };
}
