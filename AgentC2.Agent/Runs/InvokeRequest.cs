using System.Security.Cryptography;
using System.Text.Json;
using AgentC2.Agent.Agents;

namespace AgentC2.Agent.Runs;

/// <summary>Body of <c>POST /api/agents/{idOrSlug}/invoke</c>.</summary>
public sealed record InvokeRequest(
    string? Input,
    int? MaxSteps,
    string? ExecutionMode,
    string? CallbackUrl,
    JsonElement? Metadata,
    string? IdempotencyKey);

/// <summary>A validated invocation: what the run will be created with.</summary>
internal sealed record Invocation(string Input, int MaxSteps, string ExecutionMode, string? CallbackUrl, string? Metadata, string? IdempotencyKey);

internal static class InvocationPolicy
{
    private const int MaxMetadataBytes = 16 * 1024;
    private const int MaxCallbackUrlLength = 2_048;
    private const int MaxIdempotencyKeyLength = 255;

    /// <summary>
    /// The effective maxSteps is the request's, else the agent's. Without an explicit executionMode a
    /// run is async when that exceeds <see cref="AgentOptions.AsyncThreshold"/>, else sync.
    /// </summary>
    public static (int MaxSteps, string Mode) Decide(int? requestedMaxSteps, string? requestedMode, AgentDefinition agent, AgentOptions options)
    {
        var maxSteps = requestedMaxSteps ?? agent.MaxSteps;
        var mode = requestedMode ?? (maxSteps > options.AsyncThreshold ? ExecutionModes.Async : ExecutionModes.Sync);
        return (maxSteps, mode);
    }

    public static (Invocation? Invocation, Dictionary<string, string[]> Errors) Validate(InvokeRequest request, string? idempotencyHeader, AgentDefinition agent, AgentOptions options)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Input))
        {
            errors["input"] = ["Required."];
        }
        else if (request.Input.Length > options.MaxInputLength)
        {
            errors["input"] = [$"At most {options.MaxInputLength} characters."];
        }

        if (request.MaxSteps is < 1 || request.MaxSteps > options.MaxStepsLimit)
        {
            errors["maxSteps"] = [$"Between 1 and {options.MaxStepsLimit}."];
        }

        if (request.ExecutionMode is not (null or ExecutionModes.Sync or ExecutionModes.Async))
        {
            errors["executionMode"] = ["Either \"sync\" or \"async\"."];
        }

        var (maxSteps, mode) = Decide(request.MaxSteps, request.ExecutionMode, agent, options);
        if (request.ExecutionMode == ExecutionModes.Sync && maxSteps > options.MaxSyncSteps)
        {
            errors["maxSteps"] = [$"Synchronous runs take at most {options.MaxSyncSteps} steps; use executionMode \"async\" for longer runs."];
        }

        if (request.CallbackUrl is not null && !IsCallbackUrl(request.CallbackUrl))
        {
            errors["callbackUrl"] = [$"An absolute http or https URL of at most {MaxCallbackUrlLength} characters."];
        }

        string? metadata = null;
        if (request.Metadata is { } element)
        {
            metadata = element.GetRawText();
            if (element.ValueKind != JsonValueKind.Object || metadata.Length > MaxMetadataBytes)
            {
                errors["metadata"] = [$"A JSON object of at most {MaxMetadataBytes} bytes."];
            }
        }

        var idempotencyKey = idempotencyHeader ?? request.IdempotencyKey;
        if (idempotencyHeader is not null && request.IdempotencyKey is not null && idempotencyHeader != request.IdempotencyKey)
        {
            errors["idempotencyKey"] = ["The Idempotency-Key header and the idempotencyKey field differ."];
        }
        else if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(c => c is < '!' or > '~')))
        {
            errors["idempotencyKey"] = [$"1 to {MaxIdempotencyKeyLength} printable ASCII characters."];
        }

        return errors.Count > 0
            ? (null, errors)
            : (new Invocation(request.Input!, maxSteps, mode, request.CallbackUrl, metadata, idempotencyKey), errors);
    }

    /// <summary>Identifies "the same request" for idempotency: the agent and every field that shapes the run.</summary>
    public static byte[] Fingerprint(AgentDefinition agent, Invocation invocation) =>
        SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new
        {
            agent = agent.Id,
            invocation.Input,
            invocation.MaxSteps,
            invocation.ExecutionMode,
            invocation.CallbackUrl,
            invocation.Metadata,
        }));

    private static bool IsCallbackUrl(string value) =>
        value.Length <= MaxCallbackUrlLength
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(uri.UserInfo);
}
