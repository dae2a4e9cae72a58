using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>Degraded when the process's resident memory exceeds a fraction of its memory limit.</summary>
internal sealed class MemoryHealthCheck(MemoryLimit memoryLimit, IOptionsMonitor<HealthOptions> options, Func<long>? residentBytes = null) : IHealthCheck
{
    private readonly Func<long> _residentBytes = residentBytes ?? (() => Environment.WorkingSet);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = options.CurrentValue.MemoryDegradedThreshold;
        var limit = memoryLimit.Read();
        var resident = _residentBytes();
        var utilization = (double)resident / limit.Bytes;
        var description = string.Create(CultureInfo.InvariantCulture,
            $"resident {resident / Mebibyte} MiB of {limit.Bytes / Mebibyte} MiB ({utilization:P1}; limit from {limit.Source}; degraded above {threshold:P0})");
        var data = new Dictionary<string, object>
        {
            ["residentBytes"] = resident,
            ["limitBytes"] = limit.Bytes,
            ["utilization"] = Math.Round(utilization, 4),
        };

        return Task.FromResult(utilization > threshold
            ? HealthCheckResult.Degraded(description, data: data)
            : HealthCheckResult.Healthy(description, data));
    }

    private const long Mebibyte = 1024 * 1024;
}
