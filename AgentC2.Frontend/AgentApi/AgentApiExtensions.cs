using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace AgentC2.Frontend.AgentApi;

internal static class AgentApiExtensions
{
    public const string ApiClient = "agent-api";
    public const string InvokeClient = "agent-api-invoke";
    public const string EventsClient = "agent-events";

    /// <summary>
    /// The agent API over service discovery (<c>http://agent</c>), forwarding the signed-in user's key, as three clients:
    /// <list type="bullet">
    /// <item>pages' calls: two quick retries of transient failures of safe requests (never of a 429: the page says
    /// when to try again instead of waiting), 5 s per attempt and 12 s in all, so a page answers even when the API hangs;</item>
    /// <item>invocations: no retry (the run may have been accepted; the form's idempotency key makes a resubmit safe)
    /// and as long as a sync run may take;</item>
    /// <item>live run events: no timeout, the stream stays open while the run goes on.</item>
    /// </list>
    /// </summary>
    public static void AddAgentApi(this IHostApplicationBuilder builder)
    {
        var agent = new Uri($"https+http://{AgentC2.ResourceNames.Agent}");
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddTransient<ForwardCredentialHandler>();
        builder.Services.AddTransient<AgentApiClient>();

        builder.Services.AddHttpClient(ApiClient, client => client.BaseAddress = agent)
            .AddHttpMessageHandler<ForwardCredentialHandler>()
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(options =>
            {
                options.Retry.MaxRetryAttempts = 2;
                options.Retry.Delay = TimeSpan.FromMilliseconds(200);
                options.Retry.DisableForUnsafeHttpMethods();
                options.Retry.ShouldHandle = arguments => ValueTask.FromResult(
                    arguments.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests && HttpClientResiliencePredicates.IsTransient(arguments.Outcome));
                options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(5);
                options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(12);
            });

        builder.Services.AddHttpClient(InvokeClient, client =>
            {
                client.BaseAddress = agent;
                client.Timeout = TimeSpan.FromMinutes(3);
            })
            .AddHttpMessageHandler<ForwardCredentialHandler>()
            .RemoveAllResilienceHandlers();

        builder.Services.AddHttpClient(EventsClient, client =>
            {
                client.BaseAddress = agent;
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddHttpMessageHandler<ForwardCredentialHandler>()
            .RemoveAllResilienceHandlers();

        // The console can still render (and say the API is down) without the agent: Degraded, not Unhealthy,
        // and not part of readiness.
        builder.Services.AddHealthChecks()
            .AddCheck<AgentApiHealthCheck>("agent-api", failureStatus: HealthStatus.Degraded, tags: ["health"]);
    }
}
