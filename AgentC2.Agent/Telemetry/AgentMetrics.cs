using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;

namespace AgentC2.Agent;

/// <summary>
/// The agent service's instruments (Prometheus names in docs/metrics.md):
/// <c>agentc2_agent_execution_duration_seconds</c>, <c>agentc2_tokens_total</c>, <c>agentc2_step_tokens</c>,
/// <c>agentc2_model_routing_decisions_total</c>, <c>agentc2_compression_cache_hits_total</c>/<c>_misses_total</c>,
/// <c>agentc2_rate_limit_rejections_total</c>, <c>agentc2_rate_limit_fail_open_total</c>,
/// <c>agentc2_run_outcomes_total</c>, <c>agentc2_step_failures_total</c>, <c>agentc2_work_in_flight</c>.
/// </summary>
internal sealed class AgentMetrics
{
    public const string MeterName = "AgentC2.Agent";

    private readonly Histogram<double> _executionDuration;
    private readonly Counter<long> _tokens;
    private readonly Histogram<long> _stepTokens;
    private readonly Counter<long> _routingDecisions;
    private readonly Counter<long> _compressionHits;
    private readonly Counter<long> _compressionMisses;
    private readonly Counter<long> _rateLimitRejections;
    private readonly Counter<long> _rateLimitFailOpen;
    private readonly Counter<long> _runOutcomes;
    private readonly Counter<long> _stepFailures;
    private readonly Meter _meter;

    public AgentMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _executionDuration = meter.CreateHistogram<double>("agentc2.agent.execution.duration", unit: "s",
            description: "Wall time of agent runs from start to a terminal status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] });
        _tokens = meter.CreateCounter<long>("agentc2.tokens", unit: "{token}", description: "Model tokens by direction (input, output) and tier.");
        _stepTokens = meter.CreateHistogram<long>("agentc2.step.tokens", unit: "{token}", description: "Tokens (input + output) used by one step.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144] });
        _routingDecisions = meter.CreateCounter<long>("agentc2.model.routing.decisions", description: "Steps routed to each model tier.");
        _compressionHits = meter.CreateCounter<long>("agentc2.compression.cache.hits", description: "Context compactions served from this instance's summary cache.");
        _compressionMisses = meter.CreateCounter<long>("agentc2.compression.cache.misses", description: "Context compactions that had to summarise.");
        _rateLimitRejections = meter.CreateCounter<long>("agentc2.rate_limit.rejections", description: "Requests rejected with 429.");
        _rateLimitFailOpen = meter.CreateCounter<long>("agentc2.rate_limit.fail_open", description: "Rate-limit decisions let through because Redis did not answer.");

        _runOutcomes = meter.CreateCounter<long>("agentc2.run.outcomes", description: "Runs that reached a terminal status here, by mode (sync, async) and outcome.");
        _stepFailures = meter.CreateCounter<long>("agentc2.step.failures", description: "Steps of async runs that failed (the worker retries the run with backoff).");

        // Rare events start at zero so that their series exist (and rate() works) before the first one.
        _compressionHits.Add(0);
        _compressionMisses.Add(0);
        _rateLimitFailOpen.Add(0);
        _stepFailures.Add(0, new KeyValuePair<string, object?>("reason", "model-or-tool"));
        foreach (var scope in RateLimitScopes)
        {
            _rateLimitRejections.Add(0, new KeyValuePair<string, object?>("scope", scope));
        }
    }

    /// <summary>The <c>scope</c> label of rate-limit rejections.</summary>
    public static readonly string[] RateLimitScopes = ["organization", "api-key", "anonymous"];

    /// <summary>A run reached its terminal status. No label names the agent or its organization (docs/metrics.md, "Labels").</summary>
    public void RunFinished(string mode, string outcome, TimeSpan duration)
    {
        _executionDuration.Record(duration.TotalSeconds, new("mode", mode), new("outcome", outcome));
        _runOutcomes.Add(1, new("mode", mode), new("outcome", outcome));
    }

    public void RunCancelled(string mode) => _runOutcomes.Add(1, new("mode", mode), new("outcome", "cancelled"));

    public void StepFailed(string reason) => _stepFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Tokens(string tier, UsageDetails? usage)
    {
        var input = usage?.InputTokenCount ?? 0;
        var output = usage?.OutputTokenCount ?? 0;
        _tokens.Add(input, new("direction", "input"), new("tier", tier));
        _tokens.Add(output, new("direction", "output"), new("tier", tier));
    }

    public void StepTokens(string tier, long tokens) => _stepTokens.Record(tokens, new KeyValuePair<string, object?>("tier", tier));

    public void RoutingDecision(string tier) => _routingDecisions.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void CompressionCacheHit() => _compressionHits.Add(1);

    public void CompressionCacheMiss() => _compressionMisses.Add(1);

    public void RateLimitRejected(string scope) => _rateLimitRejections.Add(1, new KeyValuePair<string, object?>("scope", scope));

    /// <summary>The instance's work in flight (sync runs and async steps executing now): what the agent scales on.</summary>
    public void ObserveWorkInFlight(Func<int> inFlight) =>
        _meter.CreateObservableGauge("agentc2.work.in_flight", inFlight, unit: "{run}",
            description: "Sync runs and async steps this instance is executing now.");

    public void RateLimitFailedOpen() => _rateLimitFailOpen.Add(1);
}
