using AgentC2.Agent.Agents;
using AgentC2.Agent.Mcp;
using AgentC2.Agent.Models;
using AgentC2.Agent.Runs;
using Microsoft.Extensions.AI;

namespace AgentC2.Agent.Steps;

/// <summary>
/// Executes the next step of a run: route a tier, compact the context if over budget, one chat call
/// with the agent's tools, execute the requested tool calls, checkpoint the step. Sync runs loop
/// over it in-process; async runs are driven step by step by the worker.
/// </summary>
internal sealed partial class StepExecutor(
    RunStore runs,
    ModelCatalog models,
    ModelRouter router,
    ContextCompactor compactor,
    AgentMetrics metrics,
    RunEvents events,
    McpTools mcpTools,
    TimeProvider time,
    ILogger<StepExecutor> logger)
{
    /// <summary>
    /// Executes the step after <paramref name="completed"/> (the run's checkpointed steps, in order) and returns it as
    /// stored. With <paramref name="finishWhenDone"/>, a final step also finishes the run in the same statement
    /// (<c>FinishedRun</c>).
    /// </summary>
    public async Task<ExecutedStep> ExecuteNextAsync(
        RunRecord run, AgentDefinition agent, IReadOnlyList<RunStepRecord> completed, bool finishWhenDone, CancellationToken cancellationToken)
    {
        var stepNumber = completed.Count + 1;
        using var activity = AgentTracing.StartStep(run.Id, run.OrganizationId, agent.Slug, stepNumber);
        var conversation = Conversation.Build(agent, run, completed);
        var tier = router.Route(agent.ModelTier, TokenEstimator.Estimate(conversation));
        var context = await compactor.CompactAsync(conversation, cancellationToken);
        var tools = BuiltInTools.For(agent.Tools).ToList();
        if (agent.McpServers.Length > 0)
        {
            tools.AddRange(await mcpTools.ForAsync(run.OrganizationId, agent.McpServers, cancellationToken));
        }


        var started = time.GetTimestamp();
        var options = new ChatOptions { Tools = [.. tools], AdditionalProperties = new() { [OfflineChatClient.StepProperty] = stepNumber } };
        var response = await models.For(tier).GetResponseAsync(context, options, cancellationToken);
        var produced = new List<ChatMessage>(response.Messages);
        var calls = produced.SelectMany(m => m.Contents.OfType<FunctionCallContent>()).ToList();
        if (calls.Count > 0)
        {
            var results = await Task.WhenAll(calls.Select(call => InvokeAsync(tools, call, cancellationToken)));
            produced.Add(new ChatMessage(ChatRole.Tool, [.. results]));
        }

        var step = new RunStepRecord(
            run.Id, stepNumber, tier, Conversation.Write(produced),
            (int)(response.Usage?.InputTokenCount ?? 0), (int)(response.Usage?.OutputTokenCount ?? 0),
            time.GetElapsedTime(started).TotalMilliseconds, time.GetUtcNow().UtcDateTime);

        var outcome = Conversation.OutcomeOf(stepNumber, produced);
        if (finishWhenDone && outcome.Done)
        {
            if (await runs.SaveFinalStepAsync(step, outcome.Output ?? string.Empty) is { } finished)
            {
                Checkpointed(tier, response.Usage, step);
                events.Publish(RunEvent.Finished(finished));
                return new ExecutedStep(outcome, step, finished.Status, finished);
            }
        }
        else if (await runs.SaveStepAsync(step, cancellationToken) is { Inserted: true } saved)
        {
            Checkpointed(tier, response.Usage, step);
            return new ExecutedStep(outcome, step, saved.RunStatus, null);
        }

        // Another executor checkpointed this step first (a retried step), or the run ended meanwhile: what is stored counts.
        var stored = (await runs.GetStepsAsync(run.Id, cancellationToken, afterStep: stepNumber - 1))[0];
        var status = (await runs.FindAsync(run.OrganizationId, run.Id, cancellationToken))?.Status ?? RunStatus.Cancelled;
        return new ExecutedStep(Conversation.OutcomeOf(stored), stored, status, null);
    }

    private void Checkpointed(string tier, UsageDetails? usage, RunStepRecord step)
    {
        metrics.Tokens(tier, usage);
        metrics.StepTokens(tier, step.InputTokens + step.OutputTokens);
        events.Publish(RunEvent.Step(step));
    }

    private async Task<FunctionResultContent> InvokeAsync(IReadOnlyList<AIFunction> tools, FunctionCallContent call, CancellationToken cancellationToken)
    {
        if (tools.FirstOrDefault(t => t.Name == call.Name) is not { } tool)
        {
            return new FunctionResultContent(call.CallId, $"Error: the tool '{call.Name}' is not available to this agent.");
        }

        using var activity = AgentTracing.StartTool(call.Name, call.CallId);
        try
        {
            return await tool.InvokeAsync(new AIFunctionArguments(call.Arguments), cancellationToken) switch
            {
                ToolOutput output => new FunctionResultContent(call.CallId, output.IsError ? $"Error from {call.Name}: {output.Text}" : output.Text)
                {
                    AdditionalProperties = ToolOutput.Store(output.Content) is { } content ? new() { [ToolOutput.ContentProperty] = content } : null,
                },
                var result => new FunctionResultContent(call.CallId, result),
            };
        }
        catch (McpServerUnavailableException exception)
        {
            // Our own message (it names the server and why, never a value of the server's).
            return new FunctionResultContent(call.CallId, $"Error: {exception.Message}");
        }
        catch (Exception exception) when (exception is not (OperationCanceledException or McpPoolExhaustedException))
        {
            LogToolFailed(logger, call.Name, exception);
            return new FunctionResultContent(call.CallId, $"Error: the tool '{call.Name}' failed ({exception.GetType().Name}).");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tool {Tool} failed")]
    private static partial void LogToolFailed(ILogger logger, string tool, Exception exception);
}

/// <summary>
/// A checkpointed step, the run's status after it (<c>cancelled</c> when the run was cancelled meanwhile), and the
/// run when that step also finished it.
/// </summary>
public sealed record ExecutedStep(StepOutcome Outcome, RunStepRecord Step, string RunStatus, RunRecord? FinishedRun);
