using Dapper;

namespace AgentC2.Agent.Data;

internal static class DataExtensions
{
    public static void AddAgentData(this IHostApplicationBuilder builder)
    {
        builder.AddAgentC2Database(required: true);
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        builder.Services.AddHostedService<DatabaseInitializer>();
    }
}
