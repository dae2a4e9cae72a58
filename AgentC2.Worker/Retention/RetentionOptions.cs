using System.ComponentModel.DataAnnotations;

namespace AgentC2.Worker.Retention;

/// <summary>Bound from <c>AgentC2:Retention</c>: how long finished runs (with their steps and webhook deliveries) are kept.</summary>
internal sealed class RetentionOptions
{
    public const string Section = "AgentC2:Retention";

    /// <summary>How long a run is kept after it finished; zero keeps runs forever. The AppHost sets the deployment's default.</summary>
    public TimeSpan Runs { get; set; } = TimeSpan.Zero;

    /// <summary>Per organization slug: its own <see cref="OrganizationRetention.Runs"/> (zero keeps its runs forever).</summary>
    public Dictionary<string, OrganizationRetention> Organizations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often a worker looks for runs past their retention.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Runs deleted in one statement: small, so that no claim waits long behind a deletion.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>The pause between two batches, which leaves the database to the claims.</summary>
    public TimeSpan BatchPause { get; set; } = TimeSpan.FromMilliseconds(100);
}

internal sealed class OrganizationRetention
{
    public TimeSpan? Runs { get; set; }
}
