using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using AgentC2.ServiceDefaults.Health;

namespace AgentC2.Frontend.Runs;

/// <summary>
/// <c>GET /runs/{id}/events</c>: the agent API's live run events (server-sent events), passed through as they
/// arrive for the signed-in organization, so the browser never holds an API key. <c>?after=n</c> (or the
/// browser's <c>Last-Event-ID</c> when it reconnects) resumes after step n. When this instance stops, the stream ends
/// (an event cut in half is dropped by the browser) and the browser resumes on another instance.
/// </summary>
internal sealed partial class RunEventsProxy(IHttpClientFactory clients, InstanceDrain drain, ILogger<RunEventsProxy> logger)
{
    public async Task<IResult> StreamAsync(Guid id, int? after, HttpContext context, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{id}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var resumeAfter = context.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? after?.ToString(CultureInfo.InvariantCulture);
        if (int.TryParse(resumeAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var step) && step > 0)
        {
            request.Headers.Add("Last-Event-ID", step.ToString(CultureInfo.InvariantCulture));
        }

        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(AgentApiExtensions.EventsClient)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            LogUnreachable(logger, id, e.Message);
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The agent API is not reachable.");
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return Results.StatusCode((int)response.StatusCode);
            }

            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            await using var events = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[4096];
            using var passing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, drain.StreamsEnding);
            try
            {
                int read;
                while ((read = await events.ReadAsync(buffer, passing.Token)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), passing.Token);
                    await context.Response.Body.FlushAsync(passing.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The browser went away, or the agent replica stopped: EventSource reconnects with Last-Event-ID.
            }

            return Results.Empty;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live events of run {RunId}: the agent API is not reachable ({Reason})")]
    private static partial void LogUnreachable(ILogger logger, Guid runId, string reason);
}

internal static class RunEventsEndpoint
{
    public static void MapRunEvents(this IEndpointRouteBuilder app) =>
        app.MapGet("/runs/{id:guid}/events", (Guid id, int? after, HttpContext context, RunEventsProxy proxy, CancellationToken cancellationToken) =>
                proxy.StreamAsync(id, after, context, cancellationToken))
            .RequireAuthorization(ConsoleExtensions.OrganizationPolicy);
}
