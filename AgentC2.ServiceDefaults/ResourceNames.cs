namespace AgentC2;

/// <summary>
/// Names of the resources in the AgentC2 application model. The AppHost declares resources with
/// these names, services read their connection strings (<c>ConnectionStrings__{name}</c>) and
/// service-discovery addresses (<c>http://{name}</c>) with them, and tests look resources up by them.
/// </summary>
public static class ResourceNames
{
    public const string Postgres = "postgres";
    public const string Database = "agentc2";
    public const string Redis = "redis";
    public const string Agent = "agent";
    public const string Worker = "worker";
    public const string Frontend = "frontend";
    public const string Caddy = "caddy";
}
