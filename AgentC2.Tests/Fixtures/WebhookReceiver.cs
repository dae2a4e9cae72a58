using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
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
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<int> _answers;
    private readonly Task _serving;

    public WebhookReceiver(params int[] answers)
    {
        _answers = new ConcurrentQueue<int>(answers);
        var port = Loopback.FreePort();
        Url = $"http://127.0.0.1:{port}/hooks/agentc2";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _serving = ServeAsync();
    }

    public string Url { get; }

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

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


    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
