using System.Diagnostics.Metrics;
using AgentC2.ServiceDefaults.Health;

namespace AgentC2.ServiceDefaults.Telemetry;

/// <summary>
/// Process memory as gauges, against the same limit the memory health check uses, so alerts can
/// fire on utilisation (Prometheus: <c>agentc2_process_memory_rss_bytes</c>,
/// <c>agentc2_process_memory_limit_bytes</c>, <c>agentc2_process_memory_utilization_ratio</c>).
/// </summary>
internal sealed class ProcessMetrics
{
    public const string MeterName = "AgentC2.Process";

    public ProcessMetrics(IMeterFactory meterFactory, MemoryLimit memoryLimit)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("agentc2.process.memory.rss", () => Environment.WorkingSet,
            unit: "By", description: "Resident set size of the service process.");
        meter.CreateObservableGauge("agentc2.process.memory.limit", () => memoryLimit.Read().Bytes,
            unit: "By", description: "Memory limit of the process: the cgroup limit, else physical memory.");
        meter.CreateObservableGauge("agentc2.process.memory.utilization", () => (double)Environment.WorkingSet / memoryLimit.Read().Bytes,
            unit: "1", description: "Resident set size as a fraction of the memory limit.");
    }
}
