using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Frontend.AgentApi;

namespace AgentC2.Frontend.Console;

/// <summary>Another service's <c>/api/health</c>, through service discovery (<c>https+http://{service}</c>).</summary>
internal static class ServiceHealth
{
    public const string ClientName = "service-health";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The report, or the reason there is none (the service is not reachable from here).</summary>
    public static async Task<(HealthReportView? Report, string? Problem)> ReadAsync(IHttpClientFactory clients, string service, CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(8));
            using var response = await clients.CreateClient(ClientName).GetAsync(new Uri($"https+http://{service}{ServicePaths.Health}"), deadline.Token);
            return (await response.Content.ReadFromJsonAsync<HealthReportView>(Json, deadline.Token), null);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or JsonException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"not reachable from the console ({e.GetType().Name})");
        }
    }
}
