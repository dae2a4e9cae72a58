using System.Collections.Concurrent;
using AgentC2.ServiceDefaults.Health;
using Npgsql;

namespace AgentC2.Worker.Queue;

/// <summary>
/// <c>LISTEN</c> on one dedicated connection: <c>agentc2_runs</c> (a run became claimable) and <c>agentc2_webhooks</c>
/// (a delivery is due) wake the idle loops at once. Notifications are only a shortcut: the loops poll as well,
/// so a lost connection (reopened with backoff) costs latency, never work.
/// </summary>
internal sealed partial class QueueNotifications(NpgsqlDataSource dataSource, TimeProvider time, SchemaGate schema, ILogger<QueueNotifications> logger) : BackgroundService
{
    public const string RunsChannel = "agentc2_runs";
    public const string WebhooksChannel = "agentc2_webhooks";

    /// <summary>A run may be claimable: one was queued (NOTIFY), or a run this worker drove has ended.</summary>
    public WakeSignal RunQueued { get; } = new();

    /// <summary>The organizations named by run notifications since the claim loop last looked (bounded; a full claim covers the rest).</summary>
    public ConcurrentQueue<Guid> QueuedOrganizations { get; } = new();

    private const int MaxQueuedOrganizations = 10_000;

    public WakeSignal WebhookDue { get; } = new();

    public override void Dispose()
    {
        RunQueued.Dispose();
        WebhookDue.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.WaitAsync(stoppingToken);
        for (var failures = 0; !stoppingToken.IsCancellationRequested;)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => OnNotification(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {RunsChannel}; LISTEN {WebhooksChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                failures = 0;
                RunQueued.Set();
                WebhookDue.Set();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or IOException)
            {
                failures++;
                LogListenFailed(logger, exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures * 2)), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void OnNotification(string channel, string payload)
    {
        if (channel != RunsChannel)
        {
            WebhookDue.Set();
            return;
        }

        if (Guid.TryParse(payload, out var organization) && QueuedOrganizations.Count < MaxQueuedOrganizations)
        {
            QueuedOrganizations.Enqueue(organization);
        }

        RunQueued.Set();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for queue notifications failed (polling continues): {Reason}")]
    private static partial void LogListenFailed(ILogger logger, string reason);
}
