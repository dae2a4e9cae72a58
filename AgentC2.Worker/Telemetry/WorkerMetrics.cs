using System.Diagnostics.Metrics;
using AgentC2.Worker.Queue;

namespace AgentC2.Worker.Telemetry;

/// <summary>
/// The worker's instruments (Prometheus names in docs/metrics.md): <c>agentc2_queue_depth</c>, <c>agentc2_queue_oldest_due_seconds</c>,
/// <c>agentc2_queue_wait_seconds</c>, <c>agentc2_run_outcomes_total</c>, <c>agentc2_steps_total</c>,
/// <c>agentc2_lease_expiries_total</c>, <c>agentc2_runs_released_total</c>, <c>agentc2_webhook_deliveries_total</c>,
/// <c>agentc2_runs_deleted_total</c>.
/// </summary>
internal sealed class WorkerMetrics
{
    public const string MeterName = "AgentC2.Worker";

    /// <summary>The <c>outcome</c> label of webhook deliveries.</summary>
    public static readonly string[] DeliveryOutcomes = ["delivered", "retrying", "failed", "refused"];

    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _outcomes;
    private readonly Counter<long> _steps;
    private readonly Counter<long> _leaseExpiries;
    private readonly Counter<long> _released;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _deleted;
    private QueueDepth _depth = new(0, 0, 0, 0);

    public WorkerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("agentc2.queue.depth", () =>
        {
            var depth = _depth;
            return new[]
            {
                new Measurement<long>(depth.Queued, new KeyValuePair<string, object?>("status", RunStatus.Queued)),
                new Measurement<long>(depth.Delayed, new KeyValuePair<string, object?>("status", "delayed")),
                new Measurement<long>(depth.Running, new KeyValuePair<string, object?>("status", RunStatus.Running)),
            };
        }, unit: "{run}", description: "Runs by queue status: queued (claimable now), delayed (waiting for a retry), running.");
        meter.CreateObservableGauge("agentc2.queue.oldest_due", () => _depth.OldestDueSeconds, unit: "s",
            description: "How long the oldest claimable run has waited to be claimed (0 when none waits).");
        _queueWait = meter.CreateHistogram<double>("agentc2.queue.wait", unit: "s",
            description: "Time from a run becoming claimable to a worker claiming it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] });
        _outcomes = meter.CreateCounter<long>("agentc2.run.outcomes", description: "Runs that reached a terminal status here, by mode (sync, async) and outcome.");
        _steps = meter.CreateCounter<long>("agentc2.steps", description: "Steps of async runs the worker asked for, by result (ok, failed).");
        _leaseExpiries = meter.CreateCounter<long>("agentc2.lease.expiries", description: "Runs whose worker stopped renewing the lease, returned to the queue for takeover (or failed after their last attempt).");
        _released = meter.CreateCounter<long>("agentc2.runs.released", description: "Runs a stopping worker gave back to the queue.");
        _deliveries = meter.CreateCounter<long>("agentc2.webhook.deliveries", description: "Webhook delivery attempts by outcome: delivered, retrying, failed (last attempt), refused (internal address).");
        _deleted = meter.CreateCounter<long>("agentc2.runs.deleted", description: "Finished runs deleted past their retention (with their steps and webhook deliveries).");

        // Every series exists from the start, so rate() and alerts work before the first event.
        _leaseExpiries.Add(0);
        _released.Add(0);
        _deleted.Add(0);
        _outcomes.Add(0, new("mode", ExecutionModes.Async), new("outcome", RunStatus.Failed));
        foreach (var result in new[] { "ok", "failed" })
        {
            _steps.Add(0, new KeyValuePair<string, object?>("result", result));
        }

        foreach (var outcome in DeliveryOutcomes)
        {
            _deliveries.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public void Depth(QueueDepth depth) => _depth = depth;

    public void Claimed(double waitSeconds) => _queueWait.Record(Math.Max(0, waitSeconds));

    public void Step(bool ok) => _steps.Add(1, new KeyValuePair<string, object?>("result", ok ? "ok" : "failed"));

    public void RunFailed() => _outcomes.Add(1, new("mode", ExecutionModes.Async), new("outcome", RunStatus.Failed));

    public void LeasesExpired(int count) => _leaseExpiries.Add(count);

    public void Released() => _released.Add(1);

    public void RunsDeleted(int count) => _deleted.Add(count);

    public void Delivery(string outcome) => _deliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
