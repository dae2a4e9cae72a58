using Dapper;

namespace AgentC2.Agent.Data;

internal static class DataExtensions
{
    public static void AddAgentData(this IHostApplicationBuilder builder)
    {
        // The agent's statements are single, self-contained commands (or explicit transactions), so it multiplexes.
        builder.AddAgentC2Database(required: true, multiplexing: true);
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        builder.Services.AddHostedService<DatabaseInitializer>();
    }
}
