using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Telemetry;

/// <summary>
/// One trace per run, as exported over OTLP: the invocation's trace context is stored with the run, and every step
/// (in-process for sync runs; through the worker and the agent's step endpoint for async ones), each tool call, each
/// model call and the webhook delivery are spans of that trace, the steps carrying the run, organization and agent.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class RunTraceTests(AppHostFixture fixture)
{
    private static readonly TimeSpan ExportBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_sync_run_with_a_tool_is_one_trace_of_its_request_its_steps_its_tool_and_model_calls()
    {
        using var client = fixture.CreateApiClient(fixture.DemoApiKey);
        using var response = await client.PostAsJsonAsync("/api/agents/sampler/invoke", new { input = "trace me #steps=2 #tool=echo" });
        var run = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var id = run.GetProperty("id").GetGuid();
        var traceId = await TraceIdAsync(id);

        var spans = await Eventually.MatchAsync(_ => Task.FromResult(fixture.Otlp.Trace(traceId)),
            trace => trace.Count(s => s.Name.StartsWith("step ", StringComparison.Ordinal)) == 2 && trace.Any(s => s.Name == "execute_tool echo") && Complete(trace),
            ExportBound, $"the spans of run {id}");

        var steps = spans.Where(s => s.Name.StartsWith("step ", StringComparison.Ordinal)).ToList();
        Assert.All(steps, step =>
        {
            Assert.Equal(AgentC2.ResourceNames.Agent, step.Service);
            Assert.Equal(id.ToString(), step.Attributes["agentc2.run.id"]);
            Assert.Equal("sampler", step.Attributes["agentc2.agent"]);
            Assert.True(step.Attributes.ContainsKey("agentc2.organization.id"));
        });

        // The request is the root; the steps are its descendants; the tool and model calls happen inside a step.
        var root = Assert.Single(spans, s => IsRoot(spans, s));
        Assert.Contains("invoke", root.Name, StringComparison.OrdinalIgnoreCase);
        Assert.All(spans.Where(s => s != root), s => Assert.Contains(spans, parent => parent.SpanId == s.ParentSpanId));
        var stepIds = steps.Select(s => s.SpanId).ToHashSet();
        Assert.Contains(stepIds, stepId => spans.Any(s => s.Name == "execute_tool echo" && s.ParentSpanId == stepId));
        Assert.Contains(spans, s => s.Name.StartsWith("chat", StringComparison.Ordinal) && stepIds.Contains(s.ParentSpanId));
    }

    [Fact]
    public async Task An_async_run_is_one_trace_through_the_worker_the_agents_step_calls_and_its_webhook()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("traced");
        await using var receiver = new WebhookReceiver();
        var id = await client.InvokeAsyncRunAsync("traced", new { input = "trace me #steps=3", executionMode = "async", callbackUrl = receiver.Url });
        await client.WaitForStatusAsync(id, "succeeded");
        var traceId = await TraceIdAsync(id);

        var spans = await Eventually.MatchAsync(_ => Task.FromResult(fixture.Otlp.Trace(traceId)),
            trace => trace.Count(s => s.Name.StartsWith("step ", StringComparison.Ordinal)) == 3 && trace.Any(s => s.Name.StartsWith("webhook ", StringComparison.Ordinal)) && Complete(trace),
            ExportBound, $"the spans of run {id}");

        // The worker's run span continues the invocation's trace; each step in the agent descends from it.
        var invoke = Assert.Single(spans, s => IsRoot(spans, s));
        Assert.Equal(AgentC2.ResourceNames.Agent, invoke.Service);
        var driven = Assert.Single(spans, s => s.Name == "run" && s.Service == AgentC2.ResourceNames.Worker);
        Assert.Equal(id.ToString(), driven.Attributes["agentc2.run.id"]);
        Assert.Equal(invoke.SpanId, driven.ParentSpanId);
        foreach (var step in spans.Where(s => s.Name.StartsWith("step ", StringComparison.Ordinal)))
        {
            Assert.Equal(AgentC2.ResourceNames.Agent, step.Service);
            Assert.Equal(id.ToString(), step.Attributes["agentc2.run.id"]);
            Assert.True(DescendsFrom(spans, step, driven.SpanId), $"{step.Name} does not descend from the worker's run span");
        }

        var webhook = Assert.Single(spans, s => s.Name.StartsWith("webhook ", StringComparison.Ordinal));
        Assert.Equal(AgentC2.ResourceNames.Worker, webhook.Service);
        Assert.Equal(invoke.SpanId, webhook.ParentSpanId);
    }

    // Each process exports on its own timer: the replica that took the invocation may send its spans after the
    // worker and the replica that ran the steps sent theirs. Complete: every span's parent but one root's has arrived.
    private static bool Complete(IReadOnlyList<ReceivedSpan> spans) => spans.Count(s => IsRoot(spans, s)) == 1;

    // The invocation's request span: its parent, if any, is the client's, outside the services.
    private static bool IsRoot(IReadOnlyList<ReceivedSpan> spans, ReceivedSpan span) => !spans.Any(s => s.SpanId == span.ParentSpanId);

    private static bool DescendsFrom(IReadOnlyList<ReceivedSpan> spans, ReceivedSpan span, string ancestor)
    {
        for (var current = span; current is not null; current = spans.FirstOrDefault(s => s.SpanId == current.ParentSpanId))
        {
            if (current.ParentSpanId == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The trace id of the context stored with the run (W3C traceparent: 00-{trace}-{span}-{flags}).</summary>
    private async Task<string> TraceIdAsync(Guid run)
    {
        await using var database = await fixture.OpenDatabaseAsync();
        var traceParent = (await database.QueryAsync("SELECT trace_parent FROM runs WHERE id = $1", r => r.IsDBNull(0) ? null : r.GetString(0), run)).Single();
        Assert.NotNull(traceParent);
        return traceParent.Split('-')[1];
    }
}
