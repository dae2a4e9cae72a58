using System.ComponentModel.DataAnnotations;

namespace AgentC2.Worker.Webhooks;

/// <summary>Bound from <c>AgentC2:Webhooks</c>: how run results are delivered to callback URLs.</summary>
internal sealed class WebhookOptions
{
    public const string Section = "AgentC2:Webhooks";

    /// <summary>Attempts before a delivery is given up (<c>failed</c>).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The delay after the first failed attempt; it doubles with each attempt (with jitter) up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the receiver has to answer one attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Deliveries one worker makes at the same time.</summary>
    [Range(1, 1_000)]
    public int Concurrency { get; set; } = 16;
}
