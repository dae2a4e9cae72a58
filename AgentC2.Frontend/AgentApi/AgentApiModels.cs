namespace AgentC2.Frontend.AgentApi;

// What the console reads from and sends to the agent API (docs/api.md), in the API's own shapes.

internal sealed record OrganizationView(Guid Id, string Slug, string Name, DateTime CreatedAt);

internal sealed record InstanceView(
    string Service, string InstanceId, string Version, string Host, DateTimeOffset StartedAt, string State, int RunsInFlight, int McpClients, DateTimeOffset SeenAt, string? Address = null);

internal sealed record InstancePageView(List<InstanceView> Items);

internal sealed record ApiKeyView(Guid Id, Guid OrganizationId, string Name, string Prefix, DateTime CreatedAt, DateTime? RevokedAt);

internal sealed record IssuedApiKey(Guid Id, Guid OrganizationId, string Name, string Prefix, DateTime CreatedAt, string Key);

internal sealed record AgentView(Guid Id, string Slug, string Name, string Instructions, string ModelTier, int MaxSteps, string[] Tools, string[] McpServers, DateTime CreatedAt, DateTime UpdatedAt);

internal sealed record AgentRequest(string Slug, string Name, string Instructions, string ModelTier, int MaxSteps, string[] Tools, string[] McpServers);

internal sealed record InvokeRequest(string Input, int? MaxSteps, string? ExecutionMode);

internal sealed record TokenUsage(long InputTokens, long OutputTokens, long TotalTokens);

internal sealed record RunView(
    Guid Id,
    Guid AgentId,
    string Agent,
    string Status,
    string ExecutionMode,
    string Input,
    string? Output,
    string? Error,
    int MaxSteps,
    int StepsCompleted,
    int Attempts,
    TokenUsage Usage,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    IReadOnlyList<StepView>? Steps)
{
    public bool IsFinished => RunStatus.IsTerminal(Status);

    /// <summary>The run's usage; while it runs (its total is written at the end), the sum of the steps saved so far.</summary>
    public TokenUsage UsageSoFar => IsFinished || Steps is not { Count: > 0 } steps
        ? Usage
        : new TokenUsage(steps.Sum(s => s.Usage.InputTokens), steps.Sum(s => s.Usage.OutputTokens), steps.Sum(s => s.Usage.TotalTokens));
}

internal sealed record StepView(int Number, string ModelTier, IReadOnlyList<MessageView> Messages, TokenUsage Usage, double DurationMs, DateTime CreatedAt);

internal sealed record MessageView(string Role, string? Text, IReadOnlyList<ToolCallView>? ToolCalls, IReadOnlyList<ToolResultView>? ToolResults);

internal sealed record ToolCallView(string Id, string Name, IDictionary<string, object?>? Arguments);

internal sealed record ToolResultView(string CallId, string? Result, IReadOnlyList<ToolContentView>? Content);

/// <summary>A non-text item a tool result kept (image, audio, resource, link, structured content), or what was not kept and why.</summary>
internal sealed record ToolContentView(string Type, string? MimeType, string? Data, string? Text, string? Uri, string? Name, long? Size, string? Omitted)
{
    /// <summary>An image the page can show inline: kept data of a plain image MIME type (the console's CSP allows data: images only).</summary>
    public bool IsShownImage => Type == "image" && Data is not null && MimeType is { } mime
        && System.Text.RegularExpressions.Regex.IsMatch(mime, "^image/(png|jpeg|gif|webp)$");

    public string Summary => Omitted is { } why
        ? $"{Type} {MimeType} not kept: {why}"
        : $"{Type}{(MimeType is null ? string.Empty : " " + MimeType)}{(Size is { } size ? $", {size} bytes" : string.Empty)}{(Uri is null ? string.Empty : " · " + Uri)}";
}

internal sealed record RunAccepted(Guid RunId, string Status);

internal sealed record RunPage(IReadOnlyList<RunView> Items, string? NextCursor);

internal sealed record McpServerView(string Name, string Kind, string? Catalog, string? Url, bool HasAuthHeader, DateTime CreatedAt);

internal sealed record ToolView(string Name, string? Description, string Source);

internal sealed record McpClientState(Guid OrganizationId, string Server, int Leases, string State, double IdleSeconds, double AgeSeconds);

internal sealed record McpPoolState(int MaxClients, int MaxClientsPerOrganization, int Clients, int InUse, int Waiting, IReadOnlyList<McpClientState> Entries);

internal sealed record McpPoolView(string Instance, McpPoolState Pool);

/// <summary>A service's <c>/api/health</c> answer.</summary>
internal sealed record HealthReportView(string Status, double DurationMs, IReadOnlyDictionary<string, HealthCheckView> Checks);

internal sealed record HealthCheckView(string Status, string? Description, double DurationMs);
