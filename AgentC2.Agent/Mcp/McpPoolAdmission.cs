namespace AgentC2.Agent.Mcp;

/// <summary>
/// Whether the pool has room for a client of a new key: below both caps (per instance, per organization), or an idle
/// client to evict, the least recently used one (the organization's own when the organization is at its cap).
/// </summary>
internal static class McpPoolAdmission
{
    public static bool HasRoom(IReadOnlyCollection<McpPoolEntry> entries, McpServerKey key, McpPoolOptions options, out McpPoolEntry? victim)
    {
        victim = null;
        var ofOrganization = entries.Where(e => e.Key.OrganizationId == key.OrganizationId).ToList();
        if (ofOrganization.Count >= options.MaxClientsPerOrganization)
        {
            victim = LeastRecentlyUsedIdle(ofOrganization);
            return victim is not null;
        }

        if (entries.Count >= options.MaxClientsPerInstance)
        {
            victim = LeastRecentlyUsedIdle(entries);
            return victim is not null;
        }

        return true;
    }

    private static McpPoolEntry? LeastRecentlyUsedIdle(IEnumerable<McpPoolEntry> entries) =>
        entries.Where(e => e.IsIdle).OrderBy(e => e.LastUsed).FirstOrDefault();
}
