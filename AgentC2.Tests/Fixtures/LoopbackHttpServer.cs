using System.Net;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// An HTTP server on a free loopback port (<see cref="HttpListener"/>) that hands each request to <see cref="AnswerAsync"/>,
/// one at a time or each on its own task, until disposed. The test's stand-in for a receiver or an endpoint.
/// </summary>
internal abstract class LoopbackHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    /// <param name="concurrent">Whether requests are answered concurrently (an endpoint) or in arrival order (a receiver).</param>
    protected LoopbackHttpServer(bool concurrent)
    {
        Port = Loopback.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _serving = ServeAsync(concurrent);
    }

    protected int Port { get; }

    /// <summary>Cancelled when the server stops (for answers that wait).</summary>
    protected CancellationToken Stopping => _stop.Token;

    /// <summary>Answers one request; the response must be closed (or aborted) by the time it returns.</summary>
    protected abstract Task AnswerAsync(HttpListenerContext context);

    private async Task ServeAsync(bool concurrent)
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

            var answer = SafelyAsync(context);
            if (!concurrent)
            {
                await answer;
            }
        }
    }

    private async Task SafelyAsync(HttpListenerContext context)
    {
        await Task.Yield();
        try
        {
            await AnswerAsync(context);
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The client went away (an attempt that timed out) or the server is stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _listener.Close();
        _stop.Dispose();
    }
}
