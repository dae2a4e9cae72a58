namespace AgentC2.ServiceDefaults.Health;

/// <summary>
/// The stages of a stopping instance that its features act on: <see cref="StreamsEnding"/> is cancelled when the readiness
/// drain is over (every load balancer has taken the instance out), so that a long-lived answer such as an event stream ends
/// cleanly and its client resumes on another instance, instead of holding the server's stop until it is cut.
/// </summary>
public sealed class InstanceDrain : IDisposable
{
    private readonly CancellationTokenSource _streams = new();

    public CancellationToken StreamsEnding => _streams.Token;

    internal void EndStreams() => _streams.Cancel();

    public void Dispose() => _streams.Dispose();
}
