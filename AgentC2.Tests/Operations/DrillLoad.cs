using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;

namespace AgentC2.Tests.Operations;

/// <summary>
/// The drills' bounded load: a few clients, each in a loop with a short pause, invoking an agent (sync, then async) and
/// reading the run it made last. Every exchange is recorded with its time and what came back: served (2xx), refused
/// (503 as <c>application/problem+json</c> with <c>Retry-After</c>: what a client may retry) or failed (anything else).
/// </summary>
internal sealed class DrillLoad : IAsyncDisposable
{
    /// <summary>The organization the operations drills load the application with: limits far above the drills' load.</summary>
    public const string Organization = "drill";

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    private readonly ConcurrentQueue<Exchange> _exchanges = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _clients;

    /// <summary>Marks this load's inputs, so a drill can find what it asked for in the database.</summary>
    private readonly string _tag = Guid.NewGuid().ToString("N")[..8];

    private DrillLoad(HttpClient api, string agent, int clients)
    {
        _clients = [.. Enumerable.Range(0, clients).Select(client => Task.Run(() => RunClientAsync(api, agent, client)))];
    }

    public enum Outcome
    {
        Served,
        Refused,
        Failed,
    }

    /// <summary>Runs served with a 2xx answer (sync results and accepted async runs), with their exchange: none may be lost.</summary>
    public IReadOnlyDictionary<Guid, Exchange> AcceptedRuns => _exchanges.Where(e => e.Run is not null).ToDictionary(e => e.Run!.Value);

    public static DrillLoad Start(HttpClient api, string agent, int clients = 6) => new(api, agent, clients);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients).WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Stops the load if a drill ended before it did.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    public IReadOnlyList<Exchange> Between(DateTime from, DateTime to) => [.. _exchanges.Where(e => e.At >= from && e.At < to)];

    public IReadOnlyList<Exchange> All => [.. _exchanges];

    /// <summary>"N requests (N invocations, N reads): N served, N refused, N failed".</summary>
    public static string Summary(IReadOnlyCollection<Exchange> exchanges) =>
        $"{exchanges.Count} requests ({exchanges.Count(e => !e.Read)} invocations, {exchanges.Count(e => e.Read)} reads): "
        + $"{exchanges.Count(e => e.Outcome == Outcome.Served)} served, {exchanges.Count(e => e.Outcome == Outcome.Refused)} refused, "
        + $"{exchanges.Count(e => e.Outcome == Outcome.Failed)} failed";

    private async Task RunClientAsync(HttpClient api, string agent, int client)
    {
        Guid? lastRun = null;
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var read = i % 2 == 1 && lastRun is not null;
            var mode = i % 4 == 0 ? "sync" : "async";
            var input = $"drill {_tag} {client}/{i} #steps=1";
            var what = read ? $"GET run" : $"POST {mode} invoke";
            try
            {
                using var response = read
                    ? await api.GetAsync($"/api/runs/{lastRun}")
                    : await api.PostAsJsonAsync($"/api/agents/{agent}/invoke", new { input, executionMode = mode });
                var body = await response.Content.ReadAsStringAsync();
                var run = response.IsSuccessStatusCode && !read ? System.Text.Json.JsonSerializer.Deserialize<RunReference>(body, Json)?.Value : null;
                if (response.IsSuccessStatusCode && (read || run is { } id && id != Guid.Empty))
                {
                    lastRun = run ?? lastRun;
                    Record(read, Outcome.Served, $"{what} {(int)response.StatusCode}", run, read ? null : input);
                }
                else if (response.IsSuccessStatusCode)
                {
                    Record(read, Outcome.Failed, $"{what} {(int)response.StatusCode} without a run id: {body[..Math.Min(body.Length, 300)]}");
                }
                else
                {
                    var refused = response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null
                        && response.Content.Headers.ContentType?.MediaType == "application/problem+json";
                    Record(read, refused ? Outcome.Refused : Outcome.Failed,
                        $"{what} {(int)response.StatusCode} retry-after={response.Headers.RetryAfter?.ToString() ?? "none"} "
                        + $"{response.Content.Headers.ContentType?.MediaType}: {body[..Math.Min(body.Length, 300)]}", input: read ? null : input,
                        named: refused && !read ? NamedRun(body) : null);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Record(read, Outcome.Failed, $"{what} {e.GetType().Name}: {e.Message}");
            }

            // A bounded load: each client pauses between requests.
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }

    private void Record(bool read, Outcome outcome, string detail, Guid? run = null, string? input = null, Guid? named = null) =>
        _exchanges.Enqueue(new Exchange(DateTime.UtcNow, read, outcome, detail, run, input, named));

    /// <summary>The run a refusal says was started before the outage caught it (the problem's <c>runId</c>), if any.</summary>
    private static Guid? NamedRun(string problem)
    {
        try
        {
            return System.Text.Json.JsonDocument.Parse(problem).RootElement.TryGetProperty("runId", out var id) && id.TryGetGuid(out var run) ? run : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// One request and its answer; <see cref="Input"/> is the invocation's input, <see cref="Run"/> the run it was answered
    /// with, <see cref="NamedRun"/> the run a refusal named (a sync run the outage interrupted).
    /// </summary>
    public sealed record Exchange(DateTime At, bool Read, Outcome Outcome, string Detail, Guid? Run = null, string? Input = null, Guid? NamedRun = null)
    {
        public override string ToString() => $"{At:HH:mm:ss.fff} {Outcome} {Detail}{(Run is null ? string.Empty : $" run {Run}")}";
    }

    /// <summary>A sync invocation answers the run (<c>id</c>), an async one where to find it (<c>runId</c>).</summary>
    private sealed record RunReference(Guid Id, Guid RunId)
    {
        public Guid Value => Id == Guid.Empty ? RunId : Id;
    }
}
