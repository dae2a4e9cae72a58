using AgentC2.ServiceDefaults.Health;
using Dapper;

namespace AgentC2.Agent.Data;

internal static class DataExtensions
{
    public static void AddAgentData(this IHostApplicationBuilder builder)
    {
        builder.AddAgentC2Database(required: true);
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        builder.AddSchemaGate();
        builder.Services.AddHostedService<DatabaseInitializer>();
    }
}
