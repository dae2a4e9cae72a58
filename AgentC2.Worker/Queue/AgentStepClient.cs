using System.Net;
using System.Net.Http.Json;

namespace AgentC2.Worker.Queue;

/// <summary>What the agent service answered for one step.</summary>
internal abstract record StepCall
{
    public sealed record Done(StepResponse Response) : StepCall;

    /// <summary>The run is not this worker's any more: cancelled, ended, taken over, or gone.</summary>
    public sealed record Lost(string Reason) : StepCall;

    /// <summary>The step did not complete (the model or a tool failed, or it timed out): this attempt failed.</summary>
    public sealed record Failed(string Reason) : StepCall;

    /// <summary>The agent service could not take the step (unreachable, or its database away): not the run's fault, try again soon.</summary>
    public sealed record Unavailable(string Reason) : StepCall;
}

/// <summary>
/// Calls <c>POST /internal/runs/{runId}/steps</c> on the agent service (any replica, through service discovery)
/// with the internal service credential. One short request per step: no connection is held for a whole run.
/// </summary>
internal sealed class AgentStepClient(HttpClient http)
{
    public const string HttpClientName = "agent-steps";

    public async Task<StepCall> ExecuteStepAsync(Guid runId, string leaseOwner, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.PostAsJsonAsync(InternalApi.StepPath(runId), new StepRequest(leaseOwner), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return new StepCall.Done((await response.Content.ReadFromJsonAsync<StepResponse>(cancellationToken))!);
            }

            var detail = await ProblemDetailAsync(response, cancellationToken);
            return response.StatusCode switch
            {
                HttpStatusCode.Conflict or HttpStatusCode.NotFound => new StepCall.Lost(detail),
                HttpStatusCode.BadGateway => new StepCall.Failed(detail),
                HttpStatusCode.ServiceUnavailable => new StepCall.Unavailable(detail),
                _ => new StepCall.Failed($"The agent service answered {(int)response.StatusCode}: {detail}"),
            };
        }
        catch (HttpRequestException exception)
        {
            return new StepCall.Unavailable($"The agent service could not be reached ({exception.HttpRequestError}).");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new StepCall.Failed("The step did not finish within the step timeout.");
        }
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(cancellationToken);
            return problem.TryGetProperty("detail", out var detail) && detail.GetString() is { } text ? text : response.ReasonPhrase ?? "no detail";
        }
        catch (System.Text.Json.JsonException)
        {
            return response.ReasonPhrase ?? "no detail";
        }
    }
}
