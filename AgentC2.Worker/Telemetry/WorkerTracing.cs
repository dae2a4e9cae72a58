using System.Diagnostics;

namespace AgentC2.Worker.Telemetry;

/// <summary>
/// The worker's spans: one per driven run and one per webhook delivery, each continuing the trace of the request that
/// created the run (its stored <c>traceparent</c>), so a run is one trace however many workers and attempts it takes.
/// </summary>
internal static class WorkerTracing
{
    public static readonly ActivitySource Source = new(WorkerMetrics.MeterName);

    /// <summary>Starts a span whose parent is <paramref name="traceParent"/> (a new root when there is none).</summary>
    public static Activity? Start(string name, ActivityKind kind, string? traceParent, Guid runId)
    {
        var parent = ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
        var activity = Source.StartActivity(name, kind, parent);
        activity?.SetTag("agentc2.run.id", runId.ToString());
        return activity;
    }
}
