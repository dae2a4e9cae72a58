using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentC2.Tests.Fixtures;

/// <summary>A request the Chat Completions server received: its body, the key it presented and when it came.</summary>
internal sealed record ChatCompletionsRequest(JsonObject Body, string? Authorization, DateTime ReceivedAt)
{
    /// <summary>The first user message: the run's input, which scripts the answer (<c>#wire=…</c>).</summary>
    public string Input => Body["messages"]!.AsArray().FirstOrDefault(m => (string?)m!["role"] == "user")?["content"] switch
    {
        JsonValue text => (string)text!,
        JsonArray parts => string.Concat(parts.Select(p => (string?)p!["text"])),
        _ => string.Empty,
    };
}

/// <summary>
/// An OpenAI Chat Completions endpoint on loopback (<c>POST /v1/chat/completions</c>), scripted by the run's input:
/// <c>#wire=text</c> answers with text and usage; <c>#wire=tool</c> asks for the <c>think</c> tool, then answers with
/// its result; <c>#wire=429</c> is rate limited once (<c>Retry-After: 1</c>); <c>#wire=429-long</c> asks to wait an
/// hour; <c>#wire=503-once</c> fails once; <c>#wire=500</c> always fails; <c>#wire=slow</c> answers after 30 s;
/// <c>#wire=malformed</c> answers with something that is not JSON; <c>#wire=empty</c> with no choice at all.
/// Every request is recorded.
/// </summary>
internal sealed class ChatCompletionsServer() : LoopbackHttpServer(concurrent: true)
{
    public const string Model = "wire-model";
    public const string ApiKey = "wire-test-key";

    /// <summary>The base URL a client is configured with (<c>…/v1</c>).</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}/v1";

    public ConcurrentQueue<ChatCompletionsRequest> Received { get; } = new();

    /// <summary>The requests of the run whose input contains <paramref name="marker"/>, in order.</summary>
    public IReadOnlyList<ChatCompletionsRequest> RequestsOf(string marker) => [.. Received.Where(r => r.Input.Contains(marker, StringComparison.Ordinal))];

    protected override async Task AnswerAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = JsonNode.Parse(await reader.ReadToEndAsync())!.AsObject();
        var request = new ChatCompletionsRequest(body, context.Request.Headers["Authorization"], DateTime.UtcNow);
        var earlier = Received.Count(r => r.Input == request.Input);
        Received.Enqueue(request);
        var script = request.Input.Split(' ').FirstOrDefault(w => w.StartsWith("#wire=", StringComparison.Ordinal))?["#wire=".Length..] ?? "text";
        var messages = body["messages"]!.AsArray();
        var toolResult = messages.LastOrDefault(m => (string?)m!["role"] == "tool");
        switch (script)
        {
            case "429" when earlier == 0:
                context.Response.Headers["Retry-After"] = "1";
                await WriteAsync(context, 429, Error("Rate limit reached for requests", "rate_limit_exceeded"));
                break;
            case "429-long":
                context.Response.Headers["Retry-After"] = "3600";
                await WriteAsync(context, 429, Error("Rate limit reached for requests", "rate_limit_exceeded"));
                break;
            case "503-once" when earlier == 0:
                await WriteAsync(context, 503, Error("The server is overloaded", "server_error"));
                break;
            case "500":
                await WriteAsync(context, 500, Error("The server had an error while processing your request", "server_error"));
                break;
            case "slow":
                await Task.Delay(TimeSpan.FromSeconds(30), Stopping);
                await WriteAsync(context, 200, Completion(new JsonObject { ["role"] = "assistant", ["content"] = "too late" }, "stop"));
                break;
            case "malformed":
                await WriteAsync(context, 200, "{\"id\": \"chatcmpl-x\", \"choices\": [ {\"message\": ");
                break;
            case "empty":
                await WriteAsync(context, 200, new JsonObject { ["id"] = "chatcmpl-empty", ["object"] = "chat.completion", ["created"] = 1, ["model"] = Model, ["choices"] = new JsonArray() }.ToJsonString());
                break;
            case "tool" when toolResult is null:
                var call = new JsonObject
                {
                    ["id"] = "call_wire_1",
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = "think", ["arguments"] = "{\"thought\":\"wire plan\"}" },
                };
                await WriteAsync(context, 200, Completion(new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = new JsonArray(call) }, "tool_calls"));
                break;
            default:
                var text = toolResult is null ? $"Wire answer to: {request.Input}" : $"The tool said: {(string?)toolResult["content"]}";
                await WriteAsync(context, 200, Completion(new JsonObject { ["role"] = "assistant", ["content"] = text }, "stop"));
                break;
        }
    }

    private static string Completion(JsonObject message, string finishReason) => new JsonObject
    {
        ["id"] = "chatcmpl-" + Guid.NewGuid().ToString("N"),
        ["object"] = "chat.completion",
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["model"] = Model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finishReason }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 11, ["completion_tokens"] = 7, ["total_tokens"] = 18 },
    }.ToJsonString();

    private static string Error(string message, string code) =>
        new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = code, ["code"] = code } }.ToJsonString();

    private static async Task WriteAsync(HttpListenerContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }
}
