using System.Diagnostics;
using System.Text.Json;
using AgentC2.ServiceDefaults.Health;
using AgentC2.Worker.Queue;
using AgentC2.Worker.Telemetry;
using Microsoft.Extensions.Options;
using Microsoft.Security.AntiSSRF;
using Npgsql;
using StandardWebhooks;

namespace AgentC2.Worker.Webhooks;

/// <summary>
/// Delivers run results from the outbox as signed POSTs in the Standard Webhooks style: <c>webhook-id</c> (the same on
/// every retry, for the receiver's de-duplication), <c>webhook-timestamp</c> and <c>webhook-signature</c>
/// (<c>v1,</c> + HMAC-SHA256 over <c>id.timestamp.body</c> with the organization's secret). A 2xx answer delivers; anything
/// else is retried with exponential backoff and jitter until <see cref="WebhookOptions.MaxAttempts"/>. The connection is
/// checked again against internal addresses, whatever the URL resolves to by now.
/// </summary>
internal sealed partial class WebhookDispatcher(
    WebhookOutbox outbox,
    IHttpClientFactory httpClients,
    QueueNotifications notifications,
    WorkerMetrics metrics,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    SchemaGate schema,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.WaitAsync(stoppingToken);
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<DueDelivery> due = [];
            try
            {
                due = await outbox.ClaimAsync(settings.Concurrency, settings.Timeout + TimeSpan.FromSeconds(30), stoppingToken);
                await Task.WhenAll(due.Select(d => DeliverAsync(d, stoppingToken)));
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogOutboxFailed(logger, exception.Message);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if (due.Count < settings.Concurrency)
            {
                await notifications.WebhookDue.WaitAsync(settings.PollInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task DeliverAsync(DueDelivery delivery, CancellationToken stoppingToken)
    {
        using var activity = WorkerTracing.Start($"webhook {delivery.EventType}", ActivityKind.Producer, delivery.TraceParent, delivery.RunId);
        activity?.SetTag("agentc2.webhook.attempt", delivery.Attempts);
        var settings = options.Value;
        var started = time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        int? statusCode = null;
        string? error;
        var refused = false;
        try
        {
            using var request = CreateRequest(delivery, started);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(settings.Timeout);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            statusCode = (int)response.StatusCode;
            error = response.IsSuccessStatusCode ? null : $"The receiver answered {statusCode}.";
        }
        catch (AntiSSRFException exception)
        {
            (error, refused) = ($"Refused: {exception.Message}", true);
        }
        catch (HttpRequestException exception)
        {
            error = $"The receiver could not be reached ({exception.HttpRequestError}).";
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            error = $"The receiver did not answer within {settings.Timeout.TotalSeconds} s.";
        }

        var (status, retryAfter, outcome) = error is null
            ? ("delivered", (TimeSpan?)null, "delivered")
            : refused || delivery.Attempts >= settings.MaxAttempts
                ? ("failed", null, refused ? "refused" : "failed")
                : ("pending", Backoff.Delay(delivery.Attempts, settings.RetryBaseDelay, settings.RetryMaxDelay, Random.Shared.NextDouble()), "retrying");
        await outbox.RecordAsync(delivery, started, stopwatch.Elapsed, statusCode, error, status, retryAfter, CancellationToken.None);
        metrics.Delivery(outcome);
        if (error is not null)
        {
            LogAttemptFailed(logger, delivery.RunId, delivery.Attempts, error, status);
        }
    }

    private static HttpRequestMessage CreateRequest(DueDelivery delivery, DateTimeOffset now)
    {
        var body = JsonSerializer.Serialize(new
        {
            type = delivery.EventType,
            timestamp = now,
            data = new
            {
                runId = delivery.RunId,
                agentId = delivery.AgentId,
                agent = delivery.AgentSlug,
                status = delivery.Status,
                output = delivery.Output,
                error = delivery.LastError,
                stepsCompleted = delivery.StepsCompleted,
                usage = new { inputTokens = delivery.InputTokens, outputTokens = delivery.OutputTokens, totalTokens = delivery.InputTokens + delivery.OutputTokens },
                metadata = delivery.Metadata is null ? (JsonElement?)null : JsonDocument.Parse(delivery.Metadata).RootElement,
                createdAt = delivery.CreatedAt,
                finishedAt = delivery.FinishedAt,
            },
        }, JsonSerializerOptions.Web);
        var id = $"msg_{delivery.Id:N}";
        var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", new StandardWebhook(delivery.WebhookSecret).Sign(id, now, body));
        request.Headers.UserAgent.ParseAdd("AgentC2-Webhooks/1.0");
        return request;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the webhook outbox failed: {Reason}")]
    private static partial void LogOutboxFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook attempt {Attempt} for run {RunId} failed: {Reason} (delivery now {Status})")]
    private static partial void LogAttemptFailed(ILogger logger, Guid runId, int attempt, string reason, string status);
}
