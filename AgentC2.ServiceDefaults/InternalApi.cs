namespace AgentC2;

/// <summary>
/// The agent service's internal API, which only the worker calls: one step of an async run at a time. It sits
/// under <c>/internal</c>, which no public route (Caddy, ingress) forwards, and requires the internal service
/// credential (an AppHost secret parameter given to both services).
/// </summary>
public static class InternalApi
{
    /// <summary>Every internal route starts with this prefix; edge proxies and ingresses refuse it.</summary>
    public const string PathPrefix = "/internal";

    public const string CredentialKey = "AgentC2:Internal:ApiKey";
    public const string CredentialEnvironmentVariable = "AgentC2__Internal__ApiKey";

    public static string StepPath(Guid runId) => $"{PathPrefix}/runs/{runId}/steps";
}
