using System.Text.Json;
using StackExchange.Redis;

namespace AgentC2.ServiceDefaults.Fleet;

/// <summary>One instance as its last heartbeat described it; <see cref="Address"/> is where it listens (its own port, not a load balancer's).</summary>
public sealed record InstanceRecord(
    string Service,
    string InstanceId,
    string Version,
    string Host,
    DateTimeOffset StartedAt,
    string State,
    int RunsInFlight,
    int McpClients,
    DateTimeOffset SeenAt,
    string? Address = null);

/// <summary>
/// The fleet in Redis: one hash (<c>agentc2:instances</c>), a field per instance holding its last heartbeat. An instance
/// not heard from within <see cref="Expiry"/> is gone (killed, or its node lost) and is dropped on the next read.
/// </summary>
public sealed class FleetRegistry(IConnectionMultiplexer redis, TimeProvider time)
{
    public const string Key = "agentc2:instances";

    /// <summary>Three missed heartbeats.</summary>
    public static readonly TimeSpan Expiry = InstanceHeartbeat.Interval * 3;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task WriteAsync(InstanceRecord instance) =>
        redis.GetDatabase().HashSetAsync(Key, Field(instance), JsonSerializer.Serialize(instance, Json));

    public Task RemoveAsync(InstanceRecord instance) => redis.GetDatabase().HashDeleteAsync(Key, Field(instance));

    /// <summary>Every instance heard from recently, by service and start; the ones not heard from are removed.</summary>
    public async Task<IReadOnlyList<InstanceRecord>> ReadAsync()
    {
        var database = redis.GetDatabase();
        var now = time.GetUtcNow();
        var live = new List<InstanceRecord>();
        foreach (var entry in await database.HashGetAllAsync(Key))
        {
            var instance = Parse(entry.Value);
            if (instance is not null && now - instance.SeenAt <= Expiry)
            {
                live.Add(instance);
            }
            else
            {
                await database.HashDeleteAsync(Key, entry.Name, CommandFlags.FireAndForget);
            }
        }

        return [.. live.OrderBy(i => i.Service, StringComparer.Ordinal).ThenBy(i => i.StartedAt).ThenBy(i => i.InstanceId, StringComparer.Ordinal)];
    }

    private static string Field(InstanceRecord instance) => $"{instance.Service}/{instance.InstanceId}";

    private static InstanceRecord? Parse(RedisValue value)
    {
        try
        {
            return value.HasValue ? JsonSerializer.Deserialize<InstanceRecord>(value.ToString(), Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
