using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>One check of a <see cref="HealthSnapshot"/>: <c>Healthy</c>, <c>Degraded</c>, <c>Unhealthy</c> or <c>Skipped</c>.</summary>
public sealed record HealthSnapshotEntry(string Name, string Status, string? Description, double DurationMs);

/// <summary>The checks <c>/api/health</c> reports, run in-process (for a page that shows this service's own health).</summary>
public sealed record HealthSnapshot(string Status, IReadOnlyList<HealthSnapshotEntry> Checks)
{
    public static async Task<HealthSnapshot> ReadAsync(HealthCheckService service, CancellationToken cancellationToken)
    {
        var report = await service.CheckHealthAsync(registration => registration.Tags.Contains(HealthEndpoints.HealthTag), cancellationToken);
        return new HealthSnapshot(report.Status.ToString(), [.. report.Entries.Select(entry => new HealthSnapshotEntry(
            entry.Key,
            SkippedCheck.IsSkipped(entry.Value) ? "Skipped" : entry.Value.Status.ToString(),
            entry.Value.Description,
            Math.Round(entry.Value.Duration.TotalMilliseconds, 2)))]);
    }
}
