using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentC2.Frontend.AgentApi;

/// <summary>Whether the agent API is reachable through service discovery.</summary>
internal sealed class AgentApiHealthCheck(AgentApiClient agentApi) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            return await agentApi.IsLiveAsync(deadline.Token).ConfigureAwait(false)
                ? HealthCheckResult.Healthy("the agent API answered its liveness probe")
                : new HealthCheckResult(context.Registration.FailureStatus, "the agent API answered its liveness probe with an error");
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"the agent API is unreachable ({exception.GetType().Name})");
        }
    }
}
