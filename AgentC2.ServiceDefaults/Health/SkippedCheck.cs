using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>A check whose dependency this service does not use: healthy, and reported as <c>Skipped</c>.</summary>
public static class SkippedCheck
{
    public const string DataKey = "skipped";

    public static HealthCheckResult Result(string reason) =>
        HealthCheckResult.Healthy($"skipped: {reason}", new Dictionary<string, object> { [DataKey] = true });

    public static bool IsSkipped(HealthReportEntry entry) =>
        entry.Data.TryGetValue(DataKey, out var value) && value is true;
}
