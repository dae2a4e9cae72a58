using System.Diagnostics;

namespace AgentC2.Agent;

/// <summary>
/// The agent's spans: each step of a run (in a sync invocation's request, or in the worker's step call, both of which
/// carry the run's trace) and each tool call in it. The model call is a span of its own from Microsoft.Extensions.AI.
/// </summary>
internal static class AgentTracing
{
    public static readonly ActivitySource Source = new(AgentMetrics.MeterName);

    public static Activity? StartStep(Guid runId, Guid organizationId, string agentSlug, int step)
    {
        var activity = Source.StartActivity($"step {step}");
        activity?.SetTag("agentc2.run.id", runId.ToString());
        activity?.SetTag("agentc2.organization.id", organizationId.ToString());
        activity?.SetTag("agentc2.agent", agentSlug);
        activity?.SetTag("agentc2.step", step);
        return activity;
    }

    /// <summary>A tool call, named as OpenTelemetry's GenAI conventions name one.</summary>
    public static Activity? StartTool(string tool, string callId)
    {
        var activity = Source.StartActivity($"execute_tool {tool}", ActivityKind.Internal);
        activity?.SetTag("gen_ai.operation.name", "execute_tool");
        activity?.SetTag("gen_ai.tool.name", tool);
        activity?.SetTag("gen_ai.tool.call.id", callId);
        return activity;
    }
}
