using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;

namespace AgentC2.Tests.Fixtures;

/// <summary>An event of a run's stream (heartbeats left out), with when it arrived.</summary>
internal sealed record RunEvent(string EventType, string? EventId, string Data, DateTime ReceivedAt);

/// <summary>A run followed to its end: the step numbers seen, over how many connections.</summary>
internal sealed record FollowedRun(IReadOnlyList<int> Steps, int Connections, bool Ended)
{
    /// <summary>Connections after the first: each began after a stream the server ended before the run did.</summary>
    public int Resumed => Connections - 1;
}

/// <summary>A client of <c>GET /api/runs/{id}/events</c> (server-sent events), as the API documents it.</summary>
internal static class RunEvents
{
    /// <summary>
    /// One connection to the run's stream, from after <paramref name="lastEventId"/> when given: every event until the
    /// server ends the stream. An answer other than 200 <c>text/event-stream</c> throws <see cref="HttpRequestException"/>.
    /// </summary>
    public static async Task<List<RunEvent>> ReadAsync(HttpClient client, Guid runId, string? lastEventId = null, Action? opened = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            throw new HttpRequestException($"stream of {runId}: {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}: "
                + await response.Content.ReadAsStringAsync(cancellationToken), null, response.StatusCode);
        }

        opened?.Invoke();
        var events = new List<RunEvent>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(cancellationToken)).EnumerateAsync(cancellationToken))
        {
            if (item.EventType != "heartbeat")
            {
                events.Add(new RunEvent(item.EventType, item.EventId, item.Data, DateTime.UtcNow));
            }
        }

        return events;
    }

    /// <summary>
    /// Follows the run until its <c>status</c> event, reconnecting after the last step seen (<c>Last-Event-ID</c>) whenever a
    /// stream ends before it, at most <paramref name="connections"/> times. The first connection goes through
    /// <paramref name="first"/> when given (one instance, say), and <paramref name="opened"/> completes once it streams.
    /// </summary>
    public static async Task<FollowedRun> FollowToEndAsync(HttpClient client, Guid runId, int connections = 20,
        HttpClient? first = null, TaskCompletionSource? opened = null, CancellationToken cancellationToken = default)
    {
        var steps = new List<int>();
        for (var connection = 1; connection <= connections; connection++)
        {
            var events = await ReadAsync(connection == 1 ? first ?? client : client, runId,
                steps.Count > 0 ? steps[^1].ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                connection == 1 ? () => opened?.TrySetResult() : null, cancellationToken);
            steps.AddRange(events.Where(e => e.EventType == "step").Select(e => int.Parse(e.EventId!, System.Globalization.CultureInfo.InvariantCulture)));
            if (events.Any(e => e.EventType == "status"))
            {
                return new FollowedRun(steps, connection, Ended: true);
            }
        }

        return new FollowedRun(steps, connections, Ended: false);
    }
}
