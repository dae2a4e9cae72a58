using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>
/// Every health check's latest state as a gauge, so alerts can fire on a failing sub-check
/// (Prometheus: <c>agentc2_health_check_status{check}</c>: 1 healthy or skipped, 0.5 degraded, 0 unhealthy).
/// The checks of <c>/api/health</c> run every <see cref="Period"/> through the health-check publisher.
/// </summary>
internal sealed class HealthCheckMetrics : IHealthCheckPublisher
{
    public const string MeterName = "AgentC2.Health";

    public static readonly TimeSpan Period = TimeSpan.FromSeconds(15);

    private volatile IReadOnlyDictionary<string, double> _status = new Dictionary<string, double>();

    public HealthCheckMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("agentc2.health.check.status",
            () => _status.Select(entry => new Measurement<double>(entry.Value, new KeyValuePair<string, object?>("check", entry.Key))),
            unit: "{status}", description: "Latest state of each health check: 1 healthy (or skipped), 0.5 degraded, 0 unhealthy.");
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        _status = report.Entries.ToDictionary(entry => entry.Key, entry => entry.Value.Status switch
        {
            HealthStatus.Healthy => 1.0,
            HealthStatus.Degraded => 0.5,
            _ => 0.0,
        });
        return Task.CompletedTask;
    }
}
