namespace AgentC2.Frontend.AgentApi;

/// <summary>Calls the agent service's HTTP API.</summary>
internal sealed class AgentApiClient(HttpClient http)
{
    /// <summary>True when the agent service answers its liveness probe.</summary>
    public async Task<bool> IsLiveAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("/api/health/live", cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }
}
