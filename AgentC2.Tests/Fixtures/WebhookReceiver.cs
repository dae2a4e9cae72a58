using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace AgentC2.Tests.Fixtures;

/// <summary>A webhook received by <see cref="WebhookReceiver"/>: its headers, body and the status it was answered with.</summary>
internal sealed record ReceivedWebhook(string Id, string Timestamp, string Signature, string Body, int AnsweredWith)
{
    /// <summary>Checks the Standard Webhooks signature independently: v1 = base64(HMAC-SHA256(secret, "id.timestamp.body")).</summary>
    public bool IsSignedWith(string secret)
    {
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{Id}.{Timestamp}.{Body}")));
        return Signature.Split(' ').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes(expected)));
    }
}

/// <summary>An HTTP receiver on loopback that answers with scripted status codes (then 204) and records every request.</summary>
internal sealed class WebhookReceiver(params int[] answers) : LoopbackHttpServer(concurrent: false)
{
    private readonly ConcurrentQueue<int> _answers = new(answers);

    public string Url => $"http://127.0.0.1:{Port}/hooks/agentc2";

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    protected override async Task AnswerAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var status = _answers.TryDequeue(out var scripted) ? scripted : 204;
        Received.Enqueue(new ReceivedWebhook(
            context.Request.Headers["webhook-id"] ?? string.Empty, context.Request.Headers["webhook-timestamp"] ?? string.Empty,
            context.Request.Headers["webhook-signature"] ?? string.Empty, body, status));
        context.Response.StatusCode = status;
        context.Response.Close();
    }
}
