using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AgentC2.Frontend.AgentApi;

/// <summary>
/// The agent service's HTTP API as the console uses it. Calls carry the signed-in user's key
/// (<see cref="ForwardCredentialHandler"/>) unless they name one; a refusal becomes an <see cref="AgentApiException"/>
/// with the API's problem details, an unreachable API an <see cref="AgentApiUnavailableException"/>.
/// </summary>
internal sealed class AgentApiClient(IHttpClientFactory clients)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private HttpClient http => clients.CreateClient(AgentApiExtensions.ApiClient);

    /// <summary>True when the agent service answers its liveness probe.</summary>
    public async Task<bool> IsLiveAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(ServicePaths.Live, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    /// <summary>The organization of an organization key; <see cref="AgentApiException"/> 401 for any other key.</summary>
    public Task<OrganizationView> GetOrganizationAsync(string apiKey, CancellationToken cancellationToken) =>
        SendAsync<OrganizationView>(HttpMethod.Get, "/api/organization", null, cancellationToken, apiKey);

    /// <summary>Whether <paramref name="apiKey"/> opens the operator API.</summary>
    public async Task<bool> IsOperatorKeyAsync(string apiKey, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync<List<OrganizationView>>(HttpMethod.Get, "/api/operator/organizations", null, cancellationToken, apiKey).ConfigureAwait(false);
            return true;
        }
        catch (AgentApiException e) when (e.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return false;
        }
    }

    public Task<List<AgentView>> ListAgentsAsync(CancellationToken cancellationToken) =>
        SendAsync<List<AgentView>>(HttpMethod.Get, "/api/agents", null, cancellationToken);

    public Task<AgentView> GetAgentAsync(string slug, CancellationToken cancellationToken) =>
        SendAsync<AgentView>(HttpMethod.Get, $"/api/agents/{Uri.EscapeDataString(slug)}", null, cancellationToken);

    public Task<AgentView> CreateAgentAsync(AgentRequest agent, CancellationToken cancellationToken) =>
        SendAsync<AgentView>(HttpMethod.Post, "/api/agents", agent, cancellationToken);

    public Task<AgentView> UpdateAgentAsync(string slug, AgentRequest agent, CancellationToken cancellationToken) =>
        SendAsync<AgentView>(HttpMethod.Put, $"/api/agents/{Uri.EscapeDataString(slug)}", agent, cancellationToken);

    public Task<List<ToolView>> ListToolsAsync(string slug, CancellationToken cancellationToken) =>
        SendAsync<List<ToolView>>(HttpMethod.Get, $"/api/agents/{Uri.EscapeDataString(slug)}/tools", null, cancellationToken);

    /// <summary>Invokes an agent; the run id of the finished (sync) or accepted (async) run.</summary>
    public async Task<Guid> InvokeAsync(string slug, InvokeRequest invocation, string idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, $"/api/agents/{Uri.EscapeDataString(slug)}/invoke", invocation);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await SendAsync(request, cancellationToken, clients.CreateClient(AgentApiExtensions.InvokeClient)).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.Accepted
            ? (await ReadAsync<RunAccepted>(response, cancellationToken).ConfigureAwait(false)).RunId
            : (await ReadAsync<RunView>(response, cancellationToken).ConfigureAwait(false)).Id;
    }

    public Task<RunPage> ListRunsAsync(string? status, string? agent, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var query = new List<string> { $"limit={limit}" };
        AddQuery(query, "status", status);
        AddQuery(query, "agent", agent);
        AddQuery(query, "cursor", cursor);
        return SendAsync<RunPage>(HttpMethod.Get, $"/api/runs?{string.Join('&', query)}", null, cancellationToken);
    }

    public Task<RunView> GetRunAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<RunView>(HttpMethod.Get, $"/api/runs/{id}", null, cancellationToken);

    public Task<RunView> CancelRunAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<RunView>(HttpMethod.Post, $"/api/runs/{id}/cancel", null, cancellationToken);

    public Task<List<McpServerView>> ListMcpServersAsync(CancellationToken cancellationToken) =>
        SendAsync<List<McpServerView>>(HttpMethod.Get, "/api/mcp-servers", null, cancellationToken);

    public Task<McpPoolView> GetMcpPoolAsync(CancellationToken cancellationToken) =>
        SendAsync<McpPoolView>(HttpMethod.Get, "/api/operator/mcp-pool", null, cancellationToken);

    public Task<List<OrganizationView>> ListOrganizationsAsync(CancellationToken cancellationToken) =>
        SendAsync<List<OrganizationView>>(HttpMethod.Get, "/api/operator/organizations", null, cancellationToken);

    /// <summary>Every running instance as its last heartbeat described it (operator only).</summary>
    public async Task<IReadOnlyList<InstanceView>> ListInstancesAsync(CancellationToken cancellationToken) =>
        (await SendAsync<InstancePageView>(HttpMethod.Get, "/api/operator/instances", null, cancellationToken)).Items;

    public Task<OrganizationView> CreateOrganizationAsync(string slug, string name, CancellationToken cancellationToken) =>
        SendAsync<OrganizationView>(HttpMethod.Post, "/api/operator/organizations", new { slug, name }, cancellationToken);

    public Task<List<ApiKeyView>> ListApiKeysAsync(Guid organizationId, CancellationToken cancellationToken) =>
        SendAsync<List<ApiKeyView>>(HttpMethod.Get, $"/api/operator/organizations/{organizationId}/api-keys", null, cancellationToken);

    public Task<IssuedApiKey> IssueApiKeyAsync(Guid organizationId, string name, CancellationToken cancellationToken) =>
        SendAsync<IssuedApiKey>(HttpMethod.Post, $"/api/operator/organizations/{organizationId}/api-keys", new { name }, cancellationToken);

    public async Task RevokeApiKeyAsync(Guid organizationId, Guid keyId, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Delete, $"/api/operator/organizations/{organizationId}/api-keys/{keyId}", null);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken, string? apiKey = null)
    {
        using var request = Request(method, path, body);
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, HttpClient? client = null)
    {
        HttpResponseMessage response;
        try
        {
            response = await (client ?? http).SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnreachable(e, cancellationToken))
        {
            throw new AgentApiUnavailableException("The agent API is not reachable.", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body) =>
        new(method, path) { Content = body is null ? null : JsonContent.Create(body, options: Json) };

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken) =>
        await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
            ?? throw new AgentApiUnavailableException("The agent API answered with an empty body.");

    private static async Task<AgentApiException> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var retryAfter = response.Headers.RetryAfter?.Delta;
        ProblemBody? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<ProblemBody>(Json, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            // Not problem+json (a proxy's error page): the status code says enough.
        }

        return new AgentApiException(response.StatusCode, problem?.Title ?? response.ReasonPhrase ?? "Error", problem?.Detail, retryAfter,
            problem?.Errors ?? new Dictionary<string, string[]>());
    }

    private static bool IsUnreachable(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
        || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    private static void AddQuery(List<string> query, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            query.Add($"{name}={Uri.EscapeDataString(value)}");
        }
    }

    private sealed record ProblemBody(string? Title, string? Detail, Dictionary<string, string[]>? Errors);
}
